"""Versioned schema migrations, written once for both engines.

Each migration is a function of the dialect ("sqlite" or "postgresql") returning its statements, so the two
engines stay identical in meaning. Append new migrations; never edit an applied one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "EDITABLE_REQUEST_COLUMNS",
    "JSON_COLUMNS",
    "MIGRATIONS",
    "PRIMARY_KEYS",
    "REQUEST_COLUMNS",
    "SCHEMA_VERSION",
    "TABLES",
    "TIMESTAMP_COLUMNS",
    "export_row",
    "import_value",
    "to_utc",
]

REQUEST_COLUMNS = (
    "ref", "channel", "user_id", "status", "name", "phone", "town", "topic", "returnee", "return_country",
    "return_month", "language", "time_window", "note", "assigned_to", "created_at", "updated_at", "staff_message",
)
EDITABLE_REQUEST_COLUMNS = frozenset(REQUEST_COLUMNS) - {"ref", "status", "channel", "user_id", "created_at"}
TABLES = ("sessions", "processed_updates", "subscriptions", "callback_requests", "callback_audit", "gaps",
          "staff_copies", "staff_accounts", "staff_audit", "activity_days", "live_conversations", "live_messages",
          "live_audit", "content_decisions", "outcome_days", "entry_days")
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "sessions": ("channel", "user_id"),
    "processed_updates": ("channel", "update_id"),
    "subscriptions": ("channel", "user_id"),
    "callback_requests": ("ref",),
    "callback_audit": ("id",),
    "gaps": ("id",),
    "staff_copies": ("id",),
    "staff_accounts": ("name",),
    "staff_audit": ("id",),
    "activity_days": ("day", "channel", "language"),
    "live_conversations": ("id",),
    "live_messages": ("id",),
    "live_audit": ("id",),
    "content_decisions": ("id",),
    "outcome_days": ("day", "channel", "language", "outcome"),
    "entry_days": ("day", "faq_id", "outcome"),
}
# SQLite keeps these as ISO-8601 UTC text, PostgreSQL as timestamptz; exports carry them as ISO text.
TIMESTAMP_COLUMNS: dict[str, frozenset[str]] = {
    "sessions": frozenset({"updated_at"}),
    "processed_updates": frozenset({"processed_at"}),
    "subscriptions": frozenset({"updated_at"}),
    "callback_requests": frozenset({"created_at", "updated_at", "closed_at", "announced_at"}),
    "callback_audit": frozenset({"at"}),
    "gaps": frozenset({"at"}),
    "staff_copies": frozenset({"sent_at", "withdrawn_at"}),
    "staff_accounts": frozenset({"created_at", "updated_at"}),
    "staff_audit": frozenset({"at"}),
    "activity_days": frozenset(),
    "live_conversations": frozenset({"created_at", "taken_at", "closed_at", "last_at"}),
    "live_messages": frozenset({"at"}),
    "live_audit": frozenset({"at"}),
    "content_decisions": frozenset({"at"}),
    "outcome_days": frozenset(),
    "entry_days": frozenset(),
}
JSON_COLUMNS: dict[str, frozenset[str]] = {"sessions": frozenset({"data"}), "processed_updates": frozenset({"replies"})}


def _v1(dialect: str) -> list[str]:
    ts = "TIMESTAMPTZ" if dialect == "postgresql" else "TEXT"
    serial = "BIGSERIAL PRIMARY KEY" if dialect == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
    json_type = "JSONB" if dialect == "postgresql" else "TEXT"
    return [
        f"""CREATE TABLE sessions (
            channel TEXT NOT NULL, user_id TEXT NOT NULL, data {json_type} NOT NULL, updated_at {ts} NOT NULL,
            PRIMARY KEY (channel, user_id))""",
        f"""CREATE TABLE processed_updates (
            channel TEXT NOT NULL, update_id TEXT NOT NULL, processed_at {ts} NOT NULL,
            PRIMARY KEY (channel, update_id))""",
        "CREATE INDEX processed_updates_at ON processed_updates (processed_at)",
        f"""CREATE TABLE subscriptions (
            channel TEXT NOT NULL, user_id TEXT NOT NULL, subscribed INTEGER NOT NULL, updated_at {ts} NOT NULL,
            PRIMARY KEY (channel, user_id))""",
        f"""CREATE TABLE callback_requests (
            ref TEXT PRIMARY KEY, channel TEXT NOT NULL, user_id TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('new', 'assigned', 'done', 'unreachable', 'cancelled')),
            name TEXT NOT NULL, phone TEXT NOT NULL, town TEXT NOT NULL DEFAULT '', topic TEXT NOT NULL DEFAULT '',
            returnee INTEGER NOT NULL DEFAULT 0, return_country TEXT NOT NULL DEFAULT '',
            return_month TEXT NOT NULL DEFAULT '', language TEXT NOT NULL DEFAULT 'ka',
            time_window TEXT NOT NULL DEFAULT 'any', note TEXT NOT NULL DEFAULT '',
            assigned_to TEXT NOT NULL DEFAULT '', created_at {ts} NOT NULL, updated_at {ts} NOT NULL,
            closed_at {ts}, announced_at {ts}, staff_message TEXT NOT NULL DEFAULT '')""",
        "CREATE UNIQUE INDEX callback_one_open ON callback_requests (channel, user_id) "
        "WHERE status IN ('new', 'assigned')",
        "CREATE INDEX callback_status ON callback_requests (status, created_at)",
        f"""CREATE TABLE callback_audit (
            id {serial}, ref TEXT NOT NULL, at {ts} NOT NULL, actor TEXT NOT NULL,
            from_status TEXT NOT NULL, to_status TEXT NOT NULL, note TEXT NOT NULL DEFAULT '')""",
        "CREATE INDEX callback_audit_ref ON callback_audit (ref)",
        f"""CREATE TABLE gaps (
            id {serial}, at {ts} NOT NULL, lang TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL,
            normalised TEXT NOT NULL, faq_id TEXT NOT NULL DEFAULT '')""",
        "CREATE INDEX gaps_at ON gaps (at)",
    ]


def _v2(dialect: str) -> list[str]:
    """Leases for periodic jobs, so one worker runs each job, at most once per period."""
    ts = "TIMESTAMPTZ" if dialect == "postgresql" else "TEXT"
    return [
        f"""CREATE TABLE job_runs (
            name TEXT PRIMARY KEY, holder TEXT NOT NULL DEFAULT '', lease_until {ts}, last_run_at {ts})""",
    ]


def _v3(dialect: str) -> list[str]:
    """Replies kept with their update until the channel has sent them, so a resend after a crash is answered."""
    json_type = "JSONB" if dialect == "postgresql" else "TEXT"
    return [
        f"ALTER TABLE processed_updates ADD COLUMN replies {json_type}",
        "ALTER TABLE processed_updates ADD COLUMN delivered INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE processed_updates ADD COLUMN user_id TEXT",
    ]


def _v4(dialect: str) -> list[str]:
    """Updates that arrived (fetched by polling, or posted to a webhook answered at once), kept until handled."""
    ts = "TIMESTAMPTZ" if dialect == "postgresql" else "TEXT"
    return [
        f"""CREATE TABLE pending_updates (
            channel TEXT NOT NULL, update_id TEXT NOT NULL, received_at {ts} NOT NULL, payload TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, taken_at {ts}, user_id TEXT, PRIMARY KEY (channel, update_id))""",
        "CREATE INDEX pending_updates_at ON pending_updates (received_at)",
    ]


def _gaps_user_reference(dialect: str) -> list[str]:
    """Who asked each unanswered question, so /forget removes their questions from the gaps report too."""
    return [
        "ALTER TABLE gaps ADD COLUMN channel TEXT",
        "ALTER TABLE gaps ADD COLUMN user_id TEXT",
        "CREATE INDEX gaps_user ON gaps (channel, user_id)",
    ]


def _staff_copies(dialect: str) -> list[str]:
    """Where a request's details were sent to a caseworker, so /forget can delete or withdraw that message."""
    ts = "TIMESTAMPTZ" if dialect == "postgresql" else "TEXT"
    serial = "BIGSERIAL PRIMARY KEY" if dialect == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
    return [
        f"""CREATE TABLE staff_copies (
            id {serial}, ref TEXT NOT NULL, location TEXT NOT NULL, sent_at {ts} NOT NULL, withdrawn_at {ts})""",
        "CREATE INDEX staff_copies_ref ON staff_copies (ref)",
    ]


def _staff_desk(dialect: str) -> list[str]:
    """Staff accounts for the caseworkers' desk, failed logins (per account and per address), and the desk's own
    audit trail (logins, account changes; request changes stay in callback_audit)."""
    ts = "TIMESTAMPTZ" if dialect == "postgresql" else "TEXT"
    serial = "BIGSERIAL PRIMARY KEY" if dialect == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
    return [
        f"""CREATE TABLE staff_accounts (
            name TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('caseworker', 'editor', 'supervisor')),
            password_hash TEXT NOT NULL, must_change INTEGER NOT NULL DEFAULT 1, active INTEGER NOT NULL DEFAULT 1,
            telegram_id BIGINT, session_version INTEGER NOT NULL DEFAULT 1, created_at {ts} NOT NULL,
            updated_at {ts} NOT NULL)""",
        f"""CREATE TABLE staff_login_failures (
            key TEXT PRIMARY KEY, failures INTEGER NOT NULL, first_at {ts} NOT NULL, locked_until {ts})""",
        f"""CREATE TABLE staff_audit (
            id {serial}, at {ts} NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
            target TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '')""",
        "CREATE INDEX callback_created ON callback_requests (created_at)",
    ]


def _desk_activity(dialect: str) -> list[str]:
    """People in conversation per day, channel and language, counted from sessions before they are purged: the
    statistics keep numbers only, no user ids."""
    return [
        """CREATE TABLE activity_days (
            day TEXT NOT NULL, channel TEXT NOT NULL, language TEXT NOT NULL, users INTEGER NOT NULL,
            PRIMARY KEY (day, channel, language))""",
        "CREATE INDEX callback_audit_taken ON callback_audit (ref, to_status, at)",
        "CREATE INDEX callback_status_town ON callback_requests (status, town)",
    ]


def _live_chats(dialect: str) -> list[str]:
    """Live chats with a caseworker: the conversation, its messages both ways (the transcript, personal data kept
    like a callback request's), and an audit trail of who took and ended it that outlives the transcript."""
    ts = "TIMESTAMPTZ" if dialect == "postgresql" else "TEXT"
    serial = "BIGSERIAL PRIMARY KEY" if dialect == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
    return [
        f"""CREATE TABLE live_conversations (
            id {serial}, channel TEXT NOT NULL, user_id TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('waiting', 'taken', 'closed', 'missed')),
            language TEXT NOT NULL DEFAULT '', topic TEXT NOT NULL DEFAULT '', taken_by TEXT NOT NULL DEFAULT '',
            ended_by TEXT NOT NULL DEFAULT '', outcome TEXT NOT NULL DEFAULT '', rating INTEGER,
            announced TEXT NOT NULL DEFAULT '', forwarded BIGINT NOT NULL DEFAULT 0, created_at {ts} NOT NULL,
            taken_at {ts}, closed_at {ts}, last_at {ts} NOT NULL)""",
        "CREATE UNIQUE INDEX live_one_open ON live_conversations (channel, user_id) "
        "WHERE status IN ('waiting', 'taken')",
        "CREATE INDEX live_status ON live_conversations (status, created_at)",
        f"""CREATE TABLE live_messages (
            id {serial}, conversation_id BIGINT NOT NULL, direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
            kind TEXT NOT NULL, body TEXT NOT NULL DEFAULT '', file_ref TEXT NOT NULL DEFAULT '',
            author TEXT NOT NULL DEFAULT '', update_id TEXT, status TEXT NOT NULL DEFAULT 'stored',
            error TEXT NOT NULL DEFAULT '', at {ts} NOT NULL)""",
        "CREATE UNIQUE INDEX live_message_update ON live_messages (conversation_id, update_id)",
        "CREATE INDEX live_message_order ON live_messages (conversation_id, id)",
        f"""CREATE TABLE live_audit (
            id {serial}, conversation_id BIGINT NOT NULL, at {ts} NOT NULL, actor TEXT NOT NULL,
            action TEXT NOT NULL, note TEXT NOT NULL DEFAULT '')""",
        "CREATE INDEX live_audit_conversation ON live_audit (conversation_id)",
    ]


def _content_decisions_and_usage(dialect: str) -> list[str]:
    """What editors decided about unanswered questions in the desk (an example for an entry, or out of scope),
    which the matcher uses at once; and what became of typed messages and which entries were shown, per day,
    channel and language, as counts only."""
    ts = "TIMESTAMPTZ" if dialect == "postgresql" else "TEXT"
    serial = "BIGSERIAL PRIMARY KEY" if dialect == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
    clustered = " WITHOUT ROWID" if dialect == "sqlite" else ""  # a range of days is read from the key alone
    return [
        f"""CREATE TABLE content_decisions (
            id {serial}, at {ts} NOT NULL, actor TEXT NOT NULL, lang TEXT NOT NULL, text TEXT NOT NULL,
            normalised TEXT NOT NULL, faq_id TEXT NOT NULL DEFAULT '')""",
        "CREATE UNIQUE INDEX content_decisions_question ON content_decisions (normalised)",
        f"""CREATE TABLE outcome_days (
            day TEXT NOT NULL, channel TEXT NOT NULL, language TEXT NOT NULL, outcome TEXT NOT NULL,
            n INTEGER NOT NULL, PRIMARY KEY (day, channel, language, outcome)){clustered}""",
        # entries apart, without channel and language: a year of them stays small enough to sum per page
        f"""CREATE TABLE entry_days (
            day TEXT NOT NULL, faq_id TEXT NOT NULL, outcome TEXT NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (day, faq_id, outcome)){clustered}""",
    ]


MIGRATIONS: list[Callable[[str], list[str]]] = [
    _v1, _v2, _v3, _v4, _gaps_user_reference, _staff_copies, _staff_desk, _desk_activity, _live_chats,
    _content_decisions_and_usage,
]
SCHEMA_VERSION = len(MIGRATIONS)


def to_utc(value: datetime | str | None) -> datetime | None:
    """Reads a timestamp from either engine or an export file; naive values are taken as UTC."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def export_row(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """The engine-neutral form of a row: aware UTC datetimes, JSON columns as objects."""
    for column in TIMESTAMP_COLUMNS[table] & row.keys():
        row[column] = to_utc(row[column])
    for column in JSON_COLUMNS.get(table, frozenset()) & row.keys():
        if isinstance(row[column], str):
            row[column] = json.loads(row[column])
    return row


def import_value(table: str, column: str, value: Any) -> Any:
    """The inverse of `export_row` for one value, also accepting what a JSON export file holds."""
    if column in TIMESTAMP_COLUMNS[table]:
        return to_utc(value)
    if column in JSON_COLUMNS.get(table, frozenset()) and value is not None and not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return int(value)
    return value
