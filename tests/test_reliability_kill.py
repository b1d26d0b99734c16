"""Kill test: the webhook worker is SIGKILLed while users confirm callback requests, then started again.

Telegram resends every update that did not get a 200, so the driver does the same after the restart. Every
reference the bot sent to a user must then be in the database exactly once, and nobody has two requests. Users
left without any answer are reported as an expected failure until replies survive a crash with their update.
Runs `python -m bot run --webhook` as a real process on 127.0.0.1, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import re
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bench.bench_workers import SECRET, SECRET_HEADER, WorkerProcess
from bot.core.events import SessionKey
from bot.store import open_store
from bot.store.base import REF_ALPHABET
from tests.e2e.fake_telegram import Call, FakeTelegram, FakeUser
from tests.store_support import pg_database, scratch_schema

__all__ = ["pg_database"]

REF_RE = re.compile(rf"CB-[{REF_ALPHABET}]{{4}}")
USERS = 40
FORM = ("start", "callback", "cb:agree", "Nino Beridze", "555 12 34 56", "Rustavi", "cb:t:legal", "cb:l:ka",
        "cb:w:morning", "cb:skip")


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kill.sqlite3'}"
        return
    with scratch_schema(request.getfixturevalue("pg_database"), "kill") as url:
        yield url


class Telegram:
    """Delivers updates to the webhook like Telegram: each one until it is answered 200."""

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http
        self.url = ""
        self.next_id = 1
        self.unanswered: list[dict[str, Any]] = []

    def update(self, body: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        return {"update_id": self.next_id, **body}

    async def deliver(self, update: dict[str, Any]) -> bool:
        try:
            async with self.http.post(self.url, json=update, headers={SECRET_HEADER: SECRET}) as response:
                await response.read()
                if response.status == 200:
                    return True
        except aiohttp.ClientError:
            pass
        self.unanswered.append(update)
        return False


def step(user: FakeUser, answer: str) -> dict[str, Any]:
    if answer in ("start", "callback"):
        return user.command(answer)
    return user.press(answer) if answer.startswith("cb:") else user.text(answer)


async def test_sigkill_during_confirmations_loses_no_sent_reference(database_url: str, tmp_path: Path) -> None:
    users = [FakeUser(None, 5_000_000 + n) for n in range(USERS)]  # type: ignore[arg-type]
    refs_sent = asyncio.Event()

    def watch(call: Call) -> None:
        if call.chat_id is not None and REF_RE.search(call.text):
            refs_sent.set()

    async with FakeTelegram() as fake, aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        fake.listeners.append(watch)
        for user in users:
            user.server = fake
        telegram = Telegram(http)
        worker = WorkerProcess(database_url, fake.base_url, tmp_path)
        await worker.start(http)
        try:
            telegram.url = f"{worker.url}/telegram"

            async def walk(user: FakeUser) -> None:
                for answer in FORM:
                    assert await telegram.deliver(telegram.update(step(user, answer)))

            await asyncio.gather(*(walk(u) for u in users))
            confirmations = asyncio.gather(*(telegram.deliver(telegram.update(u.press("cb:ok"))) for u in users))
            await asyncio.wait_for(refs_sent.wait(), 30)
            worker.signal(signal.SIGKILL)
            answered = await confirmations
            await worker.process.wait()  # type: ignore[union-attr]
            assert not all(answered), "the worker was killed after the load, not during it"

            worker = WorkerProcess(database_url, fake.base_url, tmp_path)
            await worker.start(http)
            telegram.url = f"{worker.url}/telegram"
            pending, telegram.unanswered = telegram.unanswered, []
            for update in pending:
                assert await telegram.deliver(update)
        finally:
            await worker.stop()

        told = {u.id: {m.group(0) for c in fake.calls_to(u.id) if (m := REF_RE.search(c.text))} for u in users}

    store = await open_store(database_url)
    try:
        silent = []
        for user in users:
            stored = [r.ref for r in await store.requests_for(SessionKey("telegram", str(user.id)))]
            assert len(stored) <= 1, f"user {user.id} has {stored}"
            assert len(told[user.id]) <= 1, f"user {user.id} was told {told[user.id]}"
            assert told[user.id] <= set(stored), f"user {user.id} was told {told[user.id]}, the database has {stored}"
            if not told[user.id]:
                silent.append(user.id)
        assert len({r.ref for r in await store.list_requests()}) == len(await store.list_requests()) <= USERS
    finally:
        await store.close()
    assert not silent, (f"{len(silent)} of {USERS} users were never told their reference, although Telegram "
                        "resent their confirmation")
