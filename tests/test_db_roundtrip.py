"""`hotline db export` / `db import` move everything between engines: SQLite -> PostgreSQL -> a fresh SQLite."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.cli import main
from bot.core.events import SessionKey
from bot.records import CallbackRequest
from bot.store import Store, open_store
from bot.store.desk import StaffAccount
from bot.store.schema import TABLES
from tests.store_support import dump_all, pg_database, run_detached, scratch_schema

__all__ = ["pg_database"]

TBILISI = "2024-03-01T12:00:00+04:00"  # an offset and no microseconds: both must survive as the same moment


async def fill(store: Store) -> None:
    for n in range(30):
        key = SessionKey("telegram" if n % 2 else "viber", f"user-{n}")
        await store.save_session(key, {"lang": ("ka", "ru", "en")[n % 3], "state": "cb:phone",
                                       "data": {"name": f"სახელი {n}", "nested": [1, {"x": None}]},
                                       "history": ["m:main", "f:visa"]}, update_id=str(1000 + n))
        await store.set_subscribed(key, n % 4 == 0)
        created = await store.create_request(CallbackRequest(
            key.channel, key.user_id, f"Имя {n}", f"+99555500{n:04d}", town="Kutaisi", topic="work abroad",
            returnee=bool(n % 2), return_country="PL", return_month="2024-01", language="ru",
            note='quote " backslash \\ newline\n emoji 🙂'))
        if n % 3 == 0:
            await store.transition(created.ref, ("new",), "assigned", f"staff:{n}", note="taking it")
        if n % 5 == 0:
            await store.transition(created.ref, ("new", "assigned"), "done", "staff:1")
            await store.add_note(created.ref, "staff:1", "called back")
        if n % 7 == 0:
            await store.mark_announced(created.ref, f"-1001:{n}")
            await store.add_staff_copy(created.ref, f"{n}:{n}")
        await store.record_gap(("ka", "en")[n % 2], "unanswered", f"question {n % 4}", f"question {n % 4}")
    await store.add_account(StaffAccount("Ана", "supervisor", "$argon2id$x", must_change=False))  # type: ignore[attr-defined]
    await store.record_desk_event("Ана", "account_added", "Ана", "supervisor")  # type: ignore[attr-defined]
    chat = await store.open_live(SessionKey("telegram", "user-1"), "ka", "m:work")  # type: ignore[attr-defined]
    await store.add_live_message(chat.id, "in", "text", "გამარჯობა 🙂", update_id="77")  # type: ignore[attr-defined]
    await store.take_live(chat.id, "Ана")  # type: ignore[attr-defined]
    await store.add_live_message(chat.id, "out", "text", "Hello", author="Ана")  # type: ignore[attr-defined]
    await store.end_live(chat.id, "closed", "caseworker", "Ана", "[advised]")  # type: ignore[attr-defined]
    await store.rate_live(chat.id, SessionKey("telegram", "user-1"), 1)  # type: ignore[attr-defined]
    await store.add_day_counts([(datetime.now(UTC).date(), "telegram", "ka", 1)],  # type: ignore[attr-defined]
                               [(datetime.now(UTC).date(), "telegram", "ka", "answered", "visa", 1)])
    await store.decide_question("ნინო", "ka", "ვიზა?", "ვიზა")  # type: ignore[attr-defined]
    await store.load_rows("gaps", [{"id": 500, "at": TBILISI, "lang": "ka", "kind": "unhelpful",
                                    "text": "old", "normalised": "old", "faq_id": "visa"}])


def cli(monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> None:
    monkeypatch.delenv("HOTLINE_CONFIG", raising=False)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    assert main(["db", *args]) == 0


def snapshot(url: str) -> dict[str, list[dict[str, Any]]]:
    async def read() -> dict[str, list[dict[str, Any]]]:
        store = await open_store(url)
        try:
            return await dump_all(store)
        finally:
            await store.close()

    tables = run_detached(read())
    return {table: sorted(rows, key=repr) for table, rows in tables.items()}


def export_lines(path: Path) -> list[dict[str, Any]]:
    return sorted((json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()), key=repr)


@pytest.fixture
def pg_schema_url(pg_database: str) -> Iterator[str]:
    with scratch_schema(pg_database, "rt") as url:
        yield url


def test_sqlite_to_postgresql_and_back_keeps_everything(
    tmp_path: Path, pg_schema_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = f"sqlite:///{tmp_path / 'source.sqlite3'}"
    target = f"sqlite:///{tmp_path / 'target.sqlite3'}"

    async def prepare() -> None:
        store = await open_store(source)
        try:
            await fill(store)
        finally:
            await store.close()

    asyncio.run(prepare())
    original = snapshot(source)
    assert all(original[table] for table in TABLES)

    cli(monkeypatch, source, "export", str(tmp_path / "from_sqlite.jsonl"))
    cli(monkeypatch, pg_schema_url, "migrate")
    cli(monkeypatch, pg_schema_url, "import", str(tmp_path / "from_sqlite.jsonl"))
    assert snapshot(pg_schema_url) == original

    cli(monkeypatch, pg_schema_url, "export", str(tmp_path / "from_pg.jsonl"))
    assert export_lines(tmp_path / "from_pg.jsonl") == export_lines(tmp_path / "from_sqlite.jsonl")
    cli(monkeypatch, target, "import", str(tmp_path / "from_pg.jsonl"))
    assert snapshot(target) == original

    old = next(row for row in original["gaps"] if row["id"] == 500)
    assert old["at"] == datetime(2024, 3, 1, 8, tzinfo=UTC)
    with sqlite3.connect(tmp_path / "target.sqlite3") as db:
        (text,) = db.execute("SELECT at FROM gaps WHERE id = 500").fetchone()
        stamps = [r[0] for r in db.execute("SELECT created_at FROM callback_requests")]
    assert text == "2024-03-01T08:00:00.000000+00:00"
    assert all(len(s) == len(text) and s.endswith("+00:00") for s in stamps)  # one text form keeps text order

    async def check_postgres() -> None:
        conn = await asyncpg.connect(pg_schema_url)
        try:
            types = {r["data_type"] for r in await conn.fetch(
                "SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND column_name IN ('at', 'created_at', 'updated_at', 'processed_at', 'closed_at')")}
            assert types == {"timestamp with time zone"}
            assert await conn.fetchval("SELECT at FROM gaps WHERE id = 500") == datetime(2024, 3, 1, 8, tzinfo=UTC)
        finally:
            await conn.close()
        store = await open_store(pg_schema_url)
        try:  # the imported database keeps working: serials continue, constraints hold
            await store.record_gap("en", "unanswered", "after import", "after import")
            assert max(r["id"] for r in (await dump_all(store))["gaps"]) == 501
            assert len(await store.list_requests(created_before=datetime.now(UTC) + timedelta(seconds=1))) == 30
        finally:
            await store.close()

    run_detached(check_postgres())
