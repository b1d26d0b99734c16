"""Faults under several workers: duplicate deliveries and dying database connections, counted per update.

Run: .venv/bin/python bench/bench_faults.py [--users 20] [--updates 20] [--workers 2] [--pg-url URL]
`python -m bot run --webhook --workers N` runs as its own process tree on PostgreSQL (a scratch schema), against
a fake Bot API in this process. Each user sends commands that are answered with exactly one message, one after
another, so every message can be matched to its update.

- duplicates: every update is posted three times at once (Telegram retrying while the first is in flight lands
  on any worker).
- connection kills: every update is posted once, and again while the answer is 5xx (as Telegram does, up to
  `--resends` times), while every backend of the bot is terminated every `--kill-every` ms
  (pg_terminate_backend).

The table counts updates sent, answered (exactly one reply), lost (acknowledged with 200 but never answered),
duplicated (more than one reply), apologies, the 5xx answers that made the driver post again, and updates still
refused when the driver stopped resending (Telegram would go on for hours; they are not lost).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import asyncpg  # noqa: E402

from bench.bench_workers import DEFAULT_PG, SECRET, SECRET_HEADER, WorkerProcess, scratch_database  # noqa: E402
from tests.e2e.fake_telegram import FakeTelegram, FakeUser  # noqa: E402

APOLOGY = "Sorry, something went wrong"
COMMANDS = ("menu", "help")


class Tally:
    def __init__(self) -> None:
        self.sent = self.answered = self.lost = self.duplicated = self.apologised = self.refused = 0
        self.pending = 0  # still refused (5xx) when the driver stopped resending: Telegram would go on

    def row(self, name: str) -> str:
        return (f"{name:<17} {self.sent:>6} {self.answered:>9} {self.lost:>6} {self.duplicated:>11} "
                f"{self.apologised:>11} {self.refused:>9} {self.pending:>8}")


async def post(http: aiohttp.ClientSession, url: str, update: dict[str, object]) -> int:
    try:
        async with http.post(f"{url}/telegram", json=update, headers={SECRET_HEADER: SECRET}) as response:
            await response.read()
            return response.status
    except aiohttp.ClientError:
        return 0


def replies_to(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [c.text for c in fake.calls if c.chat_id == chat_id and c.method == "sendMessage"]


async def user_session(fake: FakeTelegram, http: aiohttp.ClientSession, url: str, user: FakeUser, updates: int,
                       copies: int, resends: int, tally: Tally) -> None:
    await post(http, url, {"update_id": fake.next_update_id(), **user.command("start")})
    for n in range(updates):
        update = {"update_id": fake.next_update_id(), **user.command(COMMANDS[n % len(COMMANDS)])}
        before = len(replies_to(fake, user.id))
        statuses = await asyncio.gather(*(post(http, url, update) for _ in range(copies)))
        for _ in range(resends):
            if all(0 < s < 500 for s in statuses):
                break
            tally.refused += sum(1 for s in statuses if not 0 < s < 500)
            await asyncio.sleep(0.05)
            statuses = [await post(http, url, update)]
        tally.sent += 1
        new = replies_to(fake, user.id)[before:]
        tally.apologised += sum(APOLOGY in text for text in new)
        answered = [text for text in new if APOLOGY not in text]
        if not answered and not any(0 < s < 500 for s in statuses):
            tally.pending += 1
        elif not answered:
            tally.lost += 1  # acknowledged, never answered
        elif len(answered) == 1:
            tally.answered += 1
        else:
            tally.duplicated += 1


async def keep_terminating(url: str, every: float, stop: asyncio.Event) -> int:
    killed = 0
    admin = await asyncpg.connect(url)
    try:
        while not stop.is_set():
            killed += len(await admin.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = 'hotline' AND pid <> pg_backend_pid()"))
            await asyncio.sleep(every)
    finally:
        await admin.close()
    return killed


async def scenario(name: str, args: argparse.Namespace, fake: FakeTelegram, http: aiohttp.ClientSession,
                   base: Path, copies: int, kill: bool) -> str:
    tally = Tally()
    killed = 0
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        async with scratch_database("postgresql", args.pg_url, Path(tmp)) as url:
            worker = WorkerProcess(url, fake.base_url, Path(tmp), args.workers)
            await worker.start(http)
            stop = asyncio.Event()
            terminator = asyncio.create_task(keep_terminating(url, args.kill_every / 1000, stop)) if kill else None
            try:
                users = [FakeUser(fake, 5_000_000 + n) for n in range(args.users)]
                await asyncio.gather(*(user_session(fake, http, worker.url, u, args.updates, copies,
                                                    args.resends if kill else 0, tally) for u in users))
            finally:
                stop.set()
                if terminator is not None:
                    killed = await terminator
                await worker.stop()
    return tally.row(name) + (f"   ({killed} connections terminated)" if kill else "")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--updates", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--resends", type=int, default=100)
    parser.add_argument("--kill-every", type=float, default=50.0, help="milliseconds between terminations")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    args = parser.parse_args()
    print(f"PostgreSQL, {args.workers} workers, {args.users} users x {args.updates} updates, one reply each")
    print(f"{'scenario':<17} {'sent':>6} {'answered':>9} {'lost':>6} {'duplicated':>11} {'apologised':>11} "
          f"{'5xx':>9} {'pending':>8}")
    with tempfile.TemporaryDirectory() as base:
        async with FakeTelegram() as fake, aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=60)
        ) as http:
            print(await scenario("duplicates x3", args, fake, http, Path(base), copies=3, kill=False), flush=True)
            fake.calls.clear()
            print(await scenario("connection kills", args, fake, http, Path(base), copies=1, kill=True), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
