"""Durable before acknowledged: a bot process confirming callback requests under load is killed with SIGKILL.

After each kill the database is opened again (as a restarted bot would): every request whose reference was
printed is there exactly once and whole, nothing is half-written, and the bot carries on where it was.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from bot.app import runtime
from bot.config import REPO_ROOT, Settings
from bot.core.events import SessionKey
from bot.store.sqlite import SqliteStore
from tests.callback_driver import answers_for
from tests.helpers import ChatUser

WORKERS = 20
ROUNDS = 2
WITHIN = 120.0


def run_until_killed(data_dir: Path, round_: int, kill_after: int) -> dict[str, str]:
    """Starts the driver, kills it once `kill_after` references were sent; returns every user -> ref it sent."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.callback_driver", str(data_dir), "--workers", str(WORKERS),
         "--round", str(round_)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO_ROOT, env=env, text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    sent: dict[str, str] = {}
    deadline = time.monotonic() + WITHIN
    try:
        while len(sent) < kill_after:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, f"the driver stopped: {process.stderr.read() if process.stderr else ''}"
            if line.startswith("SENT "):
                _, user, ref = line.split()
                sent[user] = ref
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    reader.join(timeout=10)
    while not lines.empty():  # lines written before the kill were "sent" too
        line = lines.get()
        if line and line.startswith("SENT "):
            _, user, ref = line.split()
            sent[user] = ref
    assert process.returncode == -signal.SIGKILL
    return sent


async def check_database(path: Path, sent: dict[str, str]) -> int:
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store = SqliteStore(path)
    await store.open()
    try:
        rows = await store.list_requests()
        by_user: dict[str, list[str]] = {}
        for request in rows:
            by_user.setdefault(request.user_id, []).append(request.ref)
            answers = answers_for(request.user_id)
            assert request.name == answers["name"], "no half-written row"
            assert request.phone == "+995" + answers["phone"]
            assert request.town == answers["town"] and request.note == f"note of {request.user_id}"
            assert [e.to_status for e in await store.audit(request.ref)] == ["new"]
        for user, ref in sent.items():
            assert by_user.get(user) == [ref], f"{user}'s acknowledged request {ref} is present exactly once"
        assert all(len(refs) == 1 for refs in by_user.values())
        return len(rows)
    finally:
        await store.close()


async def test_acknowledged_requests_survive_sigkill(tmp_path: Path) -> None:
    import asyncio

    data_dir = tmp_path / "data"
    path = data_dir / "hotline.sqlite3"
    rng = random.Random()
    everything: dict[str, str] = {}
    for round_ in range(ROUNDS):
        sent = await asyncio.to_thread(run_until_killed, data_dir, round_, rng.randint(10, 40))
        everything.update(sent)
        stored = await check_database(path, everything)
        assert stored >= len(everything)

    settings = Settings(data_dir=data_dir, content_dir=REPO_ROOT / "content", flood_messages_per_10s=1000)
    async with runtime(settings, watch_content=False) as rt:
        user_id, ref = next(iter(everything.items()))
        user = ChatUser(rt.engine, user_id, platform_language="en")
        await user.command("callback")
        assert ref in user.text and "already have an open" in user.text, "the restarted bot knows the request"
        assert (await rt.store.open_request_for(SessionKey("test", user_id))) is not None
