"""Durable callback confirmations: 50 users press "Confirm" at the same moment, on the SQLite default.

Run: .venv/bin/python bench/bench_callbacks.py [--users 50] [--rounds 20] [--database sqlite:///path]
Goal: >= 500 confirmations/s and p99 commit latency < 50 ms on a 2-core machine.

Each round prepares `--users` new users up to the summary (not timed), then releases all their "Confirm"
presses at once. Measured per press: the whole engine step (lock, session load, `create_request` committed
with fsync, session save) and, inside it, `create_request` alone (the commit the user waits for before the
reference is shown). A second table times bare `create_request` calls, 50 at a time, without the engine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import runtime  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.engine import Engine  # noqa: E402
from bot.core.events import Event, Kind, SessionKey  # noqa: E402
from bot.records import CallbackRequest  # noqa: E402
from bot.store.base import Store  # noqa: E402


class Ids:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return str(self.n)


async def to_summary(engine: Engine, key: SessionKey, ids: Ids, number: int) -> None:
    letters = str(number).translate(str.maketrans("0123456789", "abcdefghij"))
    steps = [
        Event(key, Kind.COMMAND, data="callback"), Event(key, Kind.BUTTON, data="cb:agree"),
        Event(key, Kind.TEXT, text=f"Bench {letters}"), Event(key, Kind.TEXT, text=f"599{number % 1_000_000:06d}"),
        Event(key, Kind.TEXT, text="Kutaisi"), Event(key, Kind.BUTTON, data="cb:t:other"),
        Event(key, Kind.BUTTON, data="cb:l:ka"), Event(key, Kind.BUTTON, data="cb:w:any"),
        Event(key, Kind.BUTTON, data="cb:skip"),
    ]
    for event in steps:
        await engine.handle(replace(event, update_id=ids(), platform_language="en"))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def row(label: str, count: int, seconds: float | None, latencies: list[float]) -> str:
    ms = [v * 1000 for v in latencies]
    rate = f"{count / seconds:>9.0f}" if seconds else f"{'':>9}"
    return (f"{label:<34} {count:>6} {rate} {statistics.median(ms):>8.1f} "
            f"{percentile(ms, 0.99):>8.1f} {max(ms):>8.1f}")


def timed(store: Store, sink: list[float]) -> Callable[[CallbackRequest], Awaitable[CallbackRequest]]:
    original = store.create_request

    async def create_request(request: CallbackRequest) -> CallbackRequest:
        started = time.perf_counter()
        try:
            return await original(request)
        finally:
            sink.append(time.perf_counter() - started)

    return create_request


async def bench(settings: Settings, users: int, rounds: int) -> list[str]:
    lines = []
    async with runtime(settings, watch_content=False) as rt:
        engine, store = rt.engine, rt.store
        ids = Ids()
        step_latencies: list[float] = []
        commit_latencies: list[float] = []
        wall = 0.0
        store.create_request = timed(store, commit_latencies)  # type: ignore[method-assign]
        for round_ in range(rounds):
            keys = [SessionKey("bench", f"r{round_}-u{i}") for i in range(users)]
            await asyncio.gather(*(to_summary(engine, k, ids, round_ * users + i) for i, k in enumerate(keys)))
            confirms = [Event(k, Kind.BUTTON, data="cb:ok", update_id=ids(), platform_language="en") for k in keys]

            async def press(event: Event) -> None:
                started = time.perf_counter()
                replies = await engine.handle(event)
                step_latencies.append(time.perf_counter() - started)
                assert replies and "CB-" in replies[0].text, "a confirmation carries the reference"

            started = time.perf_counter()
            await asyncio.gather(*(press(e) for e in confirms))
            wall += time.perf_counter() - started
        del store.create_request
        count = users * rounds
        lines.append(row("engine: Confirm pressed -> reply", count, wall, step_latencies))
        lines.append(row("  of which create_request commit", count, None, commit_latencies))

        bare: list[float] = []
        wall = 0.0
        for round_ in range(rounds):
            requests = [CallbackRequest("bare", f"r{round_}-u{i}", f"Bench {i}", "+995599000000", town="Batumi")
                        for i in range(users)]

            async def create(request: CallbackRequest) -> None:
                started = time.perf_counter()
                await store.create_request(request)
                bare.append(time.perf_counter() - started)

            started = time.perf_counter()
            await asyncio.gather(*(create(r) for r in requests))
            wall += time.perf_counter() - started
        lines.append(row("store: create_request alone", count, wall, bare))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50, help="users confirming at the same moment")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database", help="a database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=args.database, content_dir=ROOT / "content",
                            flood_messages_per_10s=1_000_000, log_level="WARNING")
        lines = asyncio.run(bench(settings, args.users, args.rounds))
    print(f"{args.users} users confirming at once, {args.rounds} rounds, "
          f"{settings.effective_database_url.split(':', 1)[0]}")
    print(f"{'':<34} {'count':>6} {'per s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
