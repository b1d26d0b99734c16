"""The callback-requests contract (`Requests`): references, one open request per user, status changes and
their audit trail, the staff outbox, retention.

Run over SQLite and PostgreSQL by the fixtures in tests/store_support.py."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.records import SessionKey
from bot.store import Store
from bot.store.base import OpenRequestExists
from tests.store_support import (
    ALICE,
    BOB,
    request_for,
)


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
