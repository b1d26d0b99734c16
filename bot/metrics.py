"""Prometheus metrics: traffic, latency, failures and the queue, for an operator who should not have to read logs.

The core and the channels call the plain `record_*` functions below and know nothing of Prometheus. Every label
comes from a fixed vocabulary (channel, event kind, API method, status, outcome): a value outside it is counted as
"other", so no id, name, phone or typed text can ever become a label.

Gauges that describe the database (queue by status, overdue requests, stored but unhandled updates) are read from
the store when /metrics is scraped, at most once every few seconds.

With several webhook workers (`--workers N`) a scrape reaches one worker at random, so the workers share their
numbers through files (prometheus-client's multiprocess mode, PROMETHEUS_MULTIPROC_DIR, set up by `serve`): any
worker answers for all of them; the database gauges show the most recent reading.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

__all__ = [
    "CONTENT_TYPE",
    "TYPED_OUTCOMES",
    "exposition",
    "is_store_error",
    "observe_step",
    "record_callback_created",
    "record_content",
    "record_reply",
    "record_store_error",
    "record_typed",
    "record_update",
    "refresh",
    "share_between_workers",
]

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
TYPED_OUTCOMES = frozenset({"answered", "suggested", "declined", "urgent", "action"})
CHANNELS = frozenset({"telegram", "viber", "terminal", "desk"})
KINDS = frozenset({"text", "button", "location", "contact", "command", "unsupported", "start"})
STATUSES = frozenset({"new", "assigned", "done", "unreachable", "cancelled"})
STORE_WHERE = frozenset({"step", "delivered", "keep", "readiness", "metrics"})
_METHOD = re.compile(r"^[A-Za-z_]{1,40}$")
_STORE_MODULES = frozenset({"sqlite3", "aiosqlite", "asyncpg"})
REFRESH_EVERY = 5.0
STEP_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

UPDATES = Counter("hotline_updates", "Updates the conversation engine received", ["channel", "kind"])
STEP_SECONDS = Histogram("hotline_step_seconds", "Time from an update reaching the engine to its replies being ready",
                         ["channel"], buckets=STEP_BUCKETS)
REPLIES = Counter("hotline_replies", "Platform API calls made to answer users, by result", ["platform", "method",
                                                                                             "result"])
TYPED = Counter("hotline_typed_messages", "What became of typed messages", ["outcome"])
CALLBACKS = Counter("hotline_callback_requests_created", "Callback requests committed")
QUEUE = Gauge("hotline_queue_requests", "Callback requests by status", ["status"], multiprocess_mode="mostrecent")
OVERDUE = Gauge("hotline_queue_overdue", "New callback requests past their working-day deadline",
                multiprocess_mode="mostrecent")
PENDING = Gauge("hotline_pending_updates", "Updates stored on arrival and not handled yet", ["channel"],
                multiprocess_mode="mostrecent")
CONTENT_INFO = Gauge("hotline_content_info", "1 for the content version being served, 0 for earlier ones",
                     ["version"], multiprocess_mode="max")
CONTENT_LOADED = Gauge("hotline_content_loaded_timestamp_seconds", "When the content being served was loaded",
                       multiprocess_mode="max")
RELOAD_FAILURES = Counter("hotline_content_reload_failures", "Content reloads refused because of errors")
STORE_ERRORS = Counter("hotline_store_errors", "Database errors, by where they happened", ["where"])

_refreshed = {"at": 0.0}
_content_version = {"shown": ""}
_bound: dict[tuple[str, ...], Any] = {}


def _pick(value: str, allowed: frozenset[str]) -> str:
    return value if value in allowed else "other"


def _child(metric: Counter | Histogram, name: str, *labels: str) -> Any:
    """A metric's child for these labels, looked up once per process: prometheus-client's own look-up takes a lock
    and checks every label (about 2.5 µs), and a Telegram update records three or four of them. The labels come
    from fixed vocabularies, so this stays small."""
    key = (name, *labels)
    child = _bound.get(key)
    if child is None:
        child = _bound[key] = metric.labels(*labels)
    return child


def record_update(channel: str, kind: str) -> None:
    _child(UPDATES, "updates", _pick(channel, CHANNELS), _pick(kind, KINDS)).inc()


def observe_step(channel: str, seconds: float) -> None:
    _child(STEP_SECONDS, "step", _pick(channel, CHANNELS)).observe(seconds)


def record_reply(platform: str, method: str, ok: bool) -> None:
    """One platform call made to answer a user (sendMessage, send_message...), sent or failed."""
    _child(REPLIES, "replies", _pick(platform, CHANNELS), method if _METHOD.match(method) else "other",
           "sent" if ok else "failed").inc()


def record_typed(outcome: str) -> None:
    """What the core did with a typed message: answered / suggested / declined / urgent / action."""
    _child(TYPED, "typed", _pick(outcome, TYPED_OUTCOMES)).inc()


def record_callback_created() -> None:
    CALLBACKS.inc()


def record_store_error(where: str) -> None:
    STORE_ERRORS.labels(_pick(where, STORE_WHERE)).inc()


def is_store_error(exc: BaseException) -> bool:
    """Whether `exc` came from the database driver (SQLite or PostgreSQL), not from a flow or a platform."""
    return type(exc).__module__.split(".")[0] in _STORE_MODULES


def record_content(version: str | None, loaded: bool) -> None:
    """A content (re)load: the version now served, or a refused reload."""
    if not loaded:
        RELOAD_FAILURES.inc()
        return
    if version and version != _content_version["shown"]:
        if _content_version["shown"]:
            CONTENT_INFO.labels(_content_version["shown"]).set(0)
        CONTENT_INFO.labels(version).set(1)
        _content_version["shown"] = version
        CONTENT_LOADED.set(time.time())


CountsReader = Callable[[], Awaitable[tuple[dict[str, int], dict[str, int], int]]]


async def refresh(read_counts: CountsReader) -> None:
    """Reads the queue and pending-update gauges from the store, at most once every REFRESH_EVERY seconds."""
    if time.monotonic() - _refreshed["at"] < REFRESH_EVERY:
        return
    _refreshed["at"] = time.monotonic()
    try:
        by_status, pending, overdue = await asyncio.wait_for(read_counts(), REFRESH_EVERY)
    except Exception as exc:
        record_store_error("metrics")
        log.warning("could not read the queue for /metrics: %s", type(exc).__name__)
        return
    for status in STATUSES:
        QUEUE.labels(status).set(by_status.get(status, 0))
    for channel in CHANNELS - {"terminal", "desk"}:
        PENDING.labels(channel).set(pending.get(channel, 0))
    OVERDUE.set(overdue)


def exposition() -> bytes:
    """Every metric of this process (of every worker, in multiprocess mode) in the Prometheus text format."""
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def share_between_workers(directory: Path) -> None:
    """Before worker processes start: they will write their numbers under `directory`, emptied first."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True, mode=0o700)
    os.environ[MULTIPROCESS_DIR] = str(directory)
