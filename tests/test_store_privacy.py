"""The privacy-and-export contract (`Privacy`): /forget leaves nothing personal anywhere, and every row moves
between engines.

Run over SQLite and PostgreSQL by the fixtures in tests/store_support.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.store import Store, open_store
from bot.store.desk import StaffAccount
from bot.store.rules import FORGOTTEN_BY_LIVE_CHATS, FORGOTTEN_TABLES, WITHOUT_USER_DATA
from bot.store.schema import MIGRATIONS, TABLES
from tests.store_support import (
    ALICE,
    BOB,
    dump_all,
    request_for,
)


async def test_forget_user_keeps_no_personal_data(store: Store) -> None:
    created = await store.create_request(request_for(note="call after 6pm"))
    await store.add_note(created.ref, "staff:7", "Nino asked about +995555123456")
    await store.transition(created.ref, ("new",), "done", "staff:7")
    await store.create_request(request_for())
    await store.create_request(request_for(BOB))
    await store.save_session(ALICE, {"data": {"name": "Nino"}})
    assert await store.forget_user(ALICE) == 2
    assert await store.requests_for(ALICE) == []
    assert await store.load_session(ALICE) is None
    assert len(await store.requests_for(BOB)) == 1
    entries = await store.audit(created.ref)
    assert entries[-1].to_status == "deleted"
    assert all(e.note == "" for e in entries)
    dumped = repr(await dump_all(store))
    assert "Nino" not in dumped.replace(repr(request_for(BOB).name), "")
    assert "+995555123456" not in dumped.replace(request_for(BOB).phone, "")


async def test_forget_user_drops_the_subscription_record(store: Store) -> None:
    await store.set_subscribed(BOB, True)
    await store.forget_user(BOB)
    assert await store.is_subscribed(BOB) is None


async def test_forget_user_drops_what_is_kept_of_their_updates(store: Store) -> None:
    await store.add_pending_updates("telegram", [("1", ALICE.user_id, '"alice"'), ("2", BOB.user_id, '"bob"')])
    await store.forget_user(ALICE)
    assert await store.take_pending_updates("telegram") == (['"bob"'], 0)


async def test_forget_user_drops_the_questions_they_asked(store: Store) -> None:
    await store.record_gap("en", "unanswered", "visa for <name>?", "visa for <name>", key=ALICE)
    await store.record_gap("en", "unanswered", "visa for <name>?", "visa for <name>", key=BOB)
    await store.record_gap("en", "unanswered", "visa?", "visa")
    await store.forget_user(ALICE)
    assert {(r.text, r.count) for r in await store.gaps()} == {("visa for <name>?", 1), ("visa?", 1)}


async def test_forget_user_withdraws_the_caseworkers_copies(store: Store) -> None:
    alices, bobs = await store.create_request(request_for()), await store.create_request(request_for(BOB))
    await store.add_staff_copy(alices.ref, "11:42")
    await store.add_staff_copy(bobs.ref, "11:43")
    assert await store.withdrawn_copies() == []
    await store.forget_user(ALICE)
    [copy] = await store.withdrawn_copies()
    assert (copy.ref, copy.location) == (alices.ref, "11:42") and copy.sent_at.tzinfo is not None
    await store.drop_staff_copy(copy.id)
    assert await store.withdrawn_copies() == []


async def test_dump_and_load_rows_copy_everything(store: Store, store_url: str, tmp_path: Path) -> None:
    created = await store.create_request(request_for())
    await store.transition(created.ref, ("new",), "assigned", "staff:7", note="on it")
    await store.mark_announced(created.ref, "-100:5")
    await store.create_request(request_for(BOB, returnee=False, note="line1\nline2 \"quoted\" 🙂"))
    await store.save_session(ALICE, {"lang": "ka", "data": {"name": "ნინო"}}, update_id="9")
    await store.set_subscribed(BOB, True)
    await store.record_gap("ka", "unanswered", "ვიზა?", "ვიზა")
    await store.add_staff_copy(created.ref, "11:42")
    await store.add_account(StaffAccount("ნინო", "caseworker", "$argon2id$hash", telegram_id=42))  # type: ignore[attr-defined]
    await store.record_desk_event("ნინო", "login")  # type: ignore[attr-defined]
    chat = await store.open_live(ALICE, "ka", "m:work")  # type: ignore[attr-defined]
    await store.add_live_message(chat.id, "in", "text", "გამარჯობა", update_id="10")  # type: ignore[attr-defined]
    await store.add_day_counts([(datetime.now(UTC).date(), "telegram", "ka", 1)],  # type: ignore[attr-defined]
                               [(datetime.now(UTC).date(), "telegram", "ka", "answered", "visa", 1)])
    await store.decide_question("ნინო", "ka", "ვიზა?", "ვიზა")  # type: ignore[attr-defined]
    original = await dump_all(store)
    assert all(original[table] for table in TABLES)
    stamp = original["callback_requests"][0]["created_at"]
    assert isinstance(stamp, datetime) and stamp.tzinfo is not None
    copy_url = f"sqlite:///{tmp_path / 'copy.sqlite3'}"
    copy = await open_store(copy_url)
    try:
        for table, rows in original.items():
            await copy.load_rows(table, rows)
        assert await dump_all(copy) == original
        assert await copy.get_request(created.ref) == await store.get_request(created.ref)
        await copy.record_gap("en", "unanswered", "new one", "new one")  # ids continue after the imported ones
    finally:
        await copy.close()
    with pytest.raises(ValueError, match="unknown columns"):
        await store.load_rows("gaps", [{"id": 99, "at": stamp, "evil; DROP TABLE gaps": 1}])


def test_forget_reaches_every_table_that_can_hold_a_user() -> None:
    """A table added to the schema must be wiped by /forget or be declared to hold nothing of a user."""
    created = {"schema_version"} | {
        match for migration in MIGRATIONS for statement in migration("sqlite")
        for match in re.findall(r"CREATE TABLE (\w+)", statement)
    }
    assert created == FORGOTTEN_TABLES | FORGOTTEN_BY_LIVE_CHATS | WITHOUT_USER_DATA
    assert not (FORGOTTEN_TABLES | FORGOTTEN_BY_LIVE_CHATS) & WITHOUT_USER_DATA


async def test_forget_leaves_no_byte_of_a_live_chat_in_any_sqlite_file(tmp_path: Path) -> None:
    """Live chats' /forget runs after the requests' one, so it must empty SQLite's write-ahead log itself."""
    opened = await open_store(f"sqlite:///{tmp_path / 'live.sqlite3'}")
    try:
        chat = await opened.open_live(ALICE, "en", "m:work")  # type: ignore[attr-defined]
        await opened.add_live_message(chat.id, "in", "text", "Zviadiko Qvirikashvili", update_id="1")  # type: ignore[attr-defined]
        assert _files_holding(tmp_path, b"Qvirikashvili"), "the chat was there to begin with"
        await opened.forget_user(ALICE)
        await opened.forget_live(ALICE)  # type: ignore[attr-defined]
        assert _files_holding(tmp_path, b"Qvirikashvili") == []
    finally:
        await opened.close()


def _files_holding(directory: Path, text: bytes) -> list[str]:
    return [file.name for file in sorted(directory.glob("live.sqlite3*")) if text in file.read_bytes()]
