"""Live chats on PostgreSQL: how every worker hears of a change (the statements are in live_sql.py).

Every change, once committed, sends `NOTIFY hotline_live, '<conversation id>'`, heard by every worker; each
worker keeps one listening connection (opened when a desk page first waits) and wakes the pages waiting in it. A
lost listening connection is opened again by the next wait; meanwhile pages look again after their timeout, so
nothing is missed for longer than that.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from bot.store.live import Ready
from bot.store.live_sql import SqlLiveStore

__all__ = ["CHANNEL", "PostgresLiveStore"]

log = logging.getLogger(__name__)

CHANNEL = "hotline_live"
_NOTIFY = f"SELECT pg_notify('{CHANNEL}', ?::bigint::text)"


class PostgresLiveStore(SqlLiveStore):
    """How PostgreSQL workers hear of each other's changes; relies on the PostgresStore's `dsn`."""

    dsn: str
    _live_listener: asyncpg.Connection | None = None
    _live_listening: asyncio.Lock | None = None

    def _heard(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        with contextlib.suppress(ValueError):
            self.live_signals.wake(int(payload))

    async def _listen(self) -> None:
        """Opens the listening connection when there is none (or the server dropped it)."""
        if self._live_listening is None:
            self._live_listening = asyncio.Lock()
        async with self._live_listening:
            if self._live_listener is not None and not self._live_listener.is_closed():
                return
            try:
                conn = await asyncpg.connect(self.dsn, server_settings={"application_name": "hotline-live"})
                await conn.add_listener(CHANNEL, self._heard)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("could not listen for live chat changes (%s); pages look again on their timeout",
                            type(exc).__name__)
                return
            self._live_listener = conn

    async def close_live(self) -> None:
        if self._live_listener is not None:
            with contextlib.suppress(Exception):
                await self._live_listener.close()
            self._live_listener = None

    async def _live_changed(self, conversation_ids: list[int]) -> None:
        for conversation_id in conversation_ids:
            await self._fetch(_NOTIFY, (conversation_id,))

    async def wait_live(self, conversation_id: int, seconds: float, ready: Ready | None = None) -> bool:
        await self._listen()
        return await super().wait_live(conversation_id, seconds, ready)
