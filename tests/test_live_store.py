"""The live chats' part of the store contract, on both engines: one open chat per person, one taker, one end,
a resent update stored once, waits woken by changes, /forget and the retention purge."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import cast

from bot.core.events import SessionKey
from bot.store import Store
from bot.store.live import LiveStore
from tests.store_support import pg_database, store, store_url

__all__ = ["pg_database", "store", "store_url"]

ALICE = SessionKey("telegram", "1001")
BOB = SessionKey("viber", "bob==")


def live(store: Store) -> LiveStore:
    assert isinstance(store, LiveStore)
    return cast(LiveStore, store)


async def test_one_open_chat_per_person_and_a_transcript_in_order(store: Store) -> None:
    chats = live(store)
    first = await chats.open_live(ALICE, "ka", "m:work")
    again = await chats.open_live(ALICE, "en", "")
    assert again.id == first.id and (first.status, first.language, first.topic) == ("waiting", "ka", "m:work")
    other = await chats.open_live(BOB, "ru", "")
    assert other.id != first.id
    one = await chats.add_live_message(first.id, "in", "text", "გამარჯობა", update_id="7")
    assert one is not None and one.body == "გამარჯობა"
    assert await chats.add_live_message(first.id, "in", "text", "გამარჯობა", update_id="7") is None  # resent
    two = await chats.add_live_message(first.id, "out", "text", "Hello", author="nino")
    assert two is not None and two.id > one.id
    assert [m.body for m in await chats.live_messages(first.id)] == ["გამარჯობა", "Hello"]
    assert [m.body for m in await chats.live_messages(first.id, one.id)] == ["Hello"]
    await chats.set_message_status(two.id, "failed", "Forbidden")
    assert [(m.status, m.error) for m in await chats.live_messages(first.id, one.id)] == [("failed", "Forbidden")]
    assert (await chats.open_live_for(ALICE)).id == first.id  # type: ignore[union-attr]
    assert [c.id for c in await chats.list_live(("waiting",))] == [first.id, other.id]
    assert [c.id for c in await chats.list_live(("waiting",), 1, newest_first=True)] == [other.id]


async def test_of_two_takers_one_wins_and_an_ended_chat_takes_no_messages(store: Store) -> None:
    chats = live(store)
    chat = await chats.open_live(ALICE, "en", "")
    results = await asyncio.gather(chats.take_live(chat.id, "nino"), chats.take_live(chat.id, "ana"))
    assert sorted(results) == [False, True]
    taken = await chats.live(chat.id)
    assert taken is not None and taken.status == "taken" and taken.taken_by in ("nino", "ana")
    ended = await asyncio.gather(chats.end_live(chat.id, "closed", "caseworker", taken.taken_by, "[advised]"),
                                 chats.end_live(chat.id, "closed", "person", "person"))
    assert sum(e is not None for e in ended) == 1
    assert await chats.add_live_message(chat.id, "in", "text", "late") is None
    assert await chats.open_live_for(ALICE) is None
    assert await chats.rate_live(chat.id, BOB, 1) is False  # not theirs
    assert await chats.rate_live(chat.id, ALICE, 1) is True
    assert await chats.rate_live(chat.id, ALICE, -1) is False  # once
    actions = [(a.action, a.actor) for a in await chats.live_audit(chat.id)]
    assert actions[0] == ("asked", "person") and actions[1][0] == "taken" and actions[-1] == ("rated", "person")
    assert (await chats.open_live(ALICE, "en", "")).id != chat.id  # a new chat after the old one ended


async def test_stale_chats_and_the_staff_group_outbox(store: Store) -> None:
    chats = live(store)
    waiting = await chats.open_live(ALICE, "en", "")
    held = await chats.open_live(BOB, "en", "")
    await chats.take_live(held.id, "nino")
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert {c.id for c in await chats.stale_live(later, later)} == {waiting.id, held.id}
    assert await chats.stale_live(later - timedelta(hours=1), later - timedelta(hours=1)) == []
    since = datetime.now(UTC) - timedelta(hours=1)
    assert {c.id for c in await chats.unannounced_live(since)} == {waiting.id, held.id}
    await chats.mark_live_announced(waiting.id, "-100:5:waiting")
    await chats.mark_live_announced(held.id, "-100:6:waiting")
    assert [c.id for c in await chats.unannounced_live(since)] == [held.id]  # its post still says waiting


async def test_a_wait_is_woken_by_a_message_and_by_the_list(store: Store) -> None:
    chats = live(store)
    chat = await chats.open_live(ALICE, "en", "")
    one = asyncio.ensure_future(chats.wait_live(chat.id, 10))
    anything = asyncio.ensure_future(chats.wait_live(0, 10))
    await asyncio.sleep(0.2)
    await chats.add_live_message(chat.id, "in", "text", "hi")
    assert await asyncio.wait_for(one, 5) is True
    assert await asyncio.wait_for(anything, 5) is True
    assert await chats.wait_live(chat.id, 0.05) is False

    async def ready() -> bool:
        return True

    assert await chats.wait_live(chat.id, 10, ready) is True


async def test_forget_deletes_transcripts_and_purge_keeps_open_chats(store: Store) -> None:
    chats = live(store)
    chat = await chats.open_live(ALICE, "en", "")
    await chats.add_live_message(chat.id, "in", "text", "my name is Alice")
    await chats.mark_live_announced(chat.id, "-100:42:waiting")
    await store.add_staff_copy(f"LIVE-{chat.id}", "1999:7")  # sent on to a caseworker's private chat
    gone = await chats.forget_live(ALICE)
    copies = await store.withdrawn_copies()  # the staff group's post and the private copy go like a request's
    assert sorted((c.ref, c.location) for c in copies) == [(f"LIVE-{chat.id}", "-100:42"), (f"LIVE-{chat.id}",
                                                                                             "1999:7")]
    assert [c.id for c in gone] == [chat.id]
    assert await chats.live(chat.id) is None and await chats.live_messages(chat.id) == []
    assert await chats.live_for_user(ALICE) == []
    assert [a.action for a in await chats.live_audit(chat.id)][-1] == "forgotten"
    open_chat = await chats.open_live(BOB, "en", "")
    ended = await chats.open_live(ALICE, "en", "")
    await chats.add_live_message(ended.id, "in", "text", "hello")
    await chats.end_live(ended.id, "closed", "person", "person")
    assert await chats.purge_live(datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert await chats.live(ended.id) is None and await chats.live_messages(ended.id) == []
    assert await chats.live(open_chat.id) is not None
    stats = await chats.live_stats(datetime.now(UTC) - timedelta(days=1), datetime.now(UTC) + timedelta(days=1))
    assert [s.status for s in stats] == ["waiting"]
