"""Latency of understanding one typed message on the shipped content, and what users see on the labelled sets.

Run: .venv/bin/python bench/bench_understanding.py [--rounds 5]
Goal: p99 < 10 ms per message for the understanding step plus search (intents, FAQ search and, as the worst
case, a place lookup for every message), over the messages of both labelled sets.
Then prints the evaluation tables (tests/understanding_eval.py) for the tuning and the held-out set.
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
from bot.knowledge.loader import load_content  # noqa: E402
from tests.understanding_eval import evaluate, load_messages  # noqa: E402

SETS = ("understanding_dev.yaml", "understanding_heldout.yaml")


def latency(rounds: int) -> None:
    content = load_content(ROOT / "content").content
    assert content is not None, "content/ has errors: run hotline content check"
    messages = [m for name in SETS for m in load_messages(ROOT / "tests" / "data" / name)]
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(rounds):
        for message in messages:
            text, lang = str(message["text"]), str(message["lang"])
            start, start_cpu = time.perf_counter(), time.thread_time()
            content.intents.match(text)
            content.faq_index.search(text, lang)
            content.gazetteer.resolve(text)
            cpu.append((time.thread_time() - start_cpu) * 1000)
            wall.append((time.perf_counter() - start) * 1000)
    # Wall time includes waiting for a core on a busy machine; CPU time is the step's own cost.
    print("| clock | messages | rounds | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|---|")
    for name, times in (("wall", sorted(wall)), ("cpu", sorted(cpu))):
        print(f"| {name} | {len(messages)} | {rounds} | {statistics.median(times):.2f} | "
              f"{times[int(len(times) * 0.95)]:.2f} | {times[int(len(times) * 0.99)]:.2f} | {times[-1]:.2f} |")


async def figures() -> None:
    with tempfile.TemporaryDirectory() as data:
        settings = Settings().model_copy(update={"data_dir": Path(data), "database_url": None})
        async with runtime(settings, watch_content=False) as rt:
            for name in SETS:
                report = await evaluate(rt.engine, load_messages(ROOT / "tests" / "data" / name))
                print(f"\n{name}\n{report.table()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    latency(args.rounds)
    asyncio.run(figures())


if __name__ == "__main__":
    main()
