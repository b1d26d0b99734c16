"""What a live chat needs from Telegram: files a person sends, as references a caseworker can open, and a way to
send a caseworker's replies to a person outside a step."""

from __future__ import annotations

from telegram import Message

from bot.app import Runtime
from bot.channels.telegram.render import deliver
from bot.channels.telegram_http import HotlineBot
from bot.core.events import Attachment, Reply

__all__ = ["attachment_of", "fetch_file", "register_sender"]

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


def register_sender(rt: Runtime, bot: HotlineBot) -> None:
    async def send(user_id: str, replies: list[Reply]) -> None:
        await deliver(bot, int(user_id), replies)  # a private chat's id is its user's id

    async def fetch(file_ref: str) -> bytes:
        return await fetch_file(bot, file_ref)

    rt.relay.register(CHANNEL, send, fetch)


async def fetch_file(bot: HotlineBot, file_ref: str) -> bytes:
    """The file's bytes, for the desk to show; Telegram lets bots download files up to 20 MB."""
    found = await bot.get_file(file_ref)
    return bytes(await found.download_as_bytearray())
