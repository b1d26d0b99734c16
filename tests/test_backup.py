"""`hotline db backup FILE`: a backup restored into a new store holds every request and every audit row."""

from __future__ import annotations

import asyncio
import stat
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.cli import main
from bot.store import open_store
from bot.store.base import Store
from tests.store_support import ALICE, BOB, PG_ADMIN_URL, pg_database, request_for, run_detached, with_database

__all__ = ["pg_database"]

TABLES = ("callback_requests", "callback_audit")


async def _fill(url: str) -> dict[str, list[dict[str, Any]]]:
    store = await open_store(url)
    try:
        first = await store.create_request(request_for(ALICE))
        second = await store.create_request(request_for(BOB, name="Zurab", note=""))
        await store.transition(first.ref, ("new",), "assigned", "Nino")
        await store.add_note(first.ref, "Nino", "no answer in the morning")
        await store.transition(first.ref, ("assigned",), "done", "Nino", note="called back")
        await store.transition(second.ref, ("new",), "unreachable", "Giorgi")
        return await _rows(store)
    finally:
        await store.close()


async def _rows(store: Store) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {table: [] for table in TABLES}
    async for table, row in store.dump():
        if table in found:
            found[table].append(row)
    return {table: sorted(rows, key=lambda r: (str(r.get("ref")), str(r.get("at")), str(r.get("id"))))
            for table, rows in found.items()}


async def _restored(url: str) -> dict[str, list[dict[str, Any]]]:
    store = await open_store(url)
    try:
        return await _rows(store)
    finally:
        await store.close()


def _backup(url: str, target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    monkeypatch.delenv("HOTLINE_CONFIG", raising=False)
    assert main(["db", "backup", str(target)]) == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600, "a backup holds personal data: owner only"


def test_a_sqlite_backup_restores_every_request_and_audit_row(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    written = asyncio.run(_fill(url))
    assert len(written["callback_requests"]) == 2 and len(written["callback_audit"]) >= 5
    target = tmp_path / "backups" / "hotline.sqlite3"
    target.parent.mkdir()
    _backup(url, target, monkeypatch)
    assert not list(target.parent.glob("*-wal")), "one self-contained file"
    assert asyncio.run(_restored(f"sqlite:///{target}")) == written


@pytest.fixture
def restore_database() -> Iterator[str]:
    name = f"hotline_restore_{uuid.uuid4().hex[:10]}"

    async def ddl(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    run_detached(ddl(f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(PG_ADMIN_URL, name)
    finally:
        run_detached(ddl(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_a_postgresql_backup_restores_every_request_and_audit_row(pg_database: str, restore_database: str,
                                                                  tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    written = run_detached(_fill(pg_database))
    target = tmp_path / "hotline.dump"
    _backup(pg_database, target, monkeypatch)
    subprocess.run(["pg_restore", "--no-owner", f"--dbname={restore_database}", str(target)], check=True,
                   capture_output=True, timeout=60)
    assert run_detached(_restored(restore_database)) == written


def test_a_missing_sqlite_database_is_reported_not_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'nothing.sqlite3'}")
    assert main(["db", "backup", str(tmp_path / "copy.sqlite3")]) == 1
    assert "no database at" in capsys.readouterr().err
    assert not (tmp_path / "nothing.sqlite3").exists() and not (tmp_path / "copy.sqlite3").exists()
