"""A chat in the terminal over the same core, so anyone can try the bot with no token.

Type text to ask, a number to press a button, `/command` for commands, `loc LAT LON` to send a location and
`phone NUMBER` to share a phone number. Works with piped input too (tests drive it as a subprocess).
"""

from __future__ import annotations

import asyncio
import re
import sys
from typing import TextIO

from bot.channels.kit import parse_command
from bot.core.engine import Engine
from bot.core.events import Button, ButtonAction, Contact, Event, Kind, Location, Reply, SessionKey
from bot.i18n import Catalogues

__all__ = ["TerminalChat", "parse_line"]

LOCATION_RE = re.compile(r"^(?:loc|location|📍)\s*(-?\d+(?:\.\d+)?)[\s,;]+(-?\d+(?:\.\d+)?)\s*$", re.IGNORECASE)
PHONE_RE = re.compile(r"^(?:phone|tel)\s+(.+)$", re.IGNORECASE)


def parse_line(line: str, key: SessionKey, buttons: list[Button], update_id: str | None,
               platform_language: str | None) -> Event | None:
    """Turns one typed line into an Event; None when a location button needs coordinates first."""
    text = line.strip()
    common = {"key": key, "update_id": update_id, "platform_language": platform_language}
    if text.isdigit() and 1 <= int(text) <= len(buttons):
        button = buttons[int(text) - 1]
        if button.action is ButtonAction.CALLBACK:
            return Event(kind=Kind.BUTTON, data=button.data, **common)
        return None
    if match := LOCATION_RE.match(text):
        lat, lon = float(match.group(1)), float(match.group(2))
        return Event(kind=Kind.LOCATION, location=Location(lat, lon), **common)
    if match := PHONE_RE.match(text):
        return Event(kind=Kind.CONTACT, contact=Contact(match.group(1).strip(), is_own=True), **common)
    command = parse_command(text)
    if command is not None:
        return Event(kind=Kind.COMMAND, data=command.name, text=command.args, **common)
    return Event(kind=Kind.TEXT, text=text, **common)


class TerminalChat:
    def __init__(self, engine: Engine, user: str = "local", language: str | None = None,
                 stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        self.engine = engine
        self.key = SessionKey("terminal", user)
        self.language = language
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.buttons: list[Button] = []
        self.catalogues = Catalogues()

    def _print(self, text: str = "") -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def render(self, replies: list[Reply]) -> None:
        self.buttons = []
        for reply in replies:
            if reply.venue:
                venue = reply.venue
                self._print(f"📍 {venue.title} — {venue.address} ({venue.latitude:.5f}, {venue.longitude:.5f})")
            if reply.text:
                self._print(reply.text)
            for row in reply.buttons:
                labels = []
                for button in row:
                    self.buttons.append(button)
                    hint = "  (loc LAT LON)" if button.action is ButtonAction.LOCATION else (
                        "  (phone NUMBER)" if button.action is ButtonAction.CONTACT else "")
                    labels.append(f"[{len(self.buttons)}] {button.label}{hint}")
                self._print("   ".join(labels))
            self._print()

    async def deliver(self, user_id: str, replies: list[Reply]) -> None:
        """Messages from outside a step (a caseworker in a live chat), shown above the prompt."""
        self._print()
        self.render(replies)
        self.stdout.write("> ")
        self.stdout.flush()

    async def send(self, line: str) -> bool:
        event = parse_line(line, self.key, self.buttons, None, self.language)
        if event is None:
            t = self.catalogues.translator(self.language or "en")
            self._print(t.gettext("Type your location as: loc LATITUDE LONGITUDE (for example: loc 42.27 42.70)"))
            return True
        self.render(await self.engine.handle(event))
        if event.kind is Kind.COMMAND and event.data == "help":
            t = self.catalogues.translator(self.language or "en")
            self._print(t.gettext("In this terminal: a number presses a button, loc LAT LON sends a location, "
                                  "phone NUMBER shares a phone number, /quit leaves."))
        return True

    async def run(self) -> None:
        t = self.catalogues.translator(self.language or "en")
        self._print(t.gettext("Terminal chat. Type a number to press a button, /help for commands, "
                              "loc LAT LON to send a location, /quit to leave."))
        self.render(await self.engine.handle(Event(self.key, Kind.COMMAND, data="start",
                                                   platform_language=self.language)))
        while True:
            self.stdout.write("> ")
            self.stdout.flush()
            line = await asyncio.to_thread(self.stdin.readline)
            if not line or line.strip() in ("/quit", "/exit"):
                break
            if line.strip():
                await self.send(line)
