"""Wires settings, content, store and engine together; every command and channel starts from here."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.config import Settings
from bot.core.engine import Engine
from bot.i18n import Catalogues
from bot.jobs import follow_decisions, keep_counting, load_decisions, run_maintenance
from bot.knowledge.loader import ContentHolder
from bot.live.relay import Relay
from bot.logs import configure
from bot.store import Store, open_store
from bot.store.desk import DeskStore

__all__ = ["Runtime", "configure_logging", "run_async", "runtime", "tune_gc"]

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Runtime:
    settings: Settings
    content: ContentHolder
    store: Store
    engine: Engine
    relay: Relay  # channels register their senders; the desk takes, replies and closes live chats through it


def tune_gc() -> None:
    """Start-up objects (content, indexes) never die, and each update makes many short-lived objects: freezing
    the first and collecting less often gave about a third more updates per second (bench/bench_telegram.py)."""
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


def run_async(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run`, on uvloop where it is installed (a dependency on Linux and macOS): a faster event loop."""
    tune_gc()
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def configure_logging(settings: Settings, to_file: bool = False) -> None:
    """Text or JSON lines (settings.log_format) on standard error, or in `<data dir>/hotline.log` with `to_file`."""
    configure(settings.log_level, settings.log_format, settings.data_dir / "hotline.log" if to_file else None)


def load_content_or_fail(settings: Settings) -> ContentHolder:
    holder = ContentHolder(settings.content_dir, cache_dir=settings.data_dir / "cache")
    result = holder.reload()
    if result.content is None:
        raise SystemExit(
            "content has errors; fix them and start again:\n" + "\n".join(str(i) for i in result.errors)
        )
    return holder


@asynccontextmanager
async def runtime(settings: Settings, watch_content: bool = True,
                  content: ContentHolder | None = None) -> AsyncIterator[Runtime]:
    """Opens everything a channel needs and closes it in reverse order, whatever happens in between.

    `watch_content=False` (tests) also leaves out the background upkeep: content reloads and retention purges.
    """
    content = content or load_content_or_fail(settings)
    store = await open_store(settings.effective_database_url, migrate=settings.migrate_on_start)
    engine = Engine(content, store, settings, Catalogues())
    relay = Relay(engine)
    try:
        await load_decisions(store, content)
    except BaseException:
        await store.close()
        raise
    tasks = [
        asyncio.create_task(content.watch(settings.content_reload_seconds), name="content-watch"),
        asyncio.create_task(run_maintenance(store, settings), name="maintenance"),
        asyncio.create_task(relay.run_clock(), name="live-clock"),
        asyncio.create_task(follow_decisions(store, content), name="decisions"),
    ] if watch_content else []
    tasks.append(asyncio.create_task(keep_counting(store, engine.tally), name="day-counts"))
    loop = asyncio.get_running_loop()

    def reload_on_signal() -> None:
        """Reloads in a thread: building the indexes takes a moment that conversations should not wait for."""
        tasks.append(asyncio.create_task(asyncio.to_thread(content.reload), name="content-reload"))

    with suppress(NotImplementedError, RuntimeError, AttributeError):
        loop.add_signal_handler(signal.SIGHUP, reload_on_signal)
    try:
        yield Runtime(settings, content, store, engine, relay)
    finally:
        for task in tasks:
            task.cancel()
        for outcome in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(outcome, Exception):
                log.error("background task had failed: %r", outcome)
        with suppress(NotImplementedError, RuntimeError, AttributeError):
            loop.remove_signal_handler(signal.SIGHUP)
        if isinstance(store, DeskStore):
            try:
                await engine.tally.flush(store)
            except Exception:
                log.exception("the last day counts could not be added")
        await store.close()
