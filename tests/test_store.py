"""The store as a whole, on SQLite and PostgreSQL: opening and migrating, reconnecting, monitoring.

Each protocol has its own contract suite beside this one (tests/test_store_*.py); the fixtures are in
tests/store_support.py, shared with every test that needs a real database.
"""

from __future__ import annotations

import ast
import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from bot.store import Store, open_store
from tests.store_support import (
    ALICE,
    BOB,
    is_pg,
    request_for,
    terminate_backends,
    with_query,
)


async def test_reopening_is_idempotent_and_unmigrated_schema_is_refused(store: Store, store_url: str,
                                                                       tmp_path: Path) -> None:
    created = await store.create_request(request_for())
    again = await open_store(store_url)
    try:
        assert await again.get_request(created.ref) == created
    finally:
        await again.close()
    if is_pg(store_url):
        fresh = with_query(store_url.rsplit("?", 1)[0], search_path="no_such_schema_here")
    else:
        fresh = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    with pytest.raises(Exception, match="schema"):
        await open_store(fresh, migrate=False)


async def test_an_older_schema_is_migrated_on_open(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.store import postgres, schema, sqlite

    for module in (sqlite, postgres):
        monkeypatch.setattr(module, "MIGRATIONS", schema.MIGRATIONS[:1])
        monkeypatch.setattr(module, "SCHEMA_VERSION", 1)
    old = await open_store(store_url)
    await old.save_session(ALICE, {"kept": True})
    await old.close()
    monkeypatch.undo()
    with pytest.raises(RuntimeError, match="hotline db migrate"):
        await open_store(store_url, migrate=False)
    current = await open_store(store_url)
    try:
        assert await current.load_session(ALICE) == {"kept": True}
        async with current.exclusive("needs-v2") as ours:
            assert ours
    finally:
        await current.close()


async def test_reconnects_after_connections_are_terminated(store: Store, store_url: str) -> None:
    if not is_pg(store_url):
        pytest.skip("only a server drops connections")
    await store.save_session(ALICE, {"n": 1})
    started = asyncio.Event()

    async def slow_read() -> None:
        async with store.lock(BOB):
            started.set()
            await store.pool.execute("SELECT pg_sleep(5)")  # type: ignore[attr-defined]

    reader = asyncio.create_task(slow_read())
    await started.wait()
    await asyncio.sleep(0.1)
    await terminate_backends(store_url)
    with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, OSError)):
        await asyncio.wait_for(reader, 5)
    assert await store.load_session(ALICE) == {"n": 1}
    async with store.lock(ALICE):
        await store.save_session(ALICE, {"n": 2})
    assert await store.load_session(ALICE) == {"n": 2}


async def test_operational_counts_give_numbers_and_times_only(store: Store) -> None:
    await store.ping()
    empty = await store.operational_counts()
    assert (empty.requests_by_status, empty.pending_by_channel, empty.new_request_times) == ({}, {}, [])
    first = await store.create_request(request_for(ALICE))
    await store.create_request(request_for(BOB))
    await store.transition(first.ref, ("new",), "assigned", "staff:7")
    await store.add_pending_updates("telegram", [("7", "1", "{}"), ("8", "1", "{}")])
    counts = await store.operational_counts()
    assert counts.requests_by_status == {"new": 1, "assigned": 1}
    assert counts.pending_by_channel == {"telegram": 2}
    [made] = counts.new_request_times
    assert made.tzinfo is not None and abs((datetime.now(UTC) - made).total_seconds()) < 60


def test_the_store_knows_no_flows() -> None:
    """The store imports nothing of the engine, and no conversation state is named in its SQL: what it must know
    about states (which ones hold an unconfirmed form) comes from the core as data."""
    for path in sorted((Path(__file__).parent.parent / "bot" / "store").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        assert not {name for name in imported if name.startswith(("bot.core", "bot.channels"))}, path.name
        texts = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        assert not [text for text in texts if re.search(r"'(cb|p|m|f|a|c):", text)], path.name
