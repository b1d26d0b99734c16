"""The shape of a flow: buttons it owns (by data prefix) and free input while its state is active."""

from __future__ import annotations

from typing import Protocol

from bot.core.context import Ctx
from bot.core.events import Reply

__all__ = ["Flow", "Replies"]

Replies = list[Reply]


class Flow(Protocol):
    prefix: str

    async def button(self, ctx: Ctx, arg: str) -> Replies | None:
        """Handles `<prefix>:<arg>`; None means the button is stale (unknown id)."""

    async def input(self, ctx: Ctx) -> Replies | None:
        """Handles text/location/contact while `session.state` starts with the prefix; None lets it fall through."""
