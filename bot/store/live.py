"""What the store keeps for live chats with a caseworker: the conversation, its transcript and its audit trail.

`LiveStore` is written once for both engines (live_sql.py; how PostgreSQL workers hear of each other's changes
in live_postgres.py), with one contract suite over both. The rules (who may take, what ends a chat, what a person
sees) live in bot/core/flows/handoff.py and bot/live; the store only guarantees that of two concurrent takes or
ends exactly one wins, that a resent update is stored once, and that every change wakes whoever waits for it, in
any worker (`wait_live`).
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.records import SessionKey

__all__ = [
    "LIVE_OPEN",
    "LiveAudit",
    "LiveConversation",
    "LiveMessage",
    "LiveSignals",
    "LiveStats",
    "LiveStore",
    "Ready",
]

LIVE_OPEN = ("waiting", "taken")
Ready = Callable[[], Awaitable[bool]]


@dataclass
class LiveConversation:
    """One live chat; `topic` is where the person was in the menu (an id, never their words)."""

    id: int
    channel: str
    user_id: str
    status: str
    language: str = ""
    topic: str = ""
    taken_by: str = ""
    ended_by: str = ""  # person, caseworker, timeout, nobody (no one took it in time)
    outcome: str = ""
    rating: int | None = None
    announced: str = ""  # where the staff group's post is and what status it shows
    forwarded: int = 0  # the last message sent on to the taker's private Telegram chat
    created_at: datetime | None = None
    taken_at: datetime | None = None
    closed_at: datetime | None = None
    last_at: datetime | None = None

    @property
    def key(self) -> SessionKey:
        return SessionKey(self.channel, self.user_id)

    @property
    def open(self) -> bool:
        return self.status in LIVE_OPEN


@dataclass
class LiveMessage:
    """One message of the transcript: `in` from the person, `out` from a caseworker. `status` of an outgoing
    message: stored, sent or failed (with the error's kind, never its text)."""

    id: int
    conversation_id: int
    direction: str
    kind: str
    body: str = ""
    file_ref: str = ""
    author: str = ""
    status: str = "stored"
    error: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class LiveAudit:
    at: datetime
    actor: str
    action: str
    note: str = ""


@dataclass(frozen=True)
class LiveStats:
    """One conversation for the statistics: times and outcome only."""

    created_at: datetime
    taken_at: datetime | None
    status: str
    rating: int | None


class LiveSignals:
    """Wakes the desk pages waiting in this process when a conversation changes. Engines call `wake` after a
    commit (SQLite) or from a PostgreSQL notification (any worker's commit); 0 means "the list changed"."""

    def __init__(self) -> None:
        self._waiters: dict[int, set[asyncio.Future[None]]] = {}

    def wake(self, conversation_id: int) -> None:
        for target in (conversation_id, 0):
            for waiter in self._waiters.pop(target, ()):
                if not waiter.done():
                    waiter.set_result(None)

    async def wait(self, conversation_id: int, seconds: float, ready: Ready | None = None) -> bool:
        """True when woken (or `ready`, asked once the waiter is in place, says so), False after `seconds`."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(conversation_id, set()).add(waiter)
        try:
            if ready is not None and await ready():
                return True
            async with asyncio.timeout(seconds):
                await waiter
            return True
        except TimeoutError:
            return False
        finally:
            with contextlib.suppress(KeyError):
                self._waiters.get(conversation_id, set()).remove(waiter)


class LiveStore(ABC):
    @abstractmethod
    async def open_live(self, key: SessionKey, language: str, topic: str) -> LiveConversation:
        """Starts a waiting conversation, or returns the user's open one (there is at most one per user)."""

    @abstractmethod
    async def live(self, conversation_id: int) -> LiveConversation | None: ...

    @abstractmethod
    async def open_live_for(self, key: SessionKey) -> LiveConversation | None: ...

    @abstractmethod
    async def add_live_message(self, conversation_id: int, direction: str, kind: str, body: str = "",
                               file_ref: str = "", author: str = "", update_id: str | None = None,
                               ) -> LiveMessage | None:
        """Appends to the transcript and notes the activity; None when this update was stored already or the
        conversation is over."""

    @abstractmethod
    async def live_messages(self, conversation_id: int, after: int = 0) -> list[LiveMessage]:
        """The transcript after message id `after`, in order."""

    @abstractmethod
    async def set_message_status(self, message_id: int, status: str, error: str = "") -> None: ...

    @abstractmethod
    async def list_live(self, statuses: tuple[str, ...], limit: int = 100,
                        newest_first: bool = False) -> list[LiveConversation]:
        """Conversations in these statuses, the longest waiting first (or the newest first)."""

    @abstractmethod
    async def take_live(self, conversation_id: int, actor: str) -> bool:
        """Takes a waiting conversation: of two concurrent takers exactly one gets True."""

    @abstractmethod
    async def end_live(self, conversation_id: int, to_status: str, ended_by: str, actor: str,
                       outcome: str = "") -> LiveConversation | None:
        """Closes (or marks missed) an open conversation; None when it was not open (someone else ended it)."""

    @abstractmethod
    async def stale_live(self, waiting_before: datetime, idle_before: datetime) -> list[LiveConversation]:
        """Waiting conversations created before `waiting_before` and taken ones idle since `idle_before`."""

    @abstractmethod
    async def rate_live(self, conversation_id: int, key: SessionKey, rating: int) -> bool:
        """Records the person's rating of their own ended conversation, once."""

    @abstractmethod
    async def live_audit(self, conversation_id: int) -> list[LiveAudit]: ...

    @abstractmethod
    async def live_for_user(self, key: SessionKey) -> list[LiveConversation]: ...

    @abstractmethod
    async def forget_live(self, key: SessionKey) -> list[LiveConversation]:
        """Deletes the user's conversations and transcripts (their audit trail keeps no text); returns what was
        deleted, so that an open one can be ended for the caseworker too."""

    @abstractmethod
    async def purge_live(self, closed_before: datetime) -> int:
        """Deletes conversations (and transcripts) ended before `closed_before`: the callback requests' rule."""

    @abstractmethod
    async def unannounced_live(self, since: datetime) -> list[LiveConversation]:
        """Conversations since `since` whose staff group post does not show their status yet."""

    @abstractmethod
    async def mark_live_announced(self, conversation_id: int, announced: str) -> None: ...

    @abstractmethod
    async def mark_live_forwarded(self, conversation_id: int, message_id: int) -> None:
        """Notes the last message sent on to the caseworker's private chat (it only moves forward)."""

    @abstractmethod
    async def live_stats(self, since: datetime, until: datetime) -> list[LiveStats]: ...

    @abstractmethod
    async def wait_live(self, conversation_id: int, seconds: float, ready: Ready | None = None) -> bool:
        """Waits until the conversation (0: any conversation) changes, in any worker; False on timeout. `ready`
        is asked once the wait is in place, so a change made just before is not missed."""
