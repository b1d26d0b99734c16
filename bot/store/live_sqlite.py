"""Live chats on SQLite: a mixin for SqliteStore, using its group-commit writer and reader connection.

One process serves SQLite, so the desk's waiting pages are woken in-process once a write has committed.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from bot.records import SessionKey
from bot.store.live import LiveAudit, LiveConversation, LiveMessage, LiveSignals, LiveStats, LiveStore, Ready
from bot.store.schema import to_utc

__all__ = ["SqliteLiveStore"]

_OPEN = "status IN ('waiting', 'taken')"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _conversation(row: sqlite3.Row) -> LiveConversation:
    return LiveConversation(
        id=row["id"], channel=row["channel"], user_id=row["user_id"], status=row["status"], language=row["language"],
        topic=row["topic"], taken_by=row["taken_by"], ended_by=row["ended_by"], outcome=row["outcome"],
        rating=row["rating"], announced=row["announced"], forwarded=row["forwarded"],
        created_at=to_utc(row["created_at"]),
        taken_at=to_utc(row["taken_at"]), closed_at=to_utc(row["closed_at"]), last_at=to_utc(row["last_at"]),
    )


def _message(row: sqlite3.Row) -> LiveMessage:
    return LiveMessage(id=row["id"], conversation_id=row["conversation_id"], direction=row["direction"],
                       kind=row["kind"], body=row["body"], file_ref=row["file_ref"], author=row["author"],
                       status=row["status"], error=row["error"], at=to_utc(row["at"]))


def _audit(db: sqlite3.Connection, conversation_id: int, actor: str, action: str, note: str = "") -> None:
    db.execute("INSERT INTO live_audit (conversation_id, at, actor, action, note) VALUES (?, ?, ?, ?, ?)",
               (conversation_id, _iso(datetime.now(UTC)), actor, action, note))


class SqliteLiveStore(LiveStore):
    """Relies on the SqliteStore's `_write`, `_one`, `_all` and `_erased` (which empties the write-ahead log)."""

    _write: Any
    _one: Any
    _all: Any
    _erased: Any
    _live_signals: LiveSignals | None = None

    @property
    def live_signals(self) -> LiveSignals:
        if self._live_signals is None:
            self._live_signals = LiveSignals()
        return self._live_signals

    async def open_live(self, key: SessionKey, language: str, topic: str) -> LiveConversation:
        now = _iso(datetime.now(UTC))

        def start(db: sqlite3.Connection) -> int:
            row = db.execute(f"SELECT id FROM live_conversations WHERE channel=? AND user_id=? AND {_OPEN}",
                             (key.channel, key.user_id)).fetchone()
            if row:
                return int(row["id"])
            cursor = db.execute(
                "INSERT INTO live_conversations (channel, user_id, status, language, topic, created_at, last_at) "
                "VALUES (?, ?, 'waiting', ?, ?, ?, ?)", (key.channel, key.user_id, language, topic, now, now))
            conversation_id = int(cursor.lastrowid or 0)
            _audit(db, conversation_id, "person", "asked")
            return conversation_id

        conversation_id = await self._write(start)
        self.live_signals.wake(conversation_id)
        found = await self.live(conversation_id)
        assert found is not None
        return found

    async def live(self, conversation_id: int) -> LiveConversation | None:
        row = await self._one("SELECT * FROM live_conversations WHERE id=?", (conversation_id,))
        return _conversation(row) if row else None

    async def open_live_for(self, key: SessionKey) -> LiveConversation | None:
        row = await self._one(f"SELECT * FROM live_conversations WHERE channel=? AND user_id=? AND {_OPEN}",
                              (key.channel, key.user_id))
        return _conversation(row) if row else None

    async def add_live_message(self, conversation_id: int, direction: str, kind: str, body: str = "",
                               file_ref: str = "", author: str = "", update_id: str | None = None,
                               ) -> LiveMessage | None:
        now = _iso(datetime.now(UTC))

        def add(db: sqlite3.Connection) -> int | None:
            if db.execute(f"SELECT 1 FROM live_conversations WHERE id=? AND {_OPEN}", (conversation_id,)).fetchone() \
                    is None:
                return None
            cursor = db.execute(
                "INSERT INTO live_messages (conversation_id, direction, kind, body, file_ref, author, update_id, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (conversation_id, direction, kind, body, file_ref, author, update_id, now))
            if not cursor.rowcount:
                return None
            db.execute("UPDATE live_conversations SET last_at=? WHERE id=?", (now, conversation_id))
            return int(cursor.lastrowid or 0)

        message_id = await self._write(add)
        if message_id is None:
            return None
        self.live_signals.wake(conversation_id)
        row = await self._one("SELECT * FROM live_messages WHERE id=?", (message_id,))
        return _message(row) if row else None

    async def live_messages(self, conversation_id: int, after: int = 0) -> list[LiveMessage]:
        rows = await self._all("SELECT * FROM live_messages WHERE conversation_id=? AND id>? ORDER BY id",
                               (conversation_id, after))
        return [_message(r) for r in rows]

    async def set_message_status(self, message_id: int, status: str, error: str = "") -> None:
        def mark(db: sqlite3.Connection) -> int | None:
            db.execute("UPDATE live_messages SET status=?, error=? WHERE id=?", (status, error, message_id))
            row = db.execute("SELECT conversation_id FROM live_messages WHERE id=?", (message_id,)).fetchone()
            return int(row["conversation_id"]) if row else None

        conversation_id = await self._write(mark)
        if conversation_id is not None:
            self.live_signals.wake(conversation_id)

    async def list_live(self, statuses: tuple[str, ...], limit: int = 100,
                        newest_first: bool = False) -> list[LiveConversation]:
        marks = ", ".join("?" for _ in statuses)
        order = "DESC" if newest_first else "ASC"
        rows = await self._all(f"SELECT * FROM live_conversations WHERE status IN ({marks}) "
                               f"ORDER BY created_at {order}, id {order} LIMIT ?", (*statuses, limit))
        return [_conversation(r) for r in rows]

    async def take_live(self, conversation_id: int, actor: str) -> bool:
        now = _iso(datetime.now(UTC))

        def take(db: sqlite3.Connection) -> bool:
            cursor = db.execute("UPDATE live_conversations SET status='taken', taken_by=?, taken_at=?, last_at=? "
                                "WHERE id=? AND status='waiting'", (actor, now, now, conversation_id))
            if cursor.rowcount:
                _audit(db, conversation_id, actor, "taken")
            return bool(cursor.rowcount)

        taken = await self._write(take)
        if taken:
            self.live_signals.wake(conversation_id)
        return bool(taken)

    async def end_live(self, conversation_id: int, to_status: str, ended_by: str, actor: str,
                       outcome: str = "") -> LiveConversation | None:
        now = _iso(datetime.now(UTC))

        def end(db: sqlite3.Connection) -> bool:
            cursor = db.execute(f"UPDATE live_conversations SET status=?, ended_by=?, outcome=?, closed_at=? "
                                f"WHERE id=? AND {_OPEN}", (to_status, ended_by, outcome, now, conversation_id))
            if cursor.rowcount:
                _audit(db, conversation_id, actor, to_status, outcome)
            return bool(cursor.rowcount)

        if not await self._write(end):
            return None
        self.live_signals.wake(conversation_id)
        return await self.live(conversation_id)

    async def stale_live(self, waiting_before: datetime, idle_before: datetime) -> list[LiveConversation]:
        rows = await self._all("SELECT * FROM live_conversations WHERE (status='waiting' AND created_at < ?) "
                               "OR (status='taken' AND last_at < ?) ORDER BY id",
                               (_iso(waiting_before), _iso(idle_before)))
        return [_conversation(r) for r in rows]

    async def rate_live(self, conversation_id: int, key: SessionKey, rating: int) -> bool:
        def rate(db: sqlite3.Connection) -> bool:
            cursor = db.execute("UPDATE live_conversations SET rating=? WHERE id=? AND channel=? AND user_id=? "
                                f"AND NOT {_OPEN} AND rating IS NULL",
                                (rating, conversation_id, key.channel, key.user_id))
            if cursor.rowcount:
                _audit(db, conversation_id, "person", "rated", "+1" if rating > 0 else "-1")
            return bool(cursor.rowcount)

        return bool(await self._write(rate))

    async def live_audit(self, conversation_id: int) -> list[LiveAudit]:
        rows = await self._all("SELECT * FROM live_audit WHERE conversation_id=? ORDER BY id", (conversation_id,))
        return [LiveAudit(to_utc(r["at"]), r["actor"], r["action"], r["note"]) for r in rows]  # type: ignore[arg-type]

    async def live_for_user(self, key: SessionKey) -> list[LiveConversation]:
        rows = await self._all("SELECT * FROM live_conversations WHERE channel=? AND user_id=? ORDER BY id",
                               (key.channel, key.user_id))
        return [_conversation(r) for r in rows]

    async def forget_live(self, key: SessionKey) -> list[LiveConversation]:
        def forget(db: sqlite3.Connection) -> list[LiveConversation]:
            rows = db.execute("SELECT * FROM live_conversations WHERE channel=? AND user_id=?",
                              (key.channel, key.user_id)).fetchall()
            for row in rows:
                db.execute("DELETE FROM live_messages WHERE conversation_id=?", (row["id"],))
                db.execute("UPDATE live_audit SET note='' WHERE conversation_id=?", (row["id"],))
                _audit(db, row["id"], "person", "forgotten")
                db.execute("UPDATE staff_copies SET withdrawn_at=? WHERE ref=? AND withdrawn_at IS NULL",
                           (_iso(datetime.now(UTC)), f"LIVE-{row['id']}"))  # caseworkers' private copies
                where = row["announced"].rsplit(":", 1)[0]
                if where:  # the staff group's post goes as a withdrawn copy (bot/staff/telegram_staff.py)
                    db.execute("INSERT INTO staff_copies (ref, location, sent_at, withdrawn_at) VALUES (?, ?, ?, ?)",
                               (f"LIVE-{row['id']}", where, row["created_at"], _iso(datetime.now(UTC))))
            db.execute("DELETE FROM live_conversations WHERE channel=? AND user_id=?", (key.channel, key.user_id))
            return [_conversation(r) for r in rows]

        gone = await self._write(forget)
        if gone:  # the log still holds the transcript's pages
            await self._erased()
        for conversation in gone:
            self.live_signals.wake(conversation.id)
        return list(gone)

    async def purge_live(self, closed_before: datetime) -> int:
        def purge(db: sqlite3.Connection) -> int:
            ids = [r["id"] for r in db.execute(f"SELECT id FROM live_conversations WHERE NOT {_OPEN} "
                                               "AND closed_at < ?", (_iso(closed_before),)).fetchall()]
            for conversation_id in ids:
                db.execute("DELETE FROM live_messages WHERE conversation_id=?", (conversation_id,))
                db.execute("DELETE FROM live_conversations WHERE id=?", (conversation_id,))
                db.execute("UPDATE live_audit SET note='' WHERE conversation_id=?", (conversation_id,))
            return len(ids)

        purged = int(await self._write(purge))
        if purged:
            await self._erased()
        return purged

    async def unannounced_live(self, since: datetime) -> list[LiveConversation]:
        rows = await self._all("SELECT * FROM live_conversations WHERE created_at >= ? AND "
                               "(announced = '' OR announced NOT LIKE '%:' || status) ORDER BY id", (_iso(since),))
        return [_conversation(r) for r in rows]

    async def mark_live_announced(self, conversation_id: int, announced: str) -> None:
        await self._write(lambda db: db.execute("UPDATE live_conversations SET announced=? WHERE id=?",
                                                (announced, conversation_id)))

    async def mark_live_forwarded(self, conversation_id: int, message_id: int) -> None:
        await self._write(lambda db: db.execute("UPDATE live_conversations SET forwarded=MAX(forwarded, ?) "
                                                "WHERE id=?", (message_id, conversation_id)))

    async def live_stats(self, since: datetime, until: datetime) -> list[LiveStats]:
        rows = await self._all("SELECT created_at, taken_at, status, rating FROM live_conversations "
                               "WHERE created_at >= ? AND created_at < ? ORDER BY created_at",
                               (_iso(since), _iso(until)))
        return [LiveStats(to_utc(r["created_at"]), to_utc(r["taken_at"]), r["status"], r["rating"])  # type: ignore[arg-type]
                for r in rows]

    async def wait_live(self, conversation_id: int, seconds: float, ready: Ready | None = None) -> bool:
        return await self.live_signals.wait(conversation_id, seconds, ready)
