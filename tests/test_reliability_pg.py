"""Connection loss under load: PostgreSQL connections are terminated while users confirm callback requests.

The server itself is never stopped: the test terminates the bot's backends (pg_terminate_backend), as a failover
or a server restart would. Every confirmation must be answered (a reference or an apology, never silence), every
reference a user was shown must be stored exactly once, and after the faults every user can finish.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Runtime, runtime
from bot.config import REPO_ROOT, Settings
from bot.store.base import REF_ALPHABET
from tests.helpers import ChatUser
from tests.test_store import pg_database, scratch_schema, terminate_backends

__all__ = ["pg_database"]

REF_RE = re.compile(rf"CB-[{REF_ALPHABET}]{{4}}")
APOLOGY = "Sorry, something went wrong"
USERS = 40
MAX_ROUNDS = 5


@pytest.fixture
async def pg_rt(pg_database: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    with scratch_schema(pg_database, "rel") as url:
        settings = Settings(data_dir=tmp_path / "data", content_dir=REPO_ROOT / "content",
                            flood_messages_per_10s=1000, database_url=url)
        async with runtime(settings, watch_content=False) as opened:
            yield opened


async def to_summary(user: ChatUser) -> None:
    """Walks the callback form up to its summary, the step whose confirmation commits the request."""
    await user.command("start")
    await user.tap("l:en")
    await user.command("callback")
    await user.tap("cb:agree")
    for answer in ("Nino Beridze", "555 12 34 56", "Rustavi"):
        await user.say(answer)
    await user.tap("cb:t:legal")
    await user.tap("cb:l:ka")
    await user.tap("cb:w:morning")
    await user.tap("cb:skip")
    assert any(b.data == "cb:ok" for b in user.buttons), user.text


async def confirm_all(users: list[ChatUser]) -> dict[str, str]:
    """Every user confirms at once; returns what each one was told."""
    await asyncio.gather(*(u.tap("cb:ok") for u in users))
    return {u.key.user_id: u.text for u in users}


async def keep_terminating(url: str, stop: asyncio.Event) -> int:
    killed = 0
    while not stop.is_set():
        killed += await terminate_backends(url)
        await asyncio.sleep(0.003)
    return killed


async def test_terminated_connections_cost_an_apology_never_an_acknowledged_request(pg_rt: Runtime) -> None:
    url = pg_rt.settings.effective_database_url
    shown: dict[str, str] = {}  # user -> the reference the user was last shown
    apologies = 0
    for round_ in range(MAX_ROUNDS):
        users = [ChatUser(pg_rt.engine, f"r{round_}u{n}", channel="telegram", platform_language="en")
                 for n in range(USERS)]
        await asyncio.gather(*(to_summary(u) for u in users))
        stop = asyncio.Event()
        terminator = asyncio.create_task(keep_terminating(url, stop))
        await asyncio.sleep(0.01)
        try:
            answers = await asyncio.wait_for(confirm_all(users), 60)
        finally:
            stop.set()
            killed = await terminator
        assert killed > 0
        for user_id, text in answers.items():
            assert text.strip(), f"{user_id} got silence"
            found = REF_RE.search(text)
            if found:
                shown[user_id] = found.group(0)
            else:
                assert APOLOGY in text, text
                apologies += 1
        for user in users:  # once the database is back, everyone who got an apology can finish
            if user.key.user_id not in shown:
                await user.tap("cb:ok")
                found = REF_RE.search(user.text)
                assert found, user.text
                shown[user.key.user_id] = found.group(0)
        if apologies:
            break
    assert apologies > 0, "the faults never hit a confirmation; nothing was tested"

    for user_id, ref in shown.items():
        key = ChatUser(pg_rt.engine, user_id, channel="telegram").key
        stored = await pg_rt.store.requests_for(key)
        assert [r.ref for r in stored] == [ref], f"{user_id} was told {ref}, the database has {stored}"
        assert stored[0].status == "new" and stored[0].phone == "+995555123456"
    total = await pg_rt.store.list_requests()
    assert len(total) == len(shown) == len({r.ref for r in total})
