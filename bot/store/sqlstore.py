"""Every store protocol written once, over four things an engine provides: a read, a one-statement write, a rule
run in one transaction, and what to do after personal data was deleted.

The engines (sqlite.py, postgres.py) hold connection, locking and transaction code, the dialect, and what only
one of them has (SQLite's lease rows, PostgreSQL's advisory locks, each one's consistent dump).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from bot.records import AuditEntry, CallbackRequest, SessionKey, StateMatch
from bot.store import rules
from bot.store.base import GapRow, OperationalCounts, StaffCopy, StepStart, Store, TransitionResult
from bot.store.rows import audit_entry, gap_row, request_from_row, staff_copy
from bot.store.schema import to_utc
from bot.store.sql import Op, SqlEngine, Work, in_list, state_in

__all__ = ["SqlStore"]

_BEGIN_STEP = (
    "SELECT (SELECT 1 FROM processed_updates WHERE channel=?1 AND update_id=?2) AS seen, "
    "(SELECT replies FROM processed_updates WHERE channel=?1 AND update_id=?2 AND delivered=0) AS kept, "
    "(SELECT data FROM sessions WHERE channel=?1 AND user_id=?3) AS data"
)
_VISIBLE = "status != 'cancelled'"  # cancelled requests are the user's own undoing: no list shows them
_REMOVE_BATCH = 500  # ids per DELETE, well under SQLite's limit on parameters


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(moment: datetime) -> datetime:
    """A caller's cut-off in UTC, so SQLite's text order stays time order; a naive one is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class SqlStore(Store, SqlEngine):
    # sessions and steps

    async def begin_step(self, key: SessionKey, update_id: str | None) -> StepStart:
        row = (await self._fetch(_BEGIN_STEP, (key.channel, update_id, key.user_id)))[0]
        if row["seen"]:
            return StepStart(True, orjson.loads(row["kept"]) if row["kept"] else None, None)
        return StepStart(False, None, orjson.loads(row["data"]) if row["data"] is not None else None)

    async def load_session(self, key: SessionKey) -> dict[str, Any] | None:
        rows = await self._fetch("SELECT data FROM sessions WHERE channel=? AND user_id=?", (key.channel, key.user_id))
        return orjson.loads(rows[0]["data"]) if rows else None

    async def save_session(self, key: SessionKey, data: dict[str, Any], update_id: str | None = None,
                           replies: list[dict[str, Any]] | None = None) -> None:
        now, payload = _now(), orjson.dumps(data).decode()
        if update_id is None:
            await self._execute(rules.SESSION_UPSERT, (key.channel, key.user_id, payload, now))
            return
        kept = orjson.dumps(replies).decode() if replies is not None else None
        if self.dialect.writable_ctes:
            await self._execute(rules.SAVE_STEP_AT_ONCE,
                                (key.channel, key.user_id, payload, now, update_id, kept, int(kept is None)))
        else:
            await self._apply(rules.save_step(key, payload, now, update_id, kept))

    async def mark_delivered(self, channel: str, update_id: str) -> None:
        await self._execute("UPDATE processed_updates SET delivered=1, replies=NULL "
                            "WHERE channel=? AND update_id=? AND delivered=0", (channel, update_id))

    async def set_subscribed(self, key: SessionKey, subscribed: bool) -> None:
        await self._execute(
            "INSERT INTO subscriptions (channel, user_id, subscribed, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (channel, user_id) DO UPDATE SET subscribed=excluded.subscribed, "
            "updated_at=excluded.updated_at",
            (key.channel, key.user_id, int(subscribed), _now()),
        )

    async def is_subscribed(self, key: SessionKey) -> bool | None:
        rows = await self._fetch("SELECT subscribed FROM subscriptions WHERE channel=? AND user_id=?",
                                 (key.channel, key.user_id))
        return bool(rows[0]["subscribed"]) if rows else None

    async def purge_sessions(self, idle_before: datetime, drafts_idle_before: datetime, drafts: StateMatch) -> int:
        in_draft, states = state_in(drafts)
        return await self._execute(f"DELETE FROM sessions WHERE updated_at < ? OR (updated_at < ? AND {in_draft})",
                                   (_utc(idle_before), _utc(drafts_idle_before), *states))

    async def purge_processed_updates(self, before: datetime) -> int:
        return await self._execute("DELETE FROM processed_updates WHERE processed_at < ?", (_utc(before),))

    # callback requests and their audit trail

    async def create_request(self, request: CallbackRequest) -> CallbackRequest:
        # Each attempt is one statement where the dialect audits in the same statement, so no transaction is needed.
        return await self._apply(rules.create_request(self.dialect, request, _now()),
                                 atomic=not self.dialect.writable_ctes)

    async def update_request(self, ref: str, fields: dict[str, Any]) -> CallbackRequest | None:
        return await self._apply(rules.update_request(ref.upper(), fields, _now()))

    async def get_request(self, ref: str) -> CallbackRequest | None:
        rows = await self._fetch("SELECT * FROM callback_requests WHERE ref=?", (ref.upper(),))
        return request_from_row(rows[0]) if rows else None

    async def open_request_for(self, key: SessionKey) -> CallbackRequest | None:
        rows = await self._fetch(f"SELECT * FROM callback_requests WHERE channel=? AND user_id=? AND {rules.IS_OPEN}",
                                 (key.channel, key.user_id))
        return request_from_row(rows[0]) if rows else None

    async def requests_for(self, key: SessionKey) -> list[CallbackRequest]:
        rows = await self._fetch("SELECT * FROM callback_requests WHERE channel=? AND user_id=? "
                                 "ORDER BY created_at, ref", (key.channel, key.user_id))
        return [request_from_row(r) for r in rows]

    async def list_requests(
        self, statuses: tuple[str, ...] | None = None, created_before: datetime | None = None,
        since: datetime | None = None,
    ) -> list[CallbackRequest]:
        clauses, params = [_VISIBLE], list[Any]()
        if statuses:
            clauses.append(f"status IN {in_list(len(statuses))}")
            params.extend(statuses)
        if created_before:
            clauses.append("created_at < ?")
            params.append(_utc(created_before))
        if since:
            clauses.append("created_at >= ?")
            params.append(_utc(since))
        rows = await self._fetch(f"SELECT * FROM callback_requests WHERE {' AND '.join(clauses)} "
                                 "ORDER BY created_at, ref", tuple(params))
        return [request_from_row(r) for r in rows]

    async def transition(
        self, ref: str, allowed_from: tuple[str, ...], to_status: str, actor: str, note: str = ""
    ) -> TransitionResult:
        return await self._apply(rules.transition(self.dialect, ref.upper(), allowed_from, to_status, actor, note,
                                                  _now()))

    async def pending_announcements(self, limit: int = 20) -> list[CallbackRequest]:
        rows = await self._fetch(f"SELECT * FROM callback_requests WHERE announced_at IS NULL AND {_VISIBLE} "
                                 "ORDER BY created_at, ref LIMIT ?", (limit,))
        return [request_from_row(r) for r in rows]

    async def mark_announced(self, ref: str, staff_message: str) -> None:
        await self._execute("UPDATE callback_requests SET announced_at=?, staff_message=? WHERE ref=?",
                            (_now(), staff_message, ref.upper()))

    async def add_note(self, ref: str, actor: str, note: str) -> bool:
        return await self._apply(rules.add_note(self.dialect, ref.upper(), actor, note, _now()))

    async def audit(self, ref: str) -> list[AuditEntry]:
        rows = await self._fetch("SELECT ref, at, actor, from_status, to_status, note FROM callback_audit "
                                 "WHERE ref=? ORDER BY id", (ref.upper(),))
        return [audit_entry(r) for r in rows]

    async def add_staff_copy(self, ref: str, location: str) -> None:
        await self._execute("INSERT INTO staff_copies (ref, location, sent_at) VALUES (?, ?, ?)",
                            (ref.upper(), location, _now()))

    async def withdrawn_copies(self, limit: int = 50) -> list[StaffCopy]:
        rows = await self._fetch("SELECT id, ref, location, sent_at FROM staff_copies WHERE withdrawn_at IS NOT NULL "
                                 "ORDER BY id LIMIT ?", (limit,))
        return [staff_copy(r) for r in rows]

    async def drop_staff_copy(self, copy_id: int) -> None:
        await self._execute("DELETE FROM staff_copies WHERE id=?", (copy_id,))

    async def purge_closed(self, closed_before: datetime) -> int:
        purged = await self._apply(rules.purge_closed(_utc(closed_before)))
        if purged:
            await self._erased()
        return purged

    # pending updates

    async def add_pending_updates(self, channel: str, updates: list[tuple[str, str | None, str]]) -> None:
        now = _now()
        rows = [(channel, update_id, user_id, now, payload) for update_id, user_id, payload in updates]
        await self._apply(_many("INSERT INTO pending_updates (channel, update_id, user_id, received_at, payload) "
                                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", rows), atomic=False)

    async def remove_pending_updates(self, channel: str, update_ids: list[str]) -> None:
        for start in range(0, len(update_ids), _REMOVE_BATCH):
            batch = update_ids[start:start + _REMOVE_BATCH]
            await self._execute(f"DELETE FROM pending_updates WHERE channel=? AND update_id IN {in_list(len(batch))}",
                                (channel, *batch))

    async def take_pending_updates(self, channel: str, received_before: datetime | None = None,
                                   max_attempts: int = 3) -> tuple[list[str], int]:
        return await self._apply(rules.take_pending_updates(channel, to_utc(received_before), max_attempts, _now()))

    async def purge_pending_updates(self, before: datetime) -> int:
        return await self._execute("DELETE FROM pending_updates WHERE received_at < ?", (_utc(before),))

    # content gaps

    async def record_gap(self, lang: str, kind: str, text: str, normalised: str, faq_id: str = "",
                         key: SessionKey | None = None) -> None:
        await self._execute(
            "INSERT INTO gaps (at, lang, kind, text, normalised, faq_id, channel, user_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (_now(), lang, kind, text, normalised, faq_id, key and key.channel, key and key.user_id),
        )

    async def gaps(self, since: datetime | None = None, lang: str | None = None, limit: int = 30) -> list[GapRow]:
        clauses, params = ["1=1"], list[Any]()
        if since:
            clauses.append("at >= ?")
            params.append(_utc(since))
        if lang:
            clauses.append("lang = ?")
            params.append(lang)
        rows = await self._fetch(
            f"SELECT MIN(text COLLATE {self.dialect.binary_text}) AS text, lang, kind, COUNT(*) AS n, faq_id, "
            f"MAX(at) AS last_at FROM gaps WHERE {' AND '.join(clauses)} GROUP BY normalised, lang, kind, faq_id "
            "ORDER BY n DESC, last_at DESC LIMIT ?",
            (*params, limit),
        )
        return [gap_row(r) for r in rows]

    async def purge_gaps(self, before: datetime) -> int:
        return await self._execute("DELETE FROM gaps WHERE at < ?", (_utc(before),))

    # privacy

    async def forget_user(self, key: SessionKey) -> int:
        forgotten = await self._apply(rules.forget_user(key, _now()))
        await self._erased()
        return forgotten

    # monitoring

    async def operational_counts(self) -> OperationalCounts:
        statuses = await self._fetch("SELECT status, count(*) AS n FROM callback_requests GROUP BY status")
        pending = await self._fetch("SELECT channel, count(*) AS n FROM pending_updates GROUP BY channel")
        new = await self._fetch("SELECT created_at FROM callback_requests WHERE status='new'")
        return OperationalCounts({r["status"]: r["n"] for r in statuses}, {r["channel"]: r["n"] for r in pending},
                                 [stamp for r in new if (stamp := to_utc(r["created_at"])) is not None])


def _many(sql: str, rows: list[tuple[Any, ...]]) -> Work[None]:
    """One statement for many rows: atomic by itself on both engines."""
    if rows:
        yield Op(sql, rows, many=True)
