"""The desk's part of the store contract (accounts, failed logins, desk audit, queue pages), on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

import pytest

from bot.core.events import SessionKey
from bot.store import Store
from bot.store.desk import AccountExists, DeskStore, RequestFilter, StaffAccount
from tests.store_support import pg_database, request_for, store, store_url

__all__ = ["pg_database", "store", "store_url"]

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def desk(store: Store) -> DeskStore:
    assert isinstance(store, DeskStore)
    return cast(DeskStore, store)


async def test_accounts_round_trip_and_unique_names(store: Store) -> None:
    accounts = desk(store)
    made = await accounts.add_account(StaffAccount("nino", "caseworker", "hash1"))
    assert (made.name, made.role, made.must_change, made.active, made.session_version) == (
        "nino", "caseworker", True, True, 1)
    with pytest.raises(AccountExists):
        await accounts.add_account(StaffAccount("nino", "supervisor", "hash2"))
    await accounts.add_account(StaffAccount("ana", "supervisor", "hash3", telegram_id=-1001234567890))
    assert [a.name for a in await accounts.list_accounts()] == ["ana", "nino"]
    assert (await accounts.get_account("ana")).telegram_id == -1001234567890  # type: ignore[union-attr]
    assert await accounts.get_account("nobody") is None


async def test_update_account_ends_sessions_only_when_asked(store: Store) -> None:
    accounts = desk(store)
    await accounts.add_account(StaffAccount("nino", "caseworker", "old"))
    changed = await accounts.update_account("nino", password_hash="new", must_change=False)
    assert changed is not None and (changed.password_hash, changed.must_change, changed.session_version) == (
        "new", False, 1)
    disabled = await accounts.update_account("nino", active=False, end_sessions=True)
    assert disabled is not None and (disabled.active, disabled.session_version) == (False, 2)
    assert await accounts.update_account("nobody", active=False) is None


async def test_five_failures_within_the_window_lock_the_key(store: Store) -> None:
    accounts = desk(store)
    for i in range(4):
        assert await accounts.login_failure("account:nino", NOW + timedelta(seconds=i), 900, 5, 600) is None
    until = await accounts.login_failure("account:nino", NOW + timedelta(seconds=5), 900, 5, 600)
    assert until == NOW + timedelta(seconds=605)
    assert await accounts.login_locked_until("account:nino", NOW + timedelta(seconds=10)) == until
    assert await accounts.login_locked_until("account:nino", NOW + timedelta(seconds=700)) is None
    assert await accounts.login_locked_until("address:127.0.0.1", NOW) is None


async def test_failures_outside_the_window_start_counting_again(store: Store) -> None:
    accounts = desk(store)
    for i in range(4):
        await accounts.login_failure("account:nino", NOW + timedelta(seconds=i), 900, 5, 600)
    assert await accounts.login_failure("account:nino", NOW + timedelta(hours=1), 900, 5, 600) is None
    await accounts.clear_login_failures("account:nino")
    for i in range(4):
        assert await accounts.login_failure("account:nino", NOW + timedelta(hours=2, seconds=i), 900, 5, 600) is None


async def test_desk_events_newest_first(store: Store) -> None:
    accounts = desk(store)
    await accounts.record_desk_event("ana", "login")
    await accounts.record_desk_event("ana", "account_added", "nino", "caseworker")
    events = await accounts.desk_events()
    assert [(e.actor, e.action, e.target, e.detail) for e in events] == [
        ("ana", "account_added", "nino", "caseworker"), ("ana", "login", "", "")]


async def test_find_and_count_requests_by_filters(store: Store) -> None:
    made = []
    for i, (topic, lang, town) in enumerate([("legal", "ka", "Batumi"), ("risks", "en", "Kutaisi"),
                                             ("legal", "ru", "Batumi"), ("legal", "ka", "Telavi")]):
        made.append(await store.create_request(request_for(SessionKey("telegram", str(i)), topic=topic,
                                                           language=lang, town=town)))
    await store.transition(made[1].ref, ("new",), "assigned", "nino")
    await store.transition(made[3].ref, ("new",), "done", "nino")
    accounts = desk(store)

    newest = await accounts.find_requests(RequestFilter(statuses=("new", "assigned")))
    assert [r.ref for r in newest] == [made[2].ref, made[1].ref, made[0].ref]
    oldest = await accounts.find_requests(RequestFilter(statuses=("new", "assigned"), newest_first=False, limit=2))
    assert [r.ref for r in oldest] == [made[0].ref, made[1].ref]
    second_page = await accounts.find_requests(RequestFilter(statuses=("new", "assigned"), limit=2, offset=2))
    assert [r.ref for r in second_page] == [made[0].ref]
    legal = RequestFilter(statuses=("new",), topic="legal")
    assert {r.ref for r in await accounts.find_requests(legal)} == {made[0].ref, made[2].ref}
    assert await accounts.count_requests(legal) == {"new": 2, "done": 1}
    batumi_ka = RequestFilter(language="ka", towns=("Batumi",))
    assert [r.ref for r in await accounts.find_requests(batumi_ka)] == [made[0].ref]
    assert await accounts.find_requests(RequestFilter(towns=())) == []
    assert await accounts.find_requests(RequestFilter(channel="viber")) == []

    later = datetime.now(UTC) + timedelta(minutes=1)
    overdue = RequestFilter(statuses=("new",), overdue_before=later)
    assert {r.ref for r in await accounts.find_requests(overdue)} == {made[0].ref, made[2].ref}
    assert (await accounts.count_requests(overdue))["overdue"] == 2
    earlier = RequestFilter(overdue_before=datetime.now(UTC) - timedelta(days=1))
    assert (await accounts.count_requests(earlier))["overdue"] == 0
    assert sorted(await accounts.request_towns(("new", "assigned"))) == ["Batumi", "Kutaisi"]


async def test_day_counts_add_up_across_flushes_and_keep_no_ids(store: Store) -> None:
    accounts = desk(store)
    day = datetime.now(UTC).date()
    other = day - timedelta(days=3)
    await accounts.add_day_counts([(day, "telegram", "ka", 2), (day, "viber", "ru", 1)],
                                  [(day, "telegram", "ka", "answered", "visa", 2),
                                   (day, "telegram", "ka", "declined", "", 1)])
    await accounts.add_day_counts([(day, "viber", "ru", 1), (other, "terminal", "en", 4)],  # another worker's
                                  [(day, "telegram", "ka", "answered", "visa", 1),
                                   (day, "viber", "ru", "opened", "visa", 1),
                                   (other, "terminal", "en", "suggested", "", 3)])
    await accounts.add_day_counts([], [])
    assert await accounts.activity(day, day) == [(day, "telegram", "ka", 2), (day, "viber", "ru", 2)]
    assert await accounts.activity(other, day) == [(other, "terminal", "en", 4), (day, "telegram", "ka", 2),
                                                   (day, "viber", "ru", 2)]
    assert await accounts.outcome_days(day, day) == [(day, "telegram", "ka", "answered", 3),
                                                     (day, "telegram", "ka", "declined", 1),
                                                     (day, "viber", "ru", "opened", 1)]
    assert sorted(await accounts.entry_counts(other, day)) == [("visa", "answered", 3), ("visa", "opened", 1)]
    assert await accounts.outcome_days(other, day, by_cell=False) == [
        (other, "", "", "suggested", 3), (day, "", "", "answered", 3), (day, "", "", "declined", 1),
        (day, "", "", "opened", 1)]
    assert await accounts.outcome_days(day + timedelta(days=1), day + timedelta(days=9)) == []


async def test_content_decisions_replace_undo_and_change_the_stamp(store: Store) -> None:
    accounts = desk(store)
    assert await accounts.decisions_stamp() == (0, 0)
    first = await accounts.decide_question("keti", "en", "How do I grow bananas?", "how do i grow bananas", "visa")
    out = await accounts.decide_question("keti", "ru", "Погода завтра?", "погода завтра")
    stamp = await accounts.decisions_stamp()
    assert stamp[0] == 2 and out.out_of_scope and not first.out_of_scope
    again = await accounts.decide_question("nino", "en", "How do I grow bananas??", "how do i grow bananas")
    assert await accounts.decisions_stamp() not in (stamp, (0, 0))
    listed = await accounts.content_decisions()
    assert [(d.actor, d.text, d.faq_id) for d in listed] == [("keti", "Погода завтра?", ""),
                                                             ("nino", "How do I grow bananas??", "")]
    assert listed[1].at is not None and listed[1].at.tzinfo is not None and listed[1].id == again.id
    assert (await accounts.undo_decision(out.id)) == out
    assert await accounts.undo_decision(out.id) is None
    assert [d.id for d in await accounts.content_decisions()] == [again.id]


async def test_request_counts_delays_and_gap_days(store: Store) -> None:
    accounts = desk(store)
    first = await store.create_request(request_for(SessionKey("telegram", "1")))
    await store.create_request(request_for(SessionKey("telegram", "2"), topic="legal"))
    await store.create_request(request_for(SessionKey("viber", "3"), topic="legal", town="Oni"))
    await store.transition(first.ref, ("new",), "assigned", "nino")
    await store.transition(first.ref, ("assigned",), "new", "nino")
    await store.transition(first.ref, ("new",), "assigned", "eka")
    await store.transition(first.ref, ("assigned",), "done", "eka")
    await store.record_gap("ka", "unanswered", "ვიზა?", "ვიზა")
    await store.record_gap("en", "unanswered", "visa?", "visa")
    await store.record_gap("en", "unhelpful", "visa", "visa", "visa_faq")
    now = datetime.now(UTC)
    since, until = now - timedelta(hours=1), now + timedelta(hours=1)
    assert sorted(await accounts.request_counts(since, until)) == [
        ("legal", "Batumi", "new", 1), ("legal", "Oni", "new", 1), ("reintegration", "Batumi", "done", 1)]
    assert await accounts.request_counts(until, until + timedelta(hours=1)) == []
    assert await accounts.request_delays(since, until) == {"first_contact": [(0, 1)], "close": [(0, 1)]}
    by_kind: dict[str, int] = {}
    for day, kind, count in await accounts.gap_days(since, until):
        assert day in (now.date(), since.date())
        by_kind[kind] = by_kind.get(kind, 0) + count
    assert by_kind == {"unanswered": 2, "unhelpful": 1}
