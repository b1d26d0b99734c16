"""The caseworkers' side of callback requests, shared by the CLI and the Telegram staff group.

Status changes go through `Store.transition`, so of two caseworkers acting at once exactly one wins and every
change leaves an audit record. A Telegram caseworker may act only when their user id is on the allowlist;
the CLI trusts whoever can run it on the server. Nothing here logs a request's personal fields.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from bot.config import Settings
from bot.records import OPEN_STATUSES, AuditEntry, CallbackRequest
from bot.store.base import Store, storable_text

__all__ = [
    "ACTIONS",
    "CSV_COLUMNS",
    "LOCAL_TZ",
    "Actor",
    "Outcome",
    "Queue",
    "add_working_days",
    "csv_phone",
    "csv_safe",
    "display_name",
    "is_working_day",
    "staff_text",
]

log = logging.getLogger(__name__)

LOCAL_TZ = ZoneInfo("Asia/Tbilisi")  # working days and times are the hotline's, wherever the server runs


@cache
def _georgian_holidays() -> holidays.HolidayBase:
    """Built on first use: looking the country up imports every country's calendar, a third of a second at start."""
    return holidays.country_holidays("GE")


ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "take": (("new",), "assigned"),
    "done": (("new", "assigned"), "done"),
    "unreachable": (("new", "assigned"), "unreachable"),
}
CSV_COLUMNS = (
    "ref", "status", "overdue", "created_at", "updated_at", "assigned_to", "name", "phone", "town", "topic",
    "returnee", "return_country", "return_month", "language", "time_window", "note",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_E164 = re.compile(r"\+[1-9]\d{6,14}")


@dataclass(frozen=True)
class Actor:
    """A caseworker: a name for the audit trail, and the Telegram user id when acting from Telegram.
    `supervisor`: the channel that signed them in knows them as one (the desk's role)."""

    name: str
    telegram_id: int | None = None
    supervisor: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} (tg:{self.telegram_id})" if self.telegram_id is not None else self.name

    def owns(self, assigned_to: str) -> bool:
        """Whether a request assigned to `assigned_to` is this actor's (a Telegram name may have changed)."""
        if self.telegram_id is not None:
            return assigned_to.endswith(f"(tg:{self.telegram_id})")
        return assigned_to == staff_text(self.name)


def staff_text(text: str, lines: bool = False) -> str:
    """Staff input as it may be stored and shown on a terminal: control characters (escape sequences, bidi
    overrides) removed, line breaks kept only where `lines`. Used on the way in and on the way out."""
    kept = "\n" if lines else ""
    cleaned = "".join(
        ch if ch in kept or ch in _JOINERS or not _is_control(ch) else (" " if ch in "\t\n\r" else "")
        for ch in storable_text(text)
    )
    return cleaned


_JOINERS = "\u200c\u200d"  # zero-width (non-)joiners: needed in some scripts and emoji


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Zl", "Zp")


def display_name(assigned_to: str) -> str:
    """The name part of an actor label, for people to read."""
    return re.sub(r" \(tg:-?\d+\)$", "", assigned_to)


@dataclass(frozen=True)
class Outcome:
    """What an action did. `reason` is one of: ok, already (the actor had it already), not_allowed, not_found,
    taken (someone else has it), closed (no longer open), empty (a note with no text)."""

    reason: str
    request: CallbackRequest | None = None

    @property
    def ok(self) -> bool:
        return self.reason in ("ok", "already")


def is_working_day(day: date) -> bool:
    """Monday to Friday, except Georgia's public holidays (Orthodox Easter and the rest, from `holidays`)."""
    return day.weekday() < 5 and day not in _georgian_holidays()


def add_working_days(start: datetime, days: int, tz: ZoneInfo = LOCAL_TZ) -> datetime:
    """`start` plus `days` working days (hotline time); a start on a day off counts from the next working day."""
    local = start.astimezone(tz)
    if not is_working_day(local.date()):
        while not is_working_day(local.date()):
            local += timedelta(days=1)
        local = local.replace(hour=0, minute=0, second=0, microsecond=0)
    for _ in range(days):
        local += timedelta(days=1)
        while not is_working_day(local.date()):
            local += timedelta(days=1)
    return local


def csv_safe(value: object) -> str:
    """A cell spreadsheet programs will show as text, not run as a formula. Checked after NFKC normalisation,
    because spreadsheets read a fullwidth "＝" as "=" too."""
    text = "" if value is None else str(value)
    return "'" + text if unicodedata.normalize("NFKC", text).startswith(_FORMULA_START) else text


def csv_phone(phone: str) -> str:
    """A phone cell: a valid E.164 number as it is (it cannot be a formula), anything else made safe."""
    return phone if _E164.fullmatch(phone) else csv_safe(phone)


class Queue:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    def allowed(self, actor: Actor) -> bool:
        return actor.telegram_id is None or actor.telegram_id in self.settings.telegram.staff_user_ids

    def due(self, request: CallbackRequest) -> datetime | None:
        if request.created_at is None:
            return None
        return add_working_days(request.created_at, self.settings.callback.sla_working_days)

    def overdue(self, request: CallbackRequest, now: datetime | None = None) -> bool:
        """Still new after the SLA (working days) has run out."""
        due = self.due(request)
        return request.status == "new" and due is not None and (now or datetime.now(UTC)) > due

    async def list(self, statuses: Iterable[str] | None = None, overdue_only: bool = False,
                   now: datetime | None = None) -> list[CallbackRequest]:
        wanted = tuple(statuses) if statuses else OPEN_STATUSES
        found = await self.store.list_requests(wanted)
        return [r for r in found if self.overdue(r, now)] if overdue_only else found

    async def get(self, ref: str) -> CallbackRequest | None:
        request = await self.store.get_request(ref.strip().upper())
        return request if request is not None and request.status != "cancelled" else None

    async def history(self, ref: str) -> list[AuditEntry]:
        return await self.store.audit(ref.strip().upper())

    def supervises(self, actor: Actor) -> bool:
        """A supervisor may close a request someone else has taken."""
        if actor.supervisor:
            return True
        if actor.telegram_id is not None:
            return actor.telegram_id in self.settings.telegram.supervisor_user_ids
        return staff_text(actor.name) in self.settings.callback.supervisors

    def may_close(self, actor: Actor, request: CallbackRequest) -> bool:
        """The one rule for closing or returning a taken request, on every channel: the caseworker who took it,
        or a supervisor."""
        return request.status == "assigned" and (actor.owns(request.assigned_to) or self.supervises(actor))

    async def act(self, action: str, ref: str, actor: Actor, note: str = "") -> Outcome:
        """take / done / unreachable, atomically; a refused or lost action changes nothing. A taken request is
        closed only by the caseworker who took it, or a supervisor; anyone else is told who has it."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        if not self.allowed(actor):
            return Outcome("not_allowed")
        ref = ref.strip().upper()
        allowed_from, to_status = ACTIONS[action]
        for _ in range(3):  # a request taken between the look and the change is looked at again
            if action != "take":
                current = await self.store.get_request(ref)
                if current is not None and current.status == "assigned":
                    if not self.may_close(actor, current):
                        return Outcome("taken", current)
                    allowed_from = ("assigned",)
                elif current is not None and current.status == "new":
                    allowed_from = ("new",)
            result = await self.store.transition(ref, allowed_from, to_status, staff_text(actor.label),
                                                 staff_text(note, lines=True))
            if result.ok:
                log.info("callback request %s: %s", ref, to_status)
                return Outcome("ok", result.request)
            request = result.request
            if request is None or request.status == "cancelled":
                return Outcome("not_found")
            if action == "take" and request.status == "assigned":
                return Outcome("already" if actor.owns(request.assigned_to) else "taken", request)
            if request.status not in OPEN_STATUSES:
                return Outcome("closed", request)
        return Outcome("taken", request)

    async def release(self, ref: str, actor: Actor, note: str = "") -> Outcome:
        """Puts a taken request back in the queue (status new), for another caseworker to take; only its taker
        or a supervisor may (anyone else is told who has it)."""
        if not self.allowed(actor):
            return Outcome("not_allowed")
        ref = ref.strip().upper()
        current = await self.store.get_request(ref)
        if current is not None and current.status == "assigned" and not self.may_close(actor, current):
            return Outcome("taken", current)
        result = await self.store.transition(ref, ("assigned",), "new", storable_text(actor.label),
                                             storable_text(note))
        if result.ok:
            log.info("callback request %s: back to the queue", ref)
            return Outcome("ok", result.request)
        if result.request is None or result.request.status == "cancelled":
            return Outcome("not_found")
        return Outcome("closed", result.request)

    async def note(self, ref: str, actor: Actor, text: str) -> Outcome:
        if not self.allowed(actor):
            return Outcome("not_allowed")
        request = await self.get(ref)
        if request is None:
            return Outcome("not_found")
        if not text.strip():
            return Outcome("empty", request)
        await self.store.add_note(request.ref, staff_text(actor.label), staff_text(text.strip(), lines=True))
        return Outcome("ok", request)

    async def export_csv(self, since: datetime | None = None, now: datetime | None = None) -> bytes:
        """Every request (cancelled ones are gone) as CSV in UTF-8 with a BOM, so Excel shows Georgian right."""
        requests = await self.store.list_requests(None, since=since)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for request in requests:
            row = request.as_dict()
            row["overdue"] = "yes" if self.overdue(request, now) else ""
            row["returnee"] = "yes" if request.returnee else ""
            for stamp in ("created_at", "updated_at"):
                value = row[stamp]
                row[stamp] = value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if value else ""
            writer.writerow([csv_phone(request.phone) if column == "phone" else csv_safe(row[column])
                             for column in CSV_COLUMNS])
        return buffer.getvalue().encode("utf-8-sig")

    async def purge(self, now: datetime | None = None) -> int:
        """Deletes requests closed longer ago than the retention period; their audit keeps no notes."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=self.settings.callback.retention_days)
        purged = await self.store.purge_closed(cutoff)
        if purged:
            log.info("retention: purged %d closed callback request(s)", purged)
        return purged
