"""Flood: one user sending 100 messages a second must not slow other users down.

Run: .venv/bin/python bench/bench_flood.py [--seconds 5] [--users 20]
Drives the real engine on a fresh SQLite file: calm users each send a message every 200 ms, with and without a
flooder sending 100 messages a second; prints the calm users' latency and how the flooder was answered.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import runtime  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.engine import Engine  # noqa: E402
from bot.core.events import Event, Kind, SessionKey  # noqa: E402

CALM_TEXTS = ["/start", "m:legal", "m:risks", "n:home", "how do I check an agency", "m:reintegration"]


def calm_event(key: SessionKey, n: int) -> Event:
    item = CALM_TEXTS[n % len(CALM_TEXTS)]
    update_id = f"{key.user_id}-{n}"
    if item.startswith("/"):
        return Event(key, Kind.COMMAND, data=item[1:], update_id=update_id, platform_language="en")
    if ":" in item:
        return Event(key, Kind.BUTTON, data=item, update_id=update_id, platform_language="en")
    return Event(key, Kind.TEXT, text=item, update_id=update_id, platform_language="en")


async def scenario(engine: Engine, seconds: float, users: int, flood: bool) -> dict[str, float]:
    latencies: list[float] = []
    flood_stats = {"sent": 0, "answered": 0, "notes": 0}
    stop = time.monotonic() + seconds

    async def calm(index: int) -> None:
        key = SessionKey("bench", f"{'f' if flood else 'b'}-calm-{index}")
        n = 0
        while time.monotonic() < stop:
            started = time.perf_counter()
            await engine.handle(calm_event(key, n))
            latencies.append((time.perf_counter() - started) * 1000)
            n += 1
            await asyncio.sleep(0.2)

    async def flooder() -> None:
        key = SessionKey("bench", "flooder")
        n = 0
        pending = []
        while time.monotonic() < stop:
            event = Event(key, Kind.TEXT, text=f"spam {n}", update_id=f"flood-{n}", platform_language="en")
            pending.append(asyncio.ensure_future(engine.handle(event)))
            n += 1
            await asyncio.sleep(0.01)
        for replies in await asyncio.gather(*pending):
            flood_stats["answered"] += bool(replies)
            flood_stats["notes"] += sum("very fast" in r.text for r in replies)
        flood_stats["sent"] = n

    tasks = [calm(i) for i in range(users)] + ([flooder()] if flood else [])
    await asyncio.gather(*tasks)
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "p50": statistics.median(ordered),
        "p99": ordered[int(len(ordered) * 0.99) - 1],
        **{f"flood_{k}": v for k, v in flood_stats.items()},
    }


async def main(seconds: float, users: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), log_level="WARNING")
        async with runtime(settings, watch_content=False) as rt:
            await scenario(rt.engine, 1.0, users, flood=False)  # warm-up
            quiet = await scenario(rt.engine, seconds, users, flood=False)
            loud = await scenario(rt.engine, seconds, users, flood=True)
    print(f"{users} calm users, one message each every 200 ms, {seconds:.0f} s per scenario, SQLite")
    print(f"{'scenario':<22}{'calm msgs':>10}{'p50 ms':>9}{'p99 ms':>9}{'flood sent':>12}{'answered':>10}{'notes':>7}")
    for name, row in (("no flooder", quiet), ("flooder at 100 msg/s", loud)):
        print(f"{name:<22}{row['requests']:>10}{row['p50']:>9.2f}{row['p99']:>9.2f}"
              f"{row['flood_sent']:>12}{row['flood_answered']:>10}{row['flood_notes']:>7}")
    print(f"calm users' p99 with the flooder: {loud['p99'] / quiet['p99']:.2f}x the quiet p99")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--users", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.users))
