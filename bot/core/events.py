"""The core's contract: what a channel hands in (Event) and what it gets back (Reply).

Channels translate platform updates into Events and render Replies within their own limits; nothing else
crosses the boundary. Texts in a Reply are plain text: channels escape or format them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.records import SessionKey  # part of every Event; kept beside the store's records, which need no core

__all__ = [
    "Attachment",
    "Button",
    "ButtonAction",
    "Contact",
    "Event",
    "Kind",
    "Location",
    "Reply",
    "SessionKey",
    "Venue",
]


class Kind(StrEnum):
    TEXT = "text"
    BUTTON = "button"
    LOCATION = "location"
    CONTACT = "contact"
    COMMAND = "command"
    UNSUPPORTED = "unsupported"  # stickers, photos, voice...: answered with a hint and the menu


@dataclass(frozen=True, slots=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Contact:
    phone: str
    is_own: bool | None = None  # None when the platform cannot tell
    name: str = ""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A photo, document, voice message...: the platform's own reference to the file, for a live chat to pass on."""

    kind: str
    file_ref: str
    caption: str = ""


@dataclass(frozen=True, slots=True)
class Event:
    """One user action. `data` is the button payload or the command name; `text` the message or command args."""

    key: SessionKey
    kind: Kind
    text: str = ""
    data: str = ""
    location: Location | None = None
    contact: Contact | None = None
    update_id: str | None = None
    platform_language: str | None = None
    attachment: Attachment | None = None


class ButtonAction(StrEnum):
    CALLBACK = "callback"
    LOCATION = "location"  # ask the platform to share the user's location
    CONTACT = "contact"  # ask the platform to share the user's own phone number


@dataclass(frozen=True, slots=True)
class Button:
    """A button; `data` is an id-based payload (never a text), at most 64 bytes."""

    label: str
    data: str = ""
    action: ButtonAction = ButtonAction.CALLBACK


@dataclass(frozen=True, slots=True)
class Venue:
    title: str
    address: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Reply:
    """One message. Buttons are rows; location/contact request buttons come alone in their own Reply.

    `remove_keyboard` hides a request keyboard shown earlier; `edit` says the message may replace the one whose
    button was pressed.
    """

    text: str = ""
    buttons: tuple[tuple[Button, ...], ...] = ()
    venue: Venue | None = None
    remove_keyboard: bool = False
    edit: bool = False

    @property
    def requests(self) -> bool:
        return any(b.action is not ButtonAction.CALLBACK for row in self.buttons for b in row)
