"""Live chat relay latency: person -> desk and desk -> person, with many chats open at once.

Run: .venv/bin/python bench/bench_live.py [--chats 50] [--messages 10] [--pace 5] [--pg postgresql://...]
Each configuration runs `python -m bot run --webhook --desk --workers N` (one worker on SQLite, two on
PostgreSQL) against a fake Bot API in this process. `--chats` Telegram users each ask for a consultant; a
caseworker account takes every chat through the desk. Then every chat sends `--messages` person messages
(webhook POSTs, spread over the workers by the kernel) while a desk page per chat waits for changes
(`/desk/live/<id>/wait`, which answers with the chat's transcript part), and the caseworker answers each one
from the desk (a form POST), one round every `--pace` seconds per chat (5 s: 50 chats make 20 messages a
second). Measured:
- person -> desk: from the start of the webhook POST to the waiting page's answer showing it in the transcript;
- desk -> person: from the start of the reply POST to the fake Bot API receiving the sendMessage.
The driver shares the machine's cores with the workers and the database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import yaml  # noqa: E402
from itsdangerous import URLSafeTimedSerializer  # noqa: E402

from bench.bench_workers import SECRET, SECRET_HEADER, WorkerProcess, scratch_database  # noqa: E402
from bot.desk.sessions import COOKIE  # noqa: E402
from bot.store import open_store  # noqa: E402
from bot.store.desk import DeskStore, StaffAccount  # noqa: E402
from tests.e2e.fake_telegram import Call, FakeTelegram, FakeUser  # noqa: E402

DESK_SECRET = "bench-live-desk-secret"
CSRF = "bench-csrf-token"
CASEWORKER = "bench"
ALWAYS = {d: "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
MARK = re.compile(r"bench-(\d+)-(\d+)")
CHAT_LINK = re.compile(r"/desk/live/(\d+)")
HEAD = re.compile(r'data-last="(\d+)" data-state="(\w*)"')


class LiveWorkers(WorkerProcess):
    """The webhook workers with the desk on and the desk staffed at any hour."""

    def _config(self) -> Path:
        path = super()._config()
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        config["default_language"] = "en"
        config["desk"] = {"enabled": True, "secret_key": DESK_SECRET, "poll_seconds": 5}
        config["live"] = {"hours": ALWAYS, "holidays_off": False, "wait_minutes": 600, "idle_minutes": 600}
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        return path


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Run:
    def __init__(self, fake: FakeTelegram, workers: LiveWorkers, http: aiohttp.ClientSession) -> None:
        self.fake, self.workers, self.http = fake, workers, http
        serializer = URLSafeTimedSerializer(DESK_SECRET, salt="hotline-desk-session")
        self.cookies = {COOKIE: serializer.dumps({"a": CASEWORKER, "v": 1, "c": CSRF, "l": "en"})}
        self.sent: dict[tuple[int, int], float] = {}
        self.to_desk: list[float] = []
        self.to_person: list[float] = []
        self.replied: dict[str, float] = {}
        fake.listeners.append(self._heard)

    def _heard(self, call: Call) -> None:
        started = self.replied.pop(call.text.removeprefix("👤 Consultant: "), None) if call.method == "sendMessage" \
            else None
        if started is not None:
            self.to_person.append(call.at - started)

    async def update(self, user: FakeUser, update: dict[str, object]) -> None:
        body = {"update_id": self.fake.next_update_id(), **update}
        async with self.http.post(f"{self.workers.url}/telegram", json=body, headers={SECRET_HEADER: SECRET}) as r:
            assert r.status == 200, r.status

    async def desk(self, method: str, path: str, **form: str) -> str:
        url = f"{self.workers.url}/desk{path}"
        data = {"csrf": CSRF, **form} if method == "POST" else None
        headers = {"X-Desk-Poll": "1"} if "wait" in path or "partial" in path else {}
        async with self.http.request(method, url, data=data, cookies=self.cookies, headers=headers,
                                     allow_redirects=False) as response:
            assert response.status in (200, 204, 303), (path, response.status)
            return await response.text()

    async def open_chats(self, count: int) -> list[tuple[FakeUser, int]]:
        users = [FakeUser(self.fake, 50_000 + n, "en") for n in range(count)]

        async def ask(user: FakeUser) -> None:
            for step in (user.command("start"), user.press("n:human"), user.press("h:ask"), user.text("hello")):
                await self.update(user, step)

        await asyncio.gather(*(ask(u) for u in users))
        listed = [int(n) for n in dict.fromkeys(CHAT_LINK.findall(await self.desk("GET", "/live")))]
        assert len(listed) >= count, f"{len(listed)} chats listed"
        await asyncio.gather(*(self.desk("POST", f"/live/{chat}/take") for chat in listed[:count]))
        return list(zip(users, listed[:count], strict=True))

    async def watch(self, chat: int, expected: int) -> None:
        """A desk page: waits for a change, fetches the transcript, notes when each bench message shows up."""
        page, seen = await self.desk("GET", f"/live/{chat}?partial=1"), 0
        while seen < expected:
            last, state = HEAD.search(page).groups()  # type: ignore[union-attr]
            answer = await self.desk("GET", f"/live/{chat}/wait?after={last}&status=taken&state={state}")
            now = time.perf_counter()
            if not answer:
                continue  # nothing changed within the wait
            page = answer
            for user_id, number in MARK.findall(page):
                started = self.sent.pop((int(user_id), int(number)), None)
                if started is not None:
                    self.to_desk.append(now - started)
                    seen += 1

    async def converse(self, user: FakeUser, chat: int, messages: int, pace: float) -> None:
        await asyncio.sleep(random.uniform(0, pace))  # chats do not all write in the same instant
        for n in range(messages):
            self.sent[(user.id, n)] = time.perf_counter()
            await self.update(user, user.text(f"bench-{user.id}-{n}"))
            answer = f"answer {user.id} {n}"
            self.replied[answer] = time.perf_counter()
            await self.desk("POST", f"/live/{chat}/reply", text=answer)
            await asyncio.sleep(pace)


async def measure(engine: str, workers: int, chats: int, messages: int, pace: float,
                  pg_url: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        async with scratch_database(engine, pg_url, directory) as url, FakeTelegram() as fake, \
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60),
                                      connector=aiohttp.TCPConnector(limit=0)) as http:
            store = await open_store(url)
            try:
                assert isinstance(store, DeskStore)
                await store.add_account(StaffAccount(CASEWORKER, "caseworker", "-", must_change=False))
            finally:
                await store.close()
            process = LiveWorkers(url, fake.base_url, directory, workers=workers)
            await process.start(http)
            try:
                run = Run(fake, process, http)
                pairs = await run.open_chats(chats)
                started = time.perf_counter()
                async with asyncio.timeout(300):  # every message must show up in its desk page, once
                    await asyncio.gather(*(run.watch(chat, messages) for _, chat in pairs),
                                         *(run.converse(user, chat, messages, pace) for user, chat in pairs))
                elapsed = time.perf_counter() - started
                await fake.wait_for(lambda: not run.replied, within=10)
            finally:
                await process.stop()
    row: dict[str, object] = {"engine": f"{engine} ×{workers}", "chats": chats,
                              "messages": len(run.to_desk) + len(run.to_person), "seconds": elapsed}
    for name, values in (("person→desk", run.to_desk), ("desk→person", run.to_person)):
        row[name] = (statistics.median(values) * 1000, percentile(values, 0.99) * 1000)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--pace", type=float, default=5.0, help="seconds between a chat's rounds (message + reply)")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    rows = []
    for engine, workers in (("sqlite", 1), ("postgresql", 2)):
        if args.only in (None, engine):
            rows.append(asyncio.run(measure(engine, workers, args.chats, args.messages, args.pace, args.pg)))
    print(f"pace {args.pace:g} s per chat round; load average before: {os.getloadavg()[0]:.1f}")
    print(f"{'engine':<16}{'chats':>6}{'msgs':>7}{'secs':>7}   {'person→desk p50 / p99':>24}   "
          f"{'desk→person p50 / p99':>24}")
    for row in rows:
        cells = [f"{row[k][0]:7.1f} / {row[k][1]:7.1f} ms" for k in ("person→desk", "desk→person")]  # type: ignore[index]
        print(f"{row['engine']:<16}{row['chats']:>6}{row['messages']:>7}{row['seconds']:>7.1f}   "
              f"{cells[0]:>24}   {cells[1]:>24}")


if __name__ == "__main__":
    main()
