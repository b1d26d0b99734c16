"""The caseworker's side of a live chat: take, reply, close, and the clock that ends chats nobody took or left.

Every channel registers how to send to one of its users (`register`); the desk calls `take`, `reply` and `close`
in whichever worker receives the request. A reply is stored, sent and marked sent or failed while the person's
store lock is held, so replies reach a person in order and never interleave with the bot answering them, and
nothing is kept in memory between requests: any worker can serve the next one. Ending a chat goes through the
engine (an `h:closed` / `h:missed` button on the person's behalf), which puts the bot back and shows the menu.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bot.core.engine import Engine
from bot.core.events import Button, Event, Kind, Reply
from bot.store.live import LiveConversation, LiveMessage, LiveStore

__all__ = ["CLOCK_SECONDS", "Fetcher", "Relay", "Sender"]

log = logging.getLogger(__name__)

Sender = Callable[[str, list[Reply]], Awaitable[object]]
Fetcher = Callable[[str], Awaitable[bytes]]
CLOCK_SECONDS = 15.0


class Relay:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.senders: dict[str, Sender] = {}
        self.fetchers: dict[str, Fetcher] = {}

    @property
    def store(self) -> LiveStore:
        store = self.engine.store
        assert isinstance(store, LiveStore)
        return store

    def register(self, channel: str, sender: Sender, fetcher: Fetcher | None = None) -> None:
        """`sender(user_id, replies)` sends on the channel and raises when the platform refused or was away;
        `fetcher(file_ref)` gets the bytes of a file a person sent."""
        self.senders[channel] = sender
        if fetcher is not None:
            self.fetchers[channel] = fetcher

    async def file(self, conversation: LiveConversation, message: LiveMessage) -> bytes | None:
        """A file the person sent in this chat, from their platform; None when it cannot be had."""
        fetcher = self.fetchers.get(conversation.channel)
        if fetcher is None or not message.file_ref or message.conversation_id != conversation.id:
            return None
        try:
            return await fetcher(message.file_ref)
        except Exception as exc:
            log.warning("chat %s: could not fetch file of message %s (%s)", conversation.id, message.id,
                        type(exc).__name__)
            return None

    def _t(self, conversation: LiveConversation) -> Callable[[str], str]:
        return self.engine.catalogues.translator(conversation.language or self.engine.settings.default_language).gettext

    async def take(self, conversation_id: int, actor: str) -> bool:
        """One caseworker takes a waiting chat; the person is told a consultant has joined."""
        if not await self.store.take_live(conversation_id, actor):
            return False
        conversation = await self.store.live(conversation_id)
        if conversation is not None:
            _ = self._t(conversation)
            notice = Reply(text=_("A consultant has joined the chat. You can write here now."),
                           buttons=((Button(_("✖️ End chat"), "h:end"),),))
            async with self.engine.store.lock(conversation.key):
                try:
                    await self._send(conversation, [notice])
                except Exception as exc:
                    log.warning("chat %s: could not tell the person it was taken (%s)", conversation_id,
                                type(exc).__name__)
        return True

    async def reply(self, conversation_id: int, actor: str, text: str) -> LiveMessage | None:
        """Stores a caseworker's message and sends it; None when the chat is not theirs or is over."""
        conversation = await self.store.live(conversation_id)
        if conversation is None or conversation.status != "taken" or conversation.taken_by != actor:
            return None
        _ = self._t(conversation)
        async with self.engine.store.lock(conversation.key):
            message = await self.store.add_live_message(conversation_id, "out", "text", text, author=actor)
            if message is None:
                return None
            reply = Reply(text=_("👤 Consultant: {text}").format(text=text),
                          buttons=((Button(_("✖️ End chat"), "h:end"),),))
            try:
                await self._send(conversation, [reply])
            except Exception as exc:  # shown to the caseworker beside the message; the text is never logged
                message.status, message.error = "failed", type(exc).__name__
                log.warning("chat %s: message %s not delivered (%s)", conversation_id, message.id, message.error)
            else:
                message.status = "sent"
            await self.store.set_message_status(message.id, message.status, message.error)
        return message

    async def close(self, conversation_id: int, actor: str, outcome: str, supervisor: bool = False) -> bool:
        """The taker (or a supervisor) closes a chat with a short outcome; the bot is back for the person."""
        conversation = await self.store.live(conversation_id)
        if conversation is None or not conversation.open:
            return False
        if conversation.status == "taken" and conversation.taken_by != actor and not supervisor:
            return False
        ended = await self.store.end_live(conversation_id, "closed", "caseworker", actor, outcome)
        if ended is None:
            return False
        await self._hand_back(ended, "closed")
        return True

    async def tick(self, now: datetime | None = None) -> int:
        """Ends chats nobody took within the wait (a callback is offered) and taken chats left idle."""
        now = now or datetime.now(UTC)
        live = self.engine.settings.live
        ended = 0
        for conversation in await self.store.stale_live(now - timedelta(minutes=live.wait_minutes),
                                                        now - timedelta(minutes=live.idle_minutes)):
            if conversation.status == "waiting":
                gone = await self.store.end_live(conversation.id, "missed", "nobody", "clock")
            else:
                gone = await self.store.end_live(conversation.id, "closed", "timeout", "clock")
            if gone is not None:
                ended += 1
                await self._hand_back(gone, "missed" if gone.status == "missed" else "closed")
        return ended

    async def run_clock(self, every: float = CLOCK_SECONDS) -> None:
        """The clock in one worker at a time (a store lease); a failed round is tried again next time."""
        while True:
            try:
                async with self.engine.store.exclusive("live-clock") as ours:
                    if ours:
                        await self.tick()
            except Exception:
                log.exception("live chat clock failed; trying again later")
            await asyncio.sleep(every)

    async def _hand_back(self, conversation: LiveConversation, what: str) -> None:
        event = Event(conversation.key, Kind.BUTTON, data=f"h:{what}:{conversation.id}",
                      platform_language=conversation.language)

        async def send(replies: list[Reply]) -> None:
            await self._send(conversation, replies)

        try:
            await self.engine.handle(event, send)
        except Exception as exc:
            log.warning("chat %s: could not tell the person it ended (%s)", conversation.id, type(exc).__name__)

    async def _send(self, conversation: LiveConversation, replies: list[Reply]) -> None:
        sender = self.senders.get(conversation.channel)
        if sender is None:
            raise LookupError(f"no sender for {conversation.channel}")
        await sender(conversation.user_id, replies)
