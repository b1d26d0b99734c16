"""SQL written once for both engines: statements use `?` (or `?N`) placeholders, which PostgreSQL's dialect turns
into `$N`; what else differs between the dialects is named here and nowhere else."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.records import StateMatch

__all__ = ["POSTGRESQL", "SQLITE", "Dialect", "in_list", "state_in"]

_PLACEHOLDER = re.compile(r"'[^']*'|\?(\d*)")


@lru_cache(maxsize=512)
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

    def __call__(self, sql: str) -> str:
        return _numbered(sql) if self.numbered else sql


SQLITE = Dialect("sqlite", numbered=False, binary_text="BINARY", writable_ctes=False)
POSTGRESQL = Dialect("postgresql", numbered=True, binary_text='"C"', writable_ctes=True)


def in_list(count: int) -> str:
    """`(?, ?, ?)` for a list of `count` values (never empty: callers skip the clause instead)."""
    return f"({', '.join('?' * count)})"


def state_in(match: StateMatch) -> tuple[str, tuple[str, ...]]:
    """A condition on a session's state (`data->>'state'`, read alike by SQLite and PostgreSQL), and its values."""
    state = "(data->>'state')"
    clauses = [f"{state} IN {in_list(len(match.names))}"] if match.names else []
    clauses += [f"substr({state}, 1, {len(prefix)}) = ?" for prefix in match.prefixes]
    return f"({' OR '.join(clauses) or '1 = 0'})", (*match.names, *match.prefixes)
