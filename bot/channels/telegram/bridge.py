"""The bridge to the core: private-chat updates become core Events, and the engine's Replies go back out.

Handlers live in group 0 and only see private chats; the staff module's handlers run before them (group -1)
and end the updates they handle. Staff command names and staff buttons are also skipped here while the staff
module is installed, so a caseworker's /take never reaches the conversation core. Groups and channels other
than the staff group are ignored silently.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import CallbackQuery, Message, Update, User
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.app import Runtime
from bot.channels.kit import Conversations, parse_command
from bot.channels.telegram.http import HotlineBot
from bot.channels.telegram.live import attachment_of
from bot.channels.telegram.render import deliver
from bot.channels.telegram.updates import chat_of, pressed
from bot.core.events import Contact, Event, Kind, Location, Reply, SessionKey
from bot.store.base import StoreUnavailable

__all__ = ["CHANNEL", "CORE_GROUP", "TelegramBridge", "event_from_message"]

log = logging.getLogger(__name__)

CHANNEL = "telegram"
CORE_GROUP = 0
FAILURES_KEPT = 1000


def event_from_message(message: Message, user: User, update_id: int, edited: bool = False) -> Event:
    """A private-chat message as a core Event; anything that is not text, a location or a contact is UNSUPPORTED."""
    common: dict[str, Any] = {
        "key": SessionKey(CHANNEL, str(user.id)),
        "update_id": str(update_id),
        "platform_language": user.language_code,
    }
    if edited:
        return Event(kind=Kind.UNSUPPORTED, **common)
    if message.text is not None:
        command = parse_command(message.text)
        if command is not None:
            return Event(kind=Kind.COMMAND, data=command.name, text=command.args, **common)
        return Event(kind=Kind.TEXT, text=message.text, **common)
    if message.location is not None:
        location = Location(message.location.latitude, message.location.longitude)
        return Event(kind=Kind.LOCATION, location=location, **common)
    if message.contact is not None:
        contact = message.contact
        name = " ".join(part for part in (contact.first_name, contact.last_name) if part)
        own = contact.user_id is not None and contact.user_id == user.id
        return Event(kind=Kind.CONTACT, contact=Contact(contact.phone_number, is_own=own, name=name), **common)
    return Event(kind=Kind.UNSUPPORTED, attachment=attachment_of(message), **common)


def _transient(error: object) -> bool:
    """Network trouble, flood limits and lost database connections pass; a bad request or a blocked bot would
    fail the same way again."""
    return isinstance(error, RetryAfter | StoreUnavailable) or (
        isinstance(error, NetworkError) and not isinstance(error, BadRequest))


class TelegramBridge:
    """The user-facing handlers: one private chat at a time, in the order its updates arrived."""

    def __init__(self, rt: Runtime, bot: HotlineBot) -> None:
        self.rt = rt
        self.bot = bot
        self.staff_chat_id = rt.settings.telegram.staff_chat_id
        self.skip_commands: frozenset[str] = frozenset()
        self.conversations = Conversations(rt.engine)
        self._failed: dict[int, bool] = {}
        self.resent_on_failure = False  # webhooks: Telegram resends an update answered with 503

    def register(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGES
        application.add_handler(MessageHandler(private, self.on_message), group=CORE_GROUP)
        application.add_handler(CallbackQueryHandler(self.on_callback), group=CORE_GROUP)
        application.add_error_handler(self.on_error)

    async def respond(self, chat_id: int, event: Event, pressed_message_id: int | None = None) -> None:
        """Answers in the chat, replacing the pressed message where a reply may (see render.deliver)."""

        async def send(replies: list[Reply]) -> None:
            await deliver(self.bot, chat_id, replies, pressed_message_id)

        await self.conversations.respond(str(chat_id), event, send)

    def take_failure(self, update_id: int) -> bool:
        """Whether sending the replies to `update_id` failed in a way worth Telegram resending it."""
        return self._failed.pop(update_id, False)

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        if update.edited_message is not None and message.location is not None:
            return  # a live location moving: answered once, when it was first shared
        event = event_from_message(message, user, update.update_id, edited=update.edited_message is not None)
        if event.kind is Kind.COMMAND and event.data in self.skip_commands:
            return
        await self.respond(message.chat_id, event)

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        where = pressed(query)
        if where is not None and not where.private:
            if where.chat_id != self.staff_chat_id:
                await self._answer(query)
            return
        if self.skip_commands and (query.data or "").startswith("s:"):
            await self._answer(query)  # a staff button whose staff handler failed: never a user's button
            return
        answering = asyncio.ensure_future(self._answer(query))
        try:
            user = query.from_user
            event = Event(SessionKey(CHANNEL, str(user.id)), Kind.BUTTON, data=query.data or "",
                          update_id=str(update.update_id), platform_language=user.language_code)
            await self.respond(where.chat_id if where else user.id, event, where.message_id if where else None)
        finally:
            await answering

    def _is_staff(self, update: object) -> bool:
        """Staff actions are not de-duplicated like user updates, so a failed one must not be resent."""
        if not isinstance(update, Update):
            return False
        if update.callback_query is not None:
            return (update.callback_query.data or "").startswith("s:")
        text = update.effective_message.text if update.effective_message else None
        command = parse_command(text) if text else None
        return command is not None and command.name in self.skip_commands

    async def _answer(self, query: CallbackQuery) -> None:
        """Stops the button's spinner; a query too old to answer is not worth an error."""
        try:
            await self.bot.call("answerCallbackQuery", {"callback_query_id": query.id})
        except TelegramError as exc:
            log.info("could not answer a callback query: %s", exc.message)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Logs with the update id (never its content) and tells the user, with the hotline number."""
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        if isinstance(error, Forbidden):
            log.info("update %s: the user has blocked the bot or left the chat", update_id)
            return
        log.error("failed to handle update %s: %s", update_id, type(error).__name__, exc_info=error)
        chat = chat_of(update) if isinstance(update, Update) else None
        private = chat is not None and chat[1]
        if update_id is not None and _transient(error) and private and not self._is_staff(update):
            self._failed[update_id] = True
            while len(self._failed) > FAILURES_KEPT:
                del self._failed[next(iter(self._failed))]
            if isinstance(error, StoreUnavailable) and self.resent_on_failure:
                return  # Telegram sends it again and it is answered then: no apology in between
        if not isinstance(update, Update) or chat is None or not private or update.effective_user is None:
            return
        user = update.effective_user
        event = Event(SessionKey(CHANNEL, str(user.id)), Kind.TEXT, platform_language=user.language_code)
        try:
            await deliver(self.bot, chat[0], self.rt.engine.apology(event))
        except TelegramError as exc:
            log.warning("could not tell the user about the failure of update %s: %s", update_id,
                        type(exc).__name__)
