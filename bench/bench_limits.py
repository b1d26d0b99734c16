"""The webhook server under abusive clients: oversized chunked bodies and slow-loris connections.

Run: .venv/bin/python bench/bench_limits.py [--bodies 3] [--body-mb 200] [--loris 300] [--wait 15]
`python -m bot run --webhook` runs as its own process (SQLite, Telegram and Viber configured, a fake Bot API in
this process). `--bodies` clients each stream a chunked body of `--body-mb` MB at /viber at once, never ending it
unless the server answers; then `--loris` clients open connections and trickle header lines, one every second.
The table shows the server's resident memory before and after, what the body clients were answered and how much
they managed to send, and how many slow connections the server still held open after `--wait` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from bench.bench_workers import WorkerProcess  # noqa: E402
from tests.e2e.fake_telegram import FakeTelegram  # noqa: E402

CHUNK = 64 * 1024


async def big_body(port: int, megabytes: int) -> tuple[str, int]:
    """Streams a chunked body until the server answers or the size is reached: (status line, bytes sent)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /viber HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                 b"X-Viber-Content-Signature: 00\r\n\r\n")
    answer = asyncio.ensure_future(reader.readline())
    sent, chunk = 0, b"%x\r\n" % CHUNK + b"[" * CHUNK + b"\r\n"
    try:
        while sent < megabytes * 2**20 and not answer.done():
            writer.write(chunk)
            await writer.drain()
            sent += CHUNK
    except ConnectionError:
        pass
    try:
        line = await asyncio.wait_for(answer, 30)
    except (TimeoutError, ConnectionError):
        line = b"(no answer)"
    writer.close()
    return line.decode(errors="replace").strip() or "(closed)", sent


async def slow_loris(port: int, count: int, wait: float) -> int:
    """Opens `count` connections trickling header lines; how many are still open after `wait` seconds."""
    connections = []
    for _ in range(count):
        try:
            connections.append(await asyncio.open_connection("127.0.0.1", port))
        except OSError:
            break
    for _, writer in connections:
        writer.write(b"POST /telegram HTTP/1.1\r\nHost: x\r\n")
    open_ = [True] * len(connections)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        for i, (reader, writer) in enumerate(connections):
            if not open_[i]:
                continue
            try:
                writer.write(b"X-Slow: 1\r\n")
                await writer.drain()
                open_[i] = not reader.at_eof()
            except ConnectionError:
                open_[i] = False
    for _, writer in connections:
        writer.close()
    return sum(open_)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bodies", type=int, default=3)
    parser.add_argument("--body-mb", type=int, default=200)
    parser.add_argument("--loris", type=int, default=300)
    parser.add_argument("--wait", type=float, default=15.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeTelegram() as fake, aiohttp.ClientSession() as http:
            worker = WorkerProcess(f"sqlite:///{tmp}/limits.sqlite3", fake.base_url, Path(tmp))
            os.environ.update(VIBER_AUTH_TOKEN="bench-viber-token", VIBER_API_URL="http://127.0.0.1:9/pa")
            await worker.start(http)
            try:
                before = worker.rss_kib()
                bodies = await asyncio.gather(*(big_body(worker.port, args.body_mb) for _ in range(args.bodies)))
                after_bodies = worker.rss_kib()
                still_open = await slow_loris(worker.port, args.loris, args.wait)
                after = worker.rss_kib()
            finally:
                await worker.stop()
    print(f"{'what':<44} {'figure':>30}")
    print(f"{'RSS before (MiB)':<44} {before / 1024:>30.1f}")
    for n, (status, sent) in enumerate(bodies, 1):
        print(f"{f'body {n}: answer, bytes sent before it':<44} {f'{status} / {sent / 2**20:.1f} MiB':>30}")
    print(f"{'RSS after the bodies (MiB)':<44} {after_bodies / 1024:>30.1f}")
    print(f"{f'slow-loris connections open after {args.wait:.0f} s':<44} {f'{still_open} of {args.loris}':>30}")
    print(f"{'RSS at the end (MiB)':<44} {after / 1024:>30.1f}")


if __name__ == "__main__":
    asyncio.run(main())
