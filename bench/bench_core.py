"""The channel-agnostic core alone: the Telegram bench's conversation through the engine and the SQLite store.

Run: .venv/bin/python bench/bench_core.py [--users 50] [--updates 4000] [--rounds 3] [--sequential]
Under callgrind (instruction counts do not depend on the machine's load; only the measured updates count):
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg.out \
        .venv/bin/python bench/bench_core.py --updates 800 --rounds 1 --callgrind
    callgrind_annotate /tmp/cg.out | head -20   # "PROGRAM TOTALS" / 800 = instructions per update

No HTTP and no channel: the users of bench/bench_telegram.py, closed-loop (each sends its next update once the
last is answered, so `users` updates are in flight, as the bot runs them on uvloop), through `Engine.handle` with
a sending function that does nothing, so every update is also marked delivered as the Telegram channel does.
The first pass over the script (content warm-up, first sessions) is left out. Prints process CPU per update
(the SQLite writer's thread included) and the event loop's own ("loop ms") per round; with --sequential the
users take turns, one update in flight, so each step's CPU is its own and is shown too (every write then commits
alone, so the total is higher).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_telegram import LANGS, PLACES, SCRIPT, TOWNS, UNANSWERABLE  # noqa: E402
from bot.app import run_async, runtime, tune_gc  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.engine import Engine  # noqa: E402
from bot.core.events import Event, Kind, Location, Reply, SessionKey  # noqa: E402


class User:
    """One simulated person, as in the Telegram bench: same script, same choices for the same seed."""

    def __init__(self, uid: int, questions: dict[str, list[str]]) -> None:
        self.key = SessionKey("telegram", str(uid))
        self.lang = LANGS[uid % len(LANGS)]
        self.rng = random.Random(uid)
        self.questions = questions[self.lang]
        self.sent = 0
        self.buttons: list[str] = []

    def next_event(self, update_id: int) -> tuple[str, Event]:
        step = SCRIPT[self.sent % len(SCRIPT)]
        self.sent += 1
        fields: dict[str, object]
        if step in ("start", "menu"):
            fields = {"kind": Kind.COMMAND, "data": step}
        elif step in ("topic", "answer", "back", "home"):
            prefixes = {"topic": ("m:",), "answer": ("f:", "m:"), "back": ("n:back",), "home": ("n:home",)}[step]
            fields = {"kind": Kind.BUTTON, "data": self._press(prefixes)}
        elif step == "question":
            pick = self.rng.random()
            if pick < 0.6:
                text = self.rng.choice(self.questions)
            else:
                text = TOWNS[self.lang] if pick < 0.8 else UNANSWERABLE[self.lang]
            fields = {"kind": Kind.TEXT, "text": text}
        else:
            lat, lon = self.rng.choice(PLACES)
            point = Location(lat + self.rng.uniform(-0.05, 0.05), lon + self.rng.uniform(-0.05, 0.05))
            fields = {"kind": Kind.LOCATION, "location": point}
        event = Event(key=self.key, update_id=str(update_id), platform_language=self.lang,
                      **fields)  # type: ignore[arg-type]
        return step, event

    def _press(self, prefixes: tuple[str, ...]) -> str:
        for prefix in prefixes:
            choices = [d for d in self.buttons if d.startswith(prefix)]
            if choices:
                return self.rng.choice(choices)
        return "n:home"

    def read(self, replies: list[Reply]) -> None:
        buttons = [b.data for r in replies for row in r.buttons for b in row]
        if buttons:
            self.buttons = buttons


async def _nothing(replies: list[Reply]) -> None:
    return None


async def drive(engine: Engine, users: list[User], updates: int, counter: list[int],
                cpu: dict[str, list[float]]) -> None:
    """`updates` updates, the users in turn, each step's process CPU added to `cpu[step]`."""
    for n in range(updates):
        user = users[n % len(users)]
        counter[0] += 1
        step, event = user.next_event(counter[0])
        started = time.process_time()
        replies = await engine.handle(event, _nothing)
        cpu[step].append(time.process_time() - started)
        user.read(replies)


async def drive_concurrent(engine: Engine, users: list[User], updates: int, counter: list[int]) -> None:
    """`updates` updates, every user with one in flight."""

    async def talk(user: User, count: int) -> None:
        for _ in range(count):
            counter[0] += 1
            _, event = user.next_event(counter[0])
            user.read(await engine.handle(event, _nothing))

    each, extra = divmod(updates, len(users))
    await asyncio.gather(*(talk(u, each + (i < extra)) for i, u in enumerate(users)))


def _callgrind(switch: str) -> None:
    subprocess.run(["callgrind_control", "-i", switch, str(os.getpid())], check=True, capture_output=True)


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", content_dir=ROOT / "content",
                            flood_messages_per_10s=1_000_000, log_level="WARNING")
        async with runtime(settings, watch_content=False) as rt:
            content = rt.content.current
            questions = {lang: [e.question[lang] for e in content.faqs.values() if lang in e.question]
                         for lang in LANGS}
            users = [User(10_000 + n, questions) for n in range(args.users)]
            counter = [0]
            await drive_concurrent(rt.engine, users, len(users) * len(SCRIPT), counter)
            tune_gc()
            gc.collect()
            flight = "one" if args.sequential else str(args.users)
            print(f"{args.users} users, {args.updates} updates a round, {flight} in flight; load average "
                  f"{os.getloadavg()[0]:.1f}")
            header = f"{'round':<7}{'CPU ms/upd':>11}{'loop ms':>11}" + "".join(
                f"{s:>10}" for s in SCRIPT) * args.sequential
            if args.sequential:
                print(f"{'':<18}{'CPU µs per update of each step':^{10 * len(SCRIPT)}}")
            print(header)
            print("-" * len(header))
            profiler = cProfile.Profile() if args.profile else None
            for round_no in range(1, args.rounds + 1):
                cpu: dict[str, list[float]] = defaultdict(list)
                if args.callgrind:
                    _callgrind("on")
                if profiler is not None:
                    profiler.enable()
                started = time.process_time()
                started_main = time.thread_time()
                if args.sequential:
                    await drive(rt.engine, users, args.updates, counter, cpu)
                else:
                    await drive_concurrent(rt.engine, users, args.updates, counter)
                total = time.process_time() - started
                main_thread = time.thread_time() - started_main
                if args.callgrind:
                    _callgrind("off")
                if profiler is not None:
                    profiler.disable()
                steps = "".join(f"{sum(cpu[s]) / max(1, len(cpu[s])) * 1e6:>10.0f}" for s in SCRIPT if cpu[s])
                per_update = total / args.updates * 1000
                loop = main_thread / args.updates * 1000
                print(f"{round_no:<7}{per_update:>11.3f}{loop:>11.3f}{steps}", flush=True)
            if profiler is not None:
                profiler.dump_stats(args.profile)
                stats = pstats.Stats(args.profile)
                stats.sort_stats("tottime").print_stats(30)
                stats.sort_stats("cumulative").print_stats("bot/", 40)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--updates", type=int, default=4000, help="per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sequential", action="store_true", help="one update in flight; CPU of each step")
    parser.add_argument("--profile", help="run the measured rounds under cProfile, keep the profile in this file")
    parser.add_argument("--callgrind", action="store_true",
                        help="switch callgrind's instrumentation on for the measured rounds only")
    run_async(main(parser.parse_args()))
