"""Callback requests: consent, then a short form one step at a time, a summary, and a durable reference.

States: cb:consent, cb:open (an open request exists), cb:withdraw, then the form steps cb:name, cb:phone, cb:town,
cb:topic, cb:country, cb:returned, cb:month, cb:language, cb:time, cb:note, and cb:summary.
Buttons: cb:start[:<topic>], cb:agree, cb:decline, cb:back, cb:cancel, cb:t:<topic>, cb:y:<year>, cb:m:<month>,
cb:l:<lang>, cb:w:<window>, cb:skip, cb:own (use a shared contact that is not the user's own), cb:ok, cb:e:<step>,
cb:update, cb:withdraw, cb:yes, cb:keep.

Everything typed while a form state is active is an answer to the form, never a question for the FAQ search.
Form answers live in the session until the request is confirmed; `store.create_request` commits before the
reference is shown. Nothing here logs a form value. Field checks and labels are in callback_fields.py.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from babel.dates import get_month_names

from bot.core.context import Ctx
from bot.core.events import Button, ButtonAction, Reply
from bot.core.flows.base import Replies
from bot.core.flows.callback_fields import (
    COUNTRY_MAX,
    EXAMPLE_PHONE,
    FIELDS,
    FORM_TTL,
    TOPICS,
    TOWN_MAX,
    WINDOWS,
    check_name,
    check_note,
    check_phone,
    check_place,
    describe_request,
    form_request,
    format_phone,
    parse_month_year,
    shared_location_text,
    shared_phone,
    topic_label,
    window_label,
)
from bot.core.flows.menu import MenuFlow
from bot.i18n import LANGUAGE_NAMES, LANGUAGES
from bot.metrics import record_callback_created
from bot.store.base import OPEN_STATUSES, CallbackRequest

__all__ = ["CallbackFlow"]

log = logging.getLogger(__name__)

YEAR_BUTTONS = 6
_REQUEST_STEPS = ("phone", "town")  # steps that show a contact/location request keyboard (see engine.REQUEST_STATES)


# --- the flow --------------------------------------------------------------------------------------------------

class CallbackFlow:
    prefix = "cb"

    def __init__(self, menu: MenuFlow) -> None:
        self.menu = menu

    # routing

    async def button(self, ctx: Ctx, arg: str) -> Replies | None:
        kind, _, value = arg.partition(":")
        if kind == "start":
            return await self.start(ctx, value if value in TOPICS else "")
        if kind == "cancel":
            if value != "yes" and self._form(ctx) and ctx.session.state not in ("cb:open", "cb:withdraw") \
                    and not ctx.session.data.get("ref"):
                rows = ((Button(ctx._("🗑 Yes, delete it"), "cb:cancel:yes"),
                         Button(ctx._("↩️ No, continue"), "cb:resume")),)
                return [Reply(text=ctx._("Delete what you entered?"), buttons=rows)]
            return self._cancel(ctx)
        if kind == "resume" and ctx.session.state.startswith("cb:"):
            return await self._reshow(ctx, "")
        if not ctx.session.state.startswith("cb:"):
            return None
        if self._expired(ctx):
            return self._expire(ctx)
        handler = self._buttons.get(kind)
        replies = await handler(self, ctx, ctx.session.state[3:], value) if handler else None
        if replies is None:  # a double tap or an older message's button: keep the form, ask the current step again
            return await self._reshow(ctx, ctx._("That button is out of date. Here is where you are."))
        return replies

    async def input(self, ctx: Ctx) -> Replies | None:
        if not ctx.session.state.startswith("cb:"):
            return None
        return await self._input(ctx)

    async def _reshow(self, ctx: Ctx, hint: str) -> Replies:
        step = ctx.session.state[3:]
        if step == "consent":
            return self._consent(ctx, hint=hint)
        if step in ("open", "withdraw"):
            request = await ctx.store.get_request(ctx.session.data.get("ref", ""))
            if request is None or request.status not in OPEN_STATUSES:
                return await self.start(ctx)
            return self._open(ctx, request, hint=hint)
        return self._prompt(ctx, step, hint=hint)

    async def _input(self, ctx: Ctx) -> Replies:
        if self._expired(ctx):
            return self._expire(ctx)
        step = ctx.session.state[3:]
        event = ctx.event
        hint = ctx._("Please answer with the buttons or by typing.")
        if step == "consent":
            return self._consent(ctx, hint=ctx._("Please choose: do you agree?"))
        if step in ("open", "withdraw"):
            request = await ctx.store.get_request(ctx.session.data.get("ref", ""))
            if request is None or request.status not in OPEN_STATUSES:
                return await self.start(ctx)
            return self._open(ctx, request, hint=ctx._("Please use the buttons."))
        if event.contact is not None and step == "phone":
            return self._contact(ctx)
        if event.location is not None and step == "town":
            return self._location(ctx)
        reader = self._readers.get(step)
        if reader is None or not event.text.strip() or event.contact is not None or event.location is not None:
            return self._prompt(ctx, step, hint=hint)
        return reader(self, ctx, event.text)

    # entry, consent and the open request

    async def start(self, ctx: Ctx, topic: str = "") -> Replies:
        draft = ctx.session.draft
        if draft and not ctx.session.state.startswith("cb:"):
            ctx.session.draft = None
            ctx.session.state, ctx.session.data = str(draft.get("state", "")), dict(draft.get("data") or {})
            if self._expired(ctx):
                return self._expire(ctx)
            return await self._reshow(ctx, ctx._("Here is your request where you left it."))
        state = ctx.session.state
        if state.startswith("cb:") and state not in ("cb:consent", "cb:open", "cb:withdraw") and not topic \
                and not self._expired(ctx):
            return self._prompt(ctx, state[3:])
        existing = await ctx.store.open_request_for(ctx.event.key)
        if existing is not None:
            self._enter(ctx, "open", ref=existing.ref, topic=topic)
            return self._open(ctx, existing)
        self._enter(ctx, "consent", topic=topic)
        return self._consent(ctx)

    def _consent(self, ctx: Ctx, hint: str = "") -> Replies:
        text = "\n\n".join(x for x in [
            hint,
            ctx._("A caseworker can call you back. Before we start, please read how we handle your data."),
            ctx._("What we store: your name, phone number, town and topic; for people who have returned, the country "
                  "and month of return; the language and time you prefer; and your note."),
            ctx._("Who sees it: only the hotline's caseworkers, to call you back."),
            ctx.t.ngettext("How long: until your request is closed, then {days} more day; then it is deleted.",
                           "How long: until your request is closed, then {days} more days; then it is deleted.",
                           ctx.settings.callback.retention_days).format(days=ctx.settings.callback.retention_days),
            ctx._("How to delete it: send /forget at any time. /mydata shows what we store."),
            ctx._("Do you agree?"),
        ] if x)
        rows = ((Button(ctx._("✅ I agree"), "cb:agree"), Button(ctx._("No, thanks"), "cb:decline")),)
        return [Reply(text=text, buttons=rows)]

    def _open(self, ctx: Ctx, request: CallbackRequest, hint: str = "") -> Replies:
        text = "\n\n".join(x for x in [
            hint,
            ctx._("You already have an open callback request:"),
            describe_request(ctx.content, ctx.t, request),
            ctx._("You can update it or cancel it."),
        ] if x)
        rows = (
            (Button(ctx._("✏️ Update my request"), "cb:update"),),
            (Button(ctx._("🗑 Cancel my request"), "cb:withdraw"),),
            (Button(ctx._("Keep it as it is"), "cb:keep"),),
        )
        return [Reply(text=text, buttons=rows)]

    async def _on_agree(self, ctx: Ctx, step: str, value: str) -> Replies | None:
        if step != "consent":
            return None
        data = ctx.session.data
        topic = data.get("topic", "")
        data["form"] = {"topic": topic, "language": ctx.lang} if topic else {"language": ctx.lang}
        data["fixed_topic"] = bool(topic)
        return self._go(ctx, "name")

    async def _on_decline(self, ctx: Ctx, step: str, value: str) -> Replies | None:
        if step != "consent":
            return None
        prefix = "\n".join([ctx._("All right, nothing was saved. You can always call us instead."), ctx.hotline_line()])
        return self.menu.home(ctx, prefix=prefix)

    async def _on_update(self, ctx: Ctx, step: str, value: str) -> Replies | None:
        if step != "open":
            return None
        request = await ctx.store.get_request(ctx.session.data.get("ref", ""))
        if request is None or request.status not in OPEN_STATUSES:
            return await self.start(ctx)
        topic = ctx.session.data.get("topic", "")
        form = {f: getattr(request, f) for f in FIELDS}
        self._enter(ctx, "summary", ref=request.ref, form=form, fixed_topic=False, edit=True)
        if topic and topic != form["topic"]:
            return self._accept(ctx, "topic", topic)
        return self._summary(ctx)

    async def _on_withdraw(self, ctx: Ctx, step: str, value: str) -> Replies | None:
        if step != "open":
            return None
        ctx.session.state = "cb:withdraw"
        rows = ((Button(ctx._("Yes, cancel it"), "cb:yes"), Button(ctx._("No, keep it"), "cb:keep")),)
        return [Reply(text=ctx._("Cancel your callback request {ref}? A caseworker will not call you.")
                      .format(ref=ctx.session.data.get("ref", "")), buttons=rows)]

    async def _on_yes(self, ctx: Ctx, step: str, value: str) -> Replies | None:
        if step != "withdraw":
            return None
        ref = ctx.session.data.get("ref", "")
        result = await ctx.store.transition(ref, OPEN_STATUSES, "cancelled", f"user:{ctx.event.key.channel}")
        if result.ok:
            log.info("callback request %s cancelled by its owner", ref)
            return self.menu.home(ctx, prefix=ctx._("Your request {ref} is cancelled.").format(ref=ref))
        return self.menu.home(ctx, prefix=ctx._("Your request {ref} is already closed.").format(ref=ref))

    async def _on_keep(self, ctx: Ctx, step: str, value: str) -> Replies | None:
        if step not in ("open", "withdraw"):
            return None
        return self.menu.home(ctx, prefix=ctx._("Your request stays as it is."))

    def _cancel(self, ctx: Ctx) -> Replies:
        updating = bool(ctx.session.data.get("ref")) and ctx.session.state.startswith("cb:")
        prefix = (ctx._("Cancelled. Your request was not changed.") if updating
                  else ctx._("Cancelled. Nothing was saved."))
        return self.menu.home(ctx, prefix=prefix)

    # the form's steps

    def _sequence(self, ctx: Ctx) -> list[str]:
        data = ctx.session.data
        steps = ["name", "phone", "town"]
        if not data.get("fixed_topic"):
            steps.append("topic")
        if str(data.get("form", {}).get("topic", "")).startswith("reint_"):
            steps += ["country", "returned"]
        return [*steps, "language", "time", "note"]

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
        question, rows = self._question(ctx, step)
        data = ctx.session.data
        counter = ""
        # The returnee's two extra questions are not counted, so the count never jumps when they are added.
        sequence = [s for s in self._sequence(ctx) if s not in ("country", "returned")]
        if not data.get("edit") and step in sequence:
            counter = ctx._("Step {n} of {total}").format(n=sequence.index(step) + 1, total=len(sequence))
        text = "\n\n".join(x for x in (hint, counter, question) if x)
        nav = (Button(ctx._("⬅️ Back"), "cb:back"), Button(ctx._("✖️ Cancel"), "cb:cancel"))
        if step in _REQUEST_STEPS:
            request = (Button(ctx._("📱 Share my phone number"), action=ButtonAction.CONTACT) if step == "phone"
                       else Button(ctx._("📍 Share my location"), action=ButtonAction.LOCATION))
            return [Reply(text=text, buttons=((request,),)),
                    Reply(text=ctx._("Or use these buttons:"), buttons=(*rows, nav))]
        return [Reply(text=text, buttons=(*rows, nav))]

    def _question(self, ctx: Ctx, step: str) -> tuple[str, list[tuple[Button, ...]]]:
        form = self._form(ctx)
        if step == "name":
            return ctx._("What is your name?"), []
        if step == "phone":
            if ctx.session.data.get("pending_phone"):
                rows = [(Button(ctx._("✅ Use this number"), "cb:own"),)]
                phone = format_phone(ctx.session.data["pending_phone"])
                if ctx.session.data.get("pending_unsure"):
                    return ctx._("Should we call {phone}? Press “Use this number” if it is yours, or type the "
                                 "number to call.").format(phone=phone), rows
                return ctx._("This contact is not your own number: {phone}. Should we call this number? Press "
                             "“Use this number”, or type the number to call.").format(phone=phone), rows
            return ctx._("Which phone number should we call? Type it, for example {example}, or share it with the "
                         "button below. A number abroad is fine too: start it with + and the country code.").format(
                example=EXAMPLE_PHONE), []
        if step == "town":
            return ctx._("Where do you live? Type your town or village, or share your location."), []
        if step == "topic":
            labels = [Button(topic_label(ctx.content, ctx.t, t), f"cb:t:{t}") for t in TOPICS]
            return ctx._("What do you need help with?"), [(b,) for b in labels]
        if step == "country":
            return ctx._("Which country did you return from?"), []
        if step == "returned":
            this_year = date.today().year
            years = [Button(str(y), f"cb:y:{y}") for y in range(this_year, this_year - YEAR_BUTTONS, -1)]
            return ctx._("When did you return? Choose the year, or type the month and year, for example {example}.") \
                .format(example=f"03/{this_year - 1}"), [tuple(years[:3]), tuple(years[3:])]
        if step == "month":
            year = int(ctx.session.data.get("year", date.today().year))
            today = date.today()
            last = today.month if year == today.year else 12
            names = get_month_names("wide", context="stand-alone", locale=ctx.lang)
            months = [Button(str(names[m]).capitalize(), f"cb:m:{m}") for m in range(1, last + 1)]
            rows = [tuple(months[i:i + 3]) for i in range(0, len(months), 3)]
            rows.append((Button(ctx._("I do not remember the month"), "cb:m:0"),))
            return ctx._("In which month of {year}?").format(year=year), rows
        if step == "language":
            rows = [(Button(LANGUAGE_NAMES[lang], f"cb:l:{lang}"),) for lang in LANGUAGES]
            return ctx._("In which language should the caseworker speak with you?"), rows
        if step == "time":
            rows = [(Button(window_label(ctx.t, w), f"cb:w:{w}"),) for w in WINDOWS]
            return ctx._("When is a good time to call you (Georgian time)?"), rows
        if step == "note":
            limit = ctx.settings.callback.note_max
            if form.get("note"):
                return ctx._("Write a new note (up to {limit} characters), or press “Remove the note”.").format(
                    limit=limit), [(Button(ctx._("Remove the note"), "cb:skip"),)]
            return ctx._("Anything the caseworker should know before calling? Write a short note (up to {limit} "
                         "characters), or press Skip.").format(limit=limit), [(Button(ctx._("Skip"), "cb:skip"),)]
        raise ValueError(f"unknown callback step {step!r}")

    def _summary(self, ctx: Ctx, hint: str = "") -> Replies:
        ctx.session.state = "cb:summary"
        ctx.session.data["edit"] = True
        form = self._form(ctx)
        request = self._request(ctx, form)
        text = "\n\n".join(x for x in [
            hint,
            ctx._("Please check your request:"),
            describe_request(ctx.content, ctx.t, request, with_status=False),
            ctx._("Is everything right? Confirm, or change a field."),
        ] if x)
        edits = [("name", ctx._("Name")), ("phone", ctx._("Phone")), ("town", ctx._("Town")),
                 ("topic", ctx._("Topic"))]
        if request.returnee:
            edits += [("country", ctx._("Country")), ("returned", ctx._("Return date"))]
        edits += [("language", ctx._("Language")), ("time", ctx._("Time to call")), ("note", ctx._("Note"))]
        buttons = [Button(f"✏️ {label}", f"cb:e:{step}") for step, label in edits]
        rows = [(Button(ctx._("✅ Confirm"), "cb:ok"),),
                *(tuple(buttons[i:i + 2]) for i in range(0, len(buttons), 2)),
                (Button(ctx._("✖️ Cancel"), "cb:cancel"),)]
        return [Reply(text=text, buttons=tuple(rows))]

    def _request(self, ctx: Ctx, form: dict[str, Any]) -> CallbackRequest:
        return form_request(ctx.event.key, form, ctx.lang)

    def _accept(self, ctx: Ctx, step: str, value: str) -> Replies:
        """Stores one answer and moves on: to the next step, or back to the summary when editing."""
        form = self._form(ctx)
        field = {"country": "return_country", "returned": "return_month", "time": "time_window"}.get(step, step)
        form[field] = value
        ctx.session.data.pop("pending_phone", None)
        ctx.session.data.pop("pending_unsure", None)
        ctx.session.data.pop("year", None)
        if step == "topic" and not value.startswith("reint_"):
            form.pop("return_country", None)
            form.pop("return_month", None)
        if ctx.session.data.get("edit"):
            returnee = str(form.get("topic", "")).startswith("reint_")
            if returnee and step in ("topic",) and not form.get("return_country"):
                return self._go(ctx, "country")
            if returnee and step in ("topic", "country") and not form.get("return_month"):
                return self._go(ctx, "returned")
            return self._summary(ctx)
        sequence = self._sequence(ctx)
        index = sequence.index(step)
        return self._go(ctx, sequence[index + 1]) if index + 1 < len(sequence) else self._summary(ctx)

    async def _on_back(self, ctx: Ctx, step: str, value: str) -> Replies | None:
        data = ctx.session.data
        data.pop("pending_phone", None)
        data.pop("pending_unsure", None)
        if step == "month":
            return self._go(ctx, "returned")
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
            return self._consent(ctx)
        return self._go(ctx, sequence[index - 1])

    # typed answers

    def _read_name(self, ctx: Ctx, text: str) -> Replies:
        limit = ctx.settings.callback.name_max
        name, problem = check_name(text, limit)
        if problem is None:
            return self._accept(ctx, "name", name)
        hints = {
            "long": ctx._("That is too long. Please write your name in up to {limit} characters.").format(limit=limit),
            "digits": ctx._("Please write only your name, without digits."),
        }
        return self._prompt(ctx, "name", hints.get(problem, ctx._("Please write your name in letters.")))

    def _read_phone(self, ctx: Ctx, text: str) -> Replies:
        phone, problem = check_phone(text)
        if problem is not None:
            return self._prompt(ctx, "phone", self._phone_problem(ctx, problem))
        replies = self._accept(ctx, "phone", phone)
        said = ctx._("Your number: {phone}. If it is wrong, press “Back”.").format(phone=format_phone(phone))
        return [replace(replies[0], text=f"{said}\n\n{replies[0].text}"), *replies[1:]]

    def _contact(self, ctx: Ctx) -> Replies:
        """A contact that may be someone else's (forwarded, or from a platform that cannot tell) is confirmed."""
        contact = ctx.event.contact
        assert contact is not None
        phone, problem = shared_phone(contact.phone)
        if problem is not None:
            return self._prompt(ctx, "phone", self._phone_problem(ctx, problem))
        if contact.is_own is not True:
            ctx.session.data["pending_phone"] = phone
            ctx.session.data["pending_unsure"] = contact.is_own is None
            return self._prompt(ctx, "phone")
        return self._accept(ctx, "phone", phone)

    @staticmethod
    def _phone_problem(ctx: Ctx, problem: str) -> str:
        if problem == "kind":
            return ctx._("We cannot call this number: premium-rate, shared-cost and satellite numbers cost too "
                         "much or cannot be reached. Please give a mobile or landline number.")
        return ctx._("I could not read that as a phone number.")

    async def _on_own(self, ctx: Ctx, step: str, value: str) -> Replies | None:
        phone = ctx.session.data.get("pending_phone")
        if step != "phone" or not phone:
            return None
        return self._accept(ctx, "phone", phone)

    def _read_place(self, ctx: Ctx, step: str, text: str) -> Replies:
        limit = TOWN_MAX if step == "town" else COUNTRY_MAX
        place, problem = check_place(text, limit)
        if problem is None:
            return self._accept(ctx, step, place)
        hint = (ctx._("That is too long. Please keep it to {limit} characters or fewer.").format(limit=limit)
                if problem == "long" else ctx._("Please write a place name in letters."))
        return self._prompt(ctx, step, hint)

    def _location(self, ctx: Ctx) -> Replies:
        location = ctx.event.location
        assert location is not None
        return self._accept(ctx, "town", shared_location_text(location.latitude, location.longitude))

    def _read_returned(self, ctx: Ctx, text: str) -> Replies:
        value = parse_month_year(text, date.today())
        if value is None:
            return self._prompt(ctx, ctx.session.state[3:], ctx._("I could not read that date."))
        return self._accept(ctx, "returned", value)

    def _read_note(self, ctx: Ctx, text: str) -> Replies:
        limit = ctx.settings.callback.note_max
        note, problem = check_note(text, limit)
        if problem == "long":
            return self._prompt(ctx, "note", ctx._("Your note has {length} characters; please shorten it to {limit}.")
                                .format(length=len(note), limit=limit))
        if problem:
            return self._prompt(ctx, "note")
        return self._accept(ctx, "note", note)

    def _read_choice(self, ctx: Ctx, text: str) -> Replies:
        return self._prompt(ctx, ctx.session.state[3:], ctx._("Please choose one of the buttons."))

    # pressed answers

    async def _on_topic(self, ctx: Ctx, step: str, value: str) -> Replies | None:
        return self._accept(ctx, "topic", value) if step == "topic" and value in TOPICS else None

    async def _on_year(self, ctx: Ctx, step: str, value: str) -> Replies | None:
        if step != "returned" or not value.isdigit() or parse_month_year(value, date.today()) is None:
            return None
        ctx.session.data["year"] = int(value)
        return self._go(ctx, "month")

    async def _on_month(self, ctx: Ctx, step: str, value: str) -> Replies | None:
        year = ctx.session.data.get("year")
        if step != "month" or not isinstance(year, int) or not value.isdigit():
            return None
        found = parse_month_year(f"{year}-{int(value):02d}" if int(value) else str(year), date.today())
        return self._accept(ctx, "returned", found) if found else None

    async def _on_language(self, ctx: Ctx, step: str, value: str) -> Replies | None:
        return self._accept(ctx, "language", value) if step == "language" and value in LANGUAGES else None

    async def _on_window(self, ctx: Ctx, step: str, value: str) -> Replies | None:
        return self._accept(ctx, "time", value) if step == "time" and value in WINDOWS else None

    async def _on_skip(self, ctx: Ctx, step: str, value: str) -> Replies | None:
        return self._accept(ctx, "note", "") if step == "note" else None

    async def _on_edit(self, ctx: Ctx, step: str, value: str) -> Replies | None:
        if step != "summary" or value not in ("name", "phone", "town", "topic", "country", "returned", "language",
                                              "time", "note"):
            return None
        ctx.session.data["edit"] = True
        return self._go(ctx, value)

    async def _on_confirm(self, ctx: Ctx, step: str, value: str) -> Replies | None:
        if step != "summary":
            return None
        form = self._form(ctx)
        request = self._request(ctx, form)
        missing = [f for f in ("name", "phone") if not getattr(request, f)]
        if missing:
            return self._go(ctx, "name" if "name" in missing else "phone")
        ref = ctx.session.data.get("ref") or ""
        if not ref:
            existing = await ctx.store.open_request_for(ctx.event.key)
            ref = existing.ref if existing else ""
        saved = await self._save(ctx, request, ref)
        ctx.session.leave()
        text = "\n\n".join([
            (ctx._("✅ Your request {ref} is updated.") if saved.ref == ref else
             ctx._("✅ Your request is saved. Your reference: {ref}")).format(ref=saved.ref),
            ctx._("A hotline caseworker will call you on {phone}, at the time you chose where possible. If you call "
                  "the hotline yourself, give this reference.").format(phone=format_phone(saved.phone)),
            ctx._("/mydata shows what we store about you; /forget deletes it."),
            ctx.hotline_line(),
        ])
        return [Reply(text=text, buttons=(ctx.nav_row(back=False),))]

    async def _save(self, ctx: Ctx, request: CallbackRequest, ref: str) -> CallbackRequest:
        """Commits the request before anything is shown; a request still open is updated, never duplicated."""
        if ref:
            fields = {f: getattr(request, f) for f in (*FIELDS, "returnee")}
            updated = await ctx.store.update_request(ref, fields)
            if updated is not None and updated.status in OPEN_STATUSES:
                log.info("callback request %s updated by its owner", updated.ref)
                return updated
        created = await ctx.store.create_request(request)
        record_callback_created()
        log.info("callback request %s created on %s", created.ref, created.channel)
        return created

    _buttons: ClassVar[dict[str, Any]] = {
        "agree": _on_agree, "decline": _on_decline, "update": _on_update, "withdraw": _on_withdraw, "yes": _on_yes,
        "keep": _on_keep, "back": _on_back, "own": _on_own, "t": _on_topic, "y": _on_year, "m": _on_month,
        "l": _on_language, "w": _on_window, "skip": _on_skip, "e": _on_edit, "ok": _on_confirm,
    }
    _readers: ClassVar[dict[str, Any]] = {
        "name": _read_name, "phone": _read_phone,
        "town": lambda self, ctx, text: self._read_place(ctx, "town", text),
        "country": lambda self, ctx, text: self._read_place(ctx, "country", text),
        "returned": _read_returned, "month": _read_returned, "note": _read_note,
        "topic": _read_choice, "language": _read_choice, "time": _read_choice,
    }
