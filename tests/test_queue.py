"""The caseworkers' queue service on a real SQLite file: transitions, allowlist, SLA, CSV export, retention."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core.events import SessionKey
from bot.records import CallbackRequest
from bot.staff.queue import LOCAL_TZ, Actor, Queue, add_working_days, csv_phone, csv_safe, is_working_day
from bot.store import Store, open_store

NINO = Actor("Nino")
STAFF = Actor("Tamar", telegram_id=11)
STRANGER = Actor("Someone", telegram_id=99)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(f"sqlite:///{tmp_path / 'queue.sqlite3'}")
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def queue(store: Store, settings: Settings) -> Queue:
    settings.telegram.staff_user_ids = [11, 12]
    return Queue(store, settings)


async def new_request(store: Store, user: str = "u1", **fields: object) -> CallbackRequest:
    values: dict[str, object] = {"name": "ნინო ბერიძე", "phone": "+995555123456", "town": "Rustavi",
                                 "topic": "legal", **fields}
    return await store.create_request(CallbackRequest("test", user, **values))  # type: ignore[arg-type]


async def test_take_done_with_audit(queue: Queue, store: Store) -> None:
    request = await new_request(store)
    taken = await queue.act("take", request.ref.lower(), NINO)
    assert taken.ok and taken.request is not None
    assert (taken.request.status, taken.request.assigned_to) == ("assigned", "Nino")
    again = await queue.act("take", request.ref, NINO)
    assert again.reason == "already", "taking your own request again just resends it"
    done = await queue.act("done", request.ref, NINO, note="spoke for 10 minutes")
    assert done.ok and done.request is not None and done.request.status == "done"
    history = await queue.history(request.ref)
    assert [(e.from_status, e.to_status) for e in history] == [("", "new"), ("new", "assigned"),
                                                                 ("assigned", "done")]
    assert history[-1].actor == "Nino" and history[-1].note == "spoke for 10 minutes"
    late = await queue.act("unreachable", request.ref, NINO)
    assert late.reason == "closed" and not late.ok


async def test_staff_text_is_made_storable(queue: Queue, store: Store) -> None:
    """A NUL in a Telegram /note, or a mis-encoded command-line argument, must not make the write fail."""
    request = await new_request(store)
    noted = await queue.note(request.ref, Actor("Ni\udcc3no"), "call back\x00 after 6 \ud83d")
    assert noted.ok
    done = await queue.act("done", request.ref, Actor("Ni\udcc3no"), note="\x00spoke")
    assert done.ok
    history = await queue.history(request.ref)
    assert [(e.actor, e.note) for e in history[-2:]] == [("Ni\ufffdno", "call back after 6 \ufffd"),
                                                         ("Ni\ufffdno", "spoke")]


async def test_two_caseworkers_take_at_once_exactly_one_wins(queue: Queue, store: Store) -> None:
    for round_ in range(10):
        request = await new_request(store, user=f"race-{round_}")
        a, b = await asyncio.gather(queue.act("take", request.ref, STAFF),
                                    queue.act("take", request.ref, Actor("Levan", telegram_id=12)))
        assert sorted([a.reason, b.reason]) == ["ok", "taken"]
        loser = a if a.reason == "taken" else b
        winner = b if loser is a else a
        assert loser.request is not None and winner.request is not None
        assert loser.request.assigned_to == winner.request.assigned_to, "the loser is told who has it"
        assert len([e for e in await queue.history(request.ref) if e.to_status == "assigned"]) == 1


async def test_only_allowlisted_telegram_staff_may_act(queue: Queue, store: Store) -> None:
    request = await new_request(store)
    for action in ("take", "done", "unreachable"):
        assert (await queue.act(action, request.ref, STRANGER)).reason == "not_allowed"
    assert (await queue.note(request.ref, STRANGER, "hello")).reason == "not_allowed"
    assert len(await queue.history(request.ref)) == 1, "a refusal changes nothing"
    assert (await queue.act("unreachable", request.ref, STAFF)).ok


async def test_unknown_and_cancelled_requests_are_not_found(queue: Queue, store: Store) -> None:
    assert (await queue.act("take", "CB-2222", NINO)).reason == "not_found"
    request = await new_request(store)
    await store.transition(request.ref, ("new",), "cancelled", "user:test")
    assert (await queue.act("take", request.ref, NINO)).reason == "not_found"
    assert await queue.get(request.ref) is None
    assert (await queue.note(request.ref, NINO, "x")).reason == "not_found"
    with pytest.raises(ValueError):
        await queue.act("delete", request.ref, NINO)


def test_working_days() -> None:
    friday = datetime(2025, 11, 28, 15, 0, tzinfo=LOCAL_TZ)
    assert add_working_days(friday, 1) == datetime(2025, 12, 1, 15, 0, tzinfo=LOCAL_TZ)
    assert add_working_days(friday, 3) == datetime(2025, 12, 3, 15, 0, tzinfo=LOCAL_TZ)
    saturday = datetime(2025, 11, 29, 11, 0, tzinfo=LOCAL_TZ)
    assert add_working_days(saturday, 1) == datetime(2025, 12, 2, 0, 0, tzinfo=LOCAL_TZ)
    tuesday_utc = datetime(2025, 11, 25, 21, 30, tzinfo=UTC)  # already Wednesday in Tbilisi
    assert add_working_days(tuesday_utc, 1).weekday() == 3


def test_working_days_skip_georgian_public_holidays() -> None:
    # 2026: National Unity Day on Thursday 9 April, then Orthodox Good Friday to Easter Monday (10-13 April).
    wednesday = datetime(2026, 4, 8, 11, 0, tzinfo=LOCAL_TZ)
    assert add_working_days(wednesday, 1) == datetime(2026, 4, 14, 11, 0, tzinfo=LOCAL_TZ)
    holiday = datetime(2026, 5, 26, 9, 30, tzinfo=LOCAL_TZ)  # Independence Day, a Tuesday
    assert add_working_days(holiday, 1) == datetime(2026, 5, 28, 0, 0, tzinfo=LOCAL_TZ)
    assert is_working_day(date(2026, 5, 25)) and not is_working_day(date(2026, 1, 7))


async def test_overdue_follows_the_configured_sla(queue: Queue, settings: Settings) -> None:
    created = datetime(2025, 11, 28, 15, 0, tzinfo=LOCAL_TZ)
    request = CallbackRequest("test", "u", "n", "p", ref="CB-2345", created_at=created)
    assert not queue.overdue(request, now=datetime(2025, 11, 30, 12, 0, tzinfo=LOCAL_TZ)), "weekends do not count"
    assert queue.overdue(request, now=datetime(2025, 12, 1, 15, 1, tzinfo=LOCAL_TZ))
    settings.callback.sla_working_days = 2
    assert not queue.overdue(request, now=datetime(2025, 12, 1, 15, 1, tzinfo=LOCAL_TZ))
    request.status = "assigned"
    assert not queue.overdue(request, now=datetime(2026, 1, 1, tzinfo=LOCAL_TZ)), "only new requests are overdue"


async def test_list_filters(queue: Queue, store: Store) -> None:
    first = await new_request(store, user="a")
    second = await new_request(store, user="b")
    await queue.act("take", second.ref, NINO)
    assert [r.ref for r in await queue.list()] == [first.ref, second.ref]
    assert [r.ref for r in await queue.list(["assigned"])] == [second.ref]
    later = datetime.now(UTC) + timedelta(days=10)
    assert [r.ref for r in await queue.list(overdue_only=True, now=later)] == [first.ref]
    assert await queue.list(overdue_only=True) == []


async def test_csv_export_is_utf8_with_bom_and_formula_safe(queue: Queue, store: Store) -> None:
    plain = await new_request(store, user="a", note="მადლობა, დამირეკეთ საღამოს")
    await new_request(store, user="b", name="=HYPERLINK(\"http://x\")", note="@SUM(1)", town="-Tbilisi")
    data = await queue.export_csv()
    assert data.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[0]["ref"] == plain.ref
    assert rows[0]["name"] == "ნინო ბერიძე" and rows[0]["note"] == "მადლობა, დამირეკეთ საღამოს"
    assert rows[0]["phone"] == "+995555123456", "a valid E.164 number cannot be a formula: left as it is"
    assert rows[1]["name"].startswith("'=") and rows[1]["note"] == "'@SUM(1)" and rows[1]["town"] == "'-Tbilisi"
    since = await queue.export_csv(since=datetime.now(UTC) + timedelta(minutes=1))
    assert len(list(csv.reader(io.StringIO(since.decode("utf-8-sig"))))) == 1, "only the header"


def test_csv_safe() -> None:
    assert csv_safe("Rustavi") == "Rustavi"
    assert csv_safe("=1+1") == "'=1+1"
    assert csv_safe(None) == ""
    assert csv_safe("＝HYPERLINK(\"http://x\")") == "'＝HYPERLINK(\"http://x\")", "fullwidth = is read as ="
    assert csv_safe("＋1") == "'＋1" and csv_safe("﹣1") == "'﹣1"


def test_csv_phone() -> None:
    assert csv_phone("+995555123456") == "+995555123456"
    assert csv_phone("+1+1") == "'+1+1" and csv_phone("+995 555") == "'+995 555"


async def test_purge_after_retention_keeps_audit_without_notes(queue: Queue, store: Store, settings: Settings) -> None:
    closed = await new_request(store, user="a")
    still_open = await new_request(store, user="b")
    await queue.note(closed.ref, NINO, "her brother answered: call after 6")
    await queue.act("done", closed.ref, NINO, note="talked about the grant")
    assert await queue.purge() == 0, "nothing is old enough yet"
    later = datetime.now(UTC) + timedelta(days=settings.callback.retention_days + 1)
    assert await queue.purge(now=later) == 1
    assert await store.get_request(closed.ref) is None
    assert await store.get_request(still_open.ref) is not None
    history = await queue.history(closed.ref)
    assert history and all(e.note == "" for e in history), "the audit keeps who/when/what, not the notes"


async def test_forgotten_user_disappears_from_the_queue(queue: Queue, store: Store) -> None:
    request = await new_request(store, user="gone")
    await store.forget_user(SessionKey("test", "gone"))
    assert await queue.list() == []
    assert await queue.get(request.ref) is None


async def test_release_puts_a_taken_request_back_for_someone_else(queue: Queue, store: Store) -> None:
    request = await new_request(store)
    assert (await queue.release(request.ref, NINO)).reason == "closed", "a new request has nothing to release"
    await queue.act("take", request.ref, NINO)
    assert (await queue.release(request.ref, STRANGER)).reason == "not_allowed"
    back = await queue.release(request.ref.lower(), NINO, "wrong language for me")
    assert back.ok and back.request is not None and back.request.status == "new"
    taken = await queue.act("take", request.ref, STAFF)
    assert taken.ok and taken.request is not None and taken.request.assigned_to == "Tamar (tg:11)"
    history = await queue.history(request.ref)
    assert [(e.from_status, e.to_status, e.note) for e in history][2] == ("assigned", "new", "wrong language for me")
    assert (await queue.release("CB-2222", NINO)).reason == "not_found"


async def test_one_rule_for_closing_a_taken_request_on_every_channel(queue: Queue, store: Store) -> None:
    """Only its taker or a supervisor closes or returns a taken request: in Telegram, the CLI and the desk, whose
    supervisors are known by their account's role rather than by the settings."""
    request = await new_request(store)
    await queue.act("take", request.ref, NINO)
    other, boss = Actor("Eka"), Actor("Boss", supervisor=True)
    assert (await queue.release(request.ref, other)).reason == "taken"
    assert (await queue.act("done", request.ref, other)).reason == "taken"
    taken = await queue.get(request.ref)
    assert taken is not None and queue.may_close(NINO, taken) and queue.may_close(boss, taken)
    assert not queue.may_close(other, taken)
    assert (await queue.act("unreachable", request.ref, boss)).ok
