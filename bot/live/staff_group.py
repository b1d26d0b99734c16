"""Tells the staff Telegram group that someone waits to write with a consultant, and who took it.

The post carries the topic (where the person was in the menu), language, channel and the first message with
names, phone numbers and addresses replaced (bot/knowledge/redact.py); the rest of the chat is only in the
desk. Posts come from the store (`unannounced_live`: conversations whose post does not show their status yet),
so a worker that was down catches up; one worker at a time does it (a store lease), woken by the store's
change signal rather than a timer, so the group hears of a new chat at once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram.error import TelegramError

from bot.app import Runtime
from bot.channels.telegram.render import split_text
from bot.i18n import LANGUAGE_NAMES, N_
from bot.knowledge.redact import redact
from bot.knowledge.vocabulary import known_words
from bot.live.rounds import LiveRounds
from bot.store.live import LiveConversation

__all__ = ["LiveNotices"]

log = logging.getLogger(__name__)

LOOK_BACK = timedelta(days=1)
FIRST_MAX = 300
HEADINGS = {
    "waiting": N_("💬 Someone is waiting to write with a consultant. Take it in the desk, Live tab."),
    "taken": N_("💬 Live chat taken by {name}."),
    "closed": N_("💬 Live chat ended."),
    "missed": N_("💬 Nobody took this live chat in time; the person was offered a callback."),
}


class LiveNotices(LiveRounds):
    name = "live-notices"
    failure = "live chat notices failed; trying again"

    def __init__(self, rt: Runtime, bot: Any, chat_id: int, idle_seconds: float = 5.0) -> None:
        super().__init__(rt, idle_seconds)
        self.bot = bot
        self.chat_id = chat_id

    async def one_round(self) -> int:
        return await self.post_pending()

    async def post_pending(self) -> int:
        """Posts new chats and edits posts whose chat moved on; returns how many posts changed."""
        changed = 0
        for conversation in await self.store.unannounced_live(datetime.now(UTC) - LOOK_BACK):
            where = conversation.announced.rsplit(":", 1)[0]
            text = await self.render(conversation)
            try:
                if where:
                    chat_id, message_id = (int(x) for x in where.split(":"))
                    await self.bot.edit_message_text(text, chat_id=chat_id, message_id=message_id, parse_mode=None)
                else:
                    sent = await self.bot.send_message(self.chat_id, text, parse_mode=None)
                    where = f"{self.chat_id}:{sent.message_id}"
            except TelegramError as exc:
                log.warning("live chat %s: the staff group post failed (%s)", conversation.id, type(exc).__name__)
                if where:  # an old post that cannot be edited any more is left as it is
                    await self.store.mark_live_announced(conversation.id, f"{where}:{conversation.status}")
                continue
            await self.store.mark_live_announced(conversation.id, f"{where}:{conversation.status}")
            changed += 1
        return changed

    async def render(self, conversation: LiveConversation) -> str:
        """What the group sees: never the person's name or phone."""
        settings = self.rt.settings
        t = self.rt.engine.catalogues.translator(settings.default_language)
        content = self.rt.content.current
        lines = [t.gettext(HEADINGS[conversation.status]).format(name=conversation.taken_by)]
        prefix, _, target = conversation.topic.partition(":")
        topic = ""
        if prefix == "m" and target in content.nodes:
            topic = content.text(content.nodes[target].title, t.lang)
        elif prefix == "f" and target in content.faqs:
            topic = content.text(content.faqs[target].question, t.lang)
        if topic:
            lines.append(t.gettext("Topic: {topic}").format(topic=topic))
        language = LANGUAGE_NAMES.get(conversation.language, conversation.language).split(" ", 1)[-1]
        lines.append(t.gettext("Language: {language} · {channel}").format(language=language,
                                                                          channel=conversation.channel))
        if conversation.status == "waiting":
            messages = await self.store.live_messages(conversation.id)
            first = next((m.body for m in messages if m.direction == "in" and m.kind == "text"), "")
            if first:
                cleaned = redact(first, known_words(content))
                short = split_text(cleaned, FIRST_MAX)[0]
                lines.append(t.gettext("First message: {text}").format(
                    text=short + ("…" if len(short) < len(cleaned) else "")))
        return "\n".join(lines)
