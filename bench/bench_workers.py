"""Webhook workers under load: 1, 2 and 4 workers on PostgreSQL against one on SQLite, with the same load.

Run: .venv/bin/python bench/bench_workers.py [--users 50] [--messages 20] [--workers 1,2,4] [--idle 10000]
Each configuration runs `python -m bot run --webhook --workers N` as its own process tree on 127.0.0.1 against a
fake Bot API in this process, with a fresh database (a scratch PostgreSQL schema, dropped afterwards, or a
temporary SQLite file). `--users` users each send /start, then alternate a question and /menu; an update counts
when the webhook has answered 200, which happens after the bot has sent its replies. Then one worker per engine
receives /start from `--idle` new users, and the table shows its resident memory and the database size before
and after. The driver shares the machine's cores with the workers and the database, as in a small deployment.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import asyncpg  # noqa: E402
import yaml  # noqa: E402

from tests.e2e.fake_telegram import TOKEN, FakeTelegram, FakeUser  # noqa: E402

__all__ = ["SECRET", "WorkerProcess", "scratch_database"]

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
SECRET = "bench-webhook-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
QUESTION = "How can I work abroad legally?"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def scratch_database(engine: str, pg_url: str, directory: Path) -> AsyncIterator[str]:
    """A fresh database URL: a new PostgreSQL schema (dropped afterwards) or a new SQLite file."""
    if engine == "sqlite":
        yield f"sqlite:///{directory / f'{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(pg_url)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        yield f"{pg_url}{'&' if '?' in pg_url else '?'}search_path={schema}"
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()


@dataclass
class WorkerProcess:
    """`python -m bot run --webhook` in its own process group, so it can be stopped or killed as a whole."""

    database_url: str
    telegram_url: str
    directory: Path
    workers: int = 1
    port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _config(self) -> Path:
        path = self.directory / "config.yaml"
        path.write_text(yaml.safe_dump({
            "data_dir": str(self.directory / "data"), "content_dir": str(ROOT / "content"),
            "log_level": "WARNING", "flood_messages_per_10s": 1_000_000, "content_reload_seconds": 3600,
            "telegram": {"rate_limit": False, "webhook_secret": SECRET},
        }), encoding="utf-8")
        return path

    async def start(self, http: aiohttp.ClientSession, within: float = 60.0) -> None:
        env = {**os.environ, "HOTLINE_DATABASE_URL": self.database_url, "TELEGRAM_BOT_TOKEN": TOKEN,
               "TELEGRAM_BASE_URL": self.telegram_url, "PYTHONPATH": str(ROOT)}
        env.pop("HOTLINE_CONFIG", None)
        with (self.directory / "worker.log").open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "--config", str(self._config()), "run", "--webhook", "--host",
                "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers),
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.returncode is not None:
                raise RuntimeError(f"the worker exited with {self.process.returncode}; see {self.directory}/worker.log")
            try:
                async with http.get(f"{self.url}/healthz") as response:
                    if response.status == 200 and (await response.json())["channels"]:
                        await asyncio.sleep(0.5 * self.workers)  # let every worker process finish starting
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        raise TimeoutError("the worker did not start")

    def signal(self, signum: int) -> None:
        if self.process is not None and self.process.returncode is None:
            os.killpg(self.process.pid, signum)

    async def stop(self) -> None:
        if self.process is None:
            return
        self.signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), 20)
        except TimeoutError:
            self.signal(signal.SIGKILL)
            await self.process.wait()
        self.process = None

    def rss_kib(self) -> int:
        """Resident memory of the whole process tree."""
        if self.process is None:
            return 0
        total, pending = 0, [self.process.pid]
        while pending:
            pid = pending.pop()
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
            pending.extend(int(c) for c in children)
        return total


class Driver:
    """Plays Telegram: posts updates to the webhook with the secret, as Telegram does, and times each one."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http = http
        self.url = f"{url}/telegram"
        self.ids = itertools.count(1)
        self.latencies: list[float] = []
        self.errors = 0

    async def post(self, body: dict[str, Any]) -> int:
        started = time.perf_counter()
        try:
            async with self.http.post(self.url, json={"update_id": next(self.ids), **body},
                                      headers={SECRET_HEADER: SECRET}) as response:
                await response.read()
                status = response.status
        except aiohttp.ClientError:
            status = 0
        self.latencies.append(time.perf_counter() - started)
        if status != 200:
            self.errors += 1
        return status


async def conversation(driver: Driver, user: FakeUser, messages: int) -> None:
    await driver.post(user.command("start"))
    for n in range(messages - 1):
        await driver.post(user.text(QUESTION) if n % 2 == 0 else user.command("menu"))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def database_bytes(url: str) -> int:
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:  # pages in use, whether in the file or the WAL
            return int(db.execute("PRAGMA page_count").fetchone()[0] * db.execute("PRAGMA page_size").fetchone()[0])
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(
            "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'"
        ))
    finally:
        await conn.close()


async def load_run(engine: str, workers: int, args: argparse.Namespace, fake: FakeTelegram,
                   http: aiohttp.ClientSession, base: Path) -> str:
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        async with scratch_database(engine, args.pg_url, Path(tmp)) as url:
            worker = WorkerProcess(url, fake.base_url, Path(tmp), workers)
            await worker.start(http)
            try:
                driver = Driver(http, worker.url)
                await asyncio.gather(*(conversation(driver, FakeUser(fake, 9_000_000 + n), 3)
                                       for n in range(args.users)))  # warm-up: imports, caches, pools
                driver.latencies.clear()
                users = [FakeUser(fake, 1_000_000 + n) for n in range(args.users)]
                started = time.perf_counter()
                await asyncio.gather(*(conversation(driver, u, args.messages) for u in users))
                elapsed = time.perf_counter() - started
            finally:
                await worker.stop()
    count = len(driver.latencies)
    return (f"{engine:<11} {workers:>7} {count:>8} {count / elapsed:>9.0f} "
            f"{statistics.median(driver.latencies) * 1000:>8.1f} {percentile(driver.latencies, 0.99) * 1000:>8.1f} "
            f"{driver.errors:>6}")


async def idle_run(engine: str, args: argparse.Namespace, fake: FakeTelegram, http: aiohttp.ClientSession,
                   base: Path) -> str:
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        async with scratch_database(engine, args.pg_url, Path(tmp)) as url:
            worker = WorkerProcess(url, fake.base_url, Path(tmp), 1)
            await worker.start(http)
            try:
                driver = Driver(http, worker.url)
                await conversation(driver, FakeUser(fake, 8_999_999), 3)
                rss_before, db_before = worker.rss_kib(), await database_bytes(url)
                ids = iter(range(8_000_000, 8_000_000 + args.idle))

                async def stream() -> None:
                    for user_id in ids:
                        await driver.post(FakeUser(fake, user_id).command("start"))

                await asyncio.gather(*(stream() for _ in range(args.users)))
                rss_after, db_after = worker.rss_kib(), await database_bytes(url)
            finally:
                await worker.stop()
    per = args.idle / 10_000
    return (f"{engine:<11} {args.idle:>8} {rss_before / 1024:>10.1f} {rss_after / 1024:>10.1f} "
            f"{(rss_after - rss_before) / 1024 / per:>14.1f} {(db_after - db_before) / 2**20 / per:>15.1f} "
            f"{driver.errors:>6}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--idle", type=int, default=10_000)
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    args = parser.parse_args()
    runs = [("postgresql", int(n)) for n in args.workers.split(",")] + [("sqlite", 1)]
    print(f"{args.users} concurrent users x {args.messages} updates each, through the Telegram webhook")
    print(f"{'engine':<11} {'workers':>7} {'updates':>8} {'updates/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    with tempfile.TemporaryDirectory() as base:
        async with FakeTelegram() as fake, aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=60)
        ) as http:
            for engine, workers in runs:
                print(await load_run(engine, workers, args, fake, http, Path(base)), flush=True)
                fake.calls.clear()
                fake.messages.clear()
            if args.idle:
                print("\nmemory and storage for idle sessions (one worker; per 10,000 sessions)")
                print(f"{'engine':<11} {'sessions':>8} {'RSS MiB':>10} {'after MiB':>10} {'RSS MiB/10k':>14} "
                      f"{'DB MiB/10k':>15} {'errors':>6}")
                for engine in ("postgresql", "sqlite"):
                    print(await idle_run(engine, args, fake, http, Path(base)), flush=True)
                    fake.calls.clear()
                    fake.messages.clear()


if __name__ == "__main__":
    asyncio.run(main())
