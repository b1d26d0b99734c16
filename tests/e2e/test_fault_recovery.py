"""Faults under several workers, kept as tests: two webhook servers (two workers, as far as PostgreSQL can tell)
on 127.0.0.1 sharing one database, a fake Bot API behind them, and Telegram's habits in front: an update may be
posted to both at once, and one answered with 5xx is posted again.

Each update is answered exactly once even when its copies reach both workers at the same moment; while the
database drops connections, no update is acknowledged with an apology and lost.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from bot.channels.telegram.webhook import SECRET_HEADER
from bot.config import Settings, TelegramSettings
from tests.conftest import CONTENT_DIR
from tests.e2e.fake_telegram import FakeTelegram, FakeUser
from tests.e2e.server import Served, serve
from tests.store_support import pg_database, scratch_schema, terminate_backends

__all__ = ["pg_database"]

SECRET = "fault-secret"
APOLOGY = "Sorry, something went wrong"
RESENDS = 30  # Telegram keeps resending an update answered with 5xx; here a bounded number of times
module_loop = pytest.mark.asyncio(loop_scope="module")
_users = itertools.count(81_000)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def workers(fake: FakeTelegram, pg_database: str,
                  tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Served, Served]]:
    with scratch_schema(pg_database, "faults") as url:
        def settings(name: str) -> Settings:
            tg = TelegramSettings(token=fake.token, base_url=fake.base_url, webhook_secret=SECRET)
            return Settings(data_dir=tmp_path_factory.mktemp(name) / "data", content_dir=CONTENT_DIR,
                            database_url=url, flood_messages_per_10s=10_000, telegram=tg)

        async with serve(settings("w1")) as one, serve(settings("w2")) as two:
            yield one, two


async def post(http: httpx.AsyncClient, worker: Served, update: dict[str, Any]) -> int:
    response = await http.post(f"{worker.url}/telegram", json=update, headers={SECRET_HEADER: SECRET})
    return response.status_code


async def post_until_taken(http: httpx.AsyncClient, worker: Served, update: dict[str, Any]) -> tuple[int, int]:
    """Posts as Telegram does: again while the answer is 5xx. Returns the final status and how many 5xx came."""
    refused = 0
    for _ in range(RESENDS):
        status = await post(http, worker, update)
        if status < 500:
            return status, refused
        refused += 1
        await asyncio.sleep(0.05)
    return status, refused


def messages_to(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [c.text for c in fake.calls if c.chat_id == chat_id and c.method == "sendMessage"]


@module_loop
async def test_an_update_posted_to_two_workers_at_once_is_answered_once(
        workers: tuple[Served, Served], fake: FakeTelegram) -> None:
    one, two = workers
    users = [FakeUser(fake, next(_users), "en") for _ in range(20)]
    async with httpx.AsyncClient(timeout=30) as http:
        for step in ("start", "menu", "help"):
            updates = [{"update_id": fake.next_update_id(), **u.command(step)} for u in users]
            before = {u.id: len(messages_to(fake, u.id)) for u in users}
            statuses = await asyncio.gather(*(post(http, worker, update) for update in updates
                                              for worker in (one, two, one)))
            assert set(statuses) == {200}
            duplicated = [u.id for u in users if len(messages_to(fake, u.id)) - before[u.id] != 1]
            assert duplicated == [], f"/{step}: {len(duplicated)} of {len(users)} users answered more than once"


@module_loop
async def test_no_update_is_acknowledged_and_lost_while_connections_die(
        workers: tuple[Served, Served], fake: FakeTelegram) -> None:
    one, two = workers
    url = one.rt.settings.effective_database_url
    users = [FakeUser(fake, next(_users), "en") for _ in range(20)]
    stop = asyncio.Event()

    async def keep_terminating() -> int:
        killed = 0
        while not stop.is_set():
            killed += await terminate_backends(url)
            await asyncio.sleep(0.005)
        return killed

    async def talk(user: FakeUser, worker: Served) -> list[tuple[int, int]]:
        outcomes = []
        for text in ("/start", "/menu", "/centres", "/help", "/menu"):
            update = {"update_id": fake.next_update_id(), **user.text(text)}
            outcomes.append(await post_until_taken(http, worker, update))
        return outcomes

    async with httpx.AsyncClient(timeout=30) as http:
        terminator = asyncio.create_task(keep_terminating())
        try:
            results = await asyncio.gather(*(talk(u, (one, two)[n % 2]) for n, u in enumerate(users)))
        finally:
            stop.set()
            killed = await terminator
    assert killed > 0
    assert all(status == 200 for outcomes in results for status, _ in outcomes)
    apologised = [u.id for u in users if any(APOLOGY in text for text in messages_to(fake, u.id))]
    assert apologised == [], "an update was acknowledged with an apology instead of being retried or resent"
    for user in users:
        assert len(messages_to(fake, user.id)) >= 5, "every update was answered"

