"""A bot process under callback load, for the kill test: many users fill the form and confirm at once.

    python -m tests.callback_driver DATA_DIR [--workers N] [--round R]

Each worker plays one new user after another through the whole form on the real engine and store. When the
engine hands back the confirmation, the driver prints `SENT <user> <ref>` (the moment a channel would send the
reference to the user) and flushes. It runs until it is killed.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import re
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from bot.app import runtime
from bot.config import REPO_ROOT, Settings
from bot.core.engine import Engine
from bot.core.events import Event, Kind, SessionKey

REF_RE = re.compile(r"CB-[0-9A-Z]{4}")


def answers_for(user_id: str) -> dict[str, str]:
    """What a user types; the kill test recomputes it to check each stored row is whole."""
    round_, index, count = (int(part) for part in user_id.split("-")[1:])
    number = round_ * 100_000 + index * 5_000 + count
    letters = str(number).translate(str.maketrans("0123456789", "abcdefghij"))  # names take no digits
    return {"name": f"Caller {letters.capitalize()}", "phone": f"599{number % 1_000_000:06d}",
            "town": f"Town {user_id}"}


async def one_user(engine: Engine, user_id: str, update_ids: Iterator[str]) -> str:
    key = SessionKey("test", user_id)
    answers = answers_for(user_id)
    steps = [
        Event(key, Kind.COMMAND, data="callback"), Event(key, Kind.BUTTON, data="cb:agree"),
        *(Event(key, Kind.TEXT, text=answers[step]) for step in ("name", "phone", "town")),
        *(Event(key, Kind.BUTTON, data=data) for data in ("cb:t:other", "cb:l:en", "cb:w:any")),
        Event(key, Kind.TEXT, text=f"note of {user_id}"), Event(key, Kind.BUTTON, data="cb:ok"),
    ]
    replies = []
    for event in steps:
        replies = await engine.handle(replace(event, update_id=next(update_ids), platform_language="en"))
    found = REF_RE.search("\n".join(r.text for r in replies))
    if found is None:
        raise RuntimeError("no reference in the confirmation")
    return found.group(0)


async def worker(engine: Engine, round_: int, index: int) -> None:
    count = 0
    update_ids = (f"{round_}-{index}-{n}" for n in itertools.count())
    while True:
        user_id = f"u-{round_}-{index}-{count}"
        ref = await one_user(engine, user_id, update_ids)
        sys.stdout.write(f"SENT {user_id} {ref}\n")
        sys.stdout.flush()
        count += 1


async def main(data_dir: Path, workers: int, round_: int) -> None:
    settings = Settings(data_dir=data_dir, content_dir=REPO_ROOT / "content", flood_messages_per_10s=1_000_000,
                        log_level="WARNING")
    async with runtime(settings, watch_content=False) as rt:
        sys.stdout.write("READY\n")
        sys.stdout.flush()
        await asyncio.gather(*(worker(rt.engine, round_, i) for i in range(workers)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--round", type=int, default=0, help="keeps user ids of successive runs apart")
    args = parser.parse_args()
    asyncio.run(main(args.data_dir, args.workers, args.round))
