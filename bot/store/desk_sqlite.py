"""The desk's tables on SQLite: a mixin for SqliteStore, using its group-commit writer and reader connection."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.store import desk_sql as sql
from bot.store.base import CallbackRequest
from bot.store.desk import AccountExists, ContentDecision, DeskEvent, DeskStore, RequestFilter, StaffAccount
from bot.store.desk_sql import filter_clauses
from bot.store.schema import to_utc

__all__ = ["SqliteDeskStore"]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _decision(row: sqlite3.Row) -> ContentDecision:
    return ContentDecision(row["id"], to_utc(row["at"]), row["actor"], row["lang"], row["text"],  # type: ignore[arg-type]
                           row["normalised"], row["faq_id"])


def _account(row: sqlite3.Row) -> StaffAccount:
    return StaffAccount(
        name=row["name"], role=row["role"], password_hash=row["password_hash"], must_change=bool(row["must_change"]),
        active=bool(row["active"]), telegram_id=row["telegram_id"], session_version=row["session_version"],
        created_at=to_utc(row["created_at"]), updated_at=to_utc(row["updated_at"]),
    )


class SqliteDeskStore(DeskStore):
    """Relies on the SqliteStore's `_write`, `_one`, `_all` and its request row reader."""

    _write: Any
    _one: Any
    _all: Any

    async def add_account(self, account: StaffAccount) -> StaffAccount:
        now = _iso(datetime.now(UTC))

        def add(db: sqlite3.Connection) -> None:
            try:
                db.execute(
                    "INSERT INTO staff_accounts (name, role, password_hash, must_change, active, telegram_id, "
                    "session_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (account.name, account.role, account.password_hash, int(account.must_change),
                     int(account.active), account.telegram_id, account.session_version, now, now),
                )
            except sqlite3.IntegrityError as exc:
                raise AccountExists(account.name) from exc

        await self._write(add)
        return await self.get_account(account.name)  # type: ignore[return-value]

    async def get_account(self, name: str) -> StaffAccount | None:
        row = await self._one("SELECT * FROM staff_accounts WHERE name=?", (name,))
        return _account(row) if row else None

    async def list_accounts(self) -> list[StaffAccount]:
        return [_account(r) for r in await self._all("SELECT * FROM staff_accounts ORDER BY name")]

    async def update_account(self, name: str, *, role: str | None = None, password_hash: str | None = None,
                             must_change: bool | None = None, active: bool | None = None,
                             telegram_id: int | None = None, end_sessions: bool = False) -> StaffAccount | None:
        changes: dict[str, Any] = {"role": role, "password_hash": password_hash, "telegram_id": telegram_id,
                                   "must_change": None if must_change is None else int(must_change),
                                   "active": None if active is None else int(active)}
        sets = [f"{k}=?" for k, v in changes.items() if v is not None]
        params = [v for v in changes.values() if v is not None]
        if end_sessions:
            sets.append("session_version = session_version + 1")
        sets.append("updated_at=?")
        params.append(_iso(datetime.now(UTC)))
        await self._write(lambda db: db.execute(f"UPDATE staff_accounts SET {', '.join(sets)} WHERE name=?",
                                                (*params, name)))
        return await self.get_account(name)

    async def login_failure(self, key: str, now: datetime, window_seconds: float, limit: int,
                            lock_seconds: float) -> datetime | None:
        stamp, window_start = _iso(now), _iso(now - timedelta(seconds=window_seconds))
        lock_end = _iso(now + timedelta(seconds=lock_seconds))

        def count(db: sqlite3.Connection) -> str | None:
            db.execute(
                "INSERT INTO staff_login_failures (key, failures, first_at) VALUES (?, 1, ?) "
                "ON CONFLICT (key) DO UPDATE SET "
                "failures = CASE WHEN first_at < ? THEN 1 ELSE failures + 1 END, "
                "first_at = CASE WHEN first_at < ? THEN excluded.first_at ELSE first_at END",
                (key, stamp, window_start, window_start),
            )
            db.execute("UPDATE staff_login_failures SET locked_until=?, failures=0, first_at=? "
                       "WHERE key=? AND failures >= ?", (lock_end, stamp, key, limit))
            row = db.execute("SELECT locked_until FROM staff_login_failures WHERE key=?", (key,)).fetchone()
            return row["locked_until"] if row and row["locked_until"] and row["locked_until"] > stamp else None

        return to_utc(await self._write(count))

    async def login_locked_until(self, key: str, now: datetime) -> datetime | None:
        row = await self._one("SELECT locked_until FROM staff_login_failures WHERE key=? AND locked_until > ?",
                              (key, _iso(now)))
        return to_utc(row["locked_until"]) if row else None

    async def clear_login_failures(self, key: str) -> None:
        await self._write(lambda db: db.execute("DELETE FROM staff_login_failures WHERE key=?", (key,)))

    async def record_desk_event(self, actor: str, action: str, target: str = "", detail: str = "") -> None:
        await self._write(lambda db: db.execute(
            "INSERT INTO staff_audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
            (_iso(datetime.now(UTC)), actor, action, target, detail),
        ))

    async def desk_events(self, limit: int = 100) -> list[DeskEvent]:
        rows = await self._all("SELECT * FROM staff_audit ORDER BY id DESC LIMIT ?", (limit,))
        return [DeskEvent(to_utc(r["at"]), r["actor"], r["action"], r["target"], r["detail"])  # type: ignore[arg-type]
                for r in rows]

    async def find_requests(self, view: RequestFilter) -> list[CallbackRequest]:
        from bot.store.sqlite import _request

        where, params = filter_clauses(view, lambda _: "?", _iso)
        order = "DESC" if view.newest_first else "ASC"
        rows = await self._all(
            f"SELECT * FROM callback_requests WHERE {where} ORDER BY created_at {order}, ref {order} "
            "LIMIT ? OFFSET ?", (*params, view.limit, view.offset),
        )
        return [_request(r) for r in rows]

    async def count_requests(self, view: RequestFilter) -> dict[str, int]:
        where, params = filter_clauses(view, lambda _: "?", _iso, with_statuses=False)
        rows = await self._all(f"SELECT status, COUNT(*) AS n FROM callback_requests WHERE {where} GROUP BY status",
                               tuple(params))
        counts = {r["status"]: r["n"] for r in rows}
        if view.overdue_before is not None:
            row = await self._one(f"SELECT COUNT(*) AS n FROM callback_requests WHERE {where} AND status = 'new' "
                                  "AND created_at < ?", (*params, _iso(view.overdue_before)))
            counts["overdue"] = row["n"] if row else 0
        return counts

    async def request_towns(self, statuses: tuple[str, ...]) -> list[str]:
        marks = ", ".join("?" for _ in statuses)
        rows = await self._all(f"SELECT DISTINCT town FROM callback_requests WHERE status IN ({marks})", statuses)
        return [r["town"] for r in rows]

    async def add_day_counts(self, people: list[tuple[date, str, str, int]],
                             usage: list[tuple[date, str, str, str, str, int]]) -> None:
        outcomes, entries = sql.split_usage(usage)

        def add(db: sqlite3.Connection) -> None:
            db.executemany(sql.ADD_PEOPLE, [(d.isoformat(), *rest) for d, *rest in people])
            db.executemany(sql.ADD_OUTCOMES, outcomes)
            db.executemany(sql.ADD_ENTRIES, entries)

        if people or usage:
            await self._write(add)

    async def outcome_days(self, first: date, last: date, by_cell: bool = True
                           ) -> list[tuple[date, str, str, str, int]]:
        rows = await self._all(sql.OUTCOME_DAYS if by_cell else sql.OUTCOME_TOTALS, (first.isoformat(),
                                                                                     last.isoformat()))
        return [(date.fromisoformat(r["day"]), r["channel"], r["language"], r["outcome"], r["n"]) for r in rows]

    async def entry_counts(self, first: date, last: date) -> list[tuple[str, str, int]]:
        rows = await self._all(sql.ENTRY_COUNTS, (first.isoformat(), last.isoformat()))
        return [(r["faq_id"], r["outcome"], r["n"]) for r in rows]

    async def decide_question(self, actor: str, lang: str, text: str, normalised: str,
                              faq_id: str = "") -> ContentDecision:
        def decide(db: sqlite3.Connection) -> sqlite3.Row:
            db.execute(sql.DROP_DECISION, (normalised,))
            return db.execute(sql.ADD_DECISION, (_iso(datetime.now(UTC)), actor, lang, text, normalised,
                                                 faq_id)).fetchone()

        return _decision(await self._write(decide))

    async def content_decisions(self) -> list[ContentDecision]:
        return [_decision(r) for r in await self._all(sql.DECISIONS)]

    async def undo_decision(self, decision_id: int) -> ContentDecision | None:
        row = await self._write(lambda db: db.execute(sql.UNDO_DECISION, (decision_id,)).fetchone())
        return _decision(row) if row else None

    async def decisions_stamp(self) -> tuple[int, int]:
        row = await self._one(sql.DECISIONS_STAMP)
        return (row["n"], row["last"]) if row else (0, 0)

    async def activity(self, first: date, last: date) -> list[tuple[date, str, str, int]]:
        rows = await self._all("SELECT day, channel, language, users FROM activity_days WHERE day BETWEEN ? AND ? "
                               "ORDER BY day, channel, language", (first.isoformat(), last.isoformat()))
        return [(date.fromisoformat(r["day"]), r["channel"], r["language"], r["users"]) for r in rows]

    async def request_counts(self, since: datetime, until: datetime) -> list[tuple[str, str, str, int]]:
        rows = await self._all(
            "SELECT topic, town, status, COUNT(*) AS n FROM callback_requests WHERE created_at >= ? AND created_at < ? "
            "AND status != 'cancelled' GROUP BY topic, town, status", (_iso(since), _iso(until)),
        )
        return [(r["topic"], r["town"], r["status"], r["n"]) for r in rows]

    async def request_delays(self, since: datetime, until: datetime) -> dict[str, list[tuple[int, int]]]:
        span = "CAST((julianday({end}) - julianday(r.created_at)) * 240 AS INTEGER)"
        # a join on each request's first take: a subquery per request took twice as long
        taken_join = ("JOIN (SELECT ref, MIN(at) AS taken FROM callback_audit WHERE to_status = 'assigned' "
                      "GROUP BY ref) t ON t.ref = r.ref")
        found: dict[str, list[tuple[int, int]]] = {}
        for name, end, join in (("first_contact", "t.taken", taken_join), ("close", "r.closed_at", "")):
            rows = await self._all(
                f"SELECT {span.format(end=end)} AS tenths, COUNT(*) AS n FROM callback_requests r {join} "
                f"WHERE r.created_at >= ? AND r.created_at < ? AND {end} IS NOT NULL GROUP BY 1 ORDER BY 1",
                (_iso(since), _iso(until)),
            )
            found[name] = [(r["tenths"], r["n"]) for r in rows]
        return found

    async def gap_days(self, since: datetime, until: datetime) -> list[tuple[date, str, int]]:
        rows = await self._all("SELECT substr(at, 1, 10) AS day, kind, COUNT(*) AS n FROM gaps "
                               "WHERE at >= ? AND at < ? GROUP BY 1, 2 ORDER BY 1, 2", (_iso(since), _iso(until)))
        return [(date.fromisoformat(r["day"]), r["kind"], r["n"]) for r in rows]
