"""A channel's updates that arrived but are not handled yet, kept in the store so a crash cannot lose them.

A channel stores an update (`keep`) before it tells the platform the update arrived: the next getUpdates offset
on Telegram, the 200 answer on Viber. It clears the update once handled (`clear`), and after a crash it reads
back what is still stored (`take`) and handles it again, a bounded number of times (`max_attempts`).

Clearing is batched: one delete per update cost a fifth of the Telegram bot's throughput. A crash inside that
short window only means a handled update is seen once more; the engine recognises its update id and sends
nothing new.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from typing import Any

import orjson

from bot.store.base import StoredUpdates

__all__ = ["CLEAR_DELAY", "MAX_ATTEMPTS", "PendingUpdates"]

log = logging.getLogger(__name__)

CLEAR_DELAY = 0.05
MAX_ATTEMPTS = 3  # an update taken up this often without being cleared has failed, or killed the process, each time


def _dumps(payload: Any) -> str:
    """orjson, or the standard library for what orjson refuses (a lone surrogate in a user's text)."""
    try:
        return orjson.dumps(payload).decode()
    except TypeError:
        return json.dumps(payload)


class PendingUpdates:
    """One channel's stored updates; `keep` is durable when it returns, `clear` is batched."""

    def __init__(self, store: StoredUpdates, channel: str, clear_delay: float = CLEAR_DELAY,
                 max_attempts: int = MAX_ATTEMPTS) -> None:
        self.store = store
        self.channel = channel
        self.clear_delay = clear_delay
        self.max_attempts = max_attempts
        self._handled: list[str] = []
        self._clearing: asyncio.Task[None] | None = None

    async def keep(self, updates: list[tuple[str, str | None, Any]]) -> None:
        """Stores (update id, sender's user id, JSON-ready payload); an id already stored keeps its first payload.
        The user id lets /forget delete what is kept of that user's messages."""
        if updates:
            await self.store.add_pending_updates(
                self.channel, [(update_id, user_id, _dumps(payload)) for update_id, user_id, payload in updates]
            )

    async def take(self, received_before: datetime | None = None) -> list[Any]:
        """The stored payloads, oldest first, each counted as one more attempt (see
        `StoredUpdates.take_pending_updates`). A row that is not JSON is skipped; the retention purge removes it."""
        texts, dropped = await self.store.take_pending_updates(self.channel, received_before, self.max_attempts)
        if dropped:
            log.error("gave up on %d stored %s update(s) after %d attempts", dropped, self.channel,
                      self.max_attempts)
        payloads = []
        for text in texts:
            try:
                payloads.append(json.loads(text))
            except ValueError:
                log.warning("skipping a stored %s update that cannot be read", self.channel)
        return payloads

    def clear(self, update_id: str) -> None:
        """Removes a handled update, together with the others handled within `clear_delay`."""
        self._handled.append(update_id)
        if self._clearing is None:
            self._clearing = asyncio.get_running_loop().create_task(self._clear())

    async def _clear(self) -> None:
        try:
            while self._handled:
                await asyncio.sleep(self.clear_delay)
                handled, self._handled = self._handled, []
                try:
                    await self.store.remove_pending_updates(self.channel, handled)
                except Exception as exc:  # handled all the same: seen again after a restart, and skipped then
                    log.warning("could not clear %d handled %s update(s): %s", len(handled), self.channel,
                                type(exc).__name__)
        finally:
            self._clearing = None

    async def close(self) -> None:
        """Clears what has been handled so far; call once no more updates are being handled."""
        if self._clearing is not None:
            await self._clearing
