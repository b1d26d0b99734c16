"""Live chats written once for both engines, like the main and desk stores (sqlstore.py, desk_sql.py): every
statement over the engine's read (`_fetch`), one-statement write (`_execute`) and rule run in one transaction
(`_apply`). What differs is how waiting desk pages hear of a change, once it is committed (`_live_changed`): one
process serves SQLite and wakes its own pages; PostgreSQL notifies every worker.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import UTC, datetime
from typing import Any

from bot.records import SessionKey
from bot.store.live import LiveAudit, LiveConversation, LiveMessage, LiveSignals, LiveStats, LiveStore, Ready
from bot.store.schema import to_utc
from bot.store.sql import Op, SqlEngine, Work, in_list

__all__ = ["SqlLiveStore"]

_OPEN = "status IN ('waiting', 'taken')"


def _now() -> datetime:
    return datetime.now(UTC)


def _conversation(row: Any) -> LiveConversation:
    return LiveConversation(
        id=row["id"], channel=row["channel"], user_id=row["user_id"], status=row["status"], language=row["language"],
        topic=row["topic"], taken_by=row["taken_by"], ended_by=row["ended_by"], outcome=row["outcome"],
        rating=row["rating"], announced=row["announced"], forwarded=row["forwarded"],
        created_at=to_utc(row["created_at"]),  # type: ignore[arg-type]
        taken_at=to_utc(row["taken_at"]), closed_at=to_utc(row["closed_at"]),
        last_at=to_utc(row["last_at"]),  # type: ignore[arg-type]
    )


def _message(row: Any) -> LiveMessage:
    return LiveMessage(id=row["id"], conversation_id=row["conversation_id"], direction=row["direction"],
                       kind=row["kind"], body=row["body"], file_ref=row["file_ref"], author=row["author"],
                       status=row["status"], error=row["error"], at=to_utc(row["at"]))  # type: ignore[arg-type]


def _audit(conversation_id: int, actor: str, action: str, note: str = "") -> Op:
    return Op("INSERT INTO live_audit (conversation_id, at, actor, action, note) VALUES (?, ?, ?, ?, ?)",
              (conversation_id, _now(), actor, action, note))


class SqlLiveStore(LiveStore, SqlEngine):
    _live_signals: LiveSignals | None = None

    @abstractmethod
    async def _live_changed(self, conversation_ids: list[int]) -> None:
        """Wakes the pages waiting on these conversations; called after the change is committed."""

    @property
    def live_signals(self) -> LiveSignals:
        if self._live_signals is None:
            self._live_signals = LiveSignals()
        return self._live_signals

    async def open_live(self, key: SessionKey, language: str, topic: str) -> LiveConversation:
        now = _now()

        def start() -> Work[tuple[Any, bool]]:
            rows = yield Op("INSERT INTO live_conversations (channel, user_id, status, language, topic, created_at, "
                            "last_at) VALUES (?, ?, 'waiting', ?, ?, ?, ?) "
                            f"ON CONFLICT (channel, user_id) WHERE {_OPEN} DO NOTHING RETURNING *",
                            (key.channel, key.user_id, language, topic, now, now))
            if rows:
                yield _audit(rows[0]["id"], "person", "asked")
                return rows[0], True
            rows = yield Op(f"SELECT * FROM live_conversations WHERE channel=? AND user_id=? AND {_OPEN}",
                            (key.channel, key.user_id))
            return rows[0], False

        row, new = await self._apply(start())
        if new:
            await self._live_changed([row["id"]])
        return _conversation(row)

    async def live(self, conversation_id: int) -> LiveConversation | None:
        row = await self._first("SELECT * FROM live_conversations WHERE id=?", (conversation_id,))
        return _conversation(row) if row else None

    async def open_live_for(self, key: SessionKey) -> LiveConversation | None:
        row = await self._first(f"SELECT * FROM live_conversations WHERE channel=? AND user_id=? AND {_OPEN}",
                              (key.channel, key.user_id))
        return _conversation(row) if row else None

    async def add_live_message(self, conversation_id: int, direction: str, kind: str, body: str = "",
                               file_ref: str = "", author: str = "", update_id: str | None = None,
                               ) -> LiveMessage | None:
        now = _now()

        def add() -> Work[Any]:
            open_ = yield Op(f"UPDATE live_conversations SET last_at=? WHERE id=? AND {_OPEN}", (now, conversation_id),
                             count=True)
            if not open_:
                return None
            rows = yield Op("INSERT INTO live_messages (conversation_id, direction, kind, body, file_ref, author, "
                            "update_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING *",
                            (conversation_id, direction, kind, body, file_ref, author, update_id, now))
            return rows[0] if rows else None

        row = await self._apply(add())
        if row is None:
            return None
        await self._live_changed([conversation_id])
        return _message(row)

    async def live_messages(self, conversation_id: int, after: int = 0) -> list[LiveMessage]:
        rows = await self._fetch("SELECT * FROM live_messages WHERE conversation_id=? AND id>? ORDER BY id",
                                 (conversation_id, after))
        return [_message(r) for r in rows]

    async def set_message_status(self, message_id: int, status: str, error: str = "") -> None:
        row = await self._apply(_single(Op("UPDATE live_messages SET status=?, error=? WHERE id=? "
                                           "RETURNING conversation_id", (status, error, message_id))))
        if row is not None:
            await self._live_changed([row["conversation_id"]])

    async def list_live(self, statuses: tuple[str, ...], limit: int = 100,
                        newest_first: bool = False) -> list[LiveConversation]:
        if not statuses:
            return []
        order = "DESC" if newest_first else "ASC"
        rows = await self._fetch(f"SELECT * FROM live_conversations WHERE status IN {in_list(len(statuses))} "
                                 f"ORDER BY created_at {order}, id {order} LIMIT ?", (*statuses, limit))
        return [_conversation(r) for r in rows]

    async def take_live(self, conversation_id: int, actor: str) -> bool:
        now = _now()

        def take() -> Work[bool]:
            taken = yield Op("UPDATE live_conversations SET status='taken', taken_by=?, taken_at=?, last_at=? "
                             "WHERE id=? AND status='waiting'", (actor, now, now, conversation_id), count=True)
            if taken:
                yield _audit(conversation_id, actor, "taken")
            return bool(taken)

        taken = await self._apply(take())
        if taken:
            await self._live_changed([conversation_id])
        return taken

    async def end_live(self, conversation_id: int, to_status: str, ended_by: str, actor: str,
                       outcome: str = "") -> LiveConversation | None:
        def end() -> Work[Any]:
            rows = yield Op(f"UPDATE live_conversations SET status=?, ended_by=?, outcome=?, closed_at=? "
                            f"WHERE id=? AND {_OPEN} RETURNING *", (to_status, ended_by, outcome, _now(),
                                                                     conversation_id))
            if rows:
                yield _audit(conversation_id, actor, to_status, outcome)
            return rows[0] if rows else None

        row = await self._apply(end())
        if row is None:
            return None
        await self._live_changed([conversation_id])
        return _conversation(row)

    async def stale_live(self, waiting_before: datetime, idle_before: datetime) -> list[LiveConversation]:
        rows = await self._fetch("SELECT * FROM live_conversations WHERE (status='waiting' AND created_at < ?) "
                                 "OR (status='taken' AND last_at < ?) ORDER BY id",
                                 (waiting_before.astimezone(UTC), idle_before.astimezone(UTC)))
        return [_conversation(r) for r in rows]

    async def rate_live(self, conversation_id: int, key: SessionKey, rating: int) -> bool:
        def rate() -> Work[bool]:
            rated = yield Op(f"UPDATE live_conversations SET rating=? WHERE id=? AND channel=? AND user_id=? "
                             f"AND NOT {_OPEN} AND rating IS NULL", (rating, conversation_id, key.channel, key.user_id),
                             count=True)
            if rated:
                yield _audit(conversation_id, "person", "rated", "+1" if rating > 0 else "-1")
            return bool(rated)

        return await self._apply(rate())

    async def live_audit(self, conversation_id: int) -> list[LiveAudit]:
        rows = await self._fetch("SELECT * FROM live_audit WHERE conversation_id=? ORDER BY id", (conversation_id,))
        return [LiveAudit(to_utc(r["at"]), r["actor"], r["action"], r["note"]) for r in rows]  # type: ignore[arg-type]

    async def live_for_user(self, key: SessionKey) -> list[LiveConversation]:
        rows = await self._fetch("SELECT * FROM live_conversations WHERE channel=? AND user_id=? ORDER BY id",
                                 (key.channel, key.user_id))
        return [_conversation(r) for r in rows]

    async def forget_live(self, key: SessionKey) -> list[LiveConversation]:
        def forget() -> Work[list[Any]]:
            rows = yield Op("SELECT * FROM live_conversations WHERE channel=? AND user_id=?" + self.dialect.lock_row,
                            (key.channel, key.user_id))
            for row in rows:
                yield Op("DELETE FROM live_messages WHERE conversation_id=?", (row["id"],), count=True)
                yield Op("UPDATE live_audit SET note='' WHERE conversation_id=?", (row["id"],), count=True)
                yield _audit(row["id"], "person", "forgotten")
                yield Op("UPDATE staff_copies SET withdrawn_at=? WHERE ref=? AND withdrawn_at IS NULL",
                         (_now(), f"LIVE-{row['id']}"), count=True)  # caseworkers' private copies
                where = row["announced"].rsplit(":", 1)[0]
                if where:  # the staff group's post goes as a withdrawn copy (bot/staff/telegram_staff.py)
                    yield Op("INSERT INTO staff_copies (ref, location, sent_at, withdrawn_at) VALUES (?, ?, ?, ?)",
                             (f"LIVE-{row['id']}", where, to_utc(row["created_at"]), _now()), count=True)
            yield Op("DELETE FROM live_conversations WHERE channel=? AND user_id=?", (key.channel, key.user_id),
                     count=True)
            return list(rows)

        gone = [_conversation(r) for r in await self._apply(forget())]
        if gone:  # the log still holds the transcript's pages
            await self._erased()
            await self._live_changed([c.id for c in gone])
        return gone

    async def purge_live(self, closed_before: datetime) -> int:
        closed = f"SELECT id FROM live_conversations WHERE NOT {_OPEN} AND closed_at < ?"
        cut = (closed_before.astimezone(UTC),)

        def purge() -> Work[int]:
            yield Op(f"DELETE FROM live_messages WHERE conversation_id IN ({closed})", cut, count=True)
            yield Op(f"UPDATE live_audit SET note='' WHERE conversation_id IN ({closed})", cut, count=True)
            return int((yield Op(f"DELETE FROM live_conversations WHERE id IN ({closed})", cut, count=True)))

        purged = await self._apply(purge())
        if purged:
            await self._erased()
        return purged

    async def unannounced_live(self, since: datetime) -> list[LiveConversation]:
        rows = await self._fetch("SELECT * FROM live_conversations WHERE created_at >= ? AND "
                                 "(announced = '' OR announced NOT LIKE '%:' || status) ORDER BY id",
                                 (since.astimezone(UTC),))
        return [_conversation(r) for r in rows]

    async def mark_live_announced(self, conversation_id: int, announced: str) -> None:
        await self._execute("UPDATE live_conversations SET announced=? WHERE id=?", (announced, conversation_id))

    async def mark_live_forwarded(self, conversation_id: int, message_id: int) -> None:
        await self._execute("UPDATE live_conversations SET forwarded=?1 WHERE id=?2 AND forwarded < ?1",
                            (message_id, conversation_id))

    async def live_stats(self, since: datetime, until: datetime) -> list[LiveStats]:
        rows = await self._fetch("SELECT created_at, taken_at, status, rating FROM live_conversations "
                                 "WHERE created_at >= ? AND created_at < ? ORDER BY created_at",
                                 (since.astimezone(UTC), until.astimezone(UTC)))
        return [LiveStats(to_utc(r["created_at"]), to_utc(r["taken_at"]), r["status"], r["rating"])  # type: ignore[arg-type]
                for r in rows]

    async def wait_live(self, conversation_id: int, seconds: float, ready: Ready | None = None) -> bool:
        return await self.live_signals.wait(conversation_id, seconds, ready)


def _single(op: Op) -> Work[Any]:
    """A rule of one statement that returns its first row, if any."""
    rows = yield op
    return rows[0] if rows else None
