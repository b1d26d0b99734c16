"""The records every layer speaks of: who a user is, their callback request and its audit trail.

The core, the store, staff tools and the desk all import these, and this module imports none of them: the store
can keep a user's records without knowing the conversation engine, and the engine can name a state to the store
(`StateMatch`) without the store knowing any flow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "CLOSED_STATUSES",
    "OPEN_STATUSES",
    "AuditEntry",
    "CallbackRequest",
    "SessionKey",
    "StateMatch",
]

OPEN_STATUSES = ("new", "assigned")
CLOSED_STATUSES = ("done", "unreachable", "cancelled")


@dataclass(frozen=True, slots=True)
class SessionKey:
    """Scopes state by channel so Telegram and Viber ids never collide."""

    channel: str
    user_id: str

    def __str__(self) -> str:
        return f"{self.channel}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class StateMatch:
    """Conversation states as the core names them to the store: exact names, and prefixes that cover a whole
    flow. The store matches a session's state against it without knowing what the states mean."""

    names: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()

    def __contains__(self, state: object) -> bool:
        return isinstance(state, str) and (state in self.names or state.startswith(self.prefixes))


@dataclass
class CallbackRequest:
    """A pre-registration callback request; every field but the ids and status is personal data."""

    channel: str
    user_id: str
    name: str
    phone: str
    town: str = ""
    topic: str = ""
    returnee: bool = False
    return_country: str = ""
    return_month: str = ""
    language: str = "ka"
    time_window: str = "any"
    note: str = ""
    ref: str = ""
    status: str = "new"
    assigned_to: str = ""
    staff_message: str = ""  # where the staff group announcement is, to update it on status changes
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class AuditEntry:
    ref: str
    at: datetime
    actor: str
    from_status: str
    to_status: str
    note: str = ""
