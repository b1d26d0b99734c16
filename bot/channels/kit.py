"""What every channel does the same way: read a command, and answer one user at a time.

- `parse_command` is the one rule for "/name args": a name of 1-32 Latin letters, digits or underscores (as
  Telegram allows for bot commands), an optional "@botname", then the arguments after whitespace. Anything else
  ("/", "/?", "/привет") is text. Telegram, Viber, the terminal and the staff commands all read commands with it.
- `Conversations.respond` is the one sequence from an event to a sent answer: lock the chat in this process
  (so a fast tapper's answers arrive in order and a resent update waits for the first copy's outcome), let the
  engine handle the event, send, and mark it delivered. The engine sends and marks delivered under the user's
  store lock, so a copy given to another worker waits for that too (see `Engine.handle`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.core.engine import Engine, Send
from bot.core.events import Event, Reply
from bot.store.keylocks import KeyLocks

__all__ = ["Command", "Conversations", "parse_command"]

_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s+(.*))?", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # lower case, without "/" and "@botname"
    args: str  # what follows, stripped


def parse_command(text: str) -> Command | None:
    """The command a message gives, or None when it is not one."""
    match = _COMMAND.fullmatch(text.strip())
    if match is None:
        return None
    return Command(match.group(1).lower(), (match.group(2) or "").strip())


class Conversations:
    """Answers events for one channel: one chat at a time in this process, in the order its events came."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._chats = KeyLocks()

    @asynccontextmanager
    async def hold(self, chat: str) -> AsyncIterator[None]:
        """The chat's turn, for a channel that checks something of its own before `answer` (Viber's paging)."""
        async with self._chats.hold(chat):
            yield

    async def answer(self, event: Event, send: Send) -> list[Reply]:
        """Handles, sends and marks delivered; call it inside `hold`, or use `respond`."""
        return await self.engine.handle(event, send)

    async def respond(self, chat: str, event: Event, send: Send) -> list[Reply]:
        """Lock -> handle -> send -> mark delivered. A sending error reaches the caller, and the kept replies
        are sent again when the platform resends the update."""
        async with self._chats.hold(chat):
            return await self.engine.handle(event, send)
