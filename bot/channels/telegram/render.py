"""Core Replies -> Bot API calls, within Telegram's limits.

Every text goes out in HTML parse mode, escaped, so nothing staff or users write can break the markup. Texts
over 4096 characters are split at paragraph, line, sentence or word boundaries (in that order of preference).
Callback buttons become an inline keyboard on the last part; location/contact requests a one-time reply
keyboard; `remove_keyboard` rides on the first message that has no keyboard of its own. A reply marked `edit`
replaces the message whose button was pressed when that message is plain text and the reply fits in one part.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Protocol

import phonenumbers
from telegram.constants import MessageLimit
from telegram.error import BadRequest

from bot.core.events import Button, ButtonAction, Reply, Venue

__all__ = ["MAX_TEXT", "Caller", "Outgoing", "deliver", "plan", "split_text", "tappable_phones"]

log = logging.getLogger(__name__)

MAX_TEXT = int(MessageLimit.MAX_TEXT_LENGTH)
MAX_CALLBACK_BYTES = 64
NO_PREVIEW = {"is_disabled": True}
REMOVE_KEYBOARD = {"remove_keyboard": True}
Markup = dict[str, Any]

# Split points, most preferred first: after a blank line, after a line, after a sentence, after a space.
_BOUNDARIES = (
    re.compile(r"(?<=\n\n)"),
    re.compile(r"(?<=\n)"),
    re.compile(r"(?<=[.!?…։;])(?=\s)"),
    re.compile(r"(?<=\s)"),
)
_PHONE_RUN = re.compile(r"\(?\+?\d[\d \-()]{6,}\d")
_BRACKETS = re.compile(r"[()]")


def _units(text: str) -> int:
    """Telegram counts UTF-16 code units; characters outside the BMP (most emoji) count twice."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _hard_cut(text: str, limit: int) -> list[str]:
    parts, current, size = [], [], 0
    for ch in text:
        width = 2 if ord(ch) > 0xFFFF else 1
        if size + width > limit:
            parts.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += width
    if current:
        parts.append("".join(current))
    return parts


def _pack(text: str, limit: int, level: int) -> list[str]:
    if _units(text) <= limit:
        return [text]
    if level == len(_BOUNDARIES):
        return _hard_cut(text, limit)
    pieces = [p for p in _BOUNDARIES[level].split(text) if p]
    if len(pieces) == 1:
        return _pack(text, limit, level + 1)
    chunks: list[str] = []
    current, size = "", 0
    for piece in pieces:
        width = _units(piece)
        if size + width <= limit:
            current, size = current + piece, size + width
            continue
        if current:
            chunks.append(current)
        if width <= limit:
            current, size = piece, width
        else:
            *whole, current = _pack(piece, limit, level + 1)
            chunks.extend(whole)
            size = _units(current)
    if current:
        chunks.append(current)
    return chunks


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Parts of `text`, each at most `limit` UTF-16 units, cut at the most natural boundary available."""
    if len(text) * 2 <= limit or _units(text) <= limit:
        return [text] if text.strip() else []
    return [part.strip() for part in _pack(text, limit, 0) if part.strip()]


def _international(run: str) -> str:
    plain = " ".join(_BRACKETS.sub(" ", run).split())
    if plain.startswith("+"):
        return plain
    try:
        number = phonenumbers.parse(plain, "GE")
    except phonenumbers.NumberParseException:
        return run
    if number.country_code != 995 or not phonenumbers.is_valid_number(number):
        return run
    return "+995 " + (plain[1:].lstrip() if plain.startswith("0") else plain)


@lru_cache(maxsize=512)
def tappable_phones(text: str) -> str:
    """Writes phone numbers as "+995 32 2 91 34 61", a form Telegram turns into a tappable link.

    "(+995 32) 2 91 34 61" loses its brackets and a valid Georgian "032 2 91 34 61" gains the country code;
    the digit grouping staff chose is kept, and digits that are not a phone number are left alone. Cached: most
    replies are the content's own texts, and scanning one costs about 10 µs.
    """
    return _PHONE_RUN.sub(lambda match: _international(match.group(0)), text)


def _inline(rows: Sequence[Sequence[Button]]) -> Markup | None:
    keyboard = []
    for row in rows:
        buttons = []
        for button in row:
            if len(button.data.encode()) > MAX_CALLBACK_BYTES or not button.data:
                log.error("dropped a button whose callback data is empty or over %d bytes", MAX_CALLBACK_BYTES)
                continue
            buttons.append({"text": button.label, "callback_data": button.data})
        if buttons:
            keyboard.append(buttons)
    return {"inline_keyboard": keyboard} if keyboard else None


def _request_keyboard(rows: Sequence[Sequence[Button]]) -> Markup:
    keyboard = []
    for row in rows:
        buttons: list[dict[str, Any]] = []
        for b in row:
            if b.action is ButtonAction.LOCATION:
                buttons.append({"text": b.label, "request_location": True})
            elif b.action is ButtonAction.CONTACT:
                buttons.append({"text": b.label, "request_contact": True})
        if buttons:
            keyboard.append(buttons)
    return {"keyboard": keyboard, "resize_keyboard": True, "one_time_keyboard": True}


def _is_inline(markup: Markup | None) -> bool:
    return markup is not None and "inline_keyboard" in markup


def _is_request(markup: Markup | None) -> bool:
    return markup is not None and "keyboard" in markup


class Caller(Protocol):
    """What the renderer needs from the bot: one Bot API call with plain parameters (see `HotlineBot`)."""

    async def call(self, method: str, params: dict[str, Any]) -> Any: ...


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One Bot API call: a venue, or a text part (raw, escaped when sent) with its keyboard."""

    text: str = ""
    venue: Venue | None = None
    markup: Markup | None = None
    editable: bool = False


def _reply_ops(reply: Reply) -> list[Outgoing]:
    ops: list[Outgoing] = []
    if reply.venue is not None:
        ops.append(Outgoing(venue=reply.venue))
    requests = reply.requests
    if requests:
        markup: Markup | None = _request_keyboard(reply.buttons)
    else:
        markup = _inline(reply.buttons) if reply.buttons else None
    parts = split_text(tappable_phones(reply.text))
    if not parts and markup is not None:
        parts = ["⬇️"]
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        ops.append(Outgoing(
            text=part,
            markup=markup if last else None,
            editable=reply.edit and len(parts) == 1 and reply.venue is None and not requests,
        ))
    return ops


def _place_removal(ops: list[Outgoing], start: int) -> None:
    """Puts the keyboard removal on the first message from `start` that has no keyboard (splitting one if needed)."""
    end = next((i for i in range(start, len(ops)) if _is_request(ops[i].markup)), len(ops))
    for i in range(start, end):
        if ops[i].markup is None:
            ops[i] = replace(ops[i], markup=REMOVE_KEYBOARD, editable=False)
            return
    for i in range(start, end):
        head, sep, tail = ops[i].text.rpartition("\n\n")
        if ops[i].venue is None and sep and head.strip():
            ops[i:i + 1] = [Outgoing(text=head.strip(), markup=REMOVE_KEYBOARD),
                            Outgoing(text=tail.strip(), markup=ops[i].markup)]
            return
    log.debug("no message could carry the keyboard removal; the one-time keyboard stays collapsed")


def plan(replies: Sequence[Reply]) -> list[Outgoing]:
    """The calls that render `replies`, in order."""
    ops: list[Outgoing] = []
    removal: int | None = None
    for reply in replies:
        if reply.remove_keyboard and removal is None:
            removal = len(ops)
        ops.extend(_reply_ops(reply))
    if removal is not None:
        _place_removal(ops, removal)
    return ops


def _message_params(chat_id: int, op: Outgoing) -> dict[str, Any]:
    params: dict[str, Any] = {"chat_id": chat_id, "text": html.escape(op.text, quote=False), "parse_mode": "HTML",
                              "link_preview_options": NO_PREVIEW}
    if op.markup is not None:
        params["reply_markup"] = op.markup
    return params


async def _send(bot: Caller, chat_id: int, op: Outgoing) -> None:
    if op.venue is None:
        await bot.call("sendMessage", _message_params(chat_id, op))
        return
    venue = op.venue
    params: dict[str, Any] = {"chat_id": chat_id, "latitude": venue.latitude, "longitude": venue.longitude,
                              "title": venue.title, "address": venue.address}
    if op.markup is not None:
        params["reply_markup"] = op.markup
    await bot.call("sendVenue", params)


async def _edit(bot: Caller, chat_id: int, message_id: int, op: Outgoing) -> bool:
    """Replaces the pressed message; False when Telegram refuses (too old, deleted...) so it is sent anew."""
    params = _message_params(chat_id, op)
    params["message_id"] = message_id
    if not _is_inline(op.markup):
        params.pop("reply_markup", None)
    try:
        await bot.call("editMessageText", params)
    except BadRequest as exc:
        if "not modified" in exc.message.lower():
            return True
        log.info("could not edit message in place (%s); sending a new one", exc.message)
        return False
    return True


async def deliver(bot: Caller, chat_id: int, replies: Sequence[Reply], pressed_message_id: int | None = None) -> None:
    """Sends `replies` in order; `pressed_message_id` is the text message whose button was pressed, if editable."""
    for index, op in enumerate(plan(replies)):
        if index == 0 and op.editable and pressed_message_id is not None and await _edit(
            bot, chat_id, pressed_message_id, op
        ):
            continue
        await _send(bot, chat_id, op)
