"""What the caseworkers' desk keeps beside the callback queue: staff accounts, failed logins, the desk's own
audit trail (logins, account changes), the paged, filtered reads its queue pages need, what editors decided
about unanswered questions, and the day counts behind the statistics.

Narrow protocols by concern, like the main store's (bot/store/base.py); `DeskStore` is all of them. The statements
are written once (desk_sql.py, `SqlDeskStore`) and each engine gives only its connections and dialect
(desk_sqlite.py, desk_postgres.py); the contract tests run the same cases on both engines.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, datetime

from bot.store.base import CallbackRequest

__all__ = [
    "ROLES",
    "AccountExists",
    "ContentDecision",
    "ContentDecisions",
    "DayCounts",
    "DeskAudit",
    "DeskEvent",
    "DeskStore",
    "QueueReads",
    "RequestFilter",
    "StaffAccount",
    "StaffAccounts",
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
class ContentDecision:
    """An editor's decision on a question people asked: an example for `faq_id`, or out of scope (no faq_id).
    The text is the question as kept for the gaps report (personal data removed), as the editor confirmed it."""

    id: int
    at: datetime
    actor: str
    lang: str
    text: str
    normalised: str
    faq_id: str = ""

    @property
    def out_of_scope(self) -> bool:
        return not self.faq_id


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


class StaffAccounts(ABC):
    """Desk logins: accounts and the failed sign-ins that lock an account or an address for a while."""

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


class DeskAudit(ABC):
    """The desk's own audit trail: sign-ins and account changes, never personal data (requests keep theirs)."""

    @abstractmethod
    async def record_desk_event(self, actor: str, action: str, target: str = "", detail: str = "") -> None: ...

    @abstractmethod
    async def desk_events(self, limit: int = 100) -> list[DeskEvent]: ...


class QueueReads(ABC):
    """The queue's pages: one page of requests, the counts in the tabs, the towns to offer as areas."""

    @abstractmethod
    async def find_requests(self, view: RequestFilter) -> list[CallbackRequest]:
        """One page of the queue, cancelled requests never included."""

    @abstractmethod
    async def count_requests(self, view: RequestFilter) -> dict[str, int]:
        """How many requests match the view's filters (its statuses ignored) in each status, and under
        "overdue" how many are overdue."""

    @abstractmethod
    async def request_towns(self, statuses: tuple[str, ...]) -> list[str]:
        """The distinct towns as typed among requests in these statuses (to offer and filter areas)."""


class DayCounts(ABC):
    """What the statistics read: counts and histograms only, so a year is a few hundred rows and no name or
    phone leaves the database for a chart."""

    @abstractmethod
    async def add_day_counts(self, people: list[tuple[date, str, str, int]],
                             usage: list[tuple[date, str, str, str, str, int]]) -> None:
        """Adds to the day counts, in one transaction: people who began the day's conversation as (day, channel,
        language, n), and what became of messages as (day, channel, language, outcome, FAQ id, n)."""

    @abstractmethod
    async def activity(self, first: date, last: date) -> list[tuple[date, str, str, int]]:
        """(day, channel, language, people) for days from `first` to `last`, inclusive."""

    @abstractmethod
    async def outcome_days(self, first: date, last: date, by_cell: bool = True
                           ) -> list[tuple[date, str, str, str, int]]:
        """(day, channel, language, outcome, n) for days from `first` to `last`; without `by_cell`, summed over
        channels and languages (given as ''), which is what a page needs and a fifth of the rows."""

    @abstractmethod
    async def entry_counts(self, first: date, last: date) -> list[tuple[str, str, int]]:
        """(FAQ id, outcome, n) over the days: how often each entry was given as an answer or opened."""

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


class ContentDecisions(ABC):
    """Editors' decisions on unanswered questions, which the matcher lays over the loaded content."""

    @abstractmethod
    async def decide_question(self, actor: str, lang: str, text: str, normalised: str,
                              faq_id: str = "") -> ContentDecision:
        """Keeps an editor's decision on a question; a later decision on the same question replaces it."""

    @abstractmethod
    async def content_decisions(self) -> list[ContentDecision]:
        """Every decision, oldest first."""

    @abstractmethod
    async def undo_decision(self, decision_id: int) -> ContentDecision | None:
        """Removes a decision; returns what it was, or None if there was none."""

    @abstractmethod
    async def decisions_stamp(self) -> tuple[int, int]:
        """Changes whenever a decision is added, replaced or removed: workers compare it to reload cheaply."""


class DeskStore(StaffAccounts, DeskAudit, QueueReads, DayCounts, ContentDecisions, ABC):
    """Everything the desk keeps; each engine implements it through SqlDeskStore (desk_sql.py)."""
