"""Durable callback inserts: `Store.create_request` throughput and latency under concurrent users.

Run: .venv/bin/python bench/bench_store.py [--engines sqlite,sqlite-1,postgresql] [--concurrency 1,10,50]
         [--seconds 5]
Goal (SQLite, 2 cores): >= 500 requests/s with p99 < 50 ms at 50 concurrent users, each request committed
(synchronous=FULL) before create_request returns. "sqlite" is the store as shipped (group commit), "sqlite-1"
the same store with one commit per request, for comparison. Every user files one request, so the
one-open-request rule never rejects one. PostgreSQL runs in a scratch schema of --pg-url, dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from bot.records import CallbackRequest  # noqa: E402
from bot.store import Store, open_store  # noqa: E402
from bot.store.sqlite import SqliteStore  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


@asynccontextmanager
async def scratch_store(engine: str, pg_url: str) -> AsyncIterator[Store]:
    if engine.startswith("sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            store: Store = SqliteStore(f"{tmp}/bench.sqlite3", max_batch=1 if engine == "sqlite-1" else 256)
            await store.open()
            try:
                yield store
            finally:
                await store.close()
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(pg_url)
    await admin.execute(f"CREATE SCHEMA {schema}")
    try:
        store = await open_store(f"{pg_url}{'&' if '?' in pg_url else '?'}search_path={schema}")
        try:
            yield store
        finally:
            await store.close()
    finally:
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()


async def run(store: Store, concurrency: int, seconds: float) -> tuple[int, float, list[float]]:
    latencies: list[float] = []
    ids = itertools.count()
    deadline = time.perf_counter() + seconds

    async def user_stream(worker: int) -> None:
        while time.perf_counter() < deadline:
            request = CallbackRequest("bench", f"{worker}-{next(ids)}", "Test Name", "+995555000000", town="Batumi",
                                      topic="work", note="x" * 80)
            started = time.perf_counter()
            await store.create_request(request)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(user_stream(w) for w in range(concurrency)))
    return len(latencies), time.perf_counter() - started, latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engines", default="sqlite,sqlite-1,postgresql")
    parser.add_argument("--concurrency", default="1,10,50")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    args = parser.parse_args()
    print(f"{'engine':<11} {'concurrency':>11} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for engine in args.engines.split(","):
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            try:
                async with scratch_store(engine, args.pg_url) as store:
                    count, elapsed, latencies = await run(store, concurrency, args.seconds)
            except (OSError, asyncpg.PostgresError) as exc:
                print(f"{engine:<11} {concurrency:>11} skipped: {exc}")
                continue
            print(f"{engine:<11} {concurrency:>11} {count:>9} {count / elapsed:>8.0f} "
                  f"{statistics.median(latencies) * 1000:>8.1f} {percentile(latencies, 0.99) * 1000:>8.1f} "
                  f"{max(latencies) * 1000:>8.1f}")


if __name__ == "__main__":
    asyncio.run(main())
