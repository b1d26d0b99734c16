"""What the caseworkers' desk keeps beside the callback queue: staff accounts, failed logins, the desk's own
audit trail (logins, account changes), and the paged, filtered reads its queue pages need.

Each engine implements `DeskStore` in a mixin of its own (desk_sqlite.py, desk_postgres.py); the rules (who may
log in, what a filter means) live in bot/desk, and the contract tests run the same cases on both engines.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, datetime

from bot.store.base import CallbackRequest

__all__ = [
    "ROLES",
    "AccountExists",
    "DeskEvent",
    "DeskStore",
    "RequestFilter",
    "StaffAccount",
]

ROLES = ("caseworker", "editor", "supervisor")


class AccountExists(Exception):
    """An account with this name is already there."""


@dataclass
class StaffAccount:
    """A desk login. `session_version` goes up when the password changes or the account is disabled, which
    ends every session signed for the old value."""

    name: str
    role: str
    password_hash: str
    must_change: bool = True
    active: bool = True
    telegram_id: int | None = None
    session_version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class DeskEvent:
    """One line of the desk's own audit trail: who did what to which account or page, never personal data."""

    at: datetime
    actor: str
    action: str
    target: str = ""
    detail: str = ""


@dataclass(frozen=True)
class RequestFilter:
    """A queue view. `overdue_before`: only new requests created before it (the caller works out the SLA);
    `towns`: only requests whose town is one of these (an area is a set of towns as typed)."""

    statuses: tuple[str, ...] = ()
    overdue_before: datetime | None = None
    topic: str = ""
    language: str = ""
    channel: str = ""
    towns: tuple[str, ...] | None = None
    newest_first: bool = True
    limit: int = 50
    offset: int = 0


class DeskStore(ABC):
    @abstractmethod
    async def add_account(self, account: StaffAccount) -> StaffAccount:
        """Raises AccountExists when the name is taken."""

    @abstractmethod
    async def get_account(self, name: str) -> StaffAccount | None: ...

    @abstractmethod
    async def list_accounts(self) -> list[StaffAccount]: ...

    @abstractmethod
    async def update_account(self, name: str, *, role: str | None = None, password_hash: str | None = None,
                             must_change: bool | None = None, active: bool | None = None,
                             telegram_id: int | None = None, end_sessions: bool = False) -> StaffAccount | None:
        """Changes what is given; `end_sessions` bumps the session version so signed-in browsers are signed out."""

    @abstractmethod
    async def login_failure(self, key: str, now: datetime, window_seconds: float, limit: int,
                            lock_seconds: float) -> datetime | None:
        """Counts a failed login for `key` (an account or an address) within a window; at `limit` failures the
        key is locked for `lock_seconds`. Returns the lock's end, or None while under the limit."""

    @abstractmethod
    async def login_locked_until(self, key: str, now: datetime) -> datetime | None: ...

    @abstractmethod
    async def clear_login_failures(self, key: str) -> None: ...

    @abstractmethod
    async def record_desk_event(self, actor: str, action: str, target: str = "", detail: str = "") -> None: ...

    @abstractmethod
    async def desk_events(self, limit: int = 100) -> list[DeskEvent]: ...

    @abstractmethod
    async def find_requests(self, view: RequestFilter) -> list[CallbackRequest]:
        """One page of the queue, cancelled requests never included."""

    @abstractmethod
    async def count_requests(self, view: RequestFilter) -> dict[str, int]:
        """How many requests match the view's filters (its statuses ignored) in each status, and under
        "overdue" how many are overdue."""

    @abstractmethod
    async def snapshot_activity(self, day: date, day_start: datetime) -> None:
        """Counts sessions active since `day_start` by channel and language into `day`'s row, keeping the larger
        of the stored and the new count (sessions only show their last step, so a count only grows)."""

    @abstractmethod
    async def activity(self, first: date, last: date) -> list[tuple[date, str, str, int]]:
        """(day, channel, language, people) for days from `first` to `last`, inclusive."""

    @abstractmethod
    async def request_counts(self, since: datetime, until: datetime) -> list[tuple[str, str, str, int]]:
        """(topic, town as typed, status, count) of requests created in [since, until)."""

    @abstractmethod
    async def request_delays(self, since: datetime, until: datetime) -> dict[str, list[tuple[int, int]]]:
        """For requests created in [since, until): how long until first taken ("first_contact") and until closed
        ("close"), as (tenths of an hour, how many requests) pairs: a histogram, so a year is a few hundred rows."""

    @abstractmethod
    async def gap_days(self, since: datetime, until: datetime) -> list[tuple[date, str, int]]:
        """(UTC day, kind, count) of recorded gaps (unanswered questions, answers marked not helpful)."""

    @abstractmethod
    async def request_towns(self, statuses: tuple[str, ...]) -> list[str]:
        """The distinct towns as typed among requests in these statuses (to offer and filter areas)."""
