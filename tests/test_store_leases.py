"""The job-leases contract (`JobLeases`): one worker runs a periodic job, once per period.

Run over SQLite and PostgreSQL by the fixtures in tests/store_support.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.store import Store


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
