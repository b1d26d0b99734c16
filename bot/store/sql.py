"""SQL written once for both engines, and how a store hands it to its engine.

Statements use `?` (or `?N`) placeholders, which PostgreSQL's dialect turns into `$N`; whatever else differs
between the dialects is a field of `Dialect`, and nowhere else. A rule that takes several statements is a
generator of `Op`s (bot/store/rules.py): each engine runs it with its own connection and transaction code, the
SQLite one inside its writer thread, the PostgreSQL one on a pooled connection, so the rule itself is written once.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Generator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

from bot.records import StateMatch

__all__ = [
    "POSTGRESQL",
    "SQLITE",
    "Conflict",
    "Dialect",
    "Op",
    "SqlEngine",
    "Work",
    "in_list",
    "state_in",
]

T = TypeVar("T")

_PLACEHOLDER = re.compile(r"'[^']*'|\?(\d*)")


@lru_cache(maxsize=1024)
def _numbered(sql: str) -> str:
    """`?` -> `$1`, `$2`...; `?N` -> `$N`; quoted literals are left alone."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group().startswith("'"):
            return match.group()
        if match.group(1):
            return f"${match.group(1)}"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


@dataclass(frozen=True)
class Dialect:
    """What one engine's SQL needs beyond the shared text."""

    name: str
    numbered: bool  # placeholders as $1, $2 (asyncpg) rather than ? (sqlite3)
    binary_text: str  # a collation comparing text by code point, so MIN(text) is the same on both engines
    writable_ctes: bool  # INSERT inside WITH: two writes in one statement, so one round trip
    lock_row: str  # appended to a SELECT that a status change depends on ("" where writes are serialised anyway)
    share_row: str

    def __call__(self, sql: str) -> str:
        return _numbered(sql) if self.numbered else sql


SQLITE = Dialect("sqlite", numbered=False, binary_text="BINARY", writable_ctes=False, lock_row="", share_row="")
POSTGRESQL = Dialect("postgresql", numbered=True, binary_text='"C"', writable_ctes=True, lock_row=" FOR UPDATE",
                     share_row=" FOR SHARE")


class Op(NamedTuple):
    """One statement of a rule. The engine sends back the rows (or, with `count`, the number of rows changed);
    with `many`, `params` is a list of parameter tuples and nothing comes back. A tuple: made on every write."""

    sql: str
    params: Any = ()
    count: bool = False
    many: bool = False


# A rule: yields statements, receives each one's result, returns its own.
Work = Generator[Op, Any, T]


class SqlEngine(ABC):
    """What an engine gives the stores written once over it (sqlstore.py, desk_sql.py, live_sql.py)."""

    dialect: Dialect

    @abstractmethod
    async def _fetch(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """The rows of one read, drained at once."""

    @abstractmethod
    async def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """Runs one write statement, durably; returns how many rows it changed."""

    @abstractmethod
    async def _apply(self, work: Work[T], atomic: bool = True) -> T:
        """Runs a rule's statements in one transaction (`atomic=False`: each statement on its own)."""

    @abstractmethod
    async def _erased(self) -> None:
        """Called after personal data was deleted: an engine that keeps old copies of pages drops them here."""

    async def _first(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """The first row of a read, or None."""
        rows = await self._fetch(sql, params)
        return rows[0] if rows else None


class Conflict(Exception):
    """A statement broke a unique constraint; the engine throws this into the rule that sent it."""


def in_list(count: int) -> str:
    """`(?, ?, ?)` for a list of `count` values (never empty: callers skip the clause instead)."""
    return f"({', '.join('?' * count)})"


def state_in(match: StateMatch) -> tuple[str, tuple[str, ...]]:
    """A condition on a session's state (`data->>'state'`, read alike by SQLite and PostgreSQL), and its values."""
    state = "(data->>'state')"
    clauses = [f"{state} IN {in_list(len(match.names))}"] if match.names else []
    clauses += [f"substr({state}, 1, {len(prefix)}) = ?" for prefix in match.prefixes]
    return f"({' OR '.join(clauses) or '1 = 0'})", (*match.names, *match.prefixes)
