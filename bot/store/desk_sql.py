"""The desk's SQL written once for both engines: the queue filters (each engine passes its placeholder style),
and the statements for day counts and content decisions, in `?` style (bot.store.sql's dialect gives PostgreSQL's)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from bot.store.desk import RequestFilter

__all__ = ["ADD_DECISION", "ADD_ENTRIES", "ADD_OUTCOMES", "ADD_PEOPLE", "DECISIONS", "DECISIONS_STAMP",
           "DROP_DECISION", "ENTRY_COUNTS", "OUTCOME_DAYS", "OUTCOME_TOTALS", "UNDO_DECISION", "filter_clauses",
           "split_usage"]


def filter_clauses(view: RequestFilter, mark: Callable[[int], str], stamp: Callable[[datetime], Any],
                   with_statuses: bool = True) -> tuple[str, list[Any]]:
    """A WHERE clause and its parameters; `mark(n)` is the engine's n-th placeholder (1-based)."""
    clauses, params = ["status != 'cancelled'"], []

    def add(sql: str, value: Any) -> None:
        params.append(value)
        clauses.append(sql.replace("?", mark(len(params))))

    if with_statuses and view.statuses:
        marks = []
        for status in view.statuses:
            params.append(status)
            marks.append(mark(len(params)))
        clauses.append(f"status IN ({', '.join(marks)})")
    if with_statuses and view.overdue_before is not None:
        add("status = 'new' AND created_at < ?", stamp(view.overdue_before))
    for column in ("topic", "language", "channel"):
        value = getattr(view, column)
        if value:
            add(f"{column} = ?", value)
    if view.towns is not None:
        if not view.towns:
            clauses.append("1 = 0")
        else:
            marks = []
            for town in view.towns:
                params.append(town)
                marks.append(mark(len(params)))
            clauses.append(f"town IN ({', '.join(marks)})")
    return " AND ".join(clauses), params


# Day counts only ever grow: each worker adds what it counted since its last flush.
ADD_PEOPLE = ("INSERT INTO activity_days (day, channel, language, users) VALUES (?, ?, ?, ?) "
              "ON CONFLICT (day, channel, language) DO UPDATE SET users = activity_days.users + excluded.users")
ADD_OUTCOMES = ("INSERT INTO outcome_days (day, channel, language, outcome, n) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (day, channel, language, outcome) DO UPDATE SET n = outcome_days.n + excluded.n")
ADD_ENTRIES = ("INSERT INTO entry_days (day, faq_id, outcome, n) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (day, faq_id, outcome) DO UPDATE SET n = entry_days.n + excluded.n")
OUTCOME_DAYS = ("SELECT day, channel, language, outcome, n FROM outcome_days WHERE day BETWEEN ? AND ? "
                "ORDER BY day, channel, language, outcome")
OUTCOME_TOTALS = ("SELECT day, '' AS channel, '' AS language, outcome, SUM(n) AS n FROM outcome_days "
                  "WHERE day BETWEEN ? AND ? GROUP BY day, outcome ORDER BY day, outcome")
ENTRY_COUNTS = ("SELECT faq_id, outcome, SUM(n) AS n FROM entry_days WHERE day BETWEEN ? AND ? "
                "GROUP BY faq_id, outcome")


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
DROP_DECISION = "DELETE FROM content_decisions WHERE normalised = ?"
ADD_DECISION = ("INSERT INTO content_decisions (at, actor, lang, text, normalised, faq_id) VALUES (?, ?, ?, ?, ?, ?) "
                "RETURNING *")
DECISIONS = "SELECT * FROM content_decisions ORDER BY id"
UNDO_DECISION = "DELETE FROM content_decisions WHERE id = ? RETURNING *"
DECISIONS_STAMP = "SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS last FROM content_decisions"
