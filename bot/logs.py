"""Logging set-up: plain text for people, JSON lines for log collectors (HOTLINE_LOG_FORMAT=json).

Every record made while the engine handles an update carries that update's channel, its update id and a step
id (one per handled update), so the lines of one step can be found together; `bind` sets them for the current
task. They are ids, never content: nothing here adds personal data to a line. An exception is written as its
type and stack, not its message, because messages can quote input.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import sys
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

__all__ = ["JsonFormatter", "bind", "configure", "make_handler"]

_STEP: ContextVar[dict[str, str] | None] = ContextVar("hotline_step", default=None)
# A step id is a per-process random prefix and a counter: unique enough to find one step's lines, without a
# random-number syscall per update (os.urandom gives up the GIL, and getting it back cost more than the step).
_PROCESS = os.urandom(3).hex()
_STEPS = itertools.count(1)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET = ("httpx", "httpcore", "aiosqlite", "asyncpg", "telegram.ext.Updater", "uvicorn.access")


def bind(channel: str, update_id: str | None) -> None:
    """Marks the records of the current task as belonging to one step on `channel`."""
    _STEP.set({"channel": channel, "update_id": update_id or "", "step": f"{_PROCESS}{next(_STEPS):06x}"})


class _StepFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        step = _STEP.get()
        record.channel, record.update_id, record.step = (
            (step["channel"], step["update_id"], step["step"]) if step else ("", "", ""))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, and the step's ids when there is a step."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in ("channel", "update_id", "step"):
            value = getattr(record, name, "")
            if value:
                line[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__
            line["stack"] = "".join(traceback.format_tb(record.exc_info[2]))
        return json.dumps(line, ensure_ascii=False)


def make_handler(fmt: str = "text", file: Path | None = None, stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing `fmt` lines, with the step's ids on every record."""
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(_StepFilter())
    return handler


def configure(level: str, fmt: str = "text", file: Path | None = None, stream: IO[str] | None = None) -> None:
    """Sets up the root logger for the process: to `stream` (standard error by default), or to `file`, which
    replaces any earlier set-up (the terminal chat keeps its screen for the conversation)."""
    logging.basicConfig(level=level.upper(), handlers=[make_handler(fmt, file, stream)], force=file is not None)
    for noisy in QUIET:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # python-telegram-bot logs request parameters (message texts, so names and phones) at DEBUG: never below INFO
    telegram_logger = logging.getLogger("telegram")
    telegram_logger.setLevel(max(logging.INFO, telegram_logger.getEffectiveLevel()))
