"""Kill test for live chats: the webhook worker is SIGKILLed while people write into open chats, then started
again, and Telegram resends every update that did not get a 200. Each person's messages are then in the
transcript exactly once and in the order they wrote them: a message is acknowledged only once it is stored.
Runs `python -m bot run --webhook --desk` as a real process on 127.0.0.1, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bench.bench_live import LiveWorkers
from bot.core.events import SessionKey
from bot.store import open_store
from bot.store.live import LiveStore
from tests.e2e.fake_telegram import FakeTelegram, FakeUser
from tests.store_support import pg_database, scratch_schema
from tests.test_reliability_kill import Telegram

__all__ = ["pg_database"]

PEOPLE = 20
MESSAGES = 10


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'live-kill.sqlite3'}"
        return
    with scratch_schema(request.getfixturevalue("pg_database"), "livekill") as url:
        yield url


async def test_sigkill_while_people_write_loses_and_repeats_no_message(database_url: str, tmp_path: Path) -> None:
    async with FakeTelegram() as fake, aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        people = [FakeUser(fake, 6_000_000 + n) for n in range(PEOPLE)]
        telegram = Telegram(http)
        worker = LiveWorkers(database_url, fake.base_url, tmp_path)
        await worker.start(http)
        try:
            telegram.url = f"{worker.url}/telegram"
            for person in people:
                for step in (person.command("start"), person.press("n:human"), person.press("h:ask"),
                             person.text("first")):
                    assert await telegram.deliver(telegram.update(step))
            stored = asyncio.Event()
            answered = 0

            async def write(person: FakeUser) -> None:
                nonlocal answered
                for n in range(MESSAGES):
                    if await telegram.deliver(telegram.update(person.text(f"message {n}"))):
                        answered += 1
                        if answered >= PEOPLE * 2:
                            stored.set()

            writing = asyncio.gather(*(write(p) for p in people))
            await asyncio.wait_for(stored.wait(), 30)
            worker.signal(signal.SIGKILL)
            await writing
            await worker.process.wait()  # type: ignore[union-attr]
            assert telegram.unanswered, "the worker was killed after the load, not during it"

            worker = LiveWorkers(database_url, fake.base_url, tmp_path)
            await worker.start(http)
            telegram.url = f"{worker.url}/telegram"
            pending, telegram.unanswered = telegram.unanswered, []
            for update in pending:  # in the order they were first sent, as Telegram keeps a chat's order
                assert await telegram.deliver(update)
        finally:
            await worker.stop()

    store = await open_store(database_url)
    try:
        assert isinstance(store, LiveStore)
        for person in people:
            [chat] = await store.live_for_user(SessionKey("telegram", str(person.id)))
            bodies = [m.body for m in await store.live_messages(chat.id)]
            assert bodies == ["first", *(f"message {n}" for n in range(MESSAGES))], f"person {person.id}: {bodies}"
    finally:
        await store.close()
