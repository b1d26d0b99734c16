"""The pending-updates contract (`StoredUpdates`): what arrived is kept until handled, and taken up a bounded
number of times.

Run over SQLite and PostgreSQL by the fixtures in tests/store_support.py."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.store import Store


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
