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
from typing import Any

import asyncpg
import orjson

from bot.records import AuditEntry, CallbackRequest, SessionKey, StateMatch
from bot.store.base import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    GapRow,
    OpenRequestExists,
    OperationalCounts,
    StaffCopy,
    StepStart,
    Store,
    TransitionResult,
    new_reference,
)
from bot.store.desk_postgres import PostgresDeskStore
from bot.store.keylocks import KeyLocks
from bot.store.live_postgres import PostgresLiveStore
from bot.store.schema import (
    EDITABLE_REQUEST_COLUMNS,
    MIGRATIONS,
    PRIMARY_KEYS,
    REQUEST_COLUMNS,
    SCHEMA_VERSION,
    TABLES,
    export_row,
    import_value,
    to_utc,
)
from bot.store.sql import POSTGRESQL, state_in

__all__ = ["PostgresStore", "advisory_key"]

log = logging.getLogger(__name__)

_POOL_OPTIONS = ("pool_size", "lock_pool_size")
_SESSION_UPSERT = ("INSERT INTO sessions (channel, user_id, data, updated_at) VALUES ($1, $2, $3, $4) "
                   "ON CONFLICT (channel, user_id) DO UPDATE SET data=excluded.data, updated_at=excluded.updated_at")
# A connection the server dropped or refused, or one asyncpg left in a broken state ("cannot switch to state").
_TRANSIENT = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.InternalClientError,
              asyncpg.exceptions.OperatorInterventionError, asyncpg.TooManyConnectionsError, ConnectionError,
              TimeoutError)
JOB_POOL_SIZE = 3  # periodic jobs holding their try-locks at the same time
_AUDIT_INSERT = ("INSERT INTO callback_audit (ref, at, actor, from_status, to_status, note) "
                 "VALUES ($1, $2, $3, $4, $5, $6)")


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


def _request(row: asyncpg.Record) -> CallbackRequest:
    data = dict(row)
    data["returnee"] = bool(data["returnee"])
    data.pop("closed_at", None)
    data.pop("announced_at", None)
    return CallbackRequest(**data)


def _discard(conn: asyncpg.Connection) -> None:
    """Closes a connection that may still hold a lock, so the pool never hands it out again."""
    with contextlib.suppress(asyncpg.InterfaceError):  # already detached from the pool if the server closed it
        conn.terminate()


async def _reset_connection(conn: asyncpg.Connection) -> None:
    """Nothing to undo on release: asyncpg already rolls back a forgotten transaction, we set no session state,
    and a connection whose lock is in doubt is closed instead. Saves asyncpg's default reset, a round trip."""


class PostgresStore(Store, PostgresDeskStore, PostgresLiveStore):
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

    async def load_session(self, key: SessionKey) -> dict[str, Any] | None:
        data = await self.pool.fetchval("SELECT data FROM sessions WHERE channel=$1 AND user_id=$2",
                                        key.channel, key.user_id)
        return orjson.loads(data) if data is not None else None

    async def save_session(self, key: SessionKey, data: dict[str, Any], update_id: str | None = None,
                           replies: list[dict[str, Any]] | None = None) -> None:
        """One statement, so one round trip: the session is written only if the update was not marked before."""
        payload = orjson.dumps(data).decode()
        if update_id is None:
            await self.pool.execute(_SESSION_UPSERT, key.channel, key.user_id, payload, _now())
            return
        kept = orjson.dumps(replies).decode() if replies is not None else None
        await self.pool.execute(
            "WITH marked AS (INSERT INTO processed_updates (channel, update_id, processed_at, replies, delivered, "
            "user_id) VALUES ($1, $5, $4, $6::jsonb, $7, $2) ON CONFLICT DO NOTHING RETURNING 1) "
            "INSERT INTO sessions (channel, user_id, data, updated_at) SELECT $1, $2, $3, $4 WHERE EXISTS "
            "(SELECT 1 FROM marked) "
            "ON CONFLICT (channel, user_id) DO UPDATE SET data=excluded.data, updated_at=excluded.updated_at",
            key.channel, key.user_id, payload, _now(), update_id, kept, int(kept is None),
        )

    async def begin_step(self, key: SessionKey, update_id: str | None) -> StepStart:
        row = await self.pool.fetchrow(
            "SELECT (SELECT 1 FROM processed_updates WHERE channel=$1 AND update_id=$2) AS seen, "
            "(SELECT replies FROM processed_updates WHERE channel=$1 AND update_id=$2 AND delivered=0) AS kept, "
            "(SELECT data FROM sessions WHERE channel=$1 AND user_id=$3) AS data",
            key.channel, update_id, key.user_id,
        )
        if row["seen"]:
            return StepStart(True, orjson.loads(row["kept"]) if row["kept"] else None, None)
        return StepStart(False, None, orjson.loads(row["data"]) if row["data"] is not None else None)

    async def mark_delivered(self, channel: str, update_id: str) -> None:
        await self.pool.execute(
            "UPDATE processed_updates SET delivered=1, replies=NULL WHERE channel=$1 AND update_id=$2 AND delivered=0",
            channel, update_id,
        )

    async def set_subscribed(self, key: SessionKey, subscribed: bool) -> None:
        await self.pool.execute(
            "INSERT INTO subscriptions (channel, user_id, subscribed, updated_at) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (channel, user_id) DO UPDATE SET subscribed=excluded.subscribed, "
            "updated_at=excluded.updated_at",
            key.channel, key.user_id, int(subscribed), _now(),
        )

    async def is_subscribed(self, key: SessionKey) -> bool | None:
        value = await self.pool.fetchval("SELECT subscribed FROM subscriptions WHERE channel=$1 AND user_id=$2",
                                         key.channel, key.user_id)
        return bool(value) if value is not None else None

    async def create_request(self, request: CallbackRequest) -> CallbackRequest:
        now = _now()
        count = len(REQUEST_COLUMNS)
        insert = (
            f"WITH created AS (INSERT INTO callback_requests ({', '.join(REQUEST_COLUMNS)}) "
            f"VALUES ({', '.join(f'${i}' for i in range(1, count + 1))}) RETURNING *), "
            "audited AS (INSERT INTO callback_audit (ref, at, actor, from_status, to_status, note) "
            f"SELECT ref, created_at, ${count + 1}, '', 'new', '' FROM created) "
            "SELECT * FROM created"
        )
        for _ in range(20):
            values = {**request.as_dict(), "ref": new_reference(), "status": "new", "assigned_to": "",
                      "staff_message": "", "created_at": now, "updated_at": now}
            values["returnee"] = int(bool(values["returnee"]))
            try:
                row = await self.pool.fetchrow(insert, *(values[c] for c in REQUEST_COLUMNS),
                                               f"user:{request.channel}")
            except asyncpg.UniqueViolationError as exc:
                if exc.constraint_name == "callback_one_open":
                    raise OpenRequestExists(str(request.channel)) from exc
                continue  # the reference was taken: draw another
            return _request(row)
        raise RuntimeError("could not allocate a unique reference")

    async def update_request(self, ref: str, fields: dict[str, Any]) -> CallbackRequest | None:
        allowed = {k: v for k, v in fields.items() if k in EDITABLE_REQUEST_COLUMNS}
        if "returnee" in allowed:
            allowed["returnee"] = int(bool(allowed["returnee"]))
        allowed["updated_at"] = _now()
        sets = ", ".join(f"{k}=${i}" for i, k in enumerate(allowed, start=3))
        async with self._transaction() as conn:
            await conn.execute(
                f"UPDATE callback_requests SET {sets} WHERE ref=$1 AND status = ANY($2::text[])",
                ref.upper(), list(OPEN_STATUSES), *allowed.values(),
            )
            row = await conn.fetchrow("SELECT * FROM callback_requests WHERE ref=$1", ref.upper())
        return _request(row) if row else None

    async def get_request(self, ref: str) -> CallbackRequest | None:
        row = await self.pool.fetchrow("SELECT * FROM callback_requests WHERE ref=$1", ref.upper())
        return _request(row) if row else None

    async def open_request_for(self, key: SessionKey) -> CallbackRequest | None:
        row = await self.pool.fetchrow(
            "SELECT * FROM callback_requests WHERE channel=$1 AND user_id=$2 AND status = ANY($3::text[])",
            key.channel, key.user_id, list(OPEN_STATUSES),
        )
        return _request(row) if row else None

    async def requests_for(self, key: SessionKey) -> list[CallbackRequest]:
        rows = await self.pool.fetch(
            "SELECT * FROM callback_requests WHERE channel=$1 AND user_id=$2 ORDER BY created_at, ref",
            key.channel, key.user_id,
        )
        return [_request(r) for r in rows]

    async def list_requests(
        self, statuses: tuple[str, ...] | None = None, created_before: datetime | None = None,
        since: datetime | None = None,
    ) -> list[CallbackRequest]:
        clauses, params = ["status != 'cancelled'"], []
        if statuses:
            params.append(list(statuses))
            clauses.append(f"status = ANY(${len(params)}::text[])")
        if created_before:
            params.append(to_utc(created_before))
            clauses.append(f"created_at < ${len(params)}")
        if since:
            params.append(to_utc(since))
            clauses.append(f"created_at >= ${len(params)}")
        rows = await self.pool.fetch(
            f"SELECT * FROM callback_requests WHERE {' AND '.join(clauses)} ORDER BY created_at, ref", *params
        )
        return [_request(r) for r in rows]

    async def transition(
        self, ref: str, allowed_from: tuple[str, ...], to_status: str, actor: str, note: str = ""
    ) -> TransitionResult:
        ref, now = ref.upper(), _now()
        async with self._transaction() as conn:
            status = await conn.fetchval("SELECT status FROM callback_requests WHERE ref=$1 FOR UPDATE", ref)
            ok = status is not None and status in allowed_from
            if ok:
                await conn.execute(
                    "UPDATE callback_requests SET status=$1, updated_at=$2, closed_at=COALESCE($3, closed_at), "
                    "assigned_to=COALESCE($4, assigned_to) WHERE ref=$5",
                    to_status, now, now if to_status in CLOSED_STATUSES else None,
                    actor if to_status == "assigned" else None, ref,
                )
                await conn.execute(_AUDIT_INSERT, ref, now, actor, status, to_status, note)
            row = await conn.fetchrow("SELECT * FROM callback_requests WHERE ref=$1", ref)
        return TransitionResult(ok, _request(row) if row else None)

    async def pending_announcements(self, limit: int = 20) -> list[CallbackRequest]:
        rows = await self.pool.fetch(
            "SELECT * FROM callback_requests WHERE announced_at IS NULL AND status != 'cancelled' "
            "ORDER BY created_at, ref LIMIT $1",
            limit,
        )
        return [_request(r) for r in rows]

    async def mark_announced(self, ref: str, staff_message: str) -> None:
        await self.pool.execute("UPDATE callback_requests SET announced_at=$1, staff_message=$2 WHERE ref=$3",
                                _now(), staff_message, ref.upper())

    async def add_note(self, ref: str, actor: str, note: str) -> bool:
        async with self._transaction() as conn:
            status = await conn.fetchval("SELECT status FROM callback_requests WHERE ref=$1 FOR SHARE", ref.upper())
            if status is None:
                return False
            await conn.execute(_AUDIT_INSERT, ref.upper(), _now(), actor, status, status, note)
        return True

    async def audit(self, ref: str) -> list[AuditEntry]:
        rows = await self.pool.fetch(
            "SELECT ref, at, actor, from_status, to_status, note FROM callback_audit WHERE ref=$1 ORDER BY id",
            ref.upper(),
        )
        return [AuditEntry(r["ref"], r["at"], r["actor"], r["from_status"], r["to_status"], r["note"] or "")
                for r in rows]

    async def forget_user(self, key: SessionKey) -> int:
        now = _now()
        async with self._transaction() as conn:
            refs = [r["ref"] for r in await conn.fetch(
                "DELETE FROM callback_requests WHERE channel=$1 AND user_id=$2 RETURNING ref", key.channel, key.user_id
            )]
            if refs:
                await conn.execute("UPDATE callback_audit SET note='' WHERE ref = ANY($1::text[])", refs)
                await conn.executemany(_AUDIT_INSERT, [(ref, now, "user", "", "deleted", "") for ref in refs])
                await conn.execute("UPDATE staff_copies SET withdrawn_at=$1 WHERE ref = ANY($2::text[]) "
                                   "AND withdrawn_at IS NULL", now, refs)
            await conn.execute("DELETE FROM sessions WHERE channel=$1 AND user_id=$2", key.channel, key.user_id)
            await conn.execute("UPDATE processed_updates SET replies=NULL WHERE channel=$1 AND user_id=$2",
                               key.channel, key.user_id)
            await conn.execute("DELETE FROM subscriptions WHERE channel=$1 AND user_id=$2", key.channel, key.user_id)
            await conn.execute("DELETE FROM pending_updates WHERE channel=$1 AND user_id=$2",
                               key.channel, key.user_id)
            await conn.execute("DELETE FROM gaps WHERE channel=$1 AND user_id=$2", key.channel, key.user_id)
        return len(refs)

    async def add_staff_copy(self, ref: str, location: str) -> None:
        await self.pool.execute("INSERT INTO staff_copies (ref, location, sent_at) VALUES ($1, $2, $3)",
                                ref.upper(), location, _now())

    async def withdrawn_copies(self, limit: int = 50) -> list[StaffCopy]:
        rows = await self.pool.fetch("SELECT id, ref, location, sent_at FROM staff_copies "
                                     "WHERE withdrawn_at IS NOT NULL ORDER BY id LIMIT $1", limit)
        return [StaffCopy(r["id"], r["ref"], r["location"], r["sent_at"]) for r in rows]

    async def drop_staff_copy(self, copy_id: int) -> None:
        await self.pool.execute("DELETE FROM staff_copies WHERE id=$1", copy_id)

    async def purge_closed(self, closed_before: datetime) -> int:
        async with self._transaction() as conn:
            refs = [r["ref"] for r in await conn.fetch(
                "DELETE FROM callback_requests WHERE status = ANY($1::text[]) AND closed_at < $2 RETURNING ref",
                list(CLOSED_STATUSES), to_utc(closed_before),
            )]
            if refs:
                await conn.execute("UPDATE callback_audit SET note='' WHERE ref = ANY($1::text[])", refs)
        return len(refs)

    async def record_gap(self, lang: str, kind: str, text: str, normalised: str, faq_id: str = "",
                         key: SessionKey | None = None) -> None:
        await self.pool.execute(
            "INSERT INTO gaps (at, lang, kind, text, normalised, faq_id, channel, user_id) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            _now(), lang, kind, text, normalised, faq_id, key and key.channel, key and key.user_id,
        )

    async def gaps(self, since: datetime | None = None, lang: str | None = None, limit: int = 30) -> list[GapRow]:
        clauses, params = ["TRUE"], []
        if since:
            params.append(to_utc(since))
            clauses.append(f"at >= ${len(params)}")
        if lang:
            params.append(lang)
            clauses.append(f"lang = ${len(params)}")
        params.append(limit)
        rows = await self.pool.fetch(
            'SELECT MIN(text COLLATE "C") AS text, lang, kind, COUNT(*) AS n, faq_id, MAX(at) AS last_at FROM gaps '
            f"WHERE {' AND '.join(clauses)} GROUP BY normalised, lang, kind, faq_id "
            f"ORDER BY n DESC, last_at DESC LIMIT ${len(params)}",
            *params,
        )
        return [GapRow(r["text"], r["lang"], r["kind"], r["n"], r["faq_id"], r["last_at"]) for r in rows]

    async def purge_gaps(self, before: datetime) -> int:
        status = await self.pool.execute("DELETE FROM gaps WHERE at < $1", to_utc(before))
        return int(status.split()[-1])

    async def purge_sessions(self, idle_before: datetime, drafts_idle_before: datetime, drafts: StateMatch) -> int:
        in_draft, states = state_in(drafts)
        status = await self.pool.execute(
            POSTGRESQL(f"DELETE FROM sessions WHERE updated_at < ? OR (updated_at < ? AND {in_draft})"),
            to_utc(idle_before), to_utc(drafts_idle_before), *states,
        )
        return int(status.split()[-1])

    async def purge_processed_updates(self, before: datetime) -> int:
        status = await self.pool.execute("DELETE FROM processed_updates WHERE processed_at < $1", to_utc(before))
        return int(status.split()[-1])

    async def add_pending_updates(self, channel: str, updates: list[tuple[str, str | None, str]]) -> None:
        now = _now()
        await self.pool.executemany(
            "INSERT INTO pending_updates (channel, update_id, user_id, received_at, payload) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            [(channel, update_id, user_id, now, payload) for update_id, user_id, payload in updates],
        )

    async def remove_pending_updates(self, channel: str, update_ids: list[str]) -> None:
        await self.pool.execute("DELETE FROM pending_updates WHERE channel=$1 AND update_id = ANY($2::text[])",
                                channel, update_ids)

    async def take_pending_updates(self, channel: str, received_before: datetime | None = None,
                                   max_attempts: int = 3) -> tuple[list[str], int]:
        before = to_utc(received_before) if received_before is not None else None
        where = "channel=$1 AND ($2::timestamptz IS NULL OR coalesce(taken_at, received_at) < $2)"
        async with self._transaction() as conn:
            status = await conn.execute(f"DELETE FROM pending_updates WHERE {where} AND attempts >= $3",
                                        channel, before, max_attempts)
            rows = await conn.fetch(
                f"UPDATE pending_updates SET attempts = attempts + 1, taken_at = $3 WHERE {where} "
                "RETURNING payload, received_at, length(update_id) AS size, update_id",
                channel, before, _now())
        ordered = sorted(rows, key=lambda row: (row["received_at"], row["size"], row["update_id"]))
        return [row["payload"] for row in ordered], int(status.split()[-1])

    async def purge_pending_updates(self, before: datetime) -> int:
        status = await self.pool.execute("DELETE FROM pending_updates WHERE received_at < $1", to_utc(before))
        return int(status.split()[-1])

    async def ping(self) -> None:
        await self.pool.fetchval("SELECT 1")

    async def operational_counts(self) -> OperationalCounts:
        async with self.pool.acquire() as conn:
            statuses = await conn.fetch("SELECT status, count(*) AS n FROM callback_requests GROUP BY status")
            pending = await conn.fetch("SELECT channel, count(*) AS n FROM pending_updates GROUP BY channel")
            new = await conn.fetch("SELECT created_at FROM callback_requests WHERE status='new'")
        return OperationalCounts({r["status"]: r["n"] for r in statuses}, {r["channel"]: r["n"] for r in pending},
                                 [r["created_at"] for r in new])

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

