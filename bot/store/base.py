"""The store contract, as small protocols by concern, and the values they return.

A caller asks only for the part it uses (the pending-update buffer takes `StoredUpdates`, the retention job
`Store`), the way aiogram keeps its state storage apart from its event locking. Every engine implements all of
them; each protocol has a contract suite (tests/test_store_*.py) run over SQLite and PostgreSQL alike.

Sessions and update de-duplication are what every conversation needs; callback requests, their audit trail and
content gaps are the only places that hold personal or user-derived data.
"""

from __future__ import annotations

import re
import secrets
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# The records live in bot.records; named here too for the modules that still import them from the store.
from bot.records import CLOSED_STATUSES, OPEN_STATUSES, AuditEntry, CallbackRequest, SessionKey, StateMatch

__all__ = [
    "CLOSED_STATUSES",
    "OPEN_STATUSES",
    "REF_ALPHABET",
    "AuditEntry",
    "CallbackRequest",
    "GapRow",
    "Gaps",
    "JobLeases",
    "OpenRequestExists",
    "OperationalCounts",
    "Privacy",
    "Requests",
    "Sessions",
    "StaffCopy",
    "StepStart",
    "Store",
    "StoreUnavailable",
    "StoredUpdates",
    "TransitionResult",
    "new_reference",
    "storable_text",
]

REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read over the phone without mistakes


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(text: str) -> str:
    """Text every store can hold: NUL (PostgreSQL refuses it; nobody types it) is dropped, and a lone surrogate
    (half an emoji from a broken client or a mis-encoded argument, which no UTF-8 encoder accepts) becomes U+FFFD."""
    if not _UNSTORABLE.search(text):
        return text
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


class StoreUnavailable(Exception):
    """A step failed on lost database connections even when tried again on fresh ones: nothing of it may be
    acknowledged to the platform, which should send the update again."""


class OpenRequestExists(Exception):
    """The user already has an open request; the database allows one per user, whatever the engine."""


def new_reference() -> str:
    return "CB-" + "".join(secrets.choice(REF_ALPHABET) for _ in range(4))


@dataclass(frozen=True)
class TransitionResult:
    ok: bool
    request: CallbackRequest | None


@dataclass(frozen=True)
class StepStart:
    """What the engine needs before a step: whether the update was seen, its unsent replies, the session."""

    seen: bool
    kept_replies: list[dict[str, Any]] | None
    session: dict[str, Any] | None


@dataclass(frozen=True)
class StaffCopy:
    """A request's details as sent to a caseworker: `location` is the channel's own address of the message."""

    id: int
    ref: str
    location: str
    sent_at: datetime


@dataclass(frozen=True)
class GapRow:
    text: str
    lang: str
    kind: str
    count: int
    faq_id: str = ""
    last_at: datetime | None = field(default=None, compare=False)


@dataclass(frozen=True)
class OperationalCounts:
    """Numbers for monitoring: counts and times, never a row's content."""

    requests_by_status: dict[str, int]
    pending_by_channel: dict[str, int]
    new_request_times: list[datetime]


class Sessions(ABC):
    """Conversation state and the steps that change it: one read before a step, one write after it."""

    @abstractmethod
    def lock(self, key: SessionKey) -> AbstractAsyncContextManager[None]:
        """Serialises one user's load -> step -> save; other users proceed."""

    @abstractmethod
    async def begin_step(self, key: SessionKey, update_id: str | None) -> StepStart:
        """One read for the start of every step: was the update seen, its undelivered replies, the session."""

    @abstractmethod
    async def load_session(self, key: SessionKey) -> dict[str, Any] | None: ...

    @abstractmethod
    async def save_session(self, key: SessionKey, data: dict[str, Any], update_id: str | None = None,
                           replies: list[dict[str, Any]] | None = None) -> None:
        """Saves the session and marks the update processed in one transaction, keeping its replies undelivered.

        If the update was already marked processed (a second worker got the same update), the session is left as
        the first processing saved it.
        """

    @abstractmethod
    async def mark_delivered(self, channel: str, update_id: str) -> None:
        """Records that the update's replies were sent, and drops them (they may hold personal data)."""

    @abstractmethod
    async def set_subscribed(self, key: SessionKey, subscribed: bool) -> None: ...

    @abstractmethod
    async def is_subscribed(self, key: SessionKey) -> bool | None: ...

    @abstractmethod
    async def purge_sessions(self, idle_before: datetime, drafts_idle_before: datetime, drafts: StateMatch) -> int:
        """Deletes sessions idle since `idle_before`, and sooner those in a state of `drafts` (where a name and
        phone may be typed but never confirmed) idle since `drafts_idle_before`."""

    @abstractmethod
    async def purge_processed_updates(self, before: datetime) -> int:
        """Forgets update ids processed before `before`; platforms stop redelivering after a day or so."""


class Requests(ABC):
    """Callback requests, their audit trail, the staff outbox and the caseworkers' copies."""

    @abstractmethod
    async def create_request(self, request: CallbackRequest) -> CallbackRequest:
        """Commits the request (with a fresh reference) before returning it.

        Raises OpenRequestExists when the user already has an open request.
        """

    @abstractmethod
    async def update_request(self, ref: str, fields: dict[str, Any]) -> CallbackRequest | None:
        """Edits the personal fields of an open request."""

    @abstractmethod
    async def get_request(self, ref: str) -> CallbackRequest | None: ...

    @abstractmethod
    async def open_request_for(self, key: SessionKey) -> CallbackRequest | None: ...

    @abstractmethod
    async def requests_for(self, key: SessionKey) -> list[CallbackRequest]: ...

    @abstractmethod
    async def list_requests(
        self, statuses: tuple[str, ...] | None = None, created_before: datetime | None = None,
        since: datetime | None = None,
    ) -> list[CallbackRequest]:
        """Requests oldest first, cancelled ones never included."""

    @abstractmethod
    async def transition(
        self, ref: str, allowed_from: tuple[str, ...], to_status: str, actor: str, note: str = ""
    ) -> TransitionResult:
        """Moves a request between statuses atomically: of two concurrent callers exactly one wins."""

    @abstractmethod
    async def pending_announcements(self, limit: int = 20) -> list[CallbackRequest]:
        """New requests not yet posted to staff: a durable outbox that survives restarts."""

    @abstractmethod
    async def mark_announced(self, ref: str, staff_message: str) -> None: ...

    @abstractmethod
    async def add_note(self, ref: str, actor: str, note: str) -> bool: ...

    @abstractmethod
    async def audit(self, ref: str) -> list[AuditEntry]: ...

    @abstractmethod
    async def add_staff_copy(self, ref: str, location: str) -> None:
        """Records where a request's details were sent to a caseworker."""

    @abstractmethod
    async def withdrawn_copies(self, limit: int = 50) -> list[StaffCopy]:
        """Caseworkers' copies of requests their user deleted with /forget: to delete or withdraw, then drop."""

    @abstractmethod
    async def drop_staff_copy(self, copy_id: int) -> None: ...

    @abstractmethod
    async def purge_closed(self, closed_before: datetime) -> int:
        """Deletes requests closed before the cut-off; their audit trail stays, without notes."""


class StoredUpdates(ABC):
    """Updates that arrived but are not handled yet, kept so that a crash loses none of them."""

    @abstractmethod
    async def add_pending_updates(self, channel: str, updates: list[tuple[str, str | None, str]]) -> None:
        """Keeps updates that arrived, as (update id, sender's user id, JSON payload), until
        `remove_pending_updates` (or `forget_user`); known ids are kept as they are. Durable when it returns."""

    @abstractmethod
    async def remove_pending_updates(self, channel: str, update_ids: list[str]) -> None: ...

    @abstractmethod
    async def take_pending_updates(self, channel: str, received_before: datetime | None = None,
                                   max_attempts: int = 3) -> tuple[list[str], int]:
        """Takes up the kept updates received (or last taken up) before `received_before`, if given: returns
        their payloads, oldest first (updates received together by id, read as a number when it is one), counts
        an attempt on each and notes the time, so it is taken again only after another such delay. The
        retention purge still counts from when the update arrived.

        Updates already taken `max_attempts` times are deleted instead, and counted in the second value: an
        update that kills the process, or fails, every time it is handled must not come back for ever."""

    @abstractmethod
    async def purge_pending_updates(self, before: datetime) -> int: ...


class JobLeases(ABC):
    """Who runs a periodic job when several workers share the database."""

    @abstractmethod
    def exclusive(self, name: str, every: timedelta | None = None) -> AbstractAsyncContextManager[bool]:
        """Lets one worker at a time run the periodic job `name`: yields True there, False everywhere else.

        With `every`, also yields False while the job's last completed run is more recent than `every`, so
        workers that all poll the job run it once per period between them. A run that raises does not count.
        """


class Gaps(ABC):
    """Questions the bot could not answer, for the content team, with who asked so that /forget reaches them."""

    @abstractmethod
    async def record_gap(self, lang: str, kind: str, text: str, normalised: str, faq_id: str = "",
                         key: SessionKey | None = None) -> None:
        """Keeps a (redacted) question for the gaps report, with who asked it so that /forget removes it."""

    @abstractmethod
    async def gaps(self, since: datetime | None = None, lang: str | None = None, limit: int = 30) -> list[GapRow]: ...

    @abstractmethod
    async def purge_gaps(self, before: datetime) -> int: ...


class Privacy(ABC):
    """What leaves or is wiped as a whole: a user's /forget, and every row for a move between engines."""

    @abstractmethod
    async def forget_user(self, key: SessionKey) -> int:
        """Deletes the user's requests (their audit keeps only non-personal fields), session, subscription, kept
        replies and updates, and the questions they asked for the gaps report; marks the caseworkers' copies of
        their requests withdrawn. Returns how many requests went."""

    @abstractmethod
    def dump(self) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """Every row of every table, for export between engines; timestamps as aware UTC datetimes."""

    @abstractmethod
    async def load_rows(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Inserts or replaces rows from `dump`; timestamps may be datetimes or ISO-8601 text."""


class Store(Sessions, Requests, StoredUpdates, JobLeases, Gaps, Privacy):
    """Every part over one database, with what opening, health checks and monitoring need."""

    @abstractmethod
    async def open(self, migrate: bool = True) -> None:
        """Connects; applies pending migrations, or with `migrate=False` refuses an out-of-date schema."""

    @abstractmethod
    async def close(self) -> None: ...

    def is_transient(self, error: BaseException) -> bool:
        """Whether `error` is a lost or refused connection, after which a step may be tried again from the
        start (a step is saved in one transaction, and a retried Confirm finds the request it created)."""
        return False

    @abstractmethod
    async def ping(self) -> None:
        """Returns when the database answers a query; raises when it cannot (readiness checks)."""

    @abstractmethod
    async def operational_counts(self) -> OperationalCounts:
        """Requests by status, stored unhandled updates by channel, and when each new request was made."""
