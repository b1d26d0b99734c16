"""Getting around: the commands, and the menu's own buttons that belong to no conversation.

Buttons: n:home|back|human (the row under every answer; human presses h:offer), f:<faq>[:more] (an answer),
l:<lang> (a language), a:<action> (a menu item that starts another flow: a:centres -> c:ask, a:callback ->
cb:start, a:eligibility -> e:start; a:language, a:hotline). No state of its own. A typed request ("call me
back") does what its button or command does (`ActionFlow.typed`).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.context import Ctx
from bot.core.flows.base import Flow, Replies
from bot.core.flows.menu import MenuFlow, help_text

__all__ = ["COMMANDS", "ActionFlow", "Commands", "FaqFlow", "HomeFlow", "LanguageFlow"]

COMMANDS = ("start", "menu", "language", "centres", "callback", "help", "cancel", "mydata", "forget")
# The button each command or action presses in the flow that owns it.
_COMMAND_BUTTONS = {"centres": "c:ask", "callback": "cb:start", "mydata": "p:show", "forget": "p:forget"}
_ACTION_BUTTONS = {"centres": "c:ask", "callback": "cb:start", "eligibility": "e:start"}
HUMAN = "h:offer"  # "talk to a person": the live chat's offer (bot/core/flows/handoff.py)


async def _press(flows: Mapping[str, Flow], ctx: Ctx, data: str) -> Replies | None:
    prefix, _, arg = data.partition(":")
    return await flows[prefix].button(ctx, arg)


class HomeFlow:
    prefix = "n"

    def __init__(self, menu: MenuFlow, flows: Mapping[str, Flow]) -> None:
        self.menu = menu
        self.flows = flows

    async def button(self, ctx: Ctx, arg: str) -> Replies | None:
        if arg == "home":
            ctx.session.park()
            return self.menu.home(ctx, edit=True)
        if arg == "human":
            return await _press(self.flows, ctx, HUMAN)
        if arg == "back":
            return self.back(ctx)
        return None

    def back(self, ctx: Ctx) -> Replies | None:
        """The screen before this one: a menu or an answer still in the content, else the main menu."""
        ctx.session.leave()
        history = ctx.session.history
        if history:
            history.pop()
        while history:
            screen = history.pop()
            prefix, _, target = screen.partition(":")
            if prefix == "m" and target in ctx.content.nodes:
                reply = self.menu.node(ctx, target, edit=True)
                return [reply] if reply else None
            if prefix == "f" and target in ctx.content.faqs:
                return self.menu.faq(ctx, target)
        return self.menu.home(ctx, edit=True)

    async def input(self, ctx: Ctx) -> Replies | None:
        return None


class FaqFlow:
    prefix = "f"

    def __init__(self, menu: MenuFlow) -> None:
        self.menu = menu

    async def button(self, ctx: Ctx, arg: str) -> Replies | None:
        ctx.session.leave()
        faq_id, _, part = arg.partition(":")
        return self.menu.faq_more(ctx, faq_id) if part == "more" else self.menu.faq(ctx, faq_id)

    async def input(self, ctx: Ctx) -> Replies | None:
        return None


class LanguageFlow:
    prefix = "l"

    def __init__(self, menu: MenuFlow) -> None:
        self.menu = menu

    async def button(self, ctx: Ctx, arg: str) -> Replies | None:
        return self.menu.set_language(ctx, arg)

    async def input(self, ctx: Ctx) -> Replies | None:
        return None


class ActionFlow:
    """Menu items that start another flow; `flows` is the engine's registry, read when a button is pressed."""

    prefix = "a"

    def __init__(self, menu: MenuFlow, flows: Mapping[str, Flow]) -> None:
        self.menu = menu
        self.flows = flows

    async def button(self, ctx: Ctx, arg: str) -> Replies | None:
        if arg == "language":
            return self.menu.language_menu(ctx)
        if arg == "hotline":
            return self.menu.human(ctx)
        if arg not in _ACTION_BUTTONS:
            return None
        return await _press(self.flows, ctx, _ACTION_BUTTONS[arg])

    async def typed(self, ctx: Ctx, action: str) -> Replies | None:
        """What a typed request does: the same as its button or command."""
        if action == "human":
            return await _press(self.flows, ctx, HUMAN)
        if action in ("forget", "mydata"):
            return await _press(self.flows, ctx, _COMMAND_BUTTONS[action])
        return await self.button(ctx, action)

    async def input(self, ctx: Ctx) -> Replies | None:
        return None


class Commands:
    """/start, /menu, /language and /help here; the others press their flow's button."""

    def __init__(self, menu: MenuFlow, flows: Mapping[str, Flow]) -> None:
        self.menu = menu
        self.flows = flows

    async def run(self, ctx: Ctx, name: str) -> Replies:
        if name in ("start", "menu", "language"):
            ctx.session.park()
        if name == "start":
            return self.menu.home(ctx, prefix=ctx._("Hello! I am the migrant hotline assistant."))
        if name == "cancel" and ctx.session.state.startswith("cb:"):
            return await _press(self.flows, ctx, "cb:cancel") or []
        if name in ("menu", "cancel"):
            prefix = ctx._("Cancelled.") if name == "cancel" and ctx.session.state else ""
            return self.menu.home(ctx, prefix=prefix)
        if name == "language":
            return self.menu.language_menu(ctx)
        if name == "help":
            return [ctx.with_nav(help_text(ctx), back=False)]
        if name in _COMMAND_BUTTONS:
            replies = await _press(self.flows, ctx, _COMMAND_BUTTONS[name])
            if replies is not None:
                return replies
        return self.menu.home(ctx, prefix=ctx._("I do not know that command."))
