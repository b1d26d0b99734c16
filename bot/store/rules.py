"""The store's rules that take more than one statement, each written once for both engines.

What /forget wipes, what a status change writes, how a reference is drawn, how kept updates are taken up: each
is a generator of statements (bot/store/sql.py) that an engine runs inside one transaction with its own
connection code. A rule never says which engine it runs on; where an engine can do two writes in one statement
(`Dialect.writable_ctes`), the rule says so with the dialect's flag, beside the plain form.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.records import CLOSED_STATUSES, OPEN_STATUSES, CallbackRequest, SessionKey
from bot.store.base import OpenRequestExists, TransitionResult, new_reference
from bot.store.rows import request_from_row
from bot.store.schema import EDITABLE_REQUEST_COLUMNS, REQUEST_COLUMNS
from bot.store.sql import Conflict, Dialect, Op, Work, in_list

__all__ = [
    "AUDIT_INSERT",
    "FORGOTTEN_BY_LIVE_CHATS",
    "FORGOTTEN_TABLES",
    "IS_CLOSED",
    "IS_OPEN",
    "SAVE_STEP_AT_ONCE",
    "SESSION_UPSERT",
    "WITHOUT_USER_DATA",
    "add_note",
    "create_request",
    "forget_user",
    "purge_closed",
    "save_step",
    "take_pending_updates",
    "transition",
    "transition_effects",
    "update_request",
]

# Literals, not parameters, so SQLite can use the partial index on open requests.
IS_OPEN = f"status IN ({', '.join(repr(s) for s in OPEN_STATUSES)})"
IS_CLOSED = f"status IN ({', '.join(repr(s) for s in CLOSED_STATUSES)})"
REF_ATTEMPTS = 20

AUDIT_INSERT = "INSERT INTO callback_audit (ref, at, actor, from_status, to_status, note) VALUES (?, ?, ?, ?, ?, ?)"
SESSION_UPSERT = ("INSERT INTO sessions (channel, user_id, data, updated_at) VALUES (?, ?, ?, ?) "
                  "ON CONFLICT (channel, user_id) DO UPDATE SET data=excluded.data, updated_at=excluded.updated_at")
_MARK_UPDATE = ("INSERT INTO processed_updates (channel, update_id, processed_at, replies, delivered, user_id) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
# `save_step` as one statement where INSERT may sit inside WITH: one round trip per step. Parameters: channel,
# user id, session JSON, now, update id, kept replies JSON, delivered.
SAVE_STEP_AT_ONCE = (
    "WITH marked AS (INSERT INTO processed_updates (channel, update_id, processed_at, replies, delivered, user_id) "
    "VALUES (?1, ?5, ?4, ?6::jsonb, ?7, ?2) ON CONFLICT DO NOTHING RETURNING 1) "
    "INSERT INTO sessions (channel, user_id, data, updated_at) SELECT ?1, ?2, ?3, ?4 WHERE EXISTS "
    "(SELECT 1 FROM marked) "
    "ON CONFLICT (channel, user_id) DO UPDATE SET data=excluded.data, updated_at=excluded.updated_at"
)
_INSERT_REQUEST = f"INSERT INTO callback_requests ({', '.join(REQUEST_COLUMNS)}) VALUES {in_list(len(REQUEST_COLUMNS))}"
_INSERT_REQUEST_AUDITED = (
    f"WITH created AS ({_INSERT_REQUEST} RETURNING *), "
    "audited AS (INSERT INTO callback_audit (ref, at, actor, from_status, to_status, note) "
    "SELECT ref, created_at, ?, '', 'new', '' FROM created) SELECT * FROM created"
)

# What /forget does to every table that can hold something of a user, by (channel, user id) as ?1, ?2 and the
# time as ?3. Privacy-critical: a new table holding anything of a user belongs here, or in WITHOUT_USER_DATA if
# it holds nothing of one (the privacy contract suite checks every table of the schema is in one of the lists).
_USER = "channel=?1 AND user_id=?2"
_THEIR_REQUESTS = f"ref IN (SELECT ref FROM callback_requests WHERE {_USER})"
_FORGET: tuple[tuple[str, str], ...] = (
    ("callback_audit", f"UPDATE callback_audit SET note='' WHERE {_THEIR_REQUESTS}"),  # the trail stays, bare
    ("staff_copies", f"UPDATE staff_copies SET withdrawn_at=?3 WHERE withdrawn_at IS NULL AND {_THEIR_REQUESTS}"),
    ("callback_requests", f"DELETE FROM callback_requests WHERE {_USER}"),
    ("sessions", f"DELETE FROM sessions WHERE {_USER}"),
    ("subscriptions", f"DELETE FROM subscriptions WHERE {_USER}"),
    ("processed_updates", f"UPDATE processed_updates SET replies=NULL WHERE {_USER}"),  # ids stay for de-duplication
    ("pending_updates", f"DELETE FROM pending_updates WHERE {_USER}"),
    ("gaps", f"DELETE FROM gaps WHERE {_USER}"),
)
FORGOTTEN_TABLES = frozenset(table for table, _ in _FORGET)
# Live chats have a /forget of their own (`LiveStore.forget_live`), which the privacy flow calls beside this one.
FORGOTTEN_BY_LIVE_CHATS = frozenset({"live_conversations", "live_messages", "live_audit"})
# Day counts are numbers only; an editor's decision holds a question as the editor confirmed it for the content
# (personal data removed in the gaps report, tidied on the desk), with no link to who asked it.
WITHOUT_USER_DATA = frozenset({"schema_version", "job_runs", "staff_accounts", "staff_login_failures", "staff_audit",
                               "activity_days", "outcome_days", "entry_days", "content_decisions"})


def save_step(key: SessionKey, payload: str, now: datetime, update_id: str, kept: str | None) -> Work[None]:
    """Marks the update processed and saves the session, unless another worker marked the update first."""
    marked = yield Op(_MARK_UPDATE, (key.channel, update_id, now, kept, int(kept is None), key.user_id), count=True)
    if marked:
        yield Op(SESSION_UPSERT, (key.channel, key.user_id, payload, now))


def create_request(dialect: Dialect, request: CallbackRequest, now: datetime) -> Work[CallbackRequest]:
    """Draws references until one is free, and audits the creation. A conflict that is not on the reference is
    the database's one open request per user."""
    values: dict[str, Any] = {**request.as_dict(), "status": "new", "assigned_to": "", "staff_message": "",
                              "created_at": now, "updated_at": now, "returnee": int(bool(request.returnee))}
    actor = f"user:{request.channel}"
    for _ in range(REF_ATTEMPTS):
        values["ref"] = new_reference()
        params = tuple(values[c] for c in REQUEST_COLUMNS)
        try:
            if dialect.writable_ctes:
                rows = yield Op(_INSERT_REQUEST_AUDITED, (*params, actor))
            else:
                rows = yield Op(f"{_INSERT_REQUEST} RETURNING *", params)
                yield Op(AUDIT_INSERT, (values["ref"], now, actor, "", "new", ""))
        except Conflict:
            if (yield Op(f"SELECT 1 FROM callback_requests WHERE channel=? AND user_id=? AND {IS_OPEN}",
                         (request.channel, request.user_id))):
                raise OpenRequestExists(request.channel) from None
            continue  # the reference was taken: draw another
        return request_from_row(rows[0])
    raise RuntimeError("could not allocate a unique reference")


def update_request(ref: str, fields: dict[str, Any], now: datetime) -> Work[CallbackRequest | None]:
    """Edits the personal fields of an open request; ids, status and times are not the caller's to set."""
    allowed = {k: v for k, v in fields.items() if k in EDITABLE_REQUEST_COLUMNS}
    if "returnee" in allowed:
        allowed["returnee"] = int(bool(allowed["returnee"]))
    allowed["updated_at"] = now
    sets = ", ".join(f"{column}=?" for column in allowed)
    yield Op(f"UPDATE callback_requests SET {sets} WHERE ref=? AND {IS_OPEN}", (*allowed.values(), ref))
    rows = yield Op("SELECT * FROM callback_requests WHERE ref=?", (ref,))
    return request_from_row(rows[0]) if rows else None


def transition_effects(to_status: str, actor: str, now: datetime) -> dict[str, Any]:
    """What a status change writes: the status, when it closed, and who took it."""
    effects: dict[str, Any] = {"status": to_status, "updated_at": now}
    if to_status in CLOSED_STATUSES:
        effects["closed_at"] = now
    if to_status == "assigned":
        effects["assigned_to"] = actor
    return effects


def transition(dialect: Dialect, ref: str, allowed_from: tuple[str, ...], to_status: str, actor: str, note: str,
               now: datetime) -> Work[TransitionResult]:
    """Checks the current status under a row lock, so of two concurrent callers exactly one moves it."""
    rows = yield Op(f"SELECT status FROM callback_requests WHERE ref=?{dialect.lock_row}", (ref,))
    ok = bool(rows) and rows[0]["status"] in allowed_from
    if ok:
        effects = transition_effects(to_status, actor, now)
        sets = ", ".join(f"{column}=?" for column in effects)
        yield Op(f"UPDATE callback_requests SET {sets} WHERE ref=?", (*effects.values(), ref))
        yield Op(AUDIT_INSERT, (ref, now, actor, rows[0]["status"], to_status, note))
    found = yield Op("SELECT * FROM callback_requests WHERE ref=?", (ref,))
    return TransitionResult(ok, request_from_row(found[0]) if found else None)


def add_note(dialect: Dialect, ref: str, actor: str, note: str, now: datetime) -> Work[bool]:
    """A note is an audit entry that keeps the status."""
    rows = yield Op(f"SELECT status FROM callback_requests WHERE ref=?{dialect.share_row}", (ref,))
    if not rows:
        return False
    yield Op(AUDIT_INSERT, (ref, now, actor, rows[0]["status"], rows[0]["status"], note))
    return True


def forget_user(key: SessionKey, now: datetime) -> Work[int]:
    """Everything of one user goes; their requests' audit trail stays without notes, ending in "deleted"."""
    who = (key.channel, key.user_id)
    refs = [row["ref"] for row in (yield Op("SELECT ref FROM callback_requests WHERE channel=? AND user_id=?", who))]
    if refs:
        yield Op(AUDIT_INSERT, [(ref, now, "user", "", "deleted", "") for ref in refs], many=True)
    for _, sql in _FORGET:
        yield Op(sql, (*who, now) if "?3" in sql else who)
    return len(refs)


def purge_closed(closed_before: datetime) -> Work[int]:
    """Requests closed before the cut-off go; their audit trail stays, without notes."""
    old = f"{IS_CLOSED} AND closed_at < ?"
    yield Op(f"UPDATE callback_audit SET note='' WHERE ref IN (SELECT ref FROM callback_requests WHERE {old})",
             (closed_before,))
    purged: int = yield Op(f"DELETE FROM callback_requests WHERE {old}", (closed_before,), count=True)
    return purged


def take_pending_updates(channel: str, received_before: datetime | None, max_attempts: int,
                         now: datetime) -> Work[tuple[list[str], int]]:
    """Drops updates taken up too often, then takes up the rest: oldest first, a batch by update id (as a number
    when it is one: shorter ids first)."""
    where, params = "channel=?", (channel,)
    if received_before is not None:
        where, params = f"{where} AND coalesce(taken_at, received_at) < ?", (channel, received_before)
    dropped: int = yield Op(f"DELETE FROM pending_updates WHERE {where} AND attempts >= ?", (*params, max_attempts),
                            count=True)
    rows = yield Op(f"UPDATE pending_updates SET attempts = attempts + 1, taken_at = ? WHERE {where} "
                    "RETURNING payload, received_at, length(update_id) AS size, update_id", (now, *params))
    ordered = sorted(rows, key=lambda row: (row["received_at"], row["size"], row["update_id"]))
    return [row["payload"] for row in ordered], dropped
