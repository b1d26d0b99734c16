"""Persistence behind small protocols by concern (base.py): SQLite by default, PostgreSQL for several workers."""

from __future__ import annotations

from bot.store.base import (
    GapRow,
    Gaps,
    JobLeases,
    OpenRequestExists,
    Privacy,
    Requests,
    Sessions,
    Store,
    StoredUpdates,
    StoreUnavailable,
    TransitionResult,
)

__all__ = [
    "GapRow",
    "Gaps",
    "JobLeases",
    "OpenRequestExists",
    "Privacy",
    "Requests",
    "Sessions",
    "Store",
    "StoreUnavailable",
    "StoredUpdates",
    "TransitionResult",
    "open_store",
]


async def open_store(url: str, migrate: bool = True) -> Store:
    """Opens the store named by a database URL, applying pending migrations unless `migrate` is False."""
    if url.startswith(("postgresql://", "postgres://")):
        from bot.store.postgres import PostgresStore

        pg = PostgresStore(url)
        await pg.open(migrate)
        return pg
    if url.startswith("sqlite:///"):
        from bot.store.sqlite import SqliteStore

        sqlite = SqliteStore(url.removeprefix("sqlite:///"))
        await sqlite.open(migrate)
        return sqlite
    raise ValueError(f"unsupported database URL {url.split(':', 1)[0]!r}: use sqlite:///path or postgresql://...")
