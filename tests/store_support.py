"""Fixtures for the store's contract suites (tests/test_store*.py): each case runs on SQLite and on PostgreSQL.

PostgreSQL cases use a fresh database per test module and a fresh schema per test on $HOTLINE_TEST_PG_URL
(default postgresql://postgres@127.0.0.1:5432/test), and are skipped only when no server answers there.
Other test modules reuse `pg_database`, `scratch_schema`, `run_detached` and `terminate_backends` from here.
"""

from __future__ import annotations

import asyncio
import os
import threading
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest

from bot.records import CallbackRequest, SessionKey
from bot.store import Store, open_store
from bot.store.schema import TABLES

T = TypeVar("T")

PG_ADMIN_URL = os.environ.get("HOTLINE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
ALICE = SessionKey("telegram", "1001")
BOB = SessionKey("viber", "bob==")


def run_detached(coro: Coroutine[Any, Any, T]) -> T:
    """Runs a coroutine on its own loop in a thread, so sync fixtures work inside async ones too."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coro)
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def with_database(url: str, database: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{database}"))


def with_query(url: str, **params: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode(params)}"


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    """A fresh database for the module, dropped afterwards; skips PostgreSQL cases when no server answers."""
    name = f"hotline_test_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    async def drop() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    try:
        run_detached(create())
    except (OSError, TimeoutError, asyncpg.CannotConnectNowError) as exc:
        pytest.skip(f"no PostgreSQL server reachable at {PG_ADMIN_URL} ({exc}); PostgreSQL cases skipped")
    try:
        yield with_database(PG_ADMIN_URL, name)
    finally:
        run_detached(drop())


@contextmanager
def scratch_schema(pg_database: str, prefix: str) -> Iterator[str]:
    """A fresh schema for one test, selected by the URL's search_path, and dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"

    async def ddl(sql: str) -> None:
        conn = await asyncpg.connect(pg_database)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    run_detached(ddl(f"CREATE SCHEMA {schema}"))
    try:
        yield with_query(pg_database, search_path=schema)
    finally:
        run_detached(ddl(f"DROP SCHEMA {schema} CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite3'}"
        return
    with scratch_schema(request.getfixturevalue("pg_database"), "t") as url:
        yield url


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    opened = await open_store(store_url)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def second(store: Store, store_url: str) -> AsyncIterator[Store]:
    """A second store on the same database: another worker, as far as the database can tell."""
    opened = await open_store(store_url)
    try:
        yield opened
    finally:
        await opened.close()


def is_pg(url: str) -> bool:
    return url.startswith("postgresql")


def request_for(key: SessionKey = ALICE, **fields: Any) -> CallbackRequest:
    values: dict[str, Any] = {"name": "Nino Beridze", "phone": "+995555123456", "town": "Batumi",
                              "topic": "reintegration", "returnee": True, "return_country": "DE",
                              "return_month": "2024-05", "language": "ka", "note": "evenings"}
    values.update(fields)
    return CallbackRequest(key.channel, key.user_id, **values)


async def dump_all(store: Store) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {table: [] for table in TABLES}
    async for table, row in store.dump():
        tables[table].append(row)
    return tables




async def terminate_backends(url: str) -> int:
    """Drops every connection the store holds, as a server restart or a failover would."""
    conn = await asyncpg.connect(url)
    try:
        return len(await conn.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = 'hotline' AND pid <> pg_backend_pid()"
        ))
    finally:
        await conn.close()
