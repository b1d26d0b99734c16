"""A test user who talks to the engine through its public API and reads what a person would see."""

from __future__ import annotations

import itertools

from bot.core.engine import Engine
from bot.core.events import Button, Contact, Event, Kind, Location, Reply, SessionKey

_ids = itertools.count(1)


class ChatUser:
    def __init__(self, engine: Engine, user_id: str, channel: str = "test", platform_language: str | None = None):
        self.engine = engine
        self.key = SessionKey(channel, user_id)
        self.platform_language = platform_language
        self.last: list[Reply] = []

    async def _send(self, **fields: object) -> list[Reply]:
        event = Event(key=self.key, update_id=str(next(_ids)), platform_language=self.platform_language,
                      **fields)  # type: ignore[arg-type]
        self.last = await self.engine.handle(event)
        return self.last

    async def say(self, text: str) -> list[Reply]:
        return await self._send(kind=Kind.TEXT, text=text)

    async def command(self, name: str, args: str = "") -> list[Reply]:
        return await self._send(kind=Kind.COMMAND, data=name, text=args)

    async def tap(self, data: str) -> list[Reply]:
        return await self._send(kind=Kind.BUTTON, data=data)

    async def press(self, label_part: str) -> list[Reply]:
        """Presses the button on the last replies whose label contains `label_part`."""
        return await self.tap(self.button(label_part).data)

    async def share_location(self, lat: float, lon: float) -> list[Reply]:
        return await self._send(kind=Kind.LOCATION, location=Location(lat, lon))

    async def share_contact(self, phone: str, own: bool = True) -> list[Reply]:
        return await self._send(kind=Kind.CONTACT, contact=Contact(phone, is_own=own))

    async def send_sticker(self) -> list[Reply]:
        return await self._send(kind=Kind.UNSUPPORTED)

    @property
    def buttons(self) -> list[Button]:
        return [b for r in self.last for row in r.buttons for b in row]

    def button(self, label_part: str) -> Button:
        for b in self.buttons:
            if label_part.lower() in b.label.lower():
                return b
        raise AssertionError(f"no button with {label_part!r} in {[b.label for b in self.buttons]}")

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.last)
