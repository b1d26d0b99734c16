"""Live chats on PostgreSQL: a mixin for PostgresStore, using its data pool.

Every change sends `NOTIFY hotline_live, '<conversation id>'` in its own transaction, so it is heard only once
committed, by every worker; each worker keeps one listening connection (opened when a desk page first waits) and
wakes the pages waiting in it. A lost listening connection is opened again by the next wait; meanwhile pages
look again after their timeout, so nothing is missed for longer than that.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

import asyncpg

from bot.records import SessionKey
from bot.store.live import LiveAudit, LiveConversation, LiveMessage, LiveSignals, LiveStats, LiveStore, Ready

__all__ = ["CHANNEL", "PostgresLiveStore"]

log = logging.getLogger(__name__)

CHANNEL = "hotline_live"
_OPEN = "status IN ('waiting', 'taken')"
_NOTIFY = f"SELECT pg_notify('{CHANNEL}', $1::bigint::text)"


def _conversation(row: asyncpg.Record) -> LiveConversation:
    return LiveConversation(
        id=row["id"], channel=row["channel"], user_id=row["user_id"], status=row["status"], language=row["language"],
        topic=row["topic"], taken_by=row["taken_by"], ended_by=row["ended_by"], outcome=row["outcome"],
        rating=row["rating"], announced=row["announced"], forwarded=row["forwarded"],
        created_at=row["created_at"], taken_at=row["taken_at"],
        closed_at=row["closed_at"], last_at=row["last_at"],
    )


def _message(row: asyncpg.Record) -> LiveMessage:
    return LiveMessage(id=row["id"], conversation_id=row["conversation_id"], direction=row["direction"],
                       kind=row["kind"], body=row["body"], file_ref=row["file_ref"], author=row["author"],
                       status=row["status"], error=row["error"], at=row["at"])


async def _audit(conn: asyncpg.Connection, conversation_id: int, actor: str, action: str, note: str = "") -> None:
    await conn.execute("INSERT INTO live_audit (conversation_id, at, actor, action, note) VALUES ($1, $2, $3, $4, $5)",
                       conversation_id, datetime.now(UTC), actor, action, note)


class PostgresLiveStore(LiveStore):
    """Relies on the PostgresStore's `pool`, `dsn` and `_transaction`."""

    pool: Any
    dsn: str
    _transaction: Any
    _live_signals: LiveSignals | None = None
    _live_listener: asyncpg.Connection | None = None
    _live_listening: asyncio.Lock | None = None

    @property
    def live_signals(self) -> LiveSignals:
        if self._live_signals is None:
            self._live_signals = LiveSignals()
        return self._live_signals

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

    async def open_live(self, key: SessionKey, language: str, topic: str) -> LiveConversation:
        now = datetime.now(UTC)
        async with self._transaction() as conn:
            row = await conn.fetchrow(
                "INSERT INTO live_conversations (channel, user_id, status, language, topic, created_at, last_at) "
                "VALUES ($1, $2, 'waiting', $3, $4, $5, $5) "
                f"ON CONFLICT (channel, user_id) WHERE {_OPEN} DO NOTHING RETURNING *",
                key.channel, key.user_id, language, topic, now)
            if row is None:
                row = await conn.fetchrow(f"SELECT * FROM live_conversations WHERE channel=$1 AND user_id=$2 "
                                          f"AND {_OPEN}", key.channel, key.user_id)
            else:
                await _audit(conn, row["id"], "person", "asked")
                await conn.execute(_NOTIFY, row["id"])
        return _conversation(row)

    async def live(self, conversation_id: int) -> LiveConversation | None:
        row = await self.pool.fetchrow("SELECT * FROM live_conversations WHERE id=$1", conversation_id)
        return _conversation(row) if row else None

    async def open_live_for(self, key: SessionKey) -> LiveConversation | None:
        row = await self.pool.fetchrow(f"SELECT * FROM live_conversations WHERE channel=$1 AND user_id=$2 AND {_OPEN}",
                                       key.channel, key.user_id)
        return _conversation(row) if row else None

    async def add_live_message(self, conversation_id: int, direction: str, kind: str, body: str = "",
                               file_ref: str = "", author: str = "", update_id: str | None = None,
                               ) -> LiveMessage | None:
        now = datetime.now(UTC)
        async with self._transaction() as conn:
            updated = await conn.execute(f"UPDATE live_conversations SET last_at=$2 WHERE id=$1 AND {_OPEN}",
                                         conversation_id, now)
            if updated.endswith(" 0"):
                return None
            row = await conn.fetchrow(
                "INSERT INTO live_messages (conversation_id, direction, kind, body, file_ref, author, update_id, at) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING *",
                conversation_id, direction, kind, body, file_ref, author, update_id, now)
            if row is None:
                return None
            await conn.execute(_NOTIFY, conversation_id)
        return _message(row)

    async def live_messages(self, conversation_id: int, after: int = 0) -> list[LiveMessage]:
        rows = await self.pool.fetch("SELECT * FROM live_messages WHERE conversation_id=$1 AND id>$2 ORDER BY id",
                                     conversation_id, after)
        return [_message(r) for r in rows]

    async def set_message_status(self, message_id: int, status: str, error: str = "") -> None:
        async with self._transaction() as conn:
            conversation_id = await conn.fetchval(
                "UPDATE live_messages SET status=$2, error=$3 WHERE id=$1 RETURNING conversation_id",
                message_id, status, error)
            if conversation_id is not None:
                await conn.execute(_NOTIFY, conversation_id)

    async def list_live(self, statuses: tuple[str, ...], limit: int = 100,
                        newest_first: bool = False) -> list[LiveConversation]:
        order = "DESC" if newest_first else "ASC"
        rows = await self.pool.fetch("SELECT * FROM live_conversations WHERE status = ANY($1::text[]) "
                                     f"ORDER BY created_at {order}, id {order} LIMIT $2", list(statuses), limit)
        return [_conversation(r) for r in rows]

    async def take_live(self, conversation_id: int, actor: str) -> bool:
        now = datetime.now(UTC)
        async with self._transaction() as conn:
            done = await conn.execute("UPDATE live_conversations SET status='taken', taken_by=$2, taken_at=$3, "
                                      "last_at=$3 WHERE id=$1 AND status='waiting'", conversation_id, actor, now)
            if done.endswith(" 0"):
                return False
            await _audit(conn, conversation_id, actor, "taken")
            await conn.execute(_NOTIFY, conversation_id)
        return True

    async def end_live(self, conversation_id: int, to_status: str, ended_by: str, actor: str,
                       outcome: str = "") -> LiveConversation | None:
        async with self._transaction() as conn:
            row = await conn.fetchrow(f"UPDATE live_conversations SET status=$2, ended_by=$3, outcome=$4, "
                                      f"closed_at=$5 WHERE id=$1 AND {_OPEN} RETURNING *",
                                      conversation_id, to_status, ended_by, outcome, datetime.now(UTC))
            if row is None:
                return None
            await _audit(conn, conversation_id, actor, to_status, outcome)
            await conn.execute(_NOTIFY, conversation_id)
        return _conversation(row)

    async def stale_live(self, waiting_before: datetime, idle_before: datetime) -> list[LiveConversation]:
        rows = await self.pool.fetch("SELECT * FROM live_conversations WHERE (status='waiting' AND created_at < $1) "
                                     "OR (status='taken' AND last_at < $2) ORDER BY id", waiting_before, idle_before)
        return [_conversation(r) for r in rows]

    async def rate_live(self, conversation_id: int, key: SessionKey, rating: int) -> bool:
        async with self._transaction() as conn:
            done = await conn.execute(f"UPDATE live_conversations SET rating=$2 WHERE id=$1 AND channel=$3 AND "
                                      f"user_id=$4 AND NOT {_OPEN} AND rating IS NULL",
                                      conversation_id, rating, key.channel, key.user_id)
            if done.endswith(" 0"):
                return False
            await _audit(conn, conversation_id, "person", "rated", "+1" if rating > 0 else "-1")
        return True

    async def live_audit(self, conversation_id: int) -> list[LiveAudit]:
        rows = await self.pool.fetch("SELECT * FROM live_audit WHERE conversation_id=$1 ORDER BY id", conversation_id)
        return [LiveAudit(r["at"], r["actor"], r["action"], r["note"]) for r in rows]

    async def live_for_user(self, key: SessionKey) -> list[LiveConversation]:
        rows = await self.pool.fetch("SELECT * FROM live_conversations WHERE channel=$1 AND user_id=$2 ORDER BY id",
                                     key.channel, key.user_id)
        return [_conversation(r) for r in rows]

    async def forget_live(self, key: SessionKey) -> list[LiveConversation]:
        async with self._transaction() as conn:
            rows = await conn.fetch("DELETE FROM live_conversations WHERE channel=$1 AND user_id=$2 RETURNING *",
                                    key.channel, key.user_id)
            for row in rows:
                await conn.execute("DELETE FROM live_messages WHERE conversation_id=$1", row["id"])
                await conn.execute("UPDATE live_audit SET note='' WHERE conversation_id=$1", row["id"])
                await _audit(conn, row["id"], "person", "forgotten")
                await conn.execute("UPDATE staff_copies SET withdrawn_at=$2 WHERE ref=$1 AND withdrawn_at IS NULL",
                                   f"LIVE-{row['id']}", datetime.now(UTC))  # caseworkers' private copies
                where = row["announced"].rsplit(":", 1)[0]
                if where:  # the staff group's post goes as a withdrawn copy (bot/staff/telegram_staff.py)
                    await conn.execute("INSERT INTO staff_copies (ref, location, sent_at, withdrawn_at) "
                                       "VALUES ($1, $2, $3, $4)", f"LIVE-{row['id']}", where, row["created_at"],
                                       datetime.now(UTC))
                await conn.execute(_NOTIFY, row["id"])
        return [_conversation(r) for r in rows]

    async def purge_live(self, closed_before: datetime) -> int:
        async with self._transaction() as conn:
            ids = [r["id"] for r in await conn.fetch(f"DELETE FROM live_conversations WHERE NOT {_OPEN} AND "
                                                     "closed_at < $1 RETURNING id", closed_before)]
            await conn.execute("DELETE FROM live_messages WHERE conversation_id = ANY($1::bigint[])", ids)
            await conn.execute("UPDATE live_audit SET note='' WHERE conversation_id = ANY($1::bigint[])", ids)
        return len(ids)

    async def unannounced_live(self, since: datetime) -> list[LiveConversation]:
        rows = await self.pool.fetch("SELECT * FROM live_conversations WHERE created_at >= $1 AND "
                                     "(announced = '' OR announced NOT LIKE '%:' || status) ORDER BY id", since)
        return [_conversation(r) for r in rows]

    async def mark_live_announced(self, conversation_id: int, announced: str) -> None:
        await self.pool.execute("UPDATE live_conversations SET announced=$2 WHERE id=$1", conversation_id, announced)

    async def mark_live_forwarded(self, conversation_id: int, message_id: int) -> None:
        await self.pool.execute("UPDATE live_conversations SET forwarded=GREATEST(forwarded, $2) WHERE id=$1",
                                conversation_id, message_id)

    async def live_stats(self, since: datetime, until: datetime) -> list[LiveStats]:
        rows = await self.pool.fetch("SELECT created_at, taken_at, status, rating FROM live_conversations "
                                     "WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at", since, until)
        return [LiveStats(r["created_at"], r["taken_at"], r["status"], r["rating"]) for r in rows]

    async def wait_live(self, conversation_id: int, seconds: float, ready: Ready | None = None) -> bool:
        await self._listen()
        return await self.live_signals.wait(conversation_id, seconds, ready)
