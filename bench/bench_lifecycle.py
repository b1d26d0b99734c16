"""Start-up time, memory at rest and stop time of `hotline run`, polling and webhook, against the fake Bot API.

Run: .venv/bin/python bench/bench_lifecycle.py [--runs 3] [--rest 3] [--root DIR]
Each mode starts the real process on a fresh SQLite file; its first start builds what later starts reuse (the
content cache, and Python's bytecode, which this environment otherwise never writes), so it is shown apart as
"cold". Start-up is from spawning the process to its first getUpdates (polling) or to the first webhook update
answered 200 (webhook), in wall-clock seconds and in the CPU seconds the process used by then (the steadier figure
on a shared machine). Memory at rest is the resident set after `--rest` seconds without traffic. Stop is from
SIGTERM to the process's exit; for polling the table also says whether the fake Bot API received the final
getUpdates offset that confirms the last batch.

`--root` measures another checkout with the same driver, for a before/after table on the same machine load:
`git archive <commit> | tar -x -C /tmp/before && .venv/bin/python bench/bench_lifecycle.py --root /tmp/before`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from tests.e2e.fake_telegram import Call, FakeTelegram, FakeUser  # noqa: E402

SECRET = "bench-lifecycle-secret"
TARGET = {"root": ROOT}  # the checkout whose bot is measured
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class Run:
    start_s: float
    start_cpu_s: float
    rss_mib: float
    stop_s: float
    exit_code: int | None
    confirmed: bool


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unique_update_id() -> int:
    """Runs share a database, which remembers the update ids it has handled."""
    return time.time_ns() // 1000 % 2**31


def cpu_s(pid: int) -> float:
    """User plus system CPU time the process has used so far: a start-up figure that other load on the machine
    does not stretch the way it stretches wall-clock time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def spawn(fake: FakeTelegram, data: Path, *args: str) -> asyncio.subprocess.Process:
    root = TARGET["root"]
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_BASE_URL": fake.base_url,
           "TELEGRAM_WEBHOOK_SECRET": SECRET, "HOTLINE_DATA_DIR": str(data),
           "HOTLINE_CONTENT_DIR": str(root / "content"), "HOTLINE_LOG_LEVEL": "WARNING", "PYTHONPATH": str(root)}
    env.pop("HOTLINE_CONFIG", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed service has its bytecode compiled once
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", *args, env=env, cwd=root,
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


async def stop(process: asyncio.subprocess.Process) -> float:
    began = time.perf_counter()
    process.terminate()
    try:
        async with asyncio.timeout(60):
            await process.wait()
    except TimeoutError:
        process.kill()
        await process.wait()
    return time.perf_counter() - began


async def polling_run(data: Path, rest: float) -> Run:
    async with FakeTelegram() as fake:
        first_poll: list[float] = []
        cpu: list[float] = []
        began = time.perf_counter()
        process = await spawn(fake, data)

        def on_call(call: Call) -> None:
            if call.method == "getUpdates" and not first_poll:
                first_poll.append(time.perf_counter())
                cpu.append(cpu_s(process.pid))

        fake.listeners.append(on_call)
        await fake.wait_for(lambda: bool(first_poll) or process.returncode is not None, within=60)
        started = first_poll[0] - began
        user = FakeUser(fake, 5001)
        [update_id] = fake.push({"update_id": unique_update_id(), **user.command("start")})
        await fake.wait_for(lambda: any(c.chat_id == 5001 for c in fake.calls), within=30)
        await asyncio.sleep(rest)
        memory = rss_mib(process.pid)
        stopped = await stop(process)
        return Run(started, cpu[0], memory, stopped, process.returncode, fake.offset > update_id)


async def webhook_run(data: Path, rest: float) -> Run:
    async with FakeTelegram() as fake, aiohttp.ClientSession() as http:
        port = free_port()
        began = time.perf_counter()
        process = await spawn(fake, data, "--webhook", "--host", "127.0.0.1", "--port", str(port))
        user = FakeUser(fake, 5002)
        update = {"update_id": unique_update_id(), **user.command("start")}
        started, started_cpu = float("nan"), float("nan")
        while process.returncode is None and time.perf_counter() - began < 60:
            try:
                async with http.post(f"http://127.0.0.1:{port}/telegram", json=update,
                                     headers={SECRET_HEADER: SECRET}) as response:
                    if response.status == 200:
                        started, started_cpu = time.perf_counter() - began, cpu_s(process.pid)
                        break
            except aiohttp.ClientError:
                await asyncio.sleep(0.01)
        await asyncio.sleep(rest)
        memory = rss_mib(process.pid)
        stopped = await stop(process)
        return Run(started, started_cpu, memory, stopped, process.returncode, True)


def row(mode: str, runs: list[Run]) -> str:
    def spread(values: list[float], fmt: str) -> str:
        return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"

    confirmed = sum(r.confirmed for r in runs)
    codes = ",".join(sorted({str(r.exit_code) for r in runs}))
    return (f"| {mode} | {len(runs)} | {spread([r.start_s for r in runs], '{:.2f}')} | "
            f"{spread([r.start_cpu_s for r in runs], '{:.2f}')} | "
            f"{spread([r.rss_mib for r in runs], '{:.0f}')} | {spread([r.stop_s for r in runs], '{:.2f}')} | "
            f"{codes} | {confirmed}/{len(runs)} |")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="warm runs per mode")
    parser.add_argument("--rest", type=float, default=3.0, help="seconds without traffic before measuring memory")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to measure (default: this one)")
    args = parser.parse_args()
    TARGET["root"] = args.root.resolve()
    print("| mode | runs | start-up s, median (range) | start-up CPU s | RSS at rest MiB | stop s | exit codes "
          "| final offset |")
    print("|---|---|---|---|---|---|---|---|")
    for mode, run in (("polling", polling_run), ("webhook", webhook_run)):
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "data"
            cold = await run(data, args.rest)
            warm = [await run(data, args.rest) for _ in range(args.runs)]
        print(row(f"{mode}, cold", [cold]))
        print(row(mode, warm))


if __name__ == "__main__":
    asyncio.run(main())

