"""The store contract, run against SQLite and PostgreSQL alike.

PostgreSQL cases use a fresh database per test module and a fresh schema per test on $HOTLINE_TEST_PG_URL
(default postgresql://postgres@127.0.0.1:5432/test), and are skipped only when no server answers there.
Other test modules reuse `pg_database`, `scratch_schema` and `run_detached` from here.
"""

from __future__ import annotations

import asyncio
import os
import threading
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest

from bot.core.events import SessionKey
from bot.store import Store, open_store
from bot.store.base import CallbackRequest, OpenRequestExists
from bot.store.desk import StaffAccount
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


# sessions and updates


async def test_session_round_trip_and_delete(store: Store) -> None:
    assert await store.load_session(ALICE) is None
    data = {"lang": "ka", "state": "cb:name", "data": {"name": "ნინო", "n": 3}, "history": ["m:main"]}
    await store.save_session(ALICE, data)
    assert await store.load_session(ALICE) == data
    await store.save_session(ALICE, {**data, "lang": "ru"})
    assert (await store.load_session(ALICE) or {})["lang"] == "ru"
    assert await store.load_session(BOB) is None
    await store.delete_session(ALICE)
    assert await store.load_session(ALICE) is None


async def test_update_is_processed_once_per_channel(store: Store) -> None:
    assert not await store.seen_update("telegram", "42")
    await store.save_session(ALICE, {"step": 1}, update_id="42")
    assert await store.seen_update("telegram", "42")
    assert not await store.seen_update("viber", "42")
    await store.save_session(ALICE, {"step": 2}, update_id="42")  # a redelivery reaching a second worker
    assert await store.load_session(ALICE) == {"step": 1}
    await store.save_session(ALICE, {"step": 3}, update_id="43")
    assert await store.load_session(ALICE) == {"step": 3}


async def test_replies_are_kept_until_delivered_then_dropped(store: Store) -> None:
    replies = [{"text": "Your reference: CB-7K3Q", "buttons": []}]
    await store.save_session(ALICE, {"step": 1}, update_id="50", replies=replies)
    assert await store.undelivered_replies("telegram", "50") == replies
    await store.mark_delivered("telegram", "50")
    assert await store.undelivered_replies("telegram", "50") is None
    assert await store.seen_update("telegram", "50")
    await store.save_session(ALICE, {"step": 2}, update_id="51", replies=replies)
    await store.forget_user(ALICE)
    assert await store.undelivered_replies("telegram", "51") is None, "forget drops kept replies too"


async def test_begin_step_reads_dedup_kept_replies_and_session_at_once(store: Store) -> None:
    start = await store.begin_step(ALICE, "60")
    assert (start.seen, start.kept_replies, start.session) == (False, None, None)
    await store.save_session(ALICE, {"step": 1}, update_id="60", replies=[{"text": "hi"}])
    assert (await store.begin_step(ALICE, "61")).session == {"step": 1}
    again = await store.begin_step(ALICE, "60")
    assert again.seen and again.kept_replies == [{"text": "hi"}]
    await store.mark_delivered("telegram", "60")
    assert (await store.begin_step(ALICE, "60")).kept_replies is None
    assert (await store.begin_step(ALICE, None)).session == {"step": 1}


async def test_busy_readers_always_see_the_last_committed_step(store: Store) -> None:
    """Many users reading and writing at once: each step must read what that user's previous step saved."""

    async def user(n: int) -> None:
        key = SessionKey("telegram", f"busy-{n}")
        for step in range(15):
            start = await store.begin_step(key, f"busy-{n}-{step}")
            assert not start.seen
            assert (start.session or {}).get("step", -1) == step - 1, f"user {n} read a stale session"
            await store.save_session(key, {"step": step}, update_id=f"busy-{n}-{step}", replies=[])

    await asyncio.gather(*(user(n) for n in range(30)))


async def test_purge_sessions_drops_idle_ones_and_unfinished_forms_sooner(store: Store) -> None:
    await store.save_session(ALICE, {"lang": "ka", "state": "", "data": {}})
    await store.save_session(BOB, {"lang": "en", "state": "cb:phone", "data": {"form": {"name": "Nino"}}})
    now = datetime.now(UTC)
    assert await store.purge_sessions(now - timedelta(days=90), now - timedelta(days=1)) == 0
    later = now + timedelta(days=2)
    assert await store.purge_sessions(later - timedelta(days=90), later - timedelta(days=1)) == 1
    assert await store.load_session(BOB) is None, "the unconfirmed name is gone after a day"
    assert await store.load_session(ALICE) is not None
    await store.save_session(BOB, {"lang": "en", "state": "p:forget", "data": {"draft": {"state": "cb:phone"}}})
    assert await store.purge_sessions(later - timedelta(days=90), later - timedelta(days=1)) == 1, "parked forms too"
    much_later = now + timedelta(days=91)
    assert await store.purge_sessions(much_later - timedelta(days=90), much_later - timedelta(days=1)) == 1
    assert await store.load_session(ALICE) is None


async def test_forget_user_drops_the_subscription_record(store: Store) -> None:
    await store.set_subscribed(BOB, True)
    await store.forget_user(BOB)
    assert await store.is_subscribed(BOB) is None


async def test_purge_processed_updates(store: Store) -> None:
    await store.save_session(ALICE, {}, update_id="1")
    assert await store.purge_processed_updates(datetime.now(UTC) - timedelta(days=1)) == 0
    assert await store.purge_processed_updates(datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert not await store.seen_update("telegram", "1")


async def test_pending_updates_are_kept_in_fetch_order_until_removed(store: Store) -> None:
    await store.add_pending_updates("telegram", [("99", "1", '{"update_id": 99}'), ("100", "1", '{"update_id": 100}')])
    await store.add_pending_updates("telegram", [("100", "1", '{"update_id": 100, "again": 1}'), ("101", None, "{}")])
    await store.add_pending_updates("viber", [("token-1", "v1", "{}")])
    assert await store.take_pending_updates("telegram") == (['{"update_id": 99}', '{"update_id": 100}', "{}"], 0)
    await store.remove_pending_updates("telegram", ["100"])
    await store.remove_pending_updates("telegram", ["100", "12345"])
    assert await store.take_pending_updates("telegram") == (['{"update_id": 99}', "{}"], 0)
    assert await store.take_pending_updates("telegram", datetime.now(UTC) - timedelta(minutes=1)) == ([], 0)
    assert len((await store.take_pending_updates("telegram", datetime.now(UTC) + timedelta(seconds=1)))[0]) == 2
    assert await store.purge_pending_updates(datetime.now(UTC) - timedelta(days=1)) == 0
    assert await store.purge_pending_updates(datetime.now(UTC) + timedelta(seconds=1)) == 3
    assert await store.take_pending_updates("telegram") == ([], 0)
    assert await store.take_pending_updates("viber") == ([], 0)


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


async def test_a_pending_update_is_taken_a_bounded_number_of_times(store: Store) -> None:
    await store.add_pending_updates("telegram", [("7", None, "{}")])
    for _ in range(3):
        assert await store.take_pending_updates("telegram", max_attempts=3) == (["{}"], 0)
    assert await store.take_pending_updates("telegram", max_attempts=3) == ([], 1)


async def test_a_taken_pending_update_waits_a_whole_delay_again(store: Store) -> None:
    await store.add_pending_updates("viber", [("1", None, "{}")])
    await asyncio.sleep(0.01)
    assert await store.take_pending_updates("viber", datetime.now(UTC)) == (["{}"], 0)
    assert await store.take_pending_updates("viber", datetime.now(UTC) - timedelta(seconds=30)) == ([], 0)
    assert await store.take_pending_updates("viber", datetime.now(UTC) + timedelta(seconds=1)) == (["{}"], 0)


async def test_subscriptions(store: Store) -> None:
    assert await store.is_subscribed(ALICE) is None
    await store.set_subscribed(ALICE, True)
    assert await store.is_subscribed(ALICE) is True
    await store.set_subscribed(ALICE, False)
    assert await store.is_subscribed(ALICE) is False


async def test_lock_keeps_one_users_steps_in_order(store: Store) -> None:
    async def step(n: int) -> None:
        async with store.lock(ALICE):
            session = await store.load_session(ALICE) or {"seen": []}
            await asyncio.sleep(0.001)
            session["seen"].append(n)
            await store.save_session(ALICE, session)

    tasks = []
    for n in range(20):
        tasks.append(asyncio.create_task(step(n)))
        await asyncio.sleep(0)  # each update arrives after the previous one
    await asyncio.gather(*tasks)
    assert (await store.load_session(ALICE) or {})["seen"] == list(range(20))


async def test_lock_does_not_hold_up_other_users(store: Store) -> None:
    async with store.lock(ALICE):
        async with asyncio.timeout(5), store.lock(BOB):
            await store.save_session(BOB, {"ok": True})
    assert await store.load_session(BOB) == {"ok": True}


async def test_lock_serialises_one_user_across_workers(store: Store, second: Store, store_url: str) -> None:
    if not is_pg(store_url):
        pytest.skip("SQLite serves one process; its lock is in-process")
    order: list[str] = []
    async with store.lock(ALICE):
        waiting = asyncio.create_task(_hold(second, ALICE, order))
        await asyncio.sleep(0.2)
        assert not waiting.done()
        order.append("first")
    await asyncio.wait_for(waiting, 5)
    assert order == ["first", "second"]
    async with store.lock(BOB):  # a different user on another worker is not held up
        await asyncio.wait_for(_hold(second, ALICE, order), 5)


async def _hold(store: Store, key: SessionKey, order: list[str]) -> None:
    async with store.lock(key):
        order.append("second")


async def test_many_users_on_small_pools_do_not_deadlock(store_url: str) -> None:
    if not is_pg(store_url):
        pytest.skip("pool sizing is a PostgreSQL matter")
    small = await open_store(with_query(store_url, pool_size="2", lock_pool_size="2"))
    try:
        async def step(n: int) -> None:
            key = SessionKey("telegram", str(n % 7))
            async with small.lock(key):
                session = await small.load_session(key) or {"n": 0}
                session["n"] += 1
                await small.save_session(key, session, update_id=str(n))

        async with asyncio.timeout(30):
            await asyncio.gather(*(step(n) for n in range(60)))
        counts = [((await small.load_session(SessionKey("telegram", str(u)))) or {})["n"] for u in range(7)]
        assert sum(counts) == 60
    finally:
        await small.close()


# callback requests


async def test_create_request_commits_with_a_fresh_reference(store: Store) -> None:
    created = await store.create_request(request_for())
    assert created.ref.startswith("CB-") and len(created.ref) == 7
    assert created.status == "new" and created.assigned_to == ""
    assert created.created_at is not None and created.created_at.tzinfo is not None
    assert abs(created.created_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert created.returnee is True and created.name == "Nino Beridze"
    assert await store.get_request(created.ref.lower()) == created
    assert await store.open_request_for(ALICE) == created
    assert [(a.from_status, a.to_status) for a in await store.audit(created.ref)] == [("", "new")]


async def test_one_open_request_per_user(store: Store) -> None:
    first = await store.create_request(request_for())
    with pytest.raises(OpenRequestExists):
        await store.create_request(request_for(name="Other"))
    assert await store.create_request(request_for(BOB))  # another user is not affected
    assert (await store.transition(first.ref, ("new", "assigned"), "cancelled", "user")).ok
    again = await store.create_request(request_for())
    assert again.ref != first.ref
    assert [r.ref for r in await store.requests_for(ALICE)] == [first.ref, again.ref]


async def test_update_request_edits_personal_fields_of_open_requests_only(store: Store) -> None:
    created = await store.create_request(request_for())
    updated = await store.update_request(created.ref, {"name": "Nino B.", "returnee": False, "status": "done",
                                                       "ref": "CB-XXXX"})
    assert updated is not None
    assert (updated.name, updated.returnee, updated.status, updated.ref) == ("Nino B.", False, "new", created.ref)
    assert updated.updated_at is not None and created.updated_at is not None
    assert updated.updated_at >= created.updated_at
    await store.transition(created.ref, ("new",), "done", "staff:7")
    closed = await store.update_request(created.ref, {"name": "Changed"})
    assert closed is not None and closed.name == "Nino B."
    assert await store.update_request("CB-NONE", {"name": "x"}) is None


async def test_transition_checks_the_current_status_and_audits(store: Store) -> None:
    created = await store.create_request(request_for())
    taken = await store.transition(created.ref, ("new",), "assigned", "staff:7", note="calling")
    assert taken.ok and taken.request is not None
    assert (taken.request.status, taken.request.assigned_to) == ("assigned", "staff:7")
    stale = await store.transition(created.ref, ("new",), "assigned", "staff:8")
    assert not stale.ok and stale.request is not None and stale.request.assigned_to == "staff:7"
    assert (await store.transition(created.ref, ("assigned",), "done", "staff:7")).ok
    assert await store.add_note(created.ref, "staff:7", "called back, all fine")
    assert not await store.add_note("CB-NONE", "staff:7", "x")
    missing = await store.transition("CB-NONE", ("new",), "done", "staff:7")
    assert not missing.ok and missing.request is None
    entries = await store.audit(created.ref)
    assert [(e.actor, e.from_status, e.to_status, e.note) for e in entries] == [
        ("user:telegram", "", "new", ""),
        ("staff:7", "new", "assigned", "calling"),
        ("staff:7", "assigned", "done", ""),
        ("staff:7", "done", "done", "called back, all fine"),
    ]
    assert all(e.at.tzinfo is not None for e in entries)


async def test_two_concurrent_takes_one_wins(store: Store, second: Store) -> None:
    for round_ in range(5):
        created = await store.create_request(request_for(SessionKey("telegram", f"race{round_}")))
        results = await asyncio.gather(
            store.transition(created.ref, ("new",), "assigned", "staff:1"),
            second.transition(created.ref, ("new",), "assigned", "staff:2"),
        )
        assert sorted(r.ok for r in results) == [False, True]
        winner = "staff:1" if results[0].ok else "staff:2"
        final = await store.get_request(created.ref)
        assert final is not None and final.assigned_to == winner
        assert [e.to_status for e in await store.audit(created.ref)] == ["new", "assigned"]


async def test_list_requests_filters(store: Store) -> None:
    a = await store.create_request(request_for(SessionKey("telegram", "a")))
    b = await store.create_request(request_for(SessionKey("telegram", "b")))
    c = await store.create_request(request_for(SessionKey("telegram", "c")))
    await store.transition(b.ref, ("new",), "assigned", "staff:1")
    await store.transition(c.ref, ("new",), "cancelled", "user")
    assert [r.ref for r in await store.list_requests()] == [a.ref, b.ref]
    assert [r.ref for r in await store.list_requests(statuses=("assigned",))] == [b.ref]
    assert b.created_at is not None
    assert [r.ref for r in await store.list_requests(created_before=b.created_at)] == [a.ref]
    assert [r.ref for r in await store.list_requests(since=b.created_at)] == [b.ref]


async def test_pending_announcements_is_a_durable_outbox(store: Store) -> None:
    first = await store.create_request(request_for(SessionKey("telegram", "a")))
    second_ = await store.create_request(request_for(SessionKey("telegram", "b")))
    cancelled = await store.create_request(request_for(SessionKey("telegram", "c")))
    await store.transition(cancelled.ref, ("new",), "cancelled", "user")
    assert [r.ref for r in await store.pending_announcements()] == [first.ref, second_.ref]
    assert [r.ref for r in await store.pending_announcements(limit=1)] == [first.ref]
    await store.mark_announced(first.ref, "-100123:77")
    assert [r.ref for r in await store.pending_announcements()] == [second_.ref]
    announced = await store.get_request(first.ref)
    assert announced is not None and announced.staff_message == "-100123:77"


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


async def test_purge_closed_removes_old_closed_requests_and_audit_notes(store: Store) -> None:
    closed = await store.create_request(request_for(SessionKey("telegram", "closed")))
    await store.add_note(closed.ref, "staff:7", "spoke with Nino")
    await store.transition(closed.ref, ("new",), "unreachable", "staff:7")
    still_open = await store.create_request(request_for(SessionKey("telegram", "open")))
    assert await store.purge_closed(datetime.now(UTC) - timedelta(days=1)) == 0
    assert await store.purge_closed(datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert await store.get_request(closed.ref) is None
    assert await store.get_request(still_open.ref) is not None
    entries = await store.audit(closed.ref)
    assert [e.to_status for e in entries] == ["new", "new", "unreachable"]
    assert all(e.note == "" for e in entries)


async def test_concurrent_writes_commit_independently(store: Store, second: Store) -> None:
    """Writes that share a commit (group commit on SQLite) still succeed or fail one by one."""
    taken = await store.create_request(request_for())
    keys = [SessionKey("telegram", f"crowd{n}") for n in range(30)]
    results = await asyncio.gather(
        *(store.create_request(request_for(key)) for key in keys),
        store.create_request(request_for()),
        *(store.save_session(key, {"n": n}, update_id=f"u{n}") for n, key in enumerate(keys)),
        return_exceptions=True,
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 1 and isinstance(failures[0], OpenRequestExists)
    for n, key in enumerate(keys):  # visible to another connection as soon as the call returned
        assert len(await second.requests_for(key)) == 1
        assert await second.load_session(key) == {"n": n}
    assert [r.ref for r in await second.requests_for(ALICE)] == [taken.ref]


# content gaps


async def test_gaps_group_count_filter_and_purge(store: Store) -> None:
    for text in ("Visa for Germany?", "visa for germany", "Visa for Germany?"):
        await store.record_gap("en", "unanswered", text, "visa germany")
    await store.record_gap("ru", "unanswered", "Виза", "виза")
    await store.record_gap("en", "unhelpful", "How to check an agency", "agency", faq_id="legal_agency_check")
    rows = await store.gaps()
    assert (rows[0].lang, rows[0].kind, rows[0].count, rows[0].text) == ("en", "unanswered", 3, "Visa for Germany?")
    assert {(r.lang, r.kind, r.count, r.faq_id) for r in rows} == {
        ("en", "unanswered", 3, ""), ("ru", "unanswered", 1, ""), ("en", "unhelpful", 1, "legal_agency_check")}
    assert all(r.last_at is not None and r.last_at.tzinfo is not None for r in rows)
    assert [r.text for r in await store.gaps(lang="ru")] == ["Виза"]
    assert len(await store.gaps(limit=1)) == 1
    assert await store.gaps(since=datetime.now(UTC) + timedelta(minutes=1)) == []
    assert await store.purge_gaps(datetime.now(UTC) + timedelta(seconds=1)) == 5
    assert await store.gaps() == []


# periodic jobs


async def test_exclusive_lets_one_runner_in(store: Store, second: Store) -> None:
    async with store.exclusive("retention") as outer:
        assert outer
        async with store.exclusive("retention") as inner:
            assert not inner
        async with second.exclusive("retention") as elsewhere:
            assert not elsewhere
        async with second.exclusive("sla") as other_job:
            assert other_job
    async with second.exclusive("retention") as later:
        assert later


async def test_exclusive_every_runs_once_per_period(store: Store, second: Store) -> None:
    async with store.exclusive("sla", every=timedelta(minutes=5)) as first:
        assert first
    async with second.exclusive("sla", every=timedelta(minutes=5)) as again:
        assert not again
    async with second.exclusive("sla", every=timedelta(0)) as due:
        assert due
    with pytest.raises(RuntimeError):
        async with store.exclusive("purge", every=timedelta(minutes=5)) as failing:
            assert failing
            raise RuntimeError("job failed")
    async with second.exclusive("purge", every=timedelta(minutes=5)) as retry:
        assert retry  # a failed run does not count


# schema and data moves


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
    await store.snapshot_activity(datetime.now(UTC).date(), datetime.now(UTC) - timedelta(days=1))  # type: ignore[attr-defined]
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


# monitoring


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
