"""What a live chat needs from Telegram: files a person sends, as references a caseworker can open, a way to
send a caseworker's replies to a person outside a step, and the staff group's notices (bot/live/staff_group.py)."""

from __future__ import annotations

from typing import Any

from telegram import Message
from telegram.ext import Application

from bot.app import Runtime
from bot.channels.telegram.render import deliver
from bot.core.events import Attachment, Reply
from bot.live.staff_group import LiveNotices
from bot.live.telegram_private import PrivateRelay

__all__ = ["attachment_of", "install_live"]

CHANNEL = "telegram"


def attachment_of(message: Message) -> Attachment | None:
    """A photo (the largest size), document, voice, audio or video message, by Telegram's file id."""
    caption = message.caption or ""
    if message.photo:
        return Attachment("photo", message.photo[-1].file_id, caption)
    for kind in ("document", "voice", "audio", "video", "video_note"):
        media = getattr(message, kind, None)
        if media is not None:
            return Attachment(kind, media.file_id, caption)
    return None


def install_live(application: Application[Any, Any, Any, Any, Any, Any], rt: Runtime) -> None:
    """Registers how to send to and fetch from a Telegram user; with the desk on, lets linked caseworkers hold
    chats from a private chat and, with a staff group, posts live chat notices there (both start and stop with
    the application: post_init / post_stop, in polling and webhooks alike)."""
    bot = application.bot

    async def send(user_id: str, replies: list[Reply]) -> None:
        await deliver(bot, int(user_id), replies)  # a private chat's id is its user's id

    async def fetch(file_ref: str) -> bytes:
        found = await bot.get_file(file_ref)  # bots may download files up to 20 MB
        return bytes(await found.download_as_bytearray())

    rt.relay.register(CHANNEL, send, fetch)
    if not rt.settings.desk.enabled:
        return
    private = PrivateRelay(rt, bot)
    private.install(application)
    chat_id = rt.settings.telegram.staff_chat_id
    notices = LiveNotices(rt, bot, chat_id) if chat_id is not None else None
    previous_init, previous_stop = application.post_init, application.post_stop

    async def post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if previous_init is not None:
            await previous_init(app)
        private.start()
        if notices is not None:
            notices.start()

    async def post_stop(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await private.stop()
        if notices is not None:
            await notices.stop()
        if previous_stop is not None:
            await previous_stop(app)

    application.post_init = post_init
    application.post_stop = post_stop
