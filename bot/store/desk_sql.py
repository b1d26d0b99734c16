"""The desk's queue filters as SQL, written once: each engine passes its own placeholder style."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.store.desk import RequestFilter

__all__ = ["filter_clauses"]


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
