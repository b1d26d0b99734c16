"""The one command rule every channel reads commands with."""

from __future__ import annotations

import pytest
from telegram import Message

from bot.channels.kit import Command, parse_command
from bot.channels.telegram.bridge import event_from_message
from bot.channels.terminal import parse_line
from bot.channels.viber_payload import to_event
from bot.core.events import Event, SessionKey
from tests.e2e.fake_telegram import FakeTelegram, FakeUser

KEY = SessionKey("test", "1")


@pytest.mark.parametrize(("text", "expected"), [
    ("/start", Command("start", "")),
    ("  /Start@hotline_test_bot  source-42 ", Command("start", "source-42")),
    ("/take CB-7K3Q call later", Command("take", "CB-7K3Q call later")),
    ("/note CB-7K3Q line one\nline two", Command("note", "CB-7K3Q line one\nline two")),
    ("/", None), ("/?", None), ("/привет", None), ("hello /start", None), ("/start!", None), ("/" + "a" * 33, None),
])
def test_one_rule_for_commands(text: str, expected: Command | None) -> None:
    assert parse_command(text) == expected


def _telegram(text: str) -> Event:
    message = Message.de_json(FakeUser(FakeTelegram(), 1).text(text)["message"], None)
    assert message is not None and message.from_user is not None
    return event_from_message(message, message.from_user, 1)


@pytest.mark.parametrize("text", ["/Menu@bot now", "/", "/привет", "/help", "plain words"])
def test_every_channel_reads_a_command_alike(text: str) -> None:
    events = [
        _telegram(text),
        to_event(KEY, {"type": "text", "text": text}, None),
        parse_line(text, KEY, [], None, None),
    ]
    assert len({(e.kind, e.data, e.text) for e in events if e is not None}) == 1, events
