"""The shape of a Viber callback, checked (pydantic) before anything reads it, and a message as a core Event.

A signed callback is still refused with 400 when its fields have the wrong types, coordinates are out of range,
or it nests deeper than any real callback: the JSON parser stops at a fixed depth instead of recursing until the
interpreter gives up. Fields Viber may add later are allowed and kept.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.channels.kit import parse_command
from bot.channels.viber_render import BUTTON_MARK
from bot.core.events import Attachment, Contact, Event, Kind, Location, SessionKey

__all__ = ["ViberCallbackShape", "is_button", "message_parts", "sender_language", "to_event", "well_formed"]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class _User(_Open):
    id: str = Field(min_length=1, max_length=256)
    name: str | None = None
    language: str | None = None


class _Location(_Open):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class _Contact(_Open):
    name: str | None = None
    phone_number: str | None = None


class _Message(_Open):
    type: str
    text: str | None = None
    tracking_data: str | None = None
    location: _Location | None = None
    contact: _Contact | None = None


class ViberCallbackShape(_Open):
    event: str
    message_token: int | str | None = None
    user_id: str | None = None
    user: _User | None = None
    sender: _User | None = None
    message: _Message | None = None
    subscribed: bool | None = None
    desc: str | None = None


def well_formed(body: bytes) -> bool:
    """Whether `body` is a Viber callback of the right shape (see the module notes)."""
    try:
        ViberCallbackShape.model_validate_json(body)
    except ValidationError:
        return False
    return True


def message_parts(callback: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The sender's id and the message of a `message` callback, or None when either is missing."""
    sender = callback.get("sender") or {}
    user_id = str(sender.get("id") or "") if isinstance(sender, dict) else ""
    message = callback.get("message")
    return (user_id, message) if user_id and isinstance(message, dict) else None


def is_button(text: str) -> bool:
    """A reply-button press: the mark, then core button data ("prefix:arg", no spaces)."""
    return text.startswith(BUTTON_MARK) and ":" in text and not any(c.isspace() for c in text)


def sender_language(callback: dict[str, Any]) -> str | None:
    sender = callback.get("sender") or {}
    language = sender.get("language")
    return language if isinstance(language, str) and language else None


MEDIA_KINDS = {"picture": "photo", "file": "document", "video": "video"}


def to_event(key: SessionKey, message: dict[str, Any], update_id: str | None,
             platform_language: str | None = None) -> Event:
    """One Viber message as a core Event."""
    common: dict[str, Any] = {"update_id": update_id, "platform_language": platform_language}
    kind = message.get("type")
    if kind == "text":
        text = str(message.get("text") or "")
        if is_button(text):
            return Event(key, Kind.BUTTON, data=text[len(BUTTON_MARK) :], **common)
        command = parse_command(text)
        if command is not None:
            return Event(key, Kind.COMMAND, data=command.name, text=command.args, **common)
        return Event(key, Kind.TEXT, text=text, **common)
    if kind == "location":
        location = message.get("location") or {}
        try:
            point = Location(float(location["lat"]), float(location["lon"]))
        except (KeyError, TypeError, ValueError):
            return Event(key, Kind.UNSUPPORTED, **common)
        return Event(key, Kind.LOCATION, location=point, **common)
    if kind == "contact":
        contact = message.get("contact") or {}
        phone = str(contact.get("phone_number") or "").strip()
        if not phone:
            return Event(key, Kind.UNSUPPORTED, **common)
        # A share-phone press and a forwarded contact card arrive alike: Viber cannot tell whose number it is.
        return Event(key, Kind.CONTACT, contact=Contact(phone, is_own=None, name=str(contact.get("name") or "")),
                     **common)
    media = message.get("media")
    if kind in MEDIA_KINDS and isinstance(media, str) and media:  # passed on to a caseworker in a live chat
        caption = str(message.get("text") or "")
        return Event(key, Kind.UNSUPPORTED, attachment=Attachment(MEDIA_KINDS[kind], media, caption), **common)
    return Event(key, Kind.UNSUPPORTED, **common)
