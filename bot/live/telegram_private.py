"""A caseworker whose desk account is linked to a Telegram id can hold a live chat from a private chat with the
bot: the person's messages are sent on there ("💬 #12 ..."), and a Telegram reply to one of them goes back to the
person through the same relay as a reply from the desk.

The messages sent on are tracked in the store (`forwarded`, the last message id), by one worker at a time (a
store lease), woken by the store's change signal; a reply is matched by the chat number in the replied-to
message and accepted only from the account that took that chat.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, MessageHandler, filters

from bot.app import Runtime
from bot.i18n import N_, Translator
from bot.live.rounds import LiveRounds
from bot.store.desk import DeskStore, StaffAccount
from bot.store.live import LiveConversation, LiveMessage

__all__ = ["PrivateRelay"]

log = logging.getLogger(__name__)

CHAT_NUMBER = re.compile(r"^💬 #(\d+)")
KIND_LABELS = {"photo": N_("📷 Photo"), "document": N_("📄 Document"), "voice": N_("🎤 Voice message"),
               "audio": N_("🎵 Audio"), "video": N_("🎬 Video"), "video_note": N_("🎬 Video"),
               "location": N_("📍 Location"), "contact": N_("👤 Contact"),
               "other": N_("Something the bot cannot pass on (a sticker or similar)")}
SENDERS = {"photo": "send_photo", "document": "send_document", "voice": "send_voice", "audio": "send_audio",
           "video": "send_video"}


class PrivateRelay(LiveRounds):
    name = "live-private"
    failure = "live chats: sending on to caseworkers' private chats failed; trying again"

    def __init__(self, rt: Runtime, bot: Any, idle_seconds: float = 5.0) -> None:
        super().__init__(rt, idle_seconds)
        self.bot = bot

    async def one_round(self) -> int:
        return await self.forward_pending()

    @property
    def t(self) -> Translator:
        return self.rt.engine.catalogues.translator(self.rt.settings.default_language)

    def install(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        replies = filters.ChatType.PRIVATE & filters.REPLY & filters.TEXT & ~filters.COMMAND
        application.add_handler(MessageHandler(replies, self.on_reply), group=-1)

    async def _takers(self) -> dict[str, int]:
        store = self.rt.store
        if not isinstance(store, DeskStore):
            return {}
        return {a.name: a.telegram_id for a in await store.list_accounts() if a.active and a.telegram_id}

    async def forward_pending(self) -> int:
        """Sends the person's new messages of every taken chat to its taker's private chat, if linked."""
        takers = await self._takers()
        if not takers:
            return 0  # no caseworker has linked a Telegram id: nothing to look at
        sent = 0
        for conversation in await self.store.list_live(("taken",)):
            chat_id = takers.get(conversation.taken_by)
            if chat_id is None:
                continue
            for message in await self.store.live_messages(conversation.id, conversation.forwarded):
                if message.direction == "in":
                    try:
                        await self._send(chat_id, conversation, message)
                    except TelegramError as exc:
                        log.warning("live chat %s: could not send message %s on to its taker (%s)",
                                    conversation.id, message.id, type(exc).__name__)
                        break
                    sent += 1
                await self.store.mark_live_forwarded(conversation.id, message.id)
        return sent

    async def _send(self, chat_id: int, conversation: LiveConversation, message: LiveMessage) -> None:
        _ = self.t.gettext
        head = f"💬 #{conversation.id}"
        if conversation.forwarded == 0 and message.id == (await self._first_in(conversation)):
            head += " " + _("You took this chat. Reply to a message here to answer the person.")
        label = _(KIND_LABELS[message.kind]) if message.kind in KIND_LABELS else ""
        text = "\n".join(p for p in (head, label, message.body) if p)
        sender = SENDERS.get(message.kind)
        if sender and message.file_ref and conversation.channel == "telegram":  # a file id works across chats
            sent = await getattr(self.bot, sender)(chat_id, message.file_ref, caption=text[:1024], parse_mode=None)
        else:
            sent = await self.bot.send_message(chat_id, text[:4096], parse_mode=None)
        # kept as a caseworker's copy: the person's /forget deletes it, as it does copies of callback requests
        await self.rt.store.add_staff_copy(f"LIVE-{conversation.id}", f"{chat_id}:{sent.message_id}")

    async def _first_in(self, conversation: LiveConversation) -> int:
        messages = await self.store.live_messages(conversation.id)
        return next((m.id for m in messages if m.direction == "in"), 0)

    async def on_reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A caseworker's Telegram reply to a message sent on from a chat they hold; anything else passes."""
        message, user = update.effective_message, update.effective_user
        replied = message.reply_to_message if message is not None else None
        if message is None or user is None or replied is None or not message.text:
            return
        found = CHAT_NUMBER.match(replied.text or replied.caption or "")
        account = await self._account(user.id)
        if found is None or account is None:
            return
        _ = self.t.gettext
        sent = await self.rt.relay.reply(int(found.group(1)), account.name, message.text)
        if sent is None:
            await message.reply_text(_("The message was not sent: this chat is not yours, or it has ended."),
                                     parse_mode=None)
        elif sent.status == "failed":
            await message.reply_text(f"⚠ {_('Not delivered')} ({sent.error})", parse_mode=None)
        raise ApplicationHandlerStop

    async def _account(self, telegram_id: int) -> StaffAccount | None:
        store = self.rt.store
        if not isinstance(store, DeskStore):
            return None
        return next((a for a in await store.list_accounts() if a.active and a.telegram_id == telegram_id), None)
