"""Replies survive the trip through JSON unchanged (they are kept in the store until sent)."""

from __future__ import annotations

import json

from bot.core.codec import reply_from_dict, reply_to_dict
from bot.core.events import Button, ButtonAction, Reply, Venue


def test_round_trip() -> None:
    reply = Reply(
        text="Nearest centre\n☎️ (+995 431) 24 44 43",
        buttons=((Button("📍 Share", action=ButtonAction.LOCATION),), (Button("⬅️", "n:back"), Button("🏠", "n:home"))),
        venue=Venue("Kutaisi", "Tsereteli St. 63", 42.27, 42.7),
        remove_keyboard=True,
        edit=True,
    )
    assert reply_from_dict(json.loads(json.dumps(reply_to_dict(reply)))) == reply
    assert reply_from_dict(reply_to_dict(Reply(text="x"))) == Reply(text="x")
