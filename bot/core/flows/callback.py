"""Callback requests: consent, then a short form one step at a time, a summary, and a durable reference.

The whole state machine is `CallbackFlow.states`: for each state, what it shows, how it reads a typed answer,
and which buttons it takes. Form steps come in the order they are asked; each answer leads to the next step
whose `when` holds (the topic only when none was given, the return details only for a returnee topic), then to
the summary, or straight back to the summary when a field is edited from it. Entry: cb:start[:<topic>] (and
/callback, a:callback, a typed "call me back"). Fallbacks in every state: cb:back, cb:cancel (asks first when
answers would be lost), cb:resume, and a button the state does not take, which asks the current step again.

Everything typed while a form state is active is an answer to the form, never a question for the FAQ search.
Form answers live in the session until the request is confirmed; `store.create_request` commits before the
reference is shown. Nothing here logs a form value. Fields, checks and labels are in bot/requests.

A little over 350 lines on purpose: the table and the handlers its rows name are read together; the questions
and screens they show are beside it in callback_steps.py and callback_screens.py.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from bot.core.context import Ctx
from bot.core.events import ButtonAction, Reply
from bot.core.flows import callback_screens as screens
from bot.core.flows import callback_steps as steps
from bot.core.flows.base import Replies
from bot.core.flows.callback_steps import State, no_topic_given, returnee
from bot.core.flows.danger import danger_notice
from bot.core.flows.menu import MenuFlow
from bot.i18n import N_
from bot.knowledge.intents import DANGER
from bot.records import OPEN_STATUSES, CallbackRequest
from bot.requests import (
    FIELDS,
    FORM_TTL,
    TOPICS,
    form_request,
    parse_month_year,
    save_request,
    shared_location_text,
    shared_phone,
)

__all__ = ["CallbackFlow"]

log = logging.getLogger(__name__)

class CallbackFlow:
    prefix = "cb"

    def __init__(self, menu: MenuFlow) -> None:
        self.menu = menu
        self.states: dict[str, State] = {
            "consent": State(show=self._show_consent, idle=N_("Please choose: do you agree?"),
                             actions={"agree": self._agree, "decline": self._decline}),
            "open": State(show=self._show_open, idle=N_("Please use the buttons."),
                          actions={"update": self._update, "withdraw": self._withdraw, "keep": self._keep}),
            "withdraw": State(show=self._show_open, idle=N_("Please use the buttons."),
                              actions={"yes": self._yes, "keep": self._keep}),
            # the form, in the order it is asked
            "name": State(ask=steps.ask_name, fills="name", read=steps.read_name),
            "phone": State(ask=steps.ask_phone, fills="phone", read=steps.read_phone, echo=steps.said_phone,
                           share=ButtonAction.CONTACT, picks={"own": steps.pick_own}),
            "town": State(ask=steps.ask_town, fills="town", read=steps.read_town, share=ButtonAction.LOCATION),
            "topic": State(ask=steps.ask_topic, fills="topic", read=steps.buttons_only, when=no_topic_given,
                           picks={"t": steps.pick_topic}),
            "country": State(ask=steps.ask_country, fills="return_country", read=steps.read_country,
                             when=returnee, counted=False),
            "returned": State(ask=steps.ask_returned, fills="return_month", read=steps.read_returned,
                              when=returnee, counted=False, actions={"y": self._year}),
            "month": State(ask=steps.ask_month, fills="return_month", read=steps.read_returned, part_of="returned",
                           picks={"m": steps.pick_month}),
            "language": State(ask=steps.ask_language, fills="language", read=steps.buttons_only,
                              picks={"l": steps.pick_language}),
            "time": State(ask=steps.ask_time, fills="time_window", read=steps.buttons_only,
                          picks={"w": steps.pick_window}),
            "note": State(ask=steps.ask_note, fills="note", read=steps.read_note, picks={"skip": steps.pick_skip}),
            "summary": State(show=self._show_summary, actions={"ok": self._confirm, "e": self._edit}),
        }

    # routing: entry points, fallbacks, then the state's own buttons and typed answers

    async def button(self, ctx: Ctx, arg: str) -> Replies | None:
        kind, _, value = arg.partition(":")
        if kind == "start":
            return await self.start(ctx, value if value in TOPICS else "")
        if kind == "cancel":
            return self._cancel(ctx, confirmed=value == "yes")
        step = self._step(ctx)
        if step is None:
            return None
        if kind == "resume":
            return await self._show(ctx, "")
        if self._expired(ctx):
            return self._expire(ctx)
        state = self.states.get(step, State())
        replies: Replies | None = None
        if kind == "back":
            replies = self._back(ctx, step)
        elif kind in state.actions:
            replies = await state.actions[kind](ctx, value)
        elif kind in state.picks:
            picked = state.picks[kind](ctx, value)
            replies = self._accept(ctx, state.part_of or step, picked) if picked is not None else None
        if replies is None:  # a double tap or an older message's button: keep the form, ask the current step again
            return await self._show(ctx, ctx._("That button is out of date. Here is where you are."))
        return replies

    async def input(self, ctx: Ctx) -> Replies | None:
        step = self._step(ctx)
        if step is None:
            return None
        if self._expired(ctx):
            return self._expire(ctx)
        state = self.states.get(step, State())
        event = ctx.event
        told = ctx.content.intents.match(event.text.strip(), ctx.lang).first(DANGER) if event.text.strip() else None
        if told is not None:
            return await self._danger(ctx, step, state, told)
        if state.idle:
            return await self._show(ctx, ctx._(state.idle))
        if event.contact is not None and state.share is ButtonAction.CONTACT:
            return self._contact(ctx)
        if event.location is not None and state.share is ButtonAction.LOCATION:
            location = event.location
            return self._accept(ctx, step, shared_location_text(location.latitude, location.longitude))
        if state.read is None or not event.text.strip() or event.contact is not None or event.location is not None:
            return await self._show(ctx, ctx._("Please answer with the buttons or by typing."))
        value, hint = state.read(ctx, event.text)
        if value is None:
            return self._prompt(ctx, step, hint)
        replies = self._accept(ctx, state.part_of or step, value)
        if state.echo is None:
            return replies
        return [replace(replies[0], text=f"{state.echo(ctx, value)}\n\n{replies[0].text}"), *replies[1:]]

    async def _danger(self, ctx: Ctx, step: str, state: State, told: str) -> Replies:
        """Danger typed into the form: 112 and the hotline come first, and the form goes on where it was. Told as
        the note for the caseworker, it is kept as the note; anywhere else it is no name or town, so the step is
        asked again."""
        notice = Reply(text=danger_notice(ctx, told == "despair"))
        if state.fills == "note" and state.read is not None:
            value, _ = state.read(ctx, ctx.event.text)
            if value is not None:
                return [notice, *self._accept(ctx, step, value)]
        return [notice, *await self._show(ctx, "")]

    @staticmethod
    def _step(ctx: Ctx) -> str | None:
        state = ctx.session.state
        return state[3:] if state.startswith("cb:") else None

    async def _show(self, ctx: Ctx, hint: str) -> Replies:
        """The current state's screen or question again, with a hint above it."""
        step = ctx.session.state[3:]
        state = self.states.get(step)
        if state is not None and state.show is not None:
            return await state.show(ctx, hint)
        return self._prompt(ctx, step, hint)

    # entry, consent and the open request

    async def start(self, ctx: Ctx, topic: str = "") -> Replies:
        draft = ctx.session.draft
        if draft and not ctx.session.state.startswith("cb:"):
            ctx.session.draft = None
            ctx.session.state, ctx.session.data = str(draft.get("state", "")), dict(draft.get("data") or {})
            if self._expired(ctx):
                return self._expire(ctx)
            return await self._show(ctx, ctx._("Here is your request where you left it."))
        step = self._step(ctx)
        if step is not None and step not in ("consent", "open", "withdraw") and not topic and not self._expired(ctx):
            return self._prompt(ctx, step)
        existing = await ctx.store.open_request_for(ctx.event.key)
        if existing is not None:
            self._enter(ctx, "open", ref=existing.ref, topic=topic)
            return screens.open_request(ctx, existing)
        self._enter(ctx, "consent", topic=topic)
        return screens.consent(ctx)

    async def _open_request(self, ctx: Ctx) -> CallbackRequest | None:
        """The request this conversation is about, while it is still open (a caseworker may have closed it)."""
        request = await ctx.store.get_request(ctx.session.data.get("ref", ""))
        return request if request is not None and request.status in OPEN_STATUSES else None

    async def _show_consent(self, ctx: Ctx, hint: str) -> Replies:
        return screens.consent(ctx, hint)

    async def _show_open(self, ctx: Ctx, hint: str) -> Replies:
        request = await self._open_request(ctx)
        return screens.open_request(ctx, request, hint) if request is not None else await self.start(ctx)

    async def _agree(self, ctx: Ctx, value: str) -> Replies | None:
        data = ctx.session.data
        topic = data.get("topic", "")
        data["form"] = {"topic": topic, "language": ctx.lang} if topic else {"language": ctx.lang}
        if data.get("note"):  # what the person wrote to the consultants before nobody could answer
            data["form"]["note"] = data["note"]
        data["fixed_topic"] = bool(topic)
        return self._go(ctx, "name")

    async def _decline(self, ctx: Ctx, value: str) -> Replies | None:
        prefix = "\n".join([ctx._("All right, nothing was saved. You can always call us instead."), ctx.hotline_line()])
        return self.menu.home(ctx, prefix=prefix)

    async def _update(self, ctx: Ctx, value: str) -> Replies | None:
        request = await self._open_request(ctx)
        if request is None:
            return await self.start(ctx)
        topic = ctx.session.data.get("topic", "")
        form = {f: getattr(request, f) for f in FIELDS}
        self._enter(ctx, "summary", ref=request.ref, form=form, fixed_topic=False, edit=True)
        if topic and topic != form["topic"]:
            return self._accept(ctx, "topic", topic)
        return self._summary(ctx)

    async def _withdraw(self, ctx: Ctx, value: str) -> Replies | None:
        ctx.session.state = "cb:withdraw"
        return screens.withdraw_question(ctx, ctx.session.data.get("ref", ""))

    async def _yes(self, ctx: Ctx, value: str) -> Replies | None:
        ref = ctx.session.data.get("ref", "")
        result = await ctx.store.transition(ref, OPEN_STATUSES, "cancelled", f"user:{ctx.event.key.channel}")
        if result.ok:
            log.info("callback request %s cancelled by its owner", ref)
            return self.menu.home(ctx, prefix=ctx._("Your request {ref} is cancelled.").format(ref=ref))
        return self.menu.home(ctx, prefix=ctx._("Your request {ref} is already closed.").format(ref=ref))

    async def _keep(self, ctx: Ctx, value: str) -> Replies | None:
        return self.menu.home(ctx, prefix=ctx._("Your request stays as it is."))

    def _cancel(self, ctx: Ctx, confirmed: bool) -> Replies:
        """Answers typed into a new form are not thrown away without asking."""
        in_flow = ctx.session.state.startswith("cb:")
        if not confirmed and self._form(ctx) and ctx.session.state not in ("cb:open", "cb:withdraw") \
                and not ctx.session.data.get("ref"):
            return screens.cancel_question(ctx)
        updating = bool(ctx.session.data.get("ref")) and in_flow
        prefix = (ctx._("Cancelled. Your request was not changed.") if updating
                  else ctx._("Cancelled. Nothing was saved."))
        return self.menu.home(ctx, prefix=prefix)

    # moving through the form

    def _sequence(self, ctx: Ctx) -> list[str]:
        data = ctx.session.data
        return [name for name, state in self.states.items() if state.in_form and state.when(data)]

    def _enter(self, ctx: Ctx, step: str, **data: Any) -> None:
        ctx.session.enter(f"cb:{step}", **data)
        ctx.session.data["at"] = datetime.now(UTC).isoformat()

    def _expired(self, ctx: Ctx) -> bool:
        stamp = ctx.session.data.get("at")
        try:
            return stamp is None or datetime.now(UTC) - datetime.fromisoformat(stamp) > FORM_TTL
        except (TypeError, ValueError):
            return True

    def _expire(self, ctx: Ctx) -> Replies:
        return self.menu.home(ctx, prefix=ctx._("Your unfinished request was too old and has been deleted. You can "
                                                "start again."))

    def _go(self, ctx: Ctx, step: str, hint: str = "") -> Replies:
        ctx.session.state = f"cb:{step}"
        ctx.session.data["at"] = datetime.now(UTC).isoformat()
        return self._prompt(ctx, step, hint)

    def _form(self, ctx: Ctx) -> dict[str, Any]:
        form: dict[str, Any] = ctx.session.data.setdefault("form", {})
        return form

    def _prompt(self, ctx: Ctx, step: str, hint: str = "") -> Replies:
        """Shows a step's question; re-shown with a hint when the answer could not be used."""
        if step == "summary":
            return self._summary(ctx, hint)
        state = self.states.get(step)
        if state is None or state.ask is None:
            raise ValueError(f"unknown callback step {step!r}")
        question, rows = state.ask(ctx)
        counter = ""
        # The returnee's two extra questions are not counted, so the count never jumps when they are added.
        sequence = [s for s in self._sequence(ctx) if self.states[s].counted]
        if not ctx.session.data.get("edit") and step in sequence:
            counter = ctx._("Step {n} of {total}").format(n=sequence.index(step) + 1, total=len(sequence))
        text = "\n\n".join(x for x in (hint, counter, question) if x)
        return screens.question(ctx, text, rows, state.share)

    async def _show_summary(self, ctx: Ctx, hint: str) -> Replies:
        return self._summary(ctx, hint)

    def _summary(self, ctx: Ctx, hint: str = "") -> Replies:
        ctx.session.state = "cb:summary"
        ctx.session.data["edit"] = True
        return screens.summary(ctx, form_request(ctx.event.key, self._form(ctx), ctx.lang), hint)

    def _accept(self, ctx: Ctx, step: str, value: str) -> Replies:
        """Stores one answer and moves on: to the next step, or back to the summary when editing."""
        form = self._form(ctx)
        form[self.states[step].fills] = value
        for kept in ("pending_phone", "pending_unsure", "year"):
            ctx.session.data.pop(kept, None)
        if step == "topic" and not value.startswith("reint_"):
            form.pop("return_country", None)
            form.pop("return_month", None)
        if ctx.session.data.get("edit"):
            back_from_abroad = returnee(ctx.session.data)
            if back_from_abroad and step == "topic" and not form.get("return_country"):
                return self._go(ctx, "country")
            if back_from_abroad and step in ("topic", "country") and not form.get("return_month"):
                return self._go(ctx, "returned")
            return self._summary(ctx)
        sequence = self._sequence(ctx)
        index = sequence.index(step)
        return self._go(ctx, sequence[index + 1]) if index + 1 < len(sequence) else self._summary(ctx)

    def _back(self, ctx: Ctx, step: str) -> Replies:
        data = ctx.session.data
        data.pop("pending_phone", None)
        data.pop("pending_unsure", None)
        state = self.states.get(step, State())
        if state.part_of:
            return self._go(ctx, state.part_of)
        if step in ("consent", "open", "withdraw"):
            return self.menu.home(ctx)
        if data.get("edit") and step != "summary":
            return self._summary(ctx)
        sequence = self._sequence(ctx)
        if step == "summary":
            data["edit"] = False
            return self._go(ctx, sequence[-1])
        index = sequence.index(step) if step in sequence else 0
        if index == 0:
            if data.get("ref"):
                return self._summary(ctx)
            ctx.session.state = "cb:consent"
            return screens.consent(ctx)
        return self._go(ctx, sequence[index - 1])

    def _contact(self, ctx: Ctx) -> Replies:
        """A contact that may be someone else's (forwarded, or from a platform that cannot tell) is confirmed."""
        contact = ctx.event.contact
        assert contact is not None
        phone, problem = shared_phone(contact.phone)
        if problem is not None:
            return self._prompt(ctx, "phone", steps.phone_problem(ctx, problem))
        if contact.is_own is not True:
            ctx.session.data["pending_phone"] = phone
            ctx.session.data["pending_unsure"] = contact.is_own is None
            return self._prompt(ctx, "phone")
        return self._accept(ctx, "phone", phone)

    async def _year(self, ctx: Ctx, value: str) -> Replies | None:
        if not value.isdigit() or parse_month_year(value, date.today()) is None:
            return None
        ctx.session.data["year"] = int(value)
        return self._go(ctx, "month")

    async def _edit(self, ctx: Ctx, value: str) -> Replies | None:
        if value not in self.states or not self.states[value].in_form:
            return None
        ctx.session.data["edit"] = True
        return self._go(ctx, value)

    async def _confirm(self, ctx: Ctx, value: str) -> Replies | None:
        request = form_request(ctx.event.key, self._form(ctx), ctx.lang)
        missing = [f for f in ("name", "phone") if not getattr(request, f)]
        if missing:
            return self._go(ctx, "name" if "name" in missing else "phone")
        ref = ctx.session.data.get("ref") or ""
        if not ref:
            existing = await ctx.store.open_request_for(ctx.event.key)
            ref = existing.ref if existing else ""
        saved = await save_request(ctx.store, request, ref)
        ctx.session.leave()
        return screens.confirmation(ctx, saved, updated=saved.ref == ref)
