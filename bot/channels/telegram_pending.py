"""Polling without losing updates: each fetched batch is stored before Telegram learns it arrived.

python-telegram-bot tells Telegram a batch has arrived (the offset of its next getUpdates) as soon as it has fetched
it, before any of it is handled. A process killed in between would lose those messages, and their senders would
get silence. So `PendingUpdates.keep` stores each batch first (one commit), `UpdateProcessor` clears updates once they
have been handled, and `replay` hands the ones a crash left behind to the Application at the next start.

Handling an update twice is harmless for users: the engine de-duplicates by update id and resends kept replies at
most. A staff command handled just before a crash may be handled again; the queue checks a request's status, so
a second take or close is refused. A replayed update that Telegram also sends again, because its batch was never
confirmed, is handled once.

Webhooks need none of this: Telegram resends an update until the webhook has answered it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

import orjson
from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.store.base import Store

__all__ = ["PendingUpdates", "UpdateProcessor"]

log = logging.getLogger(__name__)

CHANNEL = "telegram"
# Handled updates are cleared in batches: one delete per update cost a fifth of the bot's throughput. A crash
# within this window only means those updates are seen again at the next start, where the engine skips them.
CLEAR_DELAY = 0.05


class PendingUpdates:
    """The store's record of fetched but not yet handled updates, plus the ones replayed at start."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._replayed: dict[int, Update] = {}
        self._finished: set[int] = set()
        self._handled: list[str] = []
        self._clearing: asyncio.Task[None] | None = None

    async def keep(self, updates: list[dict[str, Any]]) -> None:
        """Stores a fetched batch; returns once it is durable, so the next getUpdates may confirm it."""
        rows = [(str(u["update_id"]), orjson.dumps(u).decode()) for u in updates if isinstance(u, dict)]
        if rows:
            await self.store.add_pending_updates(CHANNEL, rows)

    async def replay(self, parse: Any) -> list[Update]:
        """The updates a previous run fetched and never finished, parsed with `parse(dict)`, oldest first."""
        replayed: list[Update] = []
        for payload in await self.store.pending_updates(CHANNEL):
            try:
                update = parse(orjson.loads(payload))
            except Exception:  # a row no parser accepts: dropped, or it would be replayed at every start
                log.warning("dropping a stored update that cannot be read")
                update = None
            if isinstance(update, Update):
                replayed.append(update)
                self._replayed[update.update_id] = update
        if replayed:
            log.info("handling %d update(s) fetched before the last stop", len(replayed))
        return replayed

    def is_second_copy(self, update: object) -> bool:
        """Whether `update` is Telegram's resend of an update this run is replaying (or has replayed)."""
        if not isinstance(update, Update):
            return False
        first = self._replayed.get(update.update_id)
        return first is not None and first is not update

    def done(self, update: object) -> None:
        """Clears a handled update, together with the others handled within `CLEAR_DELAY`.

        A second copy leaves the row to its first copy while that is still running.
        """
        if not isinstance(update, Update):
            return
        first = self._replayed.get(update.update_id)
        if first is update:
            self._finished.add(update.update_id)
        elif first is not None and update.update_id not in self._finished:
            return
        self._handled.append(str(update.update_id))
        if self._clearing is None:
            self._clearing = asyncio.get_running_loop().create_task(self._clear())

    async def _clear(self) -> None:
        try:
            while self._handled:
                await asyncio.sleep(CLEAR_DELAY)
                handled, self._handled = self._handled, []
                try:
                    await self.store.remove_pending_updates(CHANNEL, handled)
                except Exception as exc:  # handled all the same; a next start would only see them again, harmlessly
                    log.warning("could not clear %d handled update(s): %s", len(handled), type(exc).__name__)
        finally:
            self._clearing = None

    async def close(self) -> None:
        """Clears what has been handled so far; call once the Application has stopped."""
        if self._clearing is not None:
            await self._clearing


class UpdateProcessor(BaseUpdateProcessor):
    """python-telegram-bot's simple processor, clearing each handled update from `pending` when polling."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self.pending: PendingUpdates | None = None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        pending = self.pending
        try:
            if pending is not None and pending.is_second_copy(update):
                close = getattr(coroutine, "close", None)
                if close is not None:
                    close()
                return
            await coroutine
        finally:
            if pending is not None:
                pending.done(update)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
