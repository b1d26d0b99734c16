"""The callback flow's screens other than the form's questions: consent, an open request, the summary, the
confirmation, and the frame every question is shown in (step counter, Back and Cancel, a share keyboard)."""

from __future__ import annotations

from bot.core.context import Ctx
from bot.core.events import Button, ButtonAction, Reply
from bot.core.flows.base import Replies
from bot.records import CallbackRequest
from bot.requests import describe_request, format_phone

__all__ = ["cancel_question", "confirmation", "consent", "open_request", "question", "summary", "withdraw_question"]


def _joined(*parts: str) -> str:
    return "\n\n".join(p for p in parts if p)


def consent(ctx: Ctx, hint: str = "") -> Replies:
    days = ctx.settings.callback.retention_days
    text = _joined(
        hint,
        ctx._("A caseworker can call you back. Before we start, please read how we handle your data."),
        ctx._("What we store: your name, phone number, town and topic; for people who have returned, the country "
              "and month of return; the language and time you prefer; and your note."),
        ctx._("Who sees it: only the hotline's caseworkers, to call you back."),
        ctx.t.ngettext("How long: until your request is closed, then {days} more day; then it is deleted.",
                       "How long: until your request is closed, then {days} more days; then it is deleted.",
                       days).format(days=days),
        ctx._("How to delete it: send /forget at any time. /mydata shows what we store."),
        ctx._("Do you agree?"),
    )
    rows = ((Button(ctx._("✅ I agree"), "cb:agree"), Button(ctx._("No, thanks"), "cb:decline")),)
    return [Reply(text=text, buttons=rows)]


def open_request(ctx: Ctx, request: CallbackRequest, hint: str = "") -> Replies:
    text = _joined(
        hint,
        ctx._("You already have an open callback request:"),
        describe_request(ctx.content, ctx.t, request),
        ctx._("You can update it or cancel it."),
    )
    rows = (
        (Button(ctx._("✏️ Update my request"), "cb:update"),),
        (Button(ctx._("🗑 Cancel my request"), "cb:withdraw"),),
        (Button(ctx._("Keep it as it is"), "cb:keep"),),
    )
    return [Reply(text=text, buttons=rows)]


def withdraw_question(ctx: Ctx, ref: str) -> Replies:
    rows = ((Button(ctx._("Yes, cancel it"), "cb:yes"), Button(ctx._("No, keep it"), "cb:keep")),)
    return [Reply(text=ctx._("Cancel your callback request {ref}? A caseworker will not call you.").format(ref=ref),
                  buttons=rows)]


def cancel_question(ctx: Ctx) -> Replies:
    rows = ((Button(ctx._("🗑 Yes, delete it"), "cb:cancel:yes"), Button(ctx._("↩️ No, continue"), "cb:resume")),)
    return [Reply(text=ctx._("Delete what you entered?"), buttons=rows)]


def question(ctx: Ctx, text: str, rows: list[tuple[Button, ...]], share: ButtonAction | None) -> Replies:
    """A form question with Back and Cancel; a share keyboard comes in a message of its own."""
    nav = (Button(ctx._("⬅️ Back"), "cb:back"), Button(ctx._("✖️ Cancel"), "cb:cancel"))
    if share is None:
        return [Reply(text=text, buttons=(*rows, nav))]
    request = (Button(ctx._("📱 Share my phone number"), action=share) if share is ButtonAction.CONTACT
               else Button(ctx._("📍 Share my location"), action=share))
    return [Reply(text=text, buttons=((request,),)), Reply(text=ctx._("Or use these buttons:"), buttons=(*rows, nav))]


def summary(ctx: Ctx, request: CallbackRequest, hint: str = "") -> Replies:
    text = _joined(
        hint,
        ctx._("Please check your request:"),
        describe_request(ctx.content, ctx.t, request, with_status=False),
        ctx._("Is everything right? Confirm, or change a field."),
    )
    edits = [("name", ctx._("Name")), ("phone", ctx._("Phone")), ("town", ctx._("Town")), ("topic", ctx._("Topic"))]
    if request.returnee:
        edits += [("country", ctx._("Country")), ("returned", ctx._("Return date"))]
    edits += [("language", ctx._("Language")), ("time", ctx._("Time to call")), ("note", ctx._("Note"))]
    buttons = [Button(f"✏️ {label}", f"cb:e:{step}") for step, label in edits]
    rows = [(Button(ctx._("✅ Confirm"), "cb:ok"),),
            *(tuple(buttons[i:i + 2]) for i in range(0, len(buttons), 2)),
            (Button(ctx._("✖️ Cancel"), "cb:cancel"),)]
    return [Reply(text=text, buttons=tuple(rows))]


def confirmation(ctx: Ctx, saved: CallbackRequest, updated: bool) -> Replies:
    text = "\n\n".join([
        (ctx._("✅ Your request {ref} is updated.") if updated else
         ctx._("✅ Your request is saved. Your reference: {ref}")).format(ref=saved.ref),
        ctx._("A hotline caseworker will call you on {phone}, at the time you chose where possible. If you call "
              "the hotline yourself, give this reference.").format(phone=format_phone(saved.phone)),
        ctx._("/mydata shows what we store about you; /forget deletes it."),
        ctx.hotline_line(),
    ])
    return [Reply(text=text, buttons=(ctx.nav_row(back=False),))]
