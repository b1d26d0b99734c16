"""Replies to and from plain JSON, so the store can keep them until the channel has sent them."""

from __future__ import annotations

from typing import Any

from bot.core.events import Button, ButtonAction, Reply, Venue

__all__ = ["reply_from_dict", "reply_to_dict"]


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    """Written out by hand: `dataclasses.asdict` costs ten times more, on every update."""
    venue = reply.venue
    return {
        "text": reply.text,
        "buttons": [[{"label": b.label, "data": b.data, "action": b.action.value} for b in row]
                    for row in reply.buttons],
        "venue": None if venue is None else {"title": venue.title, "address": venue.address,
                                             "latitude": venue.latitude, "longitude": venue.longitude},
        "remove_keyboard": reply.remove_keyboard,
        "edit": reply.edit,
    }


def reply_from_dict(raw: dict[str, Any]) -> Reply:
    venue = raw.get("venue")
    return Reply(
        text=str(raw.get("text", "")),
        buttons=tuple(
            tuple(Button(str(b["label"]), str(b.get("data", "")), ButtonAction(b.get("action", "callback")))
                  for b in row)
            for row in raw.get("buttons", ())
        ),
        venue=Venue(**venue) if venue else None,
        remove_keyboard=bool(raw.get("remove_keyboard", False)),
        edit=bool(raw.get("edit", False)),
    )
