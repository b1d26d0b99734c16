"""The sessions-and-steps contract (`Sessions`): one read before a step, one write after it, per-user locks.

Run over SQLite and PostgreSQL by the fixtures in tests/store_support.py."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.records import SessionKey, StateMatch
from bot.store import Store, open_store
from tests.store_support import (
    ALICE,
    BOB,
    is_pg,
    with_query,
)

DRAFTS = StateMatch(names=("p:forget",), prefixes=("cb:",))

async def test_session_round_trip(store: Store) -> None:
    assert await store.load_session(ALICE) is None
    data = {"lang": "ka", "state": "cb:name", "data": {"name": "ნინო", "n": 3}, "history": ["m:main"]}
    await store.save_session(ALICE, data)
    assert await store.load_session(ALICE) == data
    await store.save_session(ALICE, {**data, "lang": "ru"})
    assert (await store.load_session(ALICE) or {})["lang"] == "ru"
    assert await store.load_session(BOB) is None


async def test_update_is_processed_once_per_channel(store: Store) -> None:
    assert not (await store.begin_step(ALICE, "42")).seen
    await store.save_session(ALICE, {"step": 1}, update_id="42")
    assert (await store.begin_step(ALICE, "42")).seen
    assert not (await store.begin_step(SessionKey("viber", ALICE.user_id), "42")).seen
    await store.save_session(ALICE, {"step": 2}, update_id="42")  # a redelivery reaching a second worker
    assert await store.load_session(ALICE) == {"step": 1}
    await store.save_session(ALICE, {"step": 3}, update_id="43")
    assert await store.load_session(ALICE) == {"step": 3}


async def test_replies_are_kept_until_delivered_then_dropped(store: Store) -> None:
    replies = [{"text": "Your reference: CB-7K3Q", "buttons": []}]
    await store.save_session(ALICE, {"step": 1}, update_id="50", replies=replies)
    assert (await store.begin_step(ALICE, "50")).kept_replies == replies
    await store.mark_delivered("telegram", "50")
    start = await store.begin_step(ALICE, "50")
    assert start.seen and start.kept_replies is None
    await store.save_session(ALICE, {"step": 2}, update_id="51", replies=replies)
    await store.forget_user(ALICE)
    assert (await store.begin_step(ALICE, "51")).kept_replies is None, "forget drops kept replies too"


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
    await store.save_session(ALICE, {"lang": "ka", "state": "c:ask", "data": {}})
    await store.save_session(BOB, {"lang": "en", "state": "cb:phone", "data": {"form": {"name": "Nino"}}})
    now = datetime.now(UTC)
    assert await store.purge_sessions(now - timedelta(days=90), now - timedelta(days=1), DRAFTS) == 0
    later = now + timedelta(days=2)
    assert await store.purge_sessions(later - timedelta(days=90), later - timedelta(days=1), DRAFTS) == 1
    assert await store.load_session(BOB) is None, "the unconfirmed name is gone after a day"
    assert await store.load_session(ALICE) is not None
    await store.save_session(BOB, {"lang": "en", "state": "p:forget", "data": {"draft": {"state": "cb:phone"}}})
    parked = await store.purge_sessions(later - timedelta(days=90), later - timedelta(days=1), DRAFTS)
    assert parked == 1, "parked forms too"
    much_later = now + timedelta(days=91)
    assert await store.purge_sessions(much_later - timedelta(days=90), much_later - timedelta(days=1), DRAFTS) == 1
    assert await store.load_session(ALICE) is None


async def test_purge_processed_updates(store: Store) -> None:
    await store.save_session(ALICE, {}, update_id="1")
    assert await store.purge_processed_updates(datetime.now(UTC) - timedelta(days=1)) == 0
    assert await store.purge_processed_updates(datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert not (await store.begin_step(ALICE, "1")).seen


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
