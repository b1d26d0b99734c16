"""The embedded default store: one SQLite file in WAL mode, every commit fsynced (synchronous=FULL).

Writes go through the group-commit writer thread (sqlite_writer.py), and a write is answered only after its batch
has committed. Reads are short indexed lookups made on a separate connection right on the event loop's thread: in
WAL mode a reader never waits for the writer, and a lookup takes tens of microseconds, less than a trip to a
worker thread would. Since a write is answered only after its commit, reads always see the caller's own writes.
Timestamps are ISO-8601 UTC text here: every datetime parameter is written in that one form, so text order is
time order.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sqlite3
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.records import SessionKey
from bot.store.desk_sql import SqlDeskStore
from bot.store.keylocks import KeyLocks
from bot.store.live_sql import SqlLiveStore
from bot.store.rows import request_from_row as _request  # noqa: F401  (the desk's mixin imports it from here)
from bot.store.schema import MIGRATIONS, PRIMARY_KEYS, SCHEMA_VERSION, TABLES, export_row, import_value
from bot.store.sql import SQLITE, Conflict, Op, Work
from bot.store.sqlite_writer import GroupCommitter, Write
from bot.store.sqlstore import SqlStore

__all__ = ["SqliteStore"]

log = logging.getLogger(__name__)

T = TypeVar("T")


def _iso(moment: datetime) -> str:
    """The one text form of a timestamp in SQLite, so that text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _adapt(params: Any) -> Any:
    if any(isinstance(p, datetime) for p in params):
        return tuple(_iso(p) if isinstance(p, datetime) else p for p in params)
    return params


def _run(db: sqlite3.Connection, op: Op) -> Any:
    if op.many:
        db.executemany(op.sql, [_adapt(p) for p in op.params])
        return None
    cursor = db.execute(op.sql, _adapt(op.params))
    return cursor.rowcount if op.count else cursor.fetchall()


def _drive(work: Work[T]) -> Write[T]:
    """A rule as one write for the writer thread: its statements run there, in the batch's transaction."""

    def write(db: sqlite3.Connection) -> T:
        try:
            op = next(work)
            while True:
                try:
                    result = _run(db, op)
                except sqlite3.IntegrityError as exc:
                    if "UNIQUE" not in str(exc):
                        raise
                    op = work.throw(Conflict(str(exc)))
                    continue
                op = work.send(result)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    return write


def _connect_reader(path: Path) -> sqlite3.Connection:
    reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    reader.row_factory = sqlite3.Row
    reader.execute("PRAGMA busy_timeout=10000")
    reader.execute("PRAGMA query_only=ON")
    return reader


class SqliteStore(SqlStore, SqlDeskStore, SqlLiveStore):
    dialect = SQLITE

    def __init__(self, path: str | Path, *, job_lease: timedelta = timedelta(minutes=15),
                 max_batch: int = 256) -> None:
        """`max_batch` caps the writes sharing one commit (1 means a commit per write)."""
        self.path = Path(path)
        self.job_lease = job_lease
        self._writer = GroupCommitter(self.path, max_batch)
        self._reader: sqlite3.Connection | None = None
        self._locks = KeyLocks()
        self._jobs: dict[str, asyncio.Lock] = {}
        self._holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    @property
    def _read_db(self) -> sqlite3.Connection:
        if self._reader is None:
            raise RuntimeError("store is not open")
        return self._reader

    async def open(self, migrate: bool = True) -> None:
        if sqlite3.sqlite_version_info < (3, 38):  # the shared SQL uses ->> and RETURNING
            raise RuntimeError(f"SQLite {sqlite3.sqlite_version} is too old: the store needs 3.38 or later")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        await self._writer.start()
        try:
            version = await self.migrate() if migrate else await self._write(_schema_version)
            if version < SCHEMA_VERSION:
                raise RuntimeError(f"database schema is at version {version}, this code needs {SCHEMA_VERSION}: "
                                   "run `hotline db migrate`")
            self._reader = _connect_reader(self.path)
        except BaseException:
            await self.close()
            raise

    async def migrate(self) -> int:
        """Applies pending migrations; returns the schema version."""

        def apply(db: sqlite3.Connection) -> int:
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            current = _schema_version(db)
            for version, statements in enumerate(MIGRATIONS, start=1):
                if version > current:
                    for statement in statements("sqlite"):
                        db.execute(statement)
                    db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
                    current = version
            return current

        return await self._write(apply)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        await self._writer.stop()

    # what SqlStore builds on

    async def _fetch(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Runs and drains the statement at once, on the loop's thread.

        Draining matters: a statement left open across an await would hold the connection's read snapshot while
        other coroutines read through it, and they would see the database as it was before their user's last step.
        """
        return self._read_db.execute(sql, _adapt(params)).fetchall()

    async def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        values = _adapt(params)
        return await self._writer.run(lambda db: db.execute(sql, values).rowcount)

    async def _apply(self, work: Work[T], atomic: bool = True) -> T:
        return await self._writer.run(_drive(work))  # always atomic: the writer runs every write in a transaction

    async def _erased(self) -> None:
        """Copies the write-ahead log into the database file and empties it, so that personal data just deleted
        (overwritten there by secure_delete) leaves no older copy in the log either."""

        def checkpoint(db: sqlite3.Connection) -> None:
            busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy:
                raise sqlite3.OperationalError("a reader kept the write-ahead log from being emptied")

        for _ in range(50):
            try:
                await self._writer.run(checkpoint, outside=True)
                return
            except sqlite3.OperationalError:
                await asyncio.sleep(0.02)
        log.warning("the write-ahead log could not be emptied after a deletion; it is at the next checkpoint")

    async def _live_changed(self, conversation_ids: list[int]) -> None:
        """One process serves SQLite: the pages waiting on these conversations are woken here."""
        for conversation_id in conversation_ids:
            self.live_signals.wake(conversation_id)

    # SQLite's own work on the writer thread (schema, leases, dumps)

    async def _write(self, write: Write[T]) -> T:
        return await self._writer.run(write)

    # locks, leases and what only SQLite does

    def lock(self, key: SessionKey) -> Any:
        return self._locks.hold(str(key))

    async def ping(self) -> None:
        """Both paths a step uses: the reader on this thread, and the writer thread with the write lock."""
        await self._fetch("SELECT 1")
        await self._write(lambda db: db.execute("SELECT 1").fetchone())

    @asynccontextmanager
    async def exclusive(self, name: str, every: timedelta | None = None) -> AsyncIterator[bool]:
        """An in-process lock for this worker, a lease row for other processes on the same file."""
        lock = self._jobs.setdefault(name, asyncio.Lock())
        if lock.locked():
            yield False
            return
        async with lock:
            now = datetime.now(UTC)
            lease_until, holder = _iso(now + self.job_lease), self._holder
            recent = _iso(now - every) if every is not None else None

            def take(db: sqlite3.Connection) -> bool:
                row = db.execute("SELECT holder, lease_until, last_run_at FROM job_runs WHERE name=?",
                                 (name,)).fetchone()
                if row is not None:
                    if row["holder"] and row["holder"] != holder and (row["lease_until"] or "") > _iso(now):
                        return False
                    if recent is not None and row["last_run_at"] and row["last_run_at"] > recent:
                        return False
                db.execute(
                    "INSERT INTO job_runs (name, holder, lease_until) VALUES (?, ?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET holder=excluded.holder, lease_until=excluded.lease_until",
                    (name, holder, lease_until),
                )
                return True

            def release(ran: bool) -> Write[None]:
                def write(db: sqlite3.Connection) -> None:
                    db.execute(
                        "UPDATE job_runs SET holder='', lease_until=NULL, "
                        "last_run_at=CASE WHEN ? THEN ? ELSE last_run_at END WHERE name=? AND holder=?",
                        (int(ran), _iso(datetime.now(UTC)), name, holder),
                    )
                return write

            held = await self._write(take)
            if not held:
                yield False
                return
            ran = False
            try:
                yield True
                ran = True
            finally:
                await self._write(release(ran))

    async def dump(self) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """Reads one consistent snapshot on a connection of its own, so other reads stay current."""
        snapshot = await aiosqlite.connect(self.path, isolation_level=None)
        snapshot.row_factory = sqlite3.Row
        try:
            await snapshot.execute("PRAGMA busy_timeout=10000")
            await snapshot.execute("PRAGMA query_only=ON")
            await snapshot.execute("BEGIN")
            for table in TABLES:
                order = ", ".join(PRIMARY_KEYS[table])
                async with snapshot.execute(f"SELECT * FROM {table} ORDER BY {order}") as cursor:
                    async for row in cursor:
                        yield table, export_row(table, dict(row))
            await snapshot.execute("COMMIT")
        finally:
            await snapshot.close()

    async def load_rows(self, table: str, rows: list[dict[str, Any]]) -> None:
        if table not in TABLES or not rows:
            return
        columns = list(rows[0])
        values = [tuple(_adapt([import_value(table, c, r[c]) for c in columns])) for r in rows]

        def load(db: sqlite3.Connection) -> None:
            known = {r["name"] for r in db.execute(f"PRAGMA table_info({table})")}
            unknown = set(columns) - known
            if unknown:
                raise ValueError(f"{table}: unknown columns {sorted(unknown)}")
            db.executemany(
                f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                values,
            )

        await self._write(load)


def _schema_version(db: sqlite3.Connection) -> int:
    if db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'").fetchone() is None:
        return 0
    return int(db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0])
