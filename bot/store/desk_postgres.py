"""The desk's tables on PostgreSQL: a mixin for PostgresStore, using its data pool."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from bot.store import desk_sql as sql
from bot.store.base import CallbackRequest
from bot.store.desk import AccountExists, ContentDecision, DeskEvent, DeskStore, RequestFilter, StaffAccount
from bot.store.desk_sql import filter_clauses
from bot.store.sql import POSTGRESQL

__all__ = ["PostgresDeskStore"]


def _decision(row: asyncpg.Record) -> ContentDecision:
    return ContentDecision(row["id"], row["at"], row["actor"], row["lang"], row["text"], row["normalised"],
                           row["faq_id"])


def _account(row: asyncpg.Record) -> StaffAccount:
    return StaffAccount(
        name=row["name"], role=row["role"], password_hash=row["password_hash"], must_change=bool(row["must_change"]),
        active=bool(row["active"]), telegram_id=row["telegram_id"], session_version=row["session_version"],
        created_at=row["created_at"], updated_at=row["updated_at"],
    )


def _mark(n: int) -> str:
    return f"${n}"


def _stamp(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


class PostgresDeskStore(DeskStore):
    """Relies on the PostgresStore's `pool`."""

    pool: Any

    async def add_account(self, account: StaffAccount) -> StaffAccount:
        now = datetime.now(UTC)
        try:
            row = await self.pool.fetchrow(
                "INSERT INTO staff_accounts (name, role, password_hash, must_change, active, telegram_id, "
                "session_version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *",
                account.name, account.role, account.password_hash, int(account.must_change), int(account.active),
                account.telegram_id, account.session_version, now,
            )
        except asyncpg.UniqueViolationError as exc:
            raise AccountExists(account.name) from exc
        return _account(row)

    async def get_account(self, name: str) -> StaffAccount | None:
        row = await self.pool.fetchrow("SELECT * FROM staff_accounts WHERE name=$1", name)
        return _account(row) if row else None

    async def list_accounts(self) -> list[StaffAccount]:
        return [_account(r) for r in await self.pool.fetch("SELECT * FROM staff_accounts ORDER BY name")]

    async def update_account(self, name: str, *, role: str | None = None, password_hash: str | None = None,
                             must_change: bool | None = None, active: bool | None = None,
                             telegram_id: int | None = None, end_sessions: bool = False) -> StaffAccount | None:
        changes: dict[str, Any] = {"role": role, "password_hash": password_hash, "telegram_id": telegram_id,
                                   "must_change": None if must_change is None else int(must_change),
                                   "active": None if active is None else int(active)}
        params: list[Any] = [name, datetime.now(UTC)]
        sets = ["updated_at=$2"]
        for column, value in changes.items():
            if value is not None:
                params.append(value)
                sets.append(f"{column}=${len(params)}")
        if end_sessions:
            sets.append("session_version = session_version + 1")
        row = await self.pool.fetchrow(f"UPDATE staff_accounts SET {', '.join(sets)} WHERE name=$1 RETURNING *",
                                       *params)
        return _account(row) if row else None

    async def login_failure(self, key: str, now: datetime, window_seconds: float, limit: int,
                            lock_seconds: float) -> datetime | None:
        window_start = now - timedelta(seconds=window_seconds)
        lock_end = now + timedelta(seconds=lock_seconds)
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO staff_login_failures (key, failures, first_at) VALUES ($1, 1, $2) "
                "ON CONFLICT (key) DO UPDATE SET "
                "failures = CASE WHEN staff_login_failures.first_at < $3 THEN 1 "
                "ELSE staff_login_failures.failures + 1 END, "
                "first_at = CASE WHEN staff_login_failures.first_at < $3 THEN excluded.first_at "
                "ELSE staff_login_failures.first_at END",
                key, now, window_start,
            )
            await conn.execute("UPDATE staff_login_failures SET locked_until=$1, failures=0, first_at=$2 "
                               "WHERE key=$3 AND failures >= $4", lock_end, now, key, limit)
            until = await conn.fetchval("SELECT locked_until FROM staff_login_failures WHERE key=$1", key)
        return until if until is not None and until > now else None

    async def login_locked_until(self, key: str, now: datetime) -> datetime | None:
        return await self.pool.fetchval(  # type: ignore[no-any-return]
            "SELECT locked_until FROM staff_login_failures WHERE key=$1 AND locked_until > $2", key, now)

    async def clear_login_failures(self, key: str) -> None:
        await self.pool.execute("DELETE FROM staff_login_failures WHERE key=$1", key)

    async def record_desk_event(self, actor: str, action: str, target: str = "", detail: str = "") -> None:
        await self.pool.execute(
            "INSERT INTO staff_audit (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)",
            datetime.now(UTC), actor, action, target, detail,
        )

    async def desk_events(self, limit: int = 100) -> list[DeskEvent]:
        rows = await self.pool.fetch("SELECT * FROM staff_audit ORDER BY id DESC LIMIT $1", limit)
        return [DeskEvent(r["at"], r["actor"], r["action"], r["target"], r["detail"]) for r in rows]

    async def find_requests(self, view: RequestFilter) -> list[CallbackRequest]:
        from bot.store.postgres import _request

        where, params = filter_clauses(view, _mark, _stamp)
        order = "DESC" if view.newest_first else "ASC"
        n = len(params)
        rows = await self.pool.fetch(
            f"SELECT * FROM callback_requests WHERE {where} ORDER BY created_at {order}, ref {order} "
            f"LIMIT ${n + 1} OFFSET ${n + 2}", *params, view.limit, view.offset,
        )
        return [_request(r) for r in rows]

    async def count_requests(self, view: RequestFilter) -> dict[str, int]:
        where, params = filter_clauses(view, _mark, _stamp, with_statuses=False)
        overdue = "0"
        if view.overdue_before is not None:
            params.append(_stamp(view.overdue_before))
            overdue = f"COUNT(*) FILTER (WHERE status = 'new' AND created_at < ${len(params)})"
        rows = await self.pool.fetch(
            f"SELECT status, COUNT(*) AS n, {overdue} AS overdue FROM callback_requests WHERE {where} "
            "GROUP BY status", *params,
        )
        counts = {r["status"]: r["n"] for r in rows}
        if view.overdue_before is not None:
            counts["overdue"] = sum(r["overdue"] for r in rows)
        return counts

    async def request_towns(self, statuses: tuple[str, ...]) -> list[str]:
        rows = await self.pool.fetch("SELECT DISTINCT town FROM callback_requests WHERE status = ANY($1::text[])",
                                     list(statuses))
        return [r["town"] for r in rows]

    async def add_day_counts(self, people: list[tuple[date, str, str, int]],
                             usage: list[tuple[date, str, str, str, str, int]]) -> None:
        if not (people or usage):
            return
        outcomes, entries = sql.split_usage(usage)
        async with self.pool.acquire() as conn, conn.transaction():
            for statement, rows in ((sql.ADD_PEOPLE, [(d.isoformat(), *rest) for d, *rest in people]),
                                    (sql.ADD_OUTCOMES, outcomes), (sql.ADD_ENTRIES, entries)):
                if rows:
                    await conn.executemany(POSTGRESQL(statement), rows)

    async def outcome_days(self, first: date, last: date, by_cell: bool = True
                           ) -> list[tuple[date, str, str, str, int]]:
        rows = await self.pool.fetch(POSTGRESQL(sql.OUTCOME_DAYS if by_cell else sql.OUTCOME_TOTALS),
                                     first.isoformat(), last.isoformat())
        return [(date.fromisoformat(r["day"]), r["channel"], r["language"], r["outcome"], int(r["n"])) for r in rows]

    async def entry_counts(self, first: date, last: date) -> list[tuple[str, str, int]]:
        rows = await self.pool.fetch(POSTGRESQL(sql.ENTRY_COUNTS), first.isoformat(), last.isoformat())
        return [(r["faq_id"], r["outcome"], int(r["n"])) for r in rows]

    async def decide_question(self, actor: str, lang: str, text: str, normalised: str,
                              faq_id: str = "") -> ContentDecision:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(POSTGRESQL(sql.DROP_DECISION), normalised)
            row = await conn.fetchrow(POSTGRESQL(sql.ADD_DECISION), datetime.now(UTC), actor, lang, text, normalised,
                                      faq_id)
        return _decision(row)

    async def content_decisions(self) -> list[ContentDecision]:
        return [_decision(r) for r in await self.pool.fetch(sql.DECISIONS)]

    async def undo_decision(self, decision_id: int) -> ContentDecision | None:
        row = await self.pool.fetchrow(POSTGRESQL(sql.UNDO_DECISION), decision_id)
        return _decision(row) if row else None

    async def decisions_stamp(self) -> tuple[int, int]:
        row = await self.pool.fetchrow(sql.DECISIONS_STAMP)
        return (int(row["n"]), int(row["last"])) if row else (0, 0)

    async def activity(self, first: date, last: date) -> list[tuple[date, str, str, int]]:
        rows = await self.pool.fetch("SELECT day, channel, language, users FROM activity_days "
                                     "WHERE day BETWEEN $1 AND $2 ORDER BY day, channel, language",
                                     first.isoformat(), last.isoformat())
        return [(date.fromisoformat(r["day"]), r["channel"], r["language"], r["users"]) for r in rows]

    async def request_counts(self, since: datetime, until: datetime) -> list[tuple[str, str, str, int]]:
        rows = await self.pool.fetch(
            "SELECT topic, town, status, COUNT(*) AS n FROM callback_requests WHERE created_at >= $1 "
            "AND created_at < $2 AND status != 'cancelled' GROUP BY topic, town, status", _stamp(since), _stamp(until),
        )
        return [(r["topic"], r["town"], r["status"], r["n"]) for r in rows]

    async def request_delays(self, since: datetime, until: datetime) -> dict[str, list[tuple[int, int]]]:
        span = "FLOOR(EXTRACT(EPOCH FROM ({end}) - r.created_at) / 360)::int"
        # a join on each request's first take: a subquery per request took twice as long
        taken_join = ("JOIN (SELECT ref, MIN(at) AS taken FROM callback_audit WHERE to_status = 'assigned' "
                      "GROUP BY ref) t ON t.ref = r.ref")
        found: dict[str, list[tuple[int, int]]] = {}
        for name, end, join in (("first_contact", "t.taken", taken_join), ("close", "r.closed_at", "")):
            rows = await self.pool.fetch(
                f"SELECT {span.format(end=end)} AS tenths, COUNT(*) AS n FROM callback_requests r {join} "
                f"WHERE r.created_at >= $1 AND r.created_at < $2 AND {end} IS NOT NULL GROUP BY 1 ORDER BY 1",
                _stamp(since), _stamp(until),
            )
            found[name] = [(r["tenths"], r["n"]) for r in rows]
        return found

    async def gap_days(self, since: datetime, until: datetime) -> list[tuple[date, str, int]]:
        rows = await self.pool.fetch(
            "SELECT (at AT TIME ZONE 'UTC')::date AS day, kind, COUNT(*) AS n FROM gaps "
            "WHERE at >= $1 AND at < $2 GROUP BY 1, 2 ORDER BY 1, 2", _stamp(since), _stamp(until))
        return [(r["day"], r["kind"], r["n"]) for r in rows]
