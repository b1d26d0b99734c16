"""The desk's store written once for both engines, like the main store (bot/store/sqlstore.py): every statement and
rule (how a failed login counts, what a queue filter means, how day counts add up) over the engine's read
(`_fetch`), one-statement write (`_execute`) and rule run in one transaction (`_apply`). The two expressions the
dialects write differently (a span in tenths of an hour, a timestamp's UTC day) are named at the top.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.records import CallbackRequest
from bot.store.desk import AccountExists, ContentDecision, DeskEvent, DeskStore, RequestFilter, StaffAccount
from bot.store.rows import request_from_row
from bot.store.schema import to_utc
from bot.store.sql import Conflict, Op, SqlEngine, Work, in_list

__all__ = ["SqlDeskStore", "filter_clauses", "split_usage"]

TENTHS_OF_HOURS = {  # from a request's creation to `{end}`, in tenths of an hour
    "sqlite": "CAST((julianday({end}) - julianday(r.created_at)) * 240 AS INTEGER)",
    "postgresql": "FLOOR(EXTRACT(EPOCH FROM ({end}) - r.created_at) / 360)::int",
}
UTC_DAY = {"sqlite": "substr(at, 1, 10)", "postgresql": "(at AT TIME ZONE 'UTC')::date"}
# a join on each request's first take: a subquery per request took twice as long on SQLite
FIRST_TAKE = ("JOIN (SELECT ref, MIN(at) AS taken FROM callback_audit WHERE to_status = 'assigned' GROUP BY ref) t "
              "ON t.ref = r.ref")
ADD_PEOPLE = ("INSERT INTO activity_days (day, channel, language, users) VALUES (?, ?, ?, ?) "
              "ON CONFLICT (day, channel, language) DO UPDATE SET users = activity_days.users + excluded.users")
ADD_OUTCOMES = ("INSERT INTO outcome_days (day, channel, language, outcome, n) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (day, channel, language, outcome) DO UPDATE SET n = outcome_days.n + excluded.n")
ADD_ENTRIES = ("INSERT INTO entry_days (day, faq_id, outcome, n) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (day, faq_id, outcome) DO UPDATE SET n = entry_days.n + excluded.n")


def _now() -> datetime:
    return datetime.now(UTC)


def filter_clauses(view: RequestFilter, with_statuses: bool = True) -> tuple[str, list[Any]]:
    """A queue view as a WHERE clause in `?` style, and its parameters."""
    clauses, params = ["status != 'cancelled'"], []
    if with_statuses and view.statuses:
        clauses.append(f"status IN {in_list(len(view.statuses))}")
        params.extend(view.statuses)
    if with_statuses and view.overdue_before is not None:
        clauses.append("status = 'new' AND created_at < ?")
        params.append(view.overdue_before.astimezone(UTC))
    for column in ("topic", "language", "channel"):
        value = getattr(view, column)
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    if view.towns is not None:
        if view.towns:
            clauses.append(f"town IN {in_list(len(view.towns))}")
            params.extend(view.towns)
        else:
            clauses.append("1 = 0")
    return " AND ".join(clauses), params


def split_usage(usage: list[tuple[date, str, str, str, str, int]]
                ) -> tuple[list[tuple[str, str, str, str, int]], list[tuple[str, str, str, int]]]:
    """Counts as (day, channel, language, outcome, FAQ id, n) -> rows for outcome_days and for entry_days."""
    outcomes: Counter[tuple[str, str, str, str]] = Counter()
    entries: Counter[tuple[str, str, str]] = Counter()
    for day, channel, language, outcome, faq_id, n in usage:
        outcomes[(day.isoformat(), channel, language, outcome)] += n
        if faq_id:
            entries[(day.isoformat(), faq_id, outcome)] += n
    return [(*k, n) for k, n in outcomes.items()], [(*k, n) for k, n in entries.items()]


def _account(row: Any) -> StaffAccount:
    return StaffAccount(
        name=row["name"], role=row["role"], password_hash=row["password_hash"], must_change=bool(row["must_change"]),
        active=bool(row["active"]), telegram_id=row["telegram_id"], session_version=row["session_version"],
        created_at=to_utc(row["created_at"]), updated_at=to_utc(row["updated_at"]),
    )


def _decision(row: Any) -> ContentDecision:
    return ContentDecision(row["id"], to_utc(row["at"]), row["actor"], row["lang"], row["text"],  # type: ignore[arg-type]
                           row["normalised"], row["faq_id"])


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _returned(op: Op) -> Work[list[Any]]:
    """A rule of one statement that gives rows back (INSERT/UPDATE/DELETE ... RETURNING)."""
    rows = yield op
    return rows  # type: ignore[no-any-return]


def _add_account(account: StaffAccount) -> Work[Any]:
    now = _now()
    try:
        rows = yield Op("INSERT INTO staff_accounts (name, role, password_hash, must_change, active, telegram_id, "
                        "session_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                        (account.name, account.role, account.password_hash, int(account.must_change),
                         int(account.active), account.telegram_id, account.session_version, now, now))
    except Conflict as exc:
        raise AccountExists(account.name) from exc
    return rows[0]


def _login_failure(key: str, now: datetime, window_start: datetime, limit: int, lock_end: datetime) -> Work[Any]:
    """Counts a failure within the window (a failure after it starts a new count); at the limit, locks the key."""
    yield Op("INSERT INTO staff_login_failures (key, failures, first_at) VALUES (?, 1, ?) "
             "ON CONFLICT (key) DO UPDATE SET "
             "failures = CASE WHEN staff_login_failures.first_at < ? THEN 1 "
             "ELSE staff_login_failures.failures + 1 END, "
             "first_at = CASE WHEN staff_login_failures.first_at < ? THEN excluded.first_at "
             "ELSE staff_login_failures.first_at END", (key, now, window_start, window_start))
    yield Op("UPDATE staff_login_failures SET locked_until = ?, failures = 0, first_at = ? "
             "WHERE key = ? AND failures >= ?", (lock_end, now, key, limit))
    rows = yield Op("SELECT locked_until FROM staff_login_failures WHERE key = ?", (key,))
    return rows[0]["locked_until"] if rows else None


def _add_day_counts(people: list[tuple[date, str, str, int]],
                    usage: list[tuple[date, str, str, str, str, int]]) -> Work[None]:
    """Day counts only ever grow: each worker adds what it counted since its last flush."""
    outcomes, entries = split_usage(usage)
    for sql, rows in ((ADD_PEOPLE, [(d.isoformat(), *rest) for d, *rest in people]), (ADD_OUTCOMES, outcomes),
                      (ADD_ENTRIES, entries)):
        if rows:
            yield Op(sql, rows, many=True)


def _decide(actor: str, lang: str, text: str, normalised: str, faq_id: str) -> Work[Any]:
    """A later decision on the same question replaces the earlier one (and gets a new id, so workers notice)."""
    yield Op("DELETE FROM content_decisions WHERE normalised = ?", (normalised,), count=True)
    rows = yield Op("INSERT INTO content_decisions (at, actor, lang, text, normalised, faq_id) "
                    "VALUES (?, ?, ?, ?, ?, ?) RETURNING *", (_now(), actor, lang, text, normalised, faq_id))
    return rows[0]


class SqlDeskStore(DeskStore, SqlEngine):

    # -- accounts, failed logins, the desk's audit trail --------------------------------------------------

    async def add_account(self, account: StaffAccount) -> StaffAccount:
        return _account(await self._apply(_add_account(account)))

    async def get_account(self, name: str) -> StaffAccount | None:
        row = await self._first("SELECT * FROM staff_accounts WHERE name = ?", (name,))
        return _account(row) if row else None

    async def list_accounts(self) -> list[StaffAccount]:
        return [_account(r) for r in await self._fetch("SELECT * FROM staff_accounts ORDER BY name")]

    async def update_account(self, name: str, *, role: str | None = None, password_hash: str | None = None,
                             must_change: bool | None = None, active: bool | None = None,
                             telegram_id: int | None = None, end_sessions: bool = False) -> StaffAccount | None:
        changes: dict[str, Any] = {"role": role, "password_hash": password_hash, "telegram_id": telegram_id,
                                   "must_change": None if must_change is None else int(must_change),
                                   "active": None if active is None else int(active)}
        sets = [f"{k} = ?" for k, v in changes.items() if v is not None]
        params = [v for v in changes.values() if v is not None]
        if end_sessions:
            sets.append("session_version = session_version + 1")
        sets.append("updated_at = ?")
        rows = await self._apply(_returned(Op(f"UPDATE staff_accounts SET {', '.join(sets)} WHERE name = ? "
                                              "RETURNING *", (*params, _now(), name))))
        return _account(rows[0]) if rows else None

    async def login_failure(self, key: str, now: datetime, window_seconds: float, limit: int,
                            lock_seconds: float) -> datetime | None:
        now = now.astimezone(UTC)
        until = to_utc(await self._apply(_login_failure(key, now, now - timedelta(seconds=window_seconds), limit,
                                                        now + timedelta(seconds=lock_seconds))))
        return until if until is not None and until > now else None

    async def login_locked_until(self, key: str, now: datetime) -> datetime | None:
        row = await self._first("SELECT locked_until FROM staff_login_failures WHERE key = ? AND locked_until > ?",
                              (key, now.astimezone(UTC)))
        return to_utc(row["locked_until"]) if row else None

    async def clear_login_failures(self, key: str) -> None:
        await self._execute("DELETE FROM staff_login_failures WHERE key = ?", (key,))

    async def record_desk_event(self, actor: str, action: str, target: str = "", detail: str = "") -> None:
        await self._execute("INSERT INTO staff_audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                            (_now(), actor, action, target, detail))

    async def desk_events(self, limit: int = 100) -> list[DeskEvent]:
        rows = await self._fetch("SELECT * FROM staff_audit ORDER BY id DESC LIMIT ?", (limit,))
        return [DeskEvent(to_utc(r["at"]), r["actor"], r["action"], r["target"], r["detail"])  # type: ignore[arg-type]
                for r in rows]

    # -- the queue's pages -------------------------------------------------------------------------------

    async def find_requests(self, view: RequestFilter) -> list[CallbackRequest]:
        where, params = filter_clauses(view)
        order = "DESC" if view.newest_first else "ASC"
        rows = await self._fetch(f"SELECT * FROM callback_requests WHERE {where} "
                                 f"ORDER BY created_at {order}, ref {order} LIMIT ? OFFSET ?",
                                 (*params, view.limit, view.offset))
        return [request_from_row(r) for r in rows]

    async def count_requests(self, view: RequestFilter) -> dict[str, int]:
        where, params = filter_clauses(view, with_statuses=False)
        overdue: tuple[Any, ...] = ()
        counted = "0"
        if view.overdue_before is not None:
            counted = "SUM(CASE WHEN status = 'new' AND created_at < ? THEN 1 ELSE 0 END)"
            overdue = (view.overdue_before.astimezone(UTC),)
        rows = await self._fetch(f"SELECT status, COUNT(*) AS n, {counted} AS overdue FROM callback_requests "
                                 f"WHERE {where} GROUP BY status", (*overdue, *params))
        counts = {r["status"]: int(r["n"]) for r in rows}
        if view.overdue_before is not None:
            counts["overdue"] = sum(int(r["overdue"] or 0) for r in rows)
        return counts

    async def request_towns(self, statuses: tuple[str, ...]) -> list[str]:
        if not statuses:
            return []
        rows = await self._fetch(f"SELECT DISTINCT town FROM callback_requests WHERE status IN "
                                 f"{in_list(len(statuses))}", statuses)
        return [r["town"] for r in rows]

    # -- statistics ---------------------------------------------------------------------------------------

    async def add_day_counts(self, people: list[tuple[date, str, str, int]],
                             usage: list[tuple[date, str, str, str, str, int]]) -> None:
        if people or usage:
            await self._apply(_add_day_counts(people, usage))

    async def activity(self, first: date, last: date) -> list[tuple[date, str, str, int]]:
        rows = await self._fetch("SELECT day, channel, language, users FROM activity_days WHERE day BETWEEN ? AND ? "
                                 "ORDER BY day, channel, language", (first.isoformat(), last.isoformat()))
        return [(_day(r["day"]), r["channel"], r["language"], int(r["users"])) for r in rows]

    async def outcome_days(self, first: date, last: date, by_cell: bool = True
                           ) -> list[tuple[date, str, str, str, int]]:
        sql = ("SELECT day, channel, language, outcome, n FROM outcome_days WHERE day BETWEEN ? AND ? "
               "ORDER BY day, channel, language, outcome") if by_cell else (
            "SELECT day, '' AS channel, '' AS language, outcome, SUM(n) AS n FROM outcome_days "
            "WHERE day BETWEEN ? AND ? GROUP BY day, outcome ORDER BY day, outcome")
        rows = await self._fetch(sql, (first.isoformat(), last.isoformat()))
        return [(_day(r["day"]), r["channel"], r["language"], r["outcome"], int(r["n"])) for r in rows]

    async def entry_counts(self, first: date, last: date) -> list[tuple[str, str, int]]:
        rows = await self._fetch("SELECT faq_id, outcome, SUM(n) AS n FROM entry_days WHERE day BETWEEN ? AND ? "
                                 "GROUP BY faq_id, outcome", (first.isoformat(), last.isoformat()))
        return [(r["faq_id"], r["outcome"], int(r["n"])) for r in rows]

    async def request_counts(self, since: datetime, until: datetime) -> list[tuple[str, str, str, int]]:
        rows = await self._fetch(
            "SELECT topic, town, status, COUNT(*) AS n FROM callback_requests WHERE created_at >= ? "
            "AND created_at < ? AND status != 'cancelled' GROUP BY topic, town, status",
            (since.astimezone(UTC), until.astimezone(UTC)))
        return [(r["topic"], r["town"], r["status"], int(r["n"])) for r in rows]

    async def request_delays(self, since: datetime, until: datetime) -> dict[str, list[tuple[int, int]]]:
        span = TENTHS_OF_HOURS[self.dialect.name]
        found: dict[str, list[tuple[int, int]]] = {}
        for name, end, join in (("first_contact", "t.taken", FIRST_TAKE), ("close", "r.closed_at", "")):
            rows = await self._fetch(
                f"SELECT {span.format(end=end)} AS tenths, COUNT(*) AS n FROM callback_requests r {join} "
                f"WHERE r.created_at >= ? AND r.created_at < ? AND {end} IS NOT NULL GROUP BY 1 ORDER BY 1",
                (since.astimezone(UTC), until.astimezone(UTC)))
            found[name] = [(int(r["tenths"]), int(r["n"])) for r in rows]
        return found

    async def gap_days(self, since: datetime, until: datetime) -> list[tuple[date, str, int]]:
        rows = await self._fetch(f"SELECT {UTC_DAY[self.dialect.name]} AS day, kind, COUNT(*) AS n FROM gaps "
                                 "WHERE at >= ? AND at < ? GROUP BY 1, 2 ORDER BY 1, 2",
                                 (since.astimezone(UTC), until.astimezone(UTC)))
        return [(_day(r["day"]), r["kind"], int(r["n"])) for r in rows]

    # -- editors' decisions ----------------------------------------------------------------------------------

    async def decide_question(self, actor: str, lang: str, text: str, normalised: str,
                              faq_id: str = "") -> ContentDecision:
        return _decision(await self._apply(_decide(actor, lang, text, normalised, faq_id)))

    async def content_decisions(self) -> list[ContentDecision]:
        return [_decision(r) for r in await self._fetch("SELECT * FROM content_decisions ORDER BY id")]

    async def undo_decision(self, decision_id: int) -> ContentDecision | None:
        rows = await self._apply(_returned(Op("DELETE FROM content_decisions WHERE id = ? RETURNING *",
                                              (decision_id,))))
        return _decision(rows[0]) if rows else None

    async def decisions_stamp(self) -> tuple[int, int]:
        row = await self._first("SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS last FROM content_decisions")
        return (int(row["n"]), int(row["last"])) if row else (0, 0)
