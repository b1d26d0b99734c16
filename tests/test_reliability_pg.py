"""Connection loss under load: PostgreSQL connections are terminated while users confirm callback requests.

The server itself is never stopped: the test terminates the bot's backends (pg_terminate_backend), as a failover
or a server restart would. A step that lost its connection is tried again on a fresh one; one that keeps failing
raises StoreUnavailable, for the channel to answer 5xx so the platform sends the update again (never an apology
acknowledged as handled). Every reference a user was shown must be stored exactly once, and after the faults
every user whose update was refused finishes when it comes again.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Runtime, runtime
from bot.config import REPO_ROOT, Settings
from bot.store.base import REF_ALPHABET, StoreUnavailable
from tests.helpers import ChatUser
from tests.store_support import pg_database, scratch_schema, terminate_backends

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


async def confirm_all(users: list[ChatUser]) -> dict[str, str | None]:
    """Every user confirms at once; returns what each one was told, or None when the update was refused."""
    outcomes = await asyncio.gather(*(u.tap("cb:ok") for u in users), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, StoreUnavailable):
            raise outcome
    return {u.key.user_id: None if isinstance(o, BaseException) else u.text
            for u, o in zip(users, outcomes, strict=True)}


async def keep_terminating(url: str, stop: asyncio.Event) -> int:
    killed = 0
    while not stop.is_set():
        killed += await terminate_backends(url)
        await asyncio.sleep(0.003)
    return killed


async def test_terminated_connections_are_retried_or_refused_never_acknowledged_and_lost(
        pg_rt: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    url = pg_rt.settings.effective_database_url
    shown: dict[str, str] = {}  # user -> the reference the user was last shown
    refused = 0
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
            if text is None:
                refused += 1
                continue
            assert APOLOGY not in text, f"{user_id} was answered with an apology as if handled"
            found = REF_RE.search(text)
            assert found, text
            shown[user_id] = found.group(0)
        for user in users:  # the platform sends a refused update again once the database is back
            if user.key.user_id not in shown:
                await user.tap("cb:ok")
                found = REF_RE.search(user.text)
                assert found, user.text
                shown[user.key.user_id] = found.group(0)
        retried = sum("database connection was lost" in r.getMessage() for r in caplog.records)
        if refused or retried:
            break
    assert refused or retried, "the faults never hit a confirmation; nothing was tested"

    for user_id, ref in shown.items():
        key = ChatUser(pg_rt.engine, user_id, channel="telegram").key
        stored = await pg_rt.store.requests_for(key)
        assert [r.ref for r in stored] == [ref], f"{user_id} was told {ref}, the database has {stored}"
        assert stored[0].status == "new" and stored[0].phone == "+995555123456"
    total = await pg_rt.store.list_requests()
    assert len(total) == len(shown) == len({r.ref for r in total})
