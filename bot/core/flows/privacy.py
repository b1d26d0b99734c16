"""What we store about a user (/mydata) and deleting it (/forget), after a confirmation.

States: p:forget (waiting for the confirmation; an unfinished callback form is kept aside and comes back on "no").
Buttons: p:show, p:forget, p:yes, p:no.
"""

from __future__ import annotations

from bot.core.context import Ctx
from bot.core.events import Button, Reply
from bot.core.flows.base import Replies
from bot.core.flows.menu import MenuFlow
from bot.i18n import LANGUAGE_NAMES
from bot.requests import describe_request, form_request
from bot.store.live import LiveConversation, LiveStore

__all__ = ["PrivacyFlow"]


def _draft_form(ctx: Ctx) -> dict[str, object] | None:
    """An unfinished callback form, whether it is open or parked while /forget waits for an answer."""
    session = ctx.session
    if session.state.startswith("cb:"):
        return session.data.get("form") or None
    if session.draft:
        return (session.draft.get("data") or {}).get("form") or None
    if session.state == "p:forget":
        return (session.data.get("draft") or {}).get("data", {}).get("form") or None
    return None


def describe_chat(ctx: Ctx, chat: LiveConversation) -> str:
    """A chat with a consultant as /mydata lists it: when, and until when its transcript is kept."""
    started = chat.created_at.strftime("%Y-%m-%d") if chat.created_at else ""
    if chat.open:
        return ctx._("A chat with a consultant, started {date}: still open.").format(date=started)
    days = ctx.settings.callback.retention_days
    return ctx.t.ngettext("A chat with a consultant, {date}: its messages are kept {days} day after it ended, "
                          "then deleted.",
                          "A chat with a consultant, {date}: its messages are kept {days} days after it ended, "
                          "then deleted.", days).format(date=started, days=days)


class PrivacyFlow:
    prefix = "p"

    def __init__(self, menu: MenuFlow) -> None:
        self.menu = menu

    async def button(self, ctx: Ctx, arg: str) -> Replies | None:
        if arg == "show":
            return await self.show(ctx)
        if arg == "forget":
            draft = ctx.session.state.startswith("cb:") or ctx.session.state == "h:live"
            ctx.session.enter("p:forget", draft={"state": ctx.session.state, "data": ctx.session.data} if draft else {})
            rows = [(Button(ctx._("Yes, delete my data"), "p:yes"), Button(ctx._("No, keep it"), "p:no"))]
            return [ctx.with_nav(ctx._("Delete everything we store about you, including any callback request? "
                                       "This cannot be undone."), rows)]
        if arg == "yes" and ctx.session.state == "p:forget":
            await ctx.store.forget_user(ctx.event.key)
            if isinstance(ctx.store, LiveStore):
                await ctx.store.forget_live(ctx.event.key)  # an open chat ends: the caseworker sees it deleted
            ctx.session.draft = None
            ctx.session.data.clear()
            ctx.session.leave()
            ctx.session.history.clear()
            return self.menu.home(ctx, prefix=ctx._("Your data has been deleted. Any open callback request is "
                                                    "cancelled."))
        if arg == "no" and ctx.session.state == "p:forget" and ctx.session.data.get("draft"):
            draft = ctx.session.data["draft"]
            ctx.session.state, ctx.session.data = draft["state"], draft["data"]
            if ctx.session.state == "h:live":
                return [Reply(text=ctx._("Nothing was deleted."), buttons=((Button(ctx._("✖️ End chat"), "h:end"),),))]
            rows = ((Button(ctx._("Continue my request"), "cb:start"),), ctx.nav_row(back=False))
            return [Reply(text=ctx._("Nothing was deleted."), buttons=rows)]
        if arg in ("yes", "no"):
            return self.menu.home(ctx, prefix=ctx._("Nothing was deleted."))
        return None

    async def show(self, ctx: Ctx) -> Replies:
        requests = await ctx.store.requests_for(ctx.event.key)
        parts = [ctx._("What we store about you:"),
                 ctx._("Language of our chat: {language}").format(language=LANGUAGE_NAMES.get(ctx.lang, ctx.lang))]
        parts.extend(describe_request(ctx.content, ctx.t, r) for r in requests)
        chats = await ctx.store.live_for_user(ctx.event.key) if isinstance(ctx.store, LiveStore) else []
        parts.extend(describe_chat(ctx, c) for c in chats)
        draft = _draft_form(ctx)
        if draft:
            parts.append(ctx._("An unfinished callback request (deleted if you cancel it or leave it for a day):"))
            parts.append(describe_request(ctx.content, ctx.t, form_request(ctx.event.key, draft, ctx.lang),
                                          with_status=False))
        if not requests and not draft and not chats:
            parts.append(ctx._("You have no callback requests. We keep no name or phone number of yours."))
        parts.append(ctx._("To delete it all, send /forget."))
        return [ctx.with_nav("\n\n".join(parts), [(Button(ctx._("🗑 Delete my data"), "p:forget"),)])]

    async def input(self, ctx: Ctx) -> Replies | None:
        return None
