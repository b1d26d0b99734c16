"""The embedded default store: one SQLite file in WAL mode, every commit fsynced (synchronous=FULL).

Writes use group commit: one thread owns the write connection and runs whatever writes are waiting as one
transaction (each in its own savepoint, so one failing write does not undo the others), then fsyncs once and
only then answers every caller. Under load that turns fifty commits into one without weakening durability:
a reference is never returned before its row is on disk. Reads are short indexed lookups made on a separate
connection right on the event loop's thread: in WAL mode a reader never waits for the writer, and a lookup takes
tens of microseconds, less than a trip to a worker thread would. Since a write is answered only after its commit,
reads always see the caller's own writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import socket
import sqlite3
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
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
from bot.store.desk_sqlite import SqliteDeskStore
from bot.store.keylocks import KeyLocks
from bot.store.live_sqlite import SqliteLiveStore
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
from bot.store.sql import state_in

__all__ = ["SqliteStore"]

log = logging.getLogger(__name__)

T = TypeVar("T")
Write = Callable[[sqlite3.Connection], T]

_AUDIT_INSERT = "INSERT INTO callback_audit (ref, at, actor, from_status, to_status, note) VALUES (?, ?, ?, ?, ?, ?)"
_OPEN = f"status IN ({', '.join(repr(s) for s in OPEN_STATUSES)})"
_CLOSED = f"status IN ({', '.join(repr(s) for s in CLOSED_STATUSES)})"


def _iso(moment: datetime) -> str:
    """The one text form of a timestamp in SQLite, so that text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _now() -> str:
    return _iso(datetime.now(UTC))


def _request(row: sqlite3.Row) -> CallbackRequest:
    data = dict(row)
    data["returnee"] = bool(data["returnee"])
    data["created_at"] = to_utc(data["created_at"])
    data["updated_at"] = to_utc(data["updated_at"])
    data.pop("closed_at", None)
    data.pop("announced_at", None)
    return CallbackRequest(**data)


def _statement(sql: str, params: tuple[Any, ...]) -> Write[int]:
    """A write of one statement; answers its row count."""
    return lambda db: db.execute(sql, params).rowcount


def _connect_reader(path: Path) -> sqlite3.Connection:
    reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    reader.row_factory = sqlite3.Row
    reader.execute("PRAGMA busy_timeout=10000")
    reader.execute("PRAGMA query_only=ON")
    return reader


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA busy_timeout=10000")
    db.execute("PRAGMA foreign_keys=ON")  # none declared yet: the audit trail must outlive purged requests
    db.execute("PRAGMA secure_delete=ON")  # deleted personal data is overwritten, not left in free pages
    return db


@dataclass
class _Job:
    write: Write[Any]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop
    outside: bool = False  # runs after the batch's commit, outside any transaction (a checkpoint)


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # the caller was cancelled; its write may still have committed
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class _GroupCommitter:
    """The write thread: drains the queue, runs the batch in one transaction, commits, then answers."""

    def __init__(self, path: Path, max_batch: int = 256) -> None:
        self.path = path
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    async def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"sqlite-writer:{self.path.name}", daemon=True)
        self._thread.start()
        await asyncio.to_thread(self._ready.wait)
        if self._error is not None:
            raise self._error

    async def stop(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            await asyncio.to_thread(self._thread.join)
        self._thread = None

    async def run(self, write: Write[T], outside: bool = False) -> T:
        if self._thread is None or not self._thread.is_alive():
            raise RuntimeError("store is not open")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(write, future, loop, outside))
        return await future

    def _run(self) -> None:
        try:
            db = _connect(self.path)
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            stopping = False
            while not stopping:
                first = self._queue.get()
                if first is None:
                    break
                batch = [first]
                while len(batch) < self.max_batch:
                    try:
                        job = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if job is None:
                        stopping = True
                        break
                    batch.append(job)
                self._commit(db, [job for job in batch if not job.outside])
                for job in batch:
                    if job.outside:
                        self._alone(db, job)
        finally:
            db.close()
            while True:  # writes that raced with close: tell their callers instead of leaving them waiting
                try:
                    late = self._queue.get_nowait()
                except queue.Empty:
                    break
                if late is not None:
                    with contextlib.suppress(RuntimeError):
                        late.loop.call_soon_threadsafe(_settle, late.future, False, RuntimeError("store is closed"))

    @staticmethod
    def _alone(db: sqlite3.Connection, job: _Job) -> None:
        try:
            outcome: tuple[bool, Any] = (True, job.write(db))
        except Exception as exc:
            outcome = (False, exc)
        with contextlib.suppress(RuntimeError):
            job.loop.call_soon_threadsafe(_settle, job.future, *outcome)

    @staticmethod
    def _commit(db: sqlite3.Connection, batch: list[_Job]) -> None:
        if not batch:
            return
        results: list[tuple[bool, Any]] = []
        try:
            db.execute("BEGIN IMMEDIATE")
            for job in batch:
                db.execute("SAVEPOINT job")
                try:
                    results.append((True, job.write(db)))
                except Exception as exc:
                    db.execute("ROLLBACK TO job")
                    results.append((False, exc))
                db.execute("RELEASE job")
            db.execute("COMMIT")
        except BaseException as exc:  # nothing in this batch is durable: every caller gets the error
            if db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
            results = [(False, exc if isinstance(exc, Exception) else RuntimeError("write aborted"))] * len(batch)
        for job, (ok, value) in zip(batch, results, strict=True):
            with contextlib.suppress(RuntimeError):  # the caller's loop is already closed
                job.loop.call_soon_threadsafe(_settle, job.future, ok, value)


class SqliteStore(Store, SqliteDeskStore, SqliteLiveStore):
    def __init__(self, path: str | Path, *, job_lease: timedelta = timedelta(minutes=15),
                 max_batch: int = 256) -> None:
        """`max_batch` caps the writes sharing one commit (1 means a commit per write)."""
        self.path = Path(path)
        self.job_lease = job_lease
        self._writer = _GroupCommitter(self.path, max_batch)
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

    async def _open_reader(self) -> aiosqlite.Connection:
        reader = await aiosqlite.connect(self.path, isolation_level=None)
        reader.row_factory = sqlite3.Row
        await reader.execute("PRAGMA busy_timeout=10000")
        await reader.execute("PRAGMA query_only=ON")
        return reader

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

    async def _write(self, write: Write[T]) -> T:
        return await self._writer.run(write)

    def lock(self, key: SessionKey) -> Any:
        return self._locks.hold(str(key))

    async def _one(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        rows = await self._all(sql, params)
        return rows[0] if rows else None

    async def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Runs and drains the statement at once, on the loop's thread.

        Draining matters: a statement left open across an await would hold the connection's read snapshot while
        other coroutines read through it, and they would see the database as it was before their user's last step.
        """
        return self._read_db.execute(sql, params).fetchall()

    async def load_session(self, key: SessionKey) -> dict[str, Any] | None:
        row = await self._one("SELECT data FROM sessions WHERE channel=? AND user_id=?", (key.channel, key.user_id))
        return orjson.loads(row["data"]) if row else None

    async def save_session(self, key: SessionKey, data: dict[str, Any], update_id: str | None = None,
                           replies: list[dict[str, Any]] | None = None) -> None:
        now, payload = _now(), orjson.dumps(data).decode()
        kept = orjson.dumps(replies).decode() if replies is not None else None

        def save(db: sqlite3.Connection) -> None:
            if update_id is not None:
                marked = db.execute(
                    "INSERT OR IGNORE INTO processed_updates (channel, update_id, processed_at, replies, delivered, "
                    "user_id) VALUES (?, ?, ?, ?, ?, ?)",
                    (key.channel, update_id, now, kept, int(kept is None), key.user_id),
                )
                if marked.rowcount == 0:
                    return
            db.execute(
                "INSERT INTO sessions (channel, user_id, data, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (channel, user_id) DO UPDATE SET data=excluded.data, updated_at=excluded.updated_at",
                (key.channel, key.user_id, payload, now),
            )

        await self._write(save)

    async def begin_step(self, key: SessionKey, update_id: str | None) -> StepStart:
        row = await self._one(
            "SELECT (SELECT 1 FROM processed_updates WHERE channel=?1 AND update_id=?2) AS seen, "
            "(SELECT replies FROM processed_updates WHERE channel=?1 AND update_id=?2 AND delivered=0) AS kept, "
            "(SELECT data FROM sessions WHERE channel=?1 AND user_id=?3) AS data",
            (key.channel, update_id, key.user_id),
        )
        assert row is not None
        if row["seen"]:
            return StepStart(True, orjson.loads(row["kept"]) if row["kept"] else None, None)
        return StepStart(False, None, orjson.loads(row["data"]) if row["data"] else None)

    async def mark_delivered(self, channel: str, update_id: str) -> None:
        await self._write(_statement(
            "UPDATE processed_updates SET delivered=1, replies=NULL WHERE channel=? AND update_id=? AND delivered=0",
            (channel, update_id),
        ))

    async def set_subscribed(self, key: SessionKey, subscribed: bool) -> None:
        await self._write(_statement(
            "INSERT INTO subscriptions (channel, user_id, subscribed, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (channel, user_id) DO UPDATE SET subscribed=excluded.subscribed, "
            "updated_at=excluded.updated_at",
            (key.channel, key.user_id, int(subscribed), _now()),
        ))

    async def is_subscribed(self, key: SessionKey) -> bool | None:
        row = await self._one(
            "SELECT subscribed FROM subscriptions WHERE channel=? AND user_id=?", (key.channel, key.user_id)
        )
        return bool(row["subscribed"]) if row else None

    async def create_request(self, request: CallbackRequest) -> CallbackRequest:
        now = _now()
        base = {**request.as_dict(), "status": "new", "assigned_to": "", "staff_message": "",
                "created_at": now, "updated_at": now, "returnee": int(bool(request.returnee))}
        insert = (f"INSERT INTO callback_requests ({', '.join(REQUEST_COLUMNS)}) "
                  f"VALUES ({', '.join('?' for _ in REQUEST_COLUMNS)})")

        def create(db: sqlite3.Connection) -> CallbackRequest:
            for _ in range(20):
                values = {**base, "ref": new_reference()}
                try:
                    db.execute(insert, tuple(values[c] for c in REQUEST_COLUMNS))
                except sqlite3.IntegrityError as exc:
                    if "callback_requests.ref" in str(exc):
                        continue  # the reference was taken: draw another
                    if "callback_requests.channel" in str(exc):
                        raise OpenRequestExists(request.channel) from exc
                    raise
                db.execute(_AUDIT_INSERT, (values["ref"], now, f"user:{request.channel}", "", "new", ""))
                return _request(db.execute("SELECT * FROM callback_requests WHERE ref=?", (values["ref"],)).fetchone())
            raise RuntimeError("could not allocate a unique reference")

        return await self._write(create)

    async def update_request(self, ref: str, fields: dict[str, Any]) -> CallbackRequest | None:
        allowed = {k: v for k, v in fields.items() if k in EDITABLE_REQUEST_COLUMNS}
        if "returnee" in allowed:
            allowed["returnee"] = int(bool(allowed["returnee"]))
        allowed["updated_at"] = _now()
        sets = ", ".join(f"{k}=?" for k in allowed)

        def update(db: sqlite3.Connection) -> CallbackRequest | None:
            db.execute(f"UPDATE callback_requests SET {sets} WHERE ref=? AND {_OPEN}", (*allowed.values(), ref.upper()))
            row = db.execute("SELECT * FROM callback_requests WHERE ref=?", (ref.upper(),)).fetchone()
            return _request(row) if row else None

        return await self._write(update)

    async def get_request(self, ref: str) -> CallbackRequest | None:
        row = await self._one("SELECT * FROM callback_requests WHERE ref=?", (ref.upper(),))
        return _request(row) if row else None

    async def open_request_for(self, key: SessionKey) -> CallbackRequest | None:
        row = await self._one(
            f"SELECT * FROM callback_requests WHERE channel=? AND user_id=? AND {_OPEN}", (key.channel, key.user_id)
        )
        return _request(row) if row else None

    async def requests_for(self, key: SessionKey) -> list[CallbackRequest]:
        rows = await self._all(
            "SELECT * FROM callback_requests WHERE channel=? AND user_id=? ORDER BY created_at, ref",
            (key.channel, key.user_id),
        )
        return [_request(r) for r in rows]

    async def list_requests(
        self, statuses: tuple[str, ...] | None = None, created_before: datetime | None = None,
        since: datetime | None = None,
    ) -> list[CallbackRequest]:
        clauses, params = ["status != 'cancelled'"], []
        if statuses:
            clauses.append(f"status IN ({', '.join('?' for _ in statuses)})")
            params.extend(statuses)
        if created_before:
            clauses.append("created_at < ?")
            params.append(_iso(created_before))
        if since:
            clauses.append("created_at >= ?")
            params.append(_iso(since))
        rows = await self._all(
            f"SELECT * FROM callback_requests WHERE {' AND '.join(clauses)} ORDER BY created_at, ref", tuple(params)
        )
        return [_request(r) for r in rows]

    async def transition(
        self, ref: str, allowed_from: tuple[str, ...], to_status: str, actor: str, note: str = ""
    ) -> TransitionResult:
        ref, now = ref.upper(), _now()

        def move(db: sqlite3.Connection) -> TransitionResult:
            row = db.execute("SELECT status FROM callback_requests WHERE ref=?", (ref,)).fetchone()
            ok = row is not None and row["status"] in allowed_from
            if ok:
                db.execute(
                    "UPDATE callback_requests SET status=?, updated_at=?, closed_at=COALESCE(?, closed_at), "
                    "assigned_to=COALESCE(?, assigned_to) WHERE ref=?",
                    (to_status, now, now if to_status in CLOSED_STATUSES else None,
                     actor if to_status == "assigned" else None, ref),
                )
                db.execute(_AUDIT_INSERT, (ref, now, actor, row["status"], to_status, note))
            found = db.execute("SELECT * FROM callback_requests WHERE ref=?", (ref,)).fetchone()
            return TransitionResult(ok, _request(found) if found else None)

        return await self._write(move)

    async def pending_announcements(self, limit: int = 20) -> list[CallbackRequest]:
        rows = await self._all(
            "SELECT * FROM callback_requests WHERE announced_at IS NULL AND status != 'cancelled' "
            "ORDER BY created_at, ref LIMIT ?",
            (limit,),
        )
        return [_request(r) for r in rows]

    async def mark_announced(self, ref: str, staff_message: str) -> None:
        await self._write(_statement("UPDATE callback_requests SET announced_at=?, staff_message=? WHERE ref=?",
                                     (_now(), staff_message, ref.upper())))

    async def add_note(self, ref: str, actor: str, note: str) -> bool:
        now = _now()

        def add(db: sqlite3.Connection) -> bool:
            row = db.execute("SELECT status FROM callback_requests WHERE ref=?", (ref.upper(),)).fetchone()
            if row is None:
                return False
            db.execute(_AUDIT_INSERT, (ref.upper(), now, actor, row["status"], row["status"], note))
            return True

        return await self._write(add)

    async def audit(self, ref: str) -> list[AuditEntry]:
        rows = await self._all(
            "SELECT ref, at, actor, from_status, to_status, note FROM callback_audit WHERE ref=? ORDER BY id",
            (ref.upper(),),
        )
        return [AuditEntry(r["ref"], datetime.fromisoformat(r["at"]), r["actor"], r["from_status"], r["to_status"],
                           r["note"] or "") for r in rows]

    async def forget_user(self, key: SessionKey) -> int:
        now = _now()

        def forget(db: sqlite3.Connection) -> int:
            refs = [r["ref"] for r in db.execute(
                "SELECT ref FROM callback_requests WHERE channel=? AND user_id=?", (key.channel, key.user_id)
            )]
            for ref in refs:
                db.execute("UPDATE callback_audit SET note='' WHERE ref=?", (ref,))
                db.execute(_AUDIT_INSERT, (ref, now, "user", "", "deleted", ""))
                db.execute("UPDATE staff_copies SET withdrawn_at=? WHERE ref=? AND withdrawn_at IS NULL", (now, ref))
            db.execute("DELETE FROM callback_requests WHERE channel=? AND user_id=?", (key.channel, key.user_id))
            db.execute("DELETE FROM sessions WHERE channel=? AND user_id=?", (key.channel, key.user_id))
            db.execute("UPDATE processed_updates SET replies=NULL WHERE channel=? AND user_id=?",
                       (key.channel, key.user_id))
            db.execute("DELETE FROM subscriptions WHERE channel=? AND user_id=?", (key.channel, key.user_id))
            db.execute("DELETE FROM pending_updates WHERE channel=? AND user_id=?", (key.channel, key.user_id))
            db.execute("DELETE FROM gaps WHERE channel=? AND user_id=?", (key.channel, key.user_id))
            return len(refs)

        forgotten = await self._write(forget)
        await self._checkpoint()
        return forgotten

    async def _checkpoint(self) -> None:
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

    async def add_staff_copy(self, ref: str, location: str) -> None:
        await self._write(_statement("INSERT INTO staff_copies (ref, location, sent_at) VALUES (?, ?, ?)",
                                     (ref.upper(), location, _now())))

    async def withdrawn_copies(self, limit: int = 50) -> list[StaffCopy]:
        rows = await self._all("SELECT id, ref, location, sent_at FROM staff_copies WHERE withdrawn_at IS NOT NULL "
                               "ORDER BY id LIMIT ?", (limit,))
        return [StaffCopy(r["id"], r["ref"], r["location"], datetime.fromisoformat(r["sent_at"])) for r in rows]

    async def drop_staff_copy(self, copy_id: int) -> None:
        await self._write(_statement("DELETE FROM staff_copies WHERE id=?", (copy_id,)))

    async def purge_closed(self, closed_before: datetime) -> int:
        cutoff = _iso(closed_before)

        def purge(db: sqlite3.Connection) -> int:
            refs = [r["ref"] for r in db.execute(
                f"SELECT ref FROM callback_requests WHERE {_CLOSED} AND closed_at < ?", (cutoff,)
            )]
            for ref in refs:
                db.execute("UPDATE callback_audit SET note='' WHERE ref=?", (ref,))
                db.execute("DELETE FROM callback_requests WHERE ref=?", (ref,))
            return len(refs)

        purged = await self._write(purge)
        if purged:
            await self._checkpoint()
        return purged

    async def record_gap(self, lang: str, kind: str, text: str, normalised: str, faq_id: str = "",
                         key: SessionKey | None = None) -> None:
        await self._write(_statement(
            "INSERT INTO gaps (at, lang, kind, text, normalised, faq_id, channel, user_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (_now(), lang, kind, text, normalised, faq_id, key and key.channel, key and key.user_id),
        ))

    async def gaps(self, since: datetime | None = None, lang: str | None = None, limit: int = 30) -> list[GapRow]:
        clauses, params = ["1=1"], []
        if since:
            clauses.append("at >= ?")
            params.append(_iso(since))
        if lang:
            clauses.append("lang = ?")
            params.append(lang)
        rows = await self._all(
            "SELECT MIN(text) AS text, lang, kind, COUNT(*) AS n, faq_id, MAX(at) AS last_at FROM gaps "
            f"WHERE {' AND '.join(clauses)} GROUP BY normalised, lang, kind, faq_id "
            "ORDER BY n DESC, last_at DESC LIMIT ?",
            (*params, limit),
        )
        return [GapRow(r["text"], r["lang"], r["kind"], r["n"], r["faq_id"], to_utc(r["last_at"])) for r in rows]

    async def purge_gaps(self, before: datetime) -> int:
        return await self._write(_statement("DELETE FROM gaps WHERE at < ?", (_iso(before),)))

    async def purge_sessions(self, idle_before: datetime, drafts_idle_before: datetime, drafts: StateMatch) -> int:
        in_draft, states = state_in(drafts)
        return await self._write(_statement(
            f"DELETE FROM sessions WHERE updated_at < ? OR (updated_at < ? AND {in_draft})",
            (_iso(idle_before), _iso(drafts_idle_before), *states),
        ))

    async def purge_processed_updates(self, before: datetime) -> int:
        return await self._write(_statement("DELETE FROM processed_updates WHERE processed_at < ?", (_iso(before),)))

    async def add_pending_updates(self, channel: str, updates: list[tuple[str, str | None, str]]) -> None:
        now = _now()
        rows = [(channel, update_id, user_id, now, payload) for update_id, user_id, payload in updates]

        def add(db: sqlite3.Connection) -> None:
            db.executemany("INSERT OR IGNORE INTO pending_updates (channel, update_id, user_id, received_at, "
                           "payload) VALUES (?, ?, ?, ?, ?)", rows)

        await self._write(add)

    async def remove_pending_updates(self, channel: str, update_ids: list[str]) -> None:
        rows = [(channel, update_id) for update_id in update_ids]

        def remove(db: sqlite3.Connection) -> None:
            db.executemany("DELETE FROM pending_updates WHERE channel=? AND update_id=?", rows)

        await self._write(remove)

    async def take_pending_updates(self, channel: str, received_before: datetime | None = None,
                                   max_attempts: int = 3) -> tuple[list[str], int]:
        params = (channel, _iso(received_before) if received_before is not None else "9999")

        now = _now()

        def take(db: sqlite3.Connection) -> tuple[list[str], int]:
            where = "channel=? AND coalesce(taken_at, received_at) < ?"
            dropped = db.execute(f"DELETE FROM pending_updates WHERE {where} AND attempts >= ?",
                                 (*params, max_attempts)).rowcount
            rows = db.execute(f"SELECT payload FROM pending_updates WHERE {where} "
                              "ORDER BY received_at, length(update_id), update_id", params).fetchall()
            db.execute(f"UPDATE pending_updates SET attempts = attempts + 1, taken_at = ? WHERE {where}",
                       (now, *params))
            return [row[0] for row in rows], dropped

        return await self._write(take)

    async def purge_pending_updates(self, before: datetime) -> int:
        return await self._write(_statement("DELETE FROM pending_updates WHERE received_at < ?", (_iso(before),)))

    async def ping(self) -> None:
        """Both paths a step uses: the reader on this thread, and the writer thread with the write lock."""
        await self._all("SELECT 1")
        await self._write(lambda db: db.execute("SELECT 1").fetchone())

    async def operational_counts(self) -> OperationalCounts:
        statuses = await self._all("SELECT status, count(*) AS n FROM callback_requests GROUP BY status")
        pending = await self._all("SELECT channel, count(*) AS n FROM pending_updates GROUP BY channel")
        new = await self._all("SELECT created_at FROM callback_requests WHERE status='new'")
        return OperationalCounts({r["status"]: r["n"] for r in statuses}, {r["channel"]: r["n"] for r in pending},
                                 [datetime.fromisoformat(r["created_at"]) for r in new])

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
                        (int(ran), _now(), name, holder),
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
        snapshot = await self._open_reader()
        try:
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
        values = [tuple(_import_value(table, c, r[c]) for c in columns) for r in rows]

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


def _import_value(table: str, column: str, value: Any) -> Any:
    value = import_value(table, column, value)
    return _iso(value) if isinstance(value, datetime) else value
