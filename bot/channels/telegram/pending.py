"""Polling without losing updates: each fetched batch is stored before Telegram learns it arrived.

python-telegram-bot tells Telegram a batch has arrived (the offset of its next getUpdates) as soon as it has fetched
it, before any of it is handled. A process killed in between would lose those messages, and their senders would
get silence. So `PolledUpdates.keep` stores each batch first (one commit), `UpdateProcessor` clears updates once
they have been handled, and `replay` hands the ones a crash left behind to the Application at the next start.

Handling an update twice is harmless for users: the engine de-duplicates by update id and resends kept replies at
most. A staff command handled just before a crash may be handled again; the queue checks a request's status, so
a second take or close is refused. A replayed update that Telegram also sends again, because its batch was never
confirmed, is handled once.

Webhooks need none of this: Telegram resends an update until the webhook has answered it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.channels.pending import PendingUpdates
from bot.store.base import Store

__all__ = ["PolledUpdates", "UpdateProcessor"]

log = logging.getLogger(__name__)

CHANNEL = "telegram"


def _sender(update: dict[str, Any]) -> str | None:
    """The id of the user an update comes from, as the store keys sessions, if it names one."""
    for value in update.values():
        sender = value.get("from") if isinstance(value, dict) else None
        if isinstance(sender, dict) and sender.get("id") is not None:
            return str(sender["id"])
    return None


class PolledUpdates:
    """Fetched updates kept until handled, and the ones replayed at start."""

    def __init__(self, store: Store) -> None:
        self.pending = PendingUpdates(store, CHANNEL)
        self._replayed: dict[int, Update] = {}
        self._finished: set[int] = set()

    async def keep(self, updates: list[dict[str, Any]]) -> None:
        """Stores a fetched batch; returns once it is durable, so the next getUpdates may confirm it."""
        await self.pending.keep([(str(u["update_id"]), _sender(u), u) for u in updates if isinstance(u, dict)])

    async def replay(self, parse: Callable[[dict[str, Any]], Update | None]) -> list[Update]:
        """The updates a previous run fetched and never finished, parsed with `parse`, oldest first."""
        replayed: list[Update] = []
        for data in await self.pending.take():
            try:
                update = parse(data)
            except Exception:  # kept as it is: given up after a few starts, or removed by the retention purge
                log.warning("skipping a stored update python-telegram-bot cannot read")
                continue
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
        return update.update_id in self._finished or (first is not None and first is not update)

    def done(self, update: object) -> None:
        """Clears a handled update; a second copy leaves the row to its first copy while that is still running."""
        if not isinstance(update, Update):
            return
        first = self._replayed.get(update.update_id)
        if first is update:  # only the id is needed from now on, not the message
            del self._replayed[update.update_id]
            self._finished.add(update.update_id)
        elif first is not None:
            return
        self.pending.clear(str(update.update_id))

    async def close(self) -> None:
        await self.pending.close()


class UpdateProcessor(BaseUpdateProcessor):
    """python-telegram-bot's simple processor, clearing each handled update from `polled` when polling."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self.polled: PolledUpdates | None = None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Handles the update, then clears it; one cut short by cancellation stays stored for the next start."""
        polled = self.polled
        if polled is not None and polled.is_second_copy(update):
            close = getattr(coroutine, "close", None)
            if close is not None:
                close()
            polled.done(update)
            return
        try:
            await coroutine
        except asyncio.CancelledError:
            raise
        except Exception:
            if polled is not None:
                polled.done(update)
            raise
        if polled is not None:
            polled.done(update)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
