"""The store for several workers: PostgreSQL through asyncpg pools.

Whatever must hold across processes lives in the database: an update is processed once because its
(channel, update_id) is a primary key, one user's load -> step -> save is serialised by a session-level advisory
lock, a status change by a row lock, a periodic job by an advisory try-lock.

Connections. Short statements use the data pool. A user's advisory lock is held on a connection from a separate
lock pool for the length of the step; keeping the pools apart means that even with every lock connection taken,
the steps holding them still get data connections, so a busy worker slows down but cannot deadlock. The lock pool
size caps how many users one worker serves at the same instant (the rest queue for a lock connection, up to the
lock timeout, then get an apology). Periodic jobs hold their try-locks on a third pool of up to three
connections. One worker needs up to pool_size + lock_pool_size + 3 connections (19 by default): keep workers x
that, plus room for staff tools and backups, below the server's max_connections (100 by default). Both sizes
can be set in the URL: postgresql://host/db?pool_size=8&lock_pool_size=8.

A connection the server drops (restart, pg_terminate_backend) fails the call in flight, which raises; the pools
replace dead connections, so the next call works again, and `is_transient` tells the engine to try the step
again on fresh ones. If the connection holding a user's lock dies, the lock goes with it: that step still
finishes and a warning is logged.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import asyncpg

from bot.records import SessionKey
from bot.store.desk_sql import SqlDeskStore
from bot.store.keylocks import KeyLocks
from bot.store.live_postgres import PostgresLiveStore
from bot.store.rows import request_from_row as _request  # noqa: F401  (the desk's mixin imports it from here)
from bot.store.schema import MIGRATIONS, PRIMARY_KEYS, SCHEMA_VERSION, TABLES, export_row, import_value
from bot.store.sql import POSTGRESQL, Conflict, Op, Work
from bot.store.sqlstore import SqlStore

__all__ = ["PostgresStore"]

log = logging.getLogger(__name__)

T = TypeVar("T")

_POOL_OPTIONS = ("pool_size", "lock_pool_size")
# A connection the server dropped or refused, or one asyncpg left in a broken state ("cannot switch to state").
_TRANSIENT = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.InternalClientError,
              asyncpg.exceptions.OperatorInterventionError, asyncpg.TooManyConnectionsError, ConnectionError,
              TimeoutError)
JOB_POOL_SIZE = 3  # periodic jobs holding their try-locks at the same time


def advisory_key(namespace: str, name: str) -> int:
    """A stable 64-bit advisory lock id (Python's hash() differs between processes)."""
    digest = hashlib.blake2b(f"{namespace}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _split_url(url: str) -> tuple[str, dict[str, int]]:
    """Takes this store's pool options out of the URL; everything else goes to asyncpg."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    options = {k: int(v) for k, v in query if k in _POOL_OPTIONS}
    rest = urllib.parse.urlencode([(k, v) for k, v in query if k not in _POOL_OPTIONS])
    return urllib.parse.urlunsplit(parts._replace(query=rest)), options


def _now() -> datetime:
    return datetime.now(UTC)


def _changed(status: str) -> int:
    """Rows changed, from a command status such as "DELETE 3" (and "INSERT 0 1")."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


async def _run(conn: asyncpg.Connection, op: Op) -> Any:
    sql = POSTGRESQL(op.sql)
    if op.many:
        await conn.executemany(sql, op.params)
        return None
    if op.count:
        return _changed(await conn.execute(sql, *op.params))
    return await conn.fetch(sql, *op.params)


async def _drive(conn: asyncpg.Connection, work: Work[T]) -> T:
    try:
        op = next(work)
        while True:
            try:
                result = await _run(conn, op)
            except asyncpg.UniqueViolationError as exc:
                op = work.throw(Conflict(exc.constraint_name or str(exc)))
                continue
            op = work.send(result)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def _discard(conn: asyncpg.Connection) -> None:
    """Closes a connection that may still hold a lock, so the pool never hands it out again."""
    with contextlib.suppress(asyncpg.InterfaceError):  # already detached from the pool if the server closed it
        conn.terminate()


async def _reset_connection(conn: asyncpg.Connection) -> None:
    """Nothing to undo on release: asyncpg already rolls back a forgotten transaction, we set no session state,
    and a connection whose lock is in doubt is closed instead. Saves asyncpg's default reset, a round trip."""


class PostgresStore(SqlStore, SqlDeskStore, PostgresLiveStore):
    dialect = POSTGRESQL

    def __init__(self, url: str, *, pool_size: int = 8, lock_pool_size: int = 8, command_timeout: float = 30.0,
                 lock_timeout: float = 30.0) -> None:
        self.dsn, options = _split_url(url)
        self.pool_size = options.get("pool_size", pool_size)
        self.lock_pool_size = options.get("lock_pool_size", lock_pool_size)
        self.command_timeout = command_timeout
        self.lock_timeout = lock_timeout
        self._server_settings = {} if "application_name" in self.dsn else {"application_name": "hotline"}
        self._pool: asyncpg.Pool | None = None
        self._lock_pool: asyncpg.Pool | None = None
        self._job_pool: asyncpg.Pool | None = None
        self._locks = KeyLocks()

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("store is not open")
        return self._pool

    async def open(self, migrate: bool = True) -> None:
        common: dict[str, Any] = {"command_timeout": self.command_timeout, "server_settings": self._server_settings,
                                  "reset": _reset_connection}
        try:
            self._pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=self.pool_size, **common)
            self._lock_pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=self.lock_pool_size, **common)
            self._job_pool = await asyncpg.create_pool(self.dsn, min_size=0, max_size=JOB_POOL_SIZE,
                                                       **{**common, "reset": None})  # asyncpg's reset unlocks all
            version = await self.migrate() if migrate else await self.schema_version()
            if version < SCHEMA_VERSION:
                raise RuntimeError(f"database schema is at version {version}, this code needs {SCHEMA_VERSION}: "
                                   "run `hotline db migrate`")
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        await self.close_live()
        for pool in (self._job_pool, self._lock_pool, self._pool):
            if pool is not None:
                await pool.close()
        self._pool = self._lock_pool = self._job_pool = None

    async def schema_version(self) -> int:
        async with self.pool.acquire() as conn:
            if await conn.fetchval("SELECT to_regclass('schema_version')") is None:
                return 0
            return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version"))

    async def migrate(self) -> int:
        """Applies pending migrations in one transaction; workers starting together take turns."""
        async with self._transaction() as conn:
            await conn.execute("SELECT pg_advisory_xact_lock($1)", advisory_key("migrate", "schema"))
            await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            current = int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version"))
            for version, statements in enumerate(MIGRATIONS, start=1):
                if version <= current:
                    continue
                for statement in statements("postgresql"):
                    await conn.execute(statement)
                await conn.execute("INSERT INTO schema_version (version) VALUES ($1)", version)
                current = version
        return current

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[asyncpg.Connection]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield conn

    def is_transient(self, error: BaseException) -> bool:
        return isinstance(error, _TRANSIENT)

    def lock(self, key: SessionKey) -> Any:
        return self._user_lock(str(key))

    @asynccontextmanager
    async def _user_lock(self, key: str) -> AsyncIterator[None]:
        if self._lock_pool is None:
            raise RuntimeError("store is not open")
        async with self._locks.hold(key):  # one lock connection per user per worker, however many updates wait
            conn = await self._lock_pool.acquire(timeout=self.lock_timeout)
            try:
                lock_id = advisory_key("session", key)
                try:
                    await conn.execute("SELECT pg_advisory_lock($1)", lock_id, timeout=self.lock_timeout)
                except BaseException:
                    _discard(conn)  # the server may grant the lock after we gave up waiting
                    raise
                try:
                    yield
                finally:
                    unlocked = False
                    try:
                        await conn.execute("SELECT pg_advisory_unlock($1)", lock_id)
                        unlocked = True
                    except Exception:  # asyncpg raises several kinds once the server has dropped the connection
                        log.warning("the connection holding a session lock was lost during the step")
                    finally:
                        if not unlocked:
                            _discard(conn)
            finally:
                await self._lock_pool.release(conn)

    # what SqlStore builds on

    async def _fetch(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        return await self.pool.fetch(POSTGRESQL(sql), *params)

    async def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        return _changed(await self.pool.execute(POSTGRESQL(sql), *params))

    async def _apply(self, work: Work[T], atomic: bool = True) -> T:
        async with self.pool.acquire() as conn:
            if not atomic:
                return await _drive(conn, work)
            async with conn.transaction():
                return await _drive(conn, work)

    async def _erased(self) -> None:
        """Deleted rows leave PostgreSQL's files at the next vacuum, which autovacuum runs; nothing to empty here."""

    async def ping(self) -> None:
        await self.pool.fetchval("SELECT 1")

    @asynccontextmanager
    async def exclusive(self, name: str, every: timedelta | None = None) -> AsyncIterator[bool]:
        if self._job_pool is None:
            raise RuntimeError("store is not open")
        lock_id = advisory_key("job", name)
        async with self._job_pool.acquire(timeout=self.lock_timeout) as conn:
            if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock_id):
                yield False
                return
            try:
                last = await conn.fetchval("SELECT last_run_at FROM job_runs WHERE name=$1", name)
                due = every is None or last is None or last <= _now() - every
                yield due
                if due:
                    await conn.execute(
                        "INSERT INTO job_runs (name, last_run_at) VALUES ($1, $2) "
                        "ON CONFLICT (name) DO UPDATE SET last_run_at=excluded.last_run_at",
                        name, _now(),
                    )
            finally:
                with contextlib.suppress(Exception):  # if the connection is gone, so is its lock
                    await conn.execute("SELECT pg_advisory_unlock($1)", lock_id)

    async def dump(self) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            for table in TABLES:
                order = ", ".join(PRIMARY_KEYS[table])
                async for row in conn.cursor(f"SELECT * FROM {table} ORDER BY {order}", prefetch=500):
                    yield table, export_row(table, dict(row))

    async def load_rows(self, table: str, rows: list[dict[str, Any]]) -> None:
        if table not in TABLES or not rows:
            return
        async with self._transaction() as conn:
            known = {r["column_name"] for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = $1", table,
            )}
            columns = list(rows[0])
            unknown = set(columns) - known
            if unknown:
                raise ValueError(f"{table}: unknown columns {sorted(unknown)}")
            keys = PRIMARY_KEYS[table]
            updates = ", ".join(f"{c}=excluded.{c}" for c in columns if c not in keys)
            conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
            await conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join(f'${i}' for i in range(1, len(columns) + 1))}) "
                f"ON CONFLICT ({', '.join(keys)}) {conflict}",
                [tuple(import_value(table, c, r[c]) for c in columns) for r in rows],
            )
            if keys == ("id",):  # keep the serial ahead of imported ids
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"GREATEST((SELECT MAX(id) FROM {table}), 1))"
                )

