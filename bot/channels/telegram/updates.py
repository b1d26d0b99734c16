"""Incoming updates made cheap to parse: what a pressed button's message is read for, and nothing more.

Telegram sends the whole message a button hangs under with every callback query. python-telegram-bot turns it
into a `Message` of some 130 attributes (about 0.19 ms of CPU here, close to a tenth of an update's) that is
read for three things only: its chat, its id, and whether it holds text (so the answer can replace it). In a
private chat it is replaced, before parsing, by those three under `pressed` (the query's `api_kwargs` keeps it),
and the chat a callback came from is read with `chat_of`, not `Update.effective_chat` (which needs the message).
Messages from other chats (the staff group) are kept whole: they are few, and staff handlers read their chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import CallbackQuery, Update
from telegram.constants import ChatType

__all__ = ["Pressed", "chat_of", "pressed", "slim_update"]

PRESSED = "pressed"


@dataclass(frozen=True, slots=True)
class Pressed:
    chat_id: int
    private: bool
    message_id: int | None  # None when the message holds no text, so it cannot be edited into an answer


def slim_update(update: Any) -> Any:
    """Replaces a private chat's pressed message by what is read of it; an update slimmed already is unchanged."""
    if isinstance(update, dict):
        query = update.get("callback_query")
        message = query.get("message") if isinstance(query, dict) else None
        chat = message.get("chat") if isinstance(message, dict) else None
        if isinstance(chat, dict) and chat.get("type") == ChatType.PRIVATE and isinstance(chat.get("id"), int):
            del query["message"]
            query[PRESSED] = {"chat_id": chat["id"], "message_id": message.get("message_id"),
                              "text": message.get("text") is not None}
    return update


def pressed(query: CallbackQuery) -> Pressed | None:
    """The chat and the editable message of a pressed button, slimmed or whole; None for an inline query's."""
    slim = query.api_kwargs.get(PRESSED)
    if isinstance(slim, dict):
        message_id = slim.get("message_id")
        editable = slim.get("text") is True and isinstance(message_id, int)
        return Pressed(int(slim["chat_id"]), True, message_id if editable else None)
    message = query.message
    if message is None:
        return None
    text = getattr(message, "text", None)
    return Pressed(message.chat.id, message.chat.type == ChatType.PRIVATE,
                   message.message_id if text is not None else None)


def chat_of(update: Update) -> tuple[int, bool] | None:
    """The update's chat id and whether it is private, for callbacks too (see the module's note)."""
    if update.callback_query is not None:
        found = pressed(update.callback_query)
        if found is not None:
            return found.chat_id, found.private
    chat = update.effective_chat
    return (chat.id, chat.type == ChatType.PRIVATE) if chat is not None else None
