"""Talking to a person: the offer (write now, call, or a callback), then a live chat with a caseworker.

States: h:first (asked to write their first message), h:live (waiting or taken: the bot stays silent and every
message goes to the transcript), h:offer (nobody took it in time: a callback is offered with what they wrote).
Buttons: h:offer ("talk to a person"), h:ask, h:cancel, h:end, h:cb, h:rate:<id>:<1|-1>; and h:closed:<id>,
h:missed:<id>, sent by bot/live on a caseworker's or the clock's behalf (checked against the store, so a forged
one changes nothing).

While a chat is open only /mydata, /forget, the privacy buttons and "End chat" do what they usually do; any
other command or button gets a one-line reminder of how to end the chat. Danger phrases are relayed too: the
caseworker reads them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.context import Ctx
from bot.core.events import Button, Event, Kind, Reply
from bot.core.flows.base import Replies
from bot.core.flows.callback import CallbackFlow
from bot.core.flows.menu import MenuFlow, action_label
from bot.core.staffed import hours_text, staffed
from bot.knowledge.schema import Action
from bot.store.live import LiveConversation, LiveStore

__all__ = ["HandoffFlow", "relayed"]

ALLOWED_COMMANDS = frozenset({"mydata", "forget"})


def relayed(event: Event) -> tuple[str, str, str] | None:
    """What of an event goes to the caseworker, as (kind, text, file reference); None for nothing."""
    if event.kind is Kind.TEXT and event.text.strip():
        return "text", event.text, ""
    if event.kind is Kind.LOCATION and event.location is not None:
        return "location", f"{event.location.latitude:.6f},{event.location.longitude:.6f}", ""
    if event.kind is Kind.CONTACT and event.contact is not None:
        return "contact", " ".join(p for p in (event.contact.name, event.contact.phone) if p), ""
    if event.attachment is not None:
        return event.attachment.kind, event.attachment.caption, event.attachment.file_ref
    if event.kind is Kind.UNSUPPORTED:
        return "other", "", ""
    return None


class HandoffFlow:
    prefix = "h"

    def __init__(self, menu: MenuFlow, callback: CallbackFlow) -> None:
        self.menu = menu
        self.callback = callback

    # the offer

    def available(self, ctx: Ctx) -> bool:
        return ctx.settings.live.enabled and ctx.settings.desk.enabled and isinstance(ctx.store, LiveStore)

    def offer(self, ctx: Ctx) -> Replies:
        """"Talk to a person": write to a consultant now when the desk is staffed, the hotline, or a callback."""
        ctx.session.leave()
        if not self.available(ctx):
            return self.menu.human(ctx)
        hotline = ctx.content.hotline
        parts = [ctx._("You can talk to a hotline consultant. The consultation is free.")]
        rows: list[tuple[Button, ...]] = []
        if staffed(ctx.settings.live, datetime.now(UTC)):
            parts.append(ctx._("Write to a consultant here in the chat, call the hotline, or ask us to call you "
                               "back."))
            rows.append((Button(ctx._("💬 Write to a consultant now"), "h:ask"),))
        else:
            parts.append(self._hours_line(ctx))
        parts.append(f"☎️ {hotline.display}\n{ctx.text(hotline.hours)}")
        parts.append(ctx._("From abroad, call {number}.").format(number=hotline.international))
        rows.append((Button(action_label(ctx, Action.CALLBACK), "a:callback"),))
        rows.append(tuple(b for b in ctx.nav_row() if b.data != "n:human"))
        return [Reply(text="\n\n".join(parts), buttons=tuple(rows))]

    def _hours_line(self, ctx: Ctx) -> str:
        return ctx._("Consultants answer in this chat {hours} (Tbilisi time), except public holidays. Right now "
                     "nobody is at the desk.").format(hours=hours_text(ctx.settings.live, ctx.lang))

    # routing

    async def button(self, ctx: Ctx, arg: str) -> Replies | None:
        kind, _, value = arg.partition(":")
        if kind == "offer":
            return self.offer(ctx)
        if kind == "ask":
            return await self._ask(ctx)
        if kind == "cancel" and ctx.session.state == "h:first":
            return self.menu.home(ctx, prefix=ctx._("Cancelled."))
        if kind == "end":
            return await self._end(ctx)
        if kind == "cb":
            return await self._callback(ctx)
        if kind == "rate":
            return await self._rate(ctx, value)
        if kind in ("closed", "missed") and value.isdigit():
            return await self._ended_elsewhere(ctx, int(value))
        return None

    async def during(self, ctx: Ctx) -> Replies | None:
        """A step while a chat is asked for or open; None lets the engine route it as usual."""
        state, event = ctx.session.state, ctx.event
        if state == "h:first":
            if event.kind in (Kind.COMMAND, Kind.BUTTON) or relayed(event) is None:
                return None
            return await self._open(ctx)
        if state != "h:live":
            return None
        if event.kind is Kind.COMMAND:
            return None if event.data in ALLOWED_COMMANDS else self._reminder(ctx)
        if event.kind is Kind.BUTTON:
            return None if event.data.startswith(("h:", "p:")) else self._reminder(ctx)
        return await self._relay(ctx)

    async def input(self, ctx: Ctx) -> Replies | None:
        return None

    # asking and relaying

    async def _ask(self, ctx: Ctx) -> Replies:
        if ctx.session.state == "h:live":
            return self._reminder(ctx)
        if not self.available(ctx):
            return self.menu.human(ctx)
        if not staffed(ctx.settings.live, datetime.now(UTC)):
            return self._out_of_hours(ctx)
        topic = next((h for h in reversed(ctx.session.history) if h.startswith(("m:", "f:"))), "")
        ctx.session.enter("h:first", topic=topic)
        text = ctx._("Write your question in one message. A consultant will answer here in this chat. Please do "
                     "not share more personal details than needed.")
        return [Reply(text=text, buttons=((Button(ctx._("✖️ Cancel"), "h:cancel"),),))]

    def _out_of_hours(self, ctx: Ctx) -> Replies:
        ctx.session.leave()
        parts = [self._hours_line(ctx), ctx._("Leave your number and a caseworker will call you back."),
                 ctx.hotline_line()]
        rows = [(Button(action_label(ctx, Action.CALLBACK), "a:callback"),), ctx.nav_row(back=False)]
        return [Reply(text="\n\n".join(parts), buttons=tuple(rows))]

    async def _open(self, ctx: Ctx) -> Replies:
        store = ctx.store
        assert isinstance(store, LiveStore)
        conversation = await store.open_live(ctx.event.key, ctx.lang, str(ctx.session.data.get("topic", "")))
        ctx.session.enter("h:live", conversation=conversation.id)
        await self._store_message(ctx, conversation.id)
        minutes = int(ctx.settings.live.wait_minutes)
        text = ctx.t.ngettext(
            "Thank you. Your message is with the consultants. Please stay in this chat: if nobody can answer "
            "within {minutes} minute, we will tell you.",
            "Thank you. Your message is with the consultants. Please stay in this chat: if nobody can answer "
            "within {minutes} minutes, we will tell you.", minutes).format(minutes=minutes)
        return [Reply(text=text, buttons=((self.end_button(ctx),),))]

    async def _relay(self, ctx: Ctx) -> Replies:
        conversation_id = int(ctx.session.data.get("conversation", 0))
        stored = await self._store_message(ctx, conversation_id)
        if stored:
            return []  # the bot is silent: a person answers
        store = ctx.store
        assert isinstance(store, LiveStore)
        conversation = await store.live(conversation_id)
        if conversation is not None and conversation.open:
            return []  # a resent update, stored already
        return self._back(ctx, conversation)

    async def _store_message(self, ctx: Ctx, conversation_id: int) -> bool:
        store = ctx.store
        assert isinstance(store, LiveStore)
        found = relayed(ctx.event)
        if found is None:
            return False
        kind, body, file_ref = found
        body = body[: ctx.settings.live.message_max]
        message = await store.add_live_message(conversation_id, "in", kind, body, file_ref,
                                               update_id=ctx.event.update_id)
        return message is not None

    # ending

    def end_button(self, ctx: Ctx) -> Button:
        return Button(ctx._("✖️ End chat"), "h:end")

    def _reminder(self, ctx: Ctx) -> Replies:
        text = ctx._("You are writing with a consultant. To go back to the bot, press “End chat”.")
        return [Reply(text=text, buttons=((self.end_button(ctx),),))]

    async def _end(self, ctx: Ctx) -> Replies:
        if ctx.session.state != "h:live":
            return self.menu.home(ctx)
        store = ctx.store
        assert isinstance(store, LiveStore)
        conversation_id = int(ctx.session.data.get("conversation", 0))
        ended = await store.end_live(conversation_id, "closed", "person", "person")
        return self._back(ctx, ended or await store.live(conversation_id))

    async def _ended_elsewhere(self, ctx: Ctx, conversation_id: int) -> Replies | None:
        """A caseworker closed the chat, it timed out, or nobody took it: only if it is this person's open chat."""
        if ctx.session.state != "h:live" or ctx.session.data.get("conversation") != conversation_id:
            return []
        store = ctx.store
        assert isinstance(store, LiveStore)
        conversation = await store.live(conversation_id)
        if conversation is None or conversation.open:
            return []
        if conversation.status == "missed":
            return await self._missed(ctx, conversation)
        return self._back(ctx, conversation)

    def _back(self, ctx: Ctx, conversation: LiveConversation | None) -> Replies:
        """The bot is back: why the chat ended, a rating for a chat someone answered, and the menu."""
        ended_by = conversation.ended_by if conversation else ""
        texts = {
            "person": ctx._("You ended the chat."),
            "caseworker": ctx._("The consultant has ended the chat."),
            "timeout": ctx._("The chat has ended because there were no new messages for a while."),
        }
        ending = texts.get(ended_by, ctx._("The chat has ended."))
        replies: list[Reply] = []
        if conversation is not None and conversation.taken_at is not None:
            rows = ((Button("👍", f"h:rate:{conversation.id}:1"), Button("👎", f"h:rate:{conversation.id}:-1")),)
            replies.append(Reply(text=ending + "\n\n" + ctx._("Did the conversation help you?"), buttons=rows))
            ending = ""
        prefix = "\n\n".join(p for p in (ending, ctx._("You are talking to the bot again.")) if p)
        return [*replies, *self.menu.home(ctx, prefix=prefix)]

    async def _missed(self, ctx: Ctx, conversation: LiveConversation) -> Replies:
        store = ctx.store
        assert isinstance(store, LiveStore)
        written = [m.body for m in await store.live_messages(conversation.id) if m.direction == "in" and m.kind ==
                   "text"]
        note = "\n".join(written)[: ctx.settings.callback.note_max]
        ctx.session.enter("h:offer", note=note)
        parts = [ctx._("Sorry, no consultant could answer in time. Leave your number and a caseworker will call you "
                       "back."), ctx.hotline_line()]
        if note:
            parts.insert(1, ctx._("What you wrote will be kept as the note of your request."))
        rows = ((Button(action_label(ctx, Action.CALLBACK), "h:cb"),), ctx.nav_row(back=False))
        return [Reply(text="\n\n".join(parts), buttons=rows)]

    async def _callback(self, ctx: Ctx) -> Replies:
        """The callback form, with what the person wrote to the consultants kept as its note."""
        note = str(ctx.session.data.get("note", "")) if ctx.session.state == "h:offer" else ""
        ctx.session.leave()
        replies = await self.callback.start(ctx)
        if note and ctx.session.state == "cb:consent":
            ctx.session.data["note"] = note
        return replies

    async def _rate(self, ctx: Ctx, value: str) -> Replies:
        conversation, _, rating = value.partition(":")
        store = ctx.store
        if conversation.isdigit() and rating in ("1", "-1") and isinstance(store, LiveStore):
            await store.rate_live(int(conversation), ctx.event.key, int(rating))
        return self.menu.home(ctx, prefix=ctx._("Thank you for your feedback."))
