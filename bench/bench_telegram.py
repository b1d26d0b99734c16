"""Telegram throughput: the full bot beside a bare python-telegram-bot echo bot, against the fake Bot API server.

Run: .venv/bin/python bench/bench_telegram.py [--users 50] [--messages 200] [--only full-concurrent,...]
         [--rounds 3] [--profile DIR]
Goal: the full bot as shipped (concurrent updates) handles >= 3x the updates/s of the echo bot with
concurrent_updates(True) and >= 1.2x the echo bot processing sequentially (often the echo bot's faster mode).
The full bot is measured sequentially too, for a like-for-like figure.

Each configuration runs in fresh processes: the fake server (tests/e2e/fake_telegram.py) with the simulated
users in one, the bot in another, so each has a core of its own. Users are closed-loop, like people: each sends
its next update only when the previous one is fully answered, so `users` updates are in flight at any time.
"Answered" is the echo for the echo bot, and for the full bot the message carrying the inline keyboard, which
is the last part of every answer (a venue and its details come before it). Update-to-reply time runs from the
moment the update is queued for getUpdates to that message reaching the server.

The echo bot gets text messages. The full bot gets a conversation: /start, a topic, an answer, back, home, a
typed question (a real FAQ question, a town, or something unanswerable), a shared location and /menu, round and
round, in ka/en/ru; every update goes through the engine, the SQLite store and the renderer. It runs with the
shipped settings except the rate limiter, which would cap any bot at Telegram's 30 messages/s.
With --profile DIR the full bot runs under cProfile from its first poll on (start-up left out) and the top
functions are printed; its figures are then the profiler's, not the bot's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.fake_telegram import TOKEN, Call, FakeTelegram, FakeUser  # noqa: E402

CONFIGS = ("echo-concurrent", "echo-sequential", "full-concurrent", "full-sequential")
SCRIPT = ("start", "topic", "answer", "back", "home", "question", "location", "menu")
LANGS = ("ka", "en", "ru")
TOWNS = {"ka": "ქუთაისი", "en": "Zugdidi", "ru": "Батуми"}
UNANSWERABLE = {"ka": "სად ვიყიდო იაფი მანქანა?", "en": "where can I buy a cheap car",
                "ru": "где купить дешёвую машину"}
PLACES = ((41.71, 44.76), (41.64, 41.64), (42.27, 42.70), (41.92, 45.47))
RUN_LIMIT = 300.0


# -- the server side: fake Bot API plus closed-loop users -----------------------------------------------------


@dataclass
class BenchUser:
    fake: FakeUser
    lang: str
    rng: random.Random
    sent: int = 0
    sent_at: float = 0.0
    buttons: list[tuple[str, str]] = field(default_factory=list)
    message_id: int | None = None
    waiting: bool = False  # an update of this user is not answered yet


class Driver:
    def __init__(self, fake: FakeTelegram, users: int, messages: int, workload: str) -> None:
        self.fake = fake
        self.messages = messages
        self.workload = workload
        self.users = {}
        for n in range(users):
            lang = LANGS[n % len(LANGS)]
            uid = 10_000 + n
            self.users[uid] = BenchUser(FakeUser(fake, uid, lang), lang, random.Random(uid))
        self.latencies: list[float] = []
        self.started = 0.0
        self.finished = 0.0
        self.done = asyncio.Event()
        self.questions = self._questions() if workload == "full" else {}
        fake.listeners.append(self.on_call)

    @staticmethod
    def _questions() -> dict[str, list[str]]:
        from bot.knowledge.loader import load_content

        content = load_content(ROOT / "content").content
        assert content is not None
        return {lang: [e.question[lang] for e in content.faqs.values() if lang in e.question] for lang in LANGS}

    def on_call(self, call: Call) -> None:
        if call.method == "getUpdates" and not self.started:
            self.started = time.perf_counter()
            print("STARTED", flush=True)
            for user in self.users.values():
                self._send(user)
            return
        user = self.users.get(call.chat_id or 0)
        # Some answers are two messages with buttons (danger first, then the answer): only the first one answers
        # an update, so a user's later message never counts for an update it did not answer.
        if user is None or not user.waiting or not self._completes(call):
            return
        user.waiting = False
        self.latencies.append(call.at - user.sent_at)
        user.buttons, user.message_id = call.buttons, call.message_id
        if user.sent < self.messages:
            self._send(user)
        elif len(self.latencies) == len(self.users) * self.messages:
            self.finished = call.at
            self.done.set()

    def _completes(self, call: Call) -> bool:
        if self.workload == "echo":
            return call.method == "sendMessage"
        return call.is_message and "inline_keyboard" in call.markup

    def _send(self, user: BenchUser) -> None:
        update = self._echo(user) if self.workload == "echo" else self._conversation(user)
        user.sent += 1
        user.waiting = True
        user.sent_at = time.perf_counter()
        self.fake.push(update)

    def _echo(self, user: BenchUser) -> dict[str, Any]:
        return user.fake.text(f"message {user.sent} from {user.fake.id}")

    def _press(self, user: BenchUser, prefixes: tuple[str, ...]) -> dict[str, Any]:
        for prefix in prefixes:
            choices = [d for _, d in user.buttons if d.startswith(prefix)]
            if choices:
                return user.fake.press(user.rng.choice(choices), user.message_id)
        return user.fake.press("n:home", user.message_id)

    def _conversation(self, user: BenchUser) -> dict[str, Any]:
        step = SCRIPT[user.sent % len(SCRIPT)]
        if step in ("start", "menu"):
            return user.fake.command(step)
        if step == "topic":
            return self._press(user, ("m:",))
        if step == "answer":
            return self._press(user, ("f:", "m:"))
        if step == "back":
            return self._press(user, ("n:back",))
        if step == "home":
            return self._press(user, ("n:home",))
        if step == "question":
            pick = user.rng.random()
            if pick < 0.6:
                return user.fake.text(user.rng.choice(self.questions[user.lang]))
            return user.fake.text(TOWNS[user.lang] if pick < 0.8 else UNANSWERABLE[user.lang])
        lat, lon = user.rng.choice(PLACES)
        return user.fake.location(lat + user.rng.uniform(-0.05, 0.05), lon + user.rng.uniform(-0.05, 0.05))

    def result(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        elapsed = self.finished - self.started
        return {
            "updates": len(ordered),
            "seconds": elapsed,
            "per_second": len(ordered) / elapsed if elapsed > 0 else 0.0,
            "p50_ms": statistics.median(ordered) * 1000,
            "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
            "api_calls": len(self.fake.calls),
        }


async def serve(users: int, messages: int, workload: str) -> None:
    async with FakeTelegram(max_poll=10.0) as fake:
        driver = Driver(fake, users, messages, workload)
        print(f"PORT {fake.port}", flush=True)
        async with asyncio.timeout(RUN_LIMIT):
            await driver.done.wait()
        print("RESULT " + json.dumps(driver.result()), flush=True)
        await asyncio.to_thread(sys.stdin.read)  # stay up until the bot has stopped, so it stops cleanly


async def profile_bot(output: Path) -> None:
    """The full bot as `hotline run` runs it, profiled from its first poll to SIGTERM (start-up left out)."""
    import cProfile

    from bot.app import configure_logging, runtime
    from bot.channels.telegram.app import build_application
    from bot.channels.telegram.lifecycle import polling
    from bot.config import load_settings

    settings = load_settings()
    configure_logging(settings)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    profiler = cProfile.Profile()
    async with runtime(settings) as rt, polling(build_application(rt), rt):
        profiler.enable()
        await stop.wait()
        profiler.disable()
    profiler.dump_stats(str(output))


# -- the orchestrator ------------------------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _bot_command(kind: str, mode: str, base_url: str, tmp: Path,
                 profile: Path | None) -> tuple[list[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "HOTLINE_"))}
    env["PYTHONPATH"] = str(ROOT)
    if kind == "echo":
        command = [sys.executable, str(ROOT / "bench" / "echo_bot.py"), "--base-url", base_url, "--token", TOKEN]
        return [*command, "--sequential"] if mode == "sequential" else command, env
    config = {
        "data_dir": str(tmp / "data"),
        "content_dir": str(ROOT / "content"),
        "log_level": "WARNING",
        "flood_messages_per_10s": 1_000_000,
        "telegram": {"token": TOKEN, "base_url": base_url, "rate_limit": False,
                     **({"concurrent_updates": 1} if mode == "sequential" else {})},
    }
    (tmp / "config.yaml").write_text(json.dumps(config), encoding="utf-8")
    env["HOTLINE_CONFIG"] = str(tmp / "config.yaml")
    if profile:
        return [sys.executable, __file__, "profile-bot", "--profile", str(profile / f"full-{mode}.prof")], env
    return [sys.executable, "-m", "bot", "run"], env


def run_config(name: str, users: int, messages: int, profile: Path | None) -> dict[str, Any]:
    kind, mode = name.split("-")
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        server = subprocess.Popen(
            [sys.executable, __file__, "serve", "--users", str(users), "--messages", str(messages), "--workload", kind],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
        )
        watchdog = threading.Timer(RUN_LIMIT + 30, server.kill)
        watchdog.start()
        bot: subprocess.Popen[bytes] | None = None
        try:
            assert server.stdout is not None
            port = int(server.stdout.readline().split()[1])
            command, env = _bot_command(kind, mode, f"http://127.0.0.1:{port}/bot", tmp, profile)
            bot = subprocess.Popen(command, env=env, cwd=ROOT, stderr=(tmp / "bot.log").open("wb"))
            line, cpu_at_start = "", (0.0, 0.0)
            while not line.startswith("RESULT"):
                line = server.stdout.readline()
                if line.startswith("STARTED"):
                    cpu_at_start = (_cpu_seconds(bot.pid), _cpu_seconds(server.pid))
                if not line:
                    log = (tmp / "bot.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"{name}: the run ended without a result; bot log:\n{log}")
            result: dict[str, Any] = json.loads(line.split(" ", 1)[1])
            result["bot_cpu_s"] = _cpu_seconds(bot.pid) - cpu_at_start[0]
            result["server_cpu_s"] = _cpu_seconds(server.pid) - cpu_at_start[1]
            bot.send_signal(signal.SIGTERM)
            result["stop_s"] = _stopped_in(bot)
            assert server.stdin is not None
            server.stdin.close()
            server.wait(timeout=10)
            return result
        finally:
            watchdog.cancel()
            for process in (bot, server):
                if process is not None and process.poll() is None:
                    process.kill()
                    process.wait()


def _stopped_in(process: subprocess.Popen[bytes]) -> float:
    start = time.perf_counter()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return time.perf_counter() - start


def print_table(results: dict[str, dict[str, Any]], users: int, messages: int, rounds: int) -> None:
    print(f"\n{users} users x {messages} messages, closed loop; fake Bot API in its own process; "
          f"median of {rounds} run(s); {os.cpu_count()} CPUs, load average now {os.getloadavg()[0]:.1f}\n")
    header = (f"{'bot':<18}{'updates':>8}{'upd/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'API calls':>11}"
              f"{'bot CPU ms/upd':>16}{'server CPU %':>14}{'stop s':>8}")
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        per_update = r["bot_cpu_s"] / r["updates"] * 1000
        server_share = r["server_cpu_s"] / r["seconds"] * 100 if r["seconds"] else 0.0
        print(f"{name:<18}{r['updates']:>8}{r['per_second']:>9.0f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
              f"{r['api_calls']:>11}{per_update:>16.2f}{server_share:>14.0f}{r['stop_s']:>8.2f}")
    print()
    full = results.get("full-concurrent")
    for echo_name, goal in (("echo-concurrent", 3.0), ("echo-sequential", 1.2)):
        echo = results.get(echo_name)
        if full and echo:
            ratio = full["per_second"] / echo["per_second"]
            verdict = "met" if ratio >= goal else "NOT met"
            print(f"full bot as shipped (concurrent) / {echo_name}: {ratio:.2f}x updates/s (goal >= {goal}x: "
                  f"{verdict}); p50 {full['p50_ms']:.1f} vs {echo['p50_ms']:.1f} ms")
    seq_full, seq_echo = results.get("full-sequential"), results.get("echo-sequential")
    if seq_full and seq_echo:
        print(f"like for like, both sequential: {seq_full['per_second'] / seq_echo['per_second']:.2f}x updates/s")


def print_profile(directory: Path) -> None:
    for path in sorted(directory.glob("*.prof")):
        print(f"\n== {path.name}: top functions by own time ==")
        stats = pstats.Stats(str(path))
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats("bot/", 25)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("role", nargs="?", default="bench", choices=["bench", "serve", "profile-bot"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--messages", type=int, default=200,
                        help="per user; runs of 10,000 updates are steadier than short ones")
    parser.add_argument("--workload", choices=["echo", "full"], default="echo", help=argparse.SUPPRESS)
    parser.add_argument("--only", default=",".join(CONFIGS), help="comma-separated subset of " + ", ".join(CONFIGS))
    parser.add_argument("--rounds", type=int, default=3, help="runs per configuration; the median run is shown")
    parser.add_argument("--profile", type=Path, help="run the full bot under cProfile, keep the profiles here")
    args = parser.parse_args()
    if args.role == "serve":
        asyncio.run(serve(args.users, args.messages, args.workload))
        return 0
    if args.role == "profile-bot":
        asyncio.run(profile_bot(args.profile))
        return 0
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    for name in names:
        if name not in CONFIGS:
            parser.error(f"unknown configuration {name!r}")
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for round_no in range(1, args.rounds + 1):  # interleaved, so a busy moment hits every configuration alike
        for name in names:
            print(f"round {round_no}: {name} (load average {os.getloadavg()[0]:.1f}) ...", flush=True)
            runs[name].append(run_config(name, args.users, args.messages, args.profile))
    results = {name: sorted(done, key=lambda r: r["per_second"])[len(done) // 2] for name, done in runs.items()}
    print_table(results, args.users, args.messages, args.rounds)
    if args.profile:
        print_profile(args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
