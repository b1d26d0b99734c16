"""Rows to records, once for both engines.

sqlite3.Row and asyncpg.Record both read by column name. Timestamps come back as ISO text from SQLite and as
datetimes from PostgreSQL; `to_utc` reads both, so every record carries aware UTC datetimes whatever the engine.
"""

from __future__ import annotations

from typing import Any

from bot.records import AuditEntry, CallbackRequest
from bot.store.base import GapRow, StaffCopy
from bot.store.schema import to_utc

__all__ = ["audit_entry", "gap_row", "request_from_row", "staff_copy"]


def request_from_row(row: Any) -> CallbackRequest:
    data = dict(row)
    data["returnee"] = bool(data["returnee"])
    data["created_at"] = to_utc(data["created_at"])
    data["updated_at"] = to_utc(data["updated_at"])
    data.pop("closed_at", None)
    data.pop("announced_at", None)
    return CallbackRequest(**data)


def audit_entry(row: Any) -> AuditEntry:
    at = to_utc(row["at"])
    assert at is not None  # NOT NULL in the schema
    return AuditEntry(row["ref"], at, row["actor"], row["from_status"], row["to_status"], row["note"] or "")


def staff_copy(row: Any) -> StaffCopy:
    sent_at = to_utc(row["sent_at"])
    assert sent_at is not None
    return StaffCopy(row["id"], row["ref"], row["location"], sent_at)


def gap_row(row: Any) -> GapRow:
    return GapRow(row["text"], row["lang"], row["kind"], row["n"], row["faq_id"], to_utc(row["last_at"]))
