"""Running the Application: `async with application`, as python-telegram-bot's examples do, then start and stop.

Polling stores each fetched batch until it is handled (pending.py). The start and stop hooks (`post_init`,
`post_stop`, `post_shutdown`, which the staff module uses) are called here, since only the library's own
`run_polling` would call them.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta

from telegram import Update
from telegram.error import InvalidToken, TelegramError

from bot.app import Runtime, run_async, runtime
from bot.channels.telegram.app import TelegramApplication, build_application, register_commands
from bot.channels.telegram.http import HotlineBot
from bot.channels.telegram.pending import PolledUpdates, UpdateProcessor
from bot.channels.telegram.updates import slim_update
from bot.config import Settings
from bot.health import monitor

__all__ = ["ALLOWED_UPDATES", "opened", "polling", "run_polling", "serve_polling", "started", "stopped"]

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "channel_post", "edited_channel_post",
                   "my_chat_member")
POLL_TIMEOUT = timedelta(seconds=10)


@asynccontextmanager
async def opened(application: TelegramApplication) -> AsyncIterator[None]:
    """`async with application`, plus what the library leaves out: when initialising fails (a bad token, no
    network) its shutdown skips an application that never finished starting, so the bot's HTTP sessions are
    closed here; and `post_shutdown` runs after the shutdown."""
    entered = False
    try:
        async with application:
            entered = True
            yield
    finally:
        if not entered:
            await application.bot.shutdown()
        elif application.post_shutdown is not None:
            await application.post_shutdown(application)


async def started(application: TelegramApplication, rt: Runtime) -> None:
    """The command menu and `post_init`, once the application is initialised."""
    await register_commands(application, rt)
    if application.post_init is not None:
        await application.post_init(application)


async def stopped(application: TelegramApplication) -> None:
    """`post_stop`, once the application has stopped."""
    if application.post_stop is not None:
        await application.post_stop(application)


def _polling_error(exc: TelegramError) -> None:
    log.warning("getting updates failed (%s); retrying", type(exc).__name__)


async def _keep_pending_updates(application: TelegramApplication, rt: Runtime) -> PolledUpdates | None:
    """Stores fetched updates until handled, and queues the ones a previous run left unhandled."""
    bot, processor = application.bot, application.update_processor
    if not isinstance(bot, HotlineBot) or not isinstance(processor, UpdateProcessor):
        return None
    polled = PolledUpdates(rt.store)
    for update in await polled.replay(lambda data: Update.de_json(slim_update(data), bot)):
        await application.update_queue.put(update)
    bot.keep_fetched_updates(polled.keep)
    processor.polled = polled
    return polled


@asynccontextmanager
async def polling(application: TelegramApplication, rt: Runtime,
                  poll_timeout: timedelta = POLL_TIMEOUT) -> AsyncIterator[None]:
    """Runs the Application on getUpdates; leaving waits for in-flight updates, then shuts it down."""
    async with opened(application):
        await started(application, rt)
        polled = await _keep_pending_updates(application, rt)
        updater = application.updater
        assert updater is not None
        await updater.start_polling(timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES,
                                    error_callback=_polling_error)
        await application.start()
        log.info("Telegram polling started as @%s", application.bot.username)
        try:
            yield
        finally:
            try:
                await updater.stop()
                await application.stop()
            finally:
                if polled is not None:
                    await polled.close()
            await stopped(application)


async def serve_polling(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Polls until SIGINT/SIGTERM (or `stop`), then lets in-flight updates finish and closes the store."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        async with runtime(settings) as rt, monitor(rt, settings.monitor_host, settings.monitor_port):
            application = build_application(rt)
            async with polling(application, rt):
                await stop.wait()
                log.info("stopping: finishing the updates in progress")
    except InvalidToken:
        log.error("Telegram rejected the bot token; check TELEGRAM_BOT_TOKEN")
        return 2
    except TelegramError as exc:
        log.error("could not start Telegram polling: %s", type(exc).__name__)
        return 1
    finally:
        for sig in signals:
            with suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    return 0


def run_polling(settings: Settings) -> int:
    """`hotline run` with a token: polls Telegram until interrupted (on uvloop where it is installed)."""
    return run_async(serve_polling(settings))
