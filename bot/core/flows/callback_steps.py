"""The callback form's steps: the question each asks and how each typed or pressed answer is read.

An `Ask` gives a step's question and its answer buttons; a `Read` turns typed text into the field's value or a
hint saying what to fix; a `Pick` turns a pressed button's value into the field's value, or None for a button
that does not belong to this step (a double tap, an older message). The flow (callback.py) declares which step
uses which, and where each leads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from babel.dates import get_month_names

from bot.core.context import Ctx
from bot.core.events import Button, ButtonAction
from bot.core.flows.base import Replies
from bot.i18n import LANGUAGE_NAMES, LANGUAGES
from bot.knowledge.spoken_numbers import spoken_digits
from bot.requests import (
    COUNTRY_MAX,
    EXAMPLE_PHONE,
    TOPICS,
    TOWN_MAX,
    WINDOWS,
    check_name,
    check_note,
    check_phone,
    check_place,
    format_phone,
    parse_month_year,
    topic_label,
    window_label,
)

__all__ = ["Action", "Ask", "Pick", "Question", "Read", "Show", "State", "no_topic_given", "returnee"]

YEAR_BUTTONS = 6
Question = tuple[str, list[tuple[Button, ...]]]
Ask = Callable[[Ctx], Question]
Read = Callable[[Ctx, str], tuple[str | None, str]]  # (value, ""), or (None, what to fix)
Pick = Callable[[Ctx, str], str | None]

Action = Callable[[Ctx, str], Awaitable[Replies | None]]  # a pressed button's value -> replies, None if stale
Show = Callable[[Ctx, str], Awaitable[Replies]]  # a state's screen, with a hint above it


def _always(data: Mapping[str, Any]) -> bool:
    return True


def returnee(data: Mapping[str, Any]) -> bool:
    return str(data.get("form", {}).get("topic", "")).startswith("reint_")


def no_topic_given(data: Mapping[str, Any]) -> bool:
    return not data.get("fixed_topic")


@dataclass(frozen=True)
class State:
    """One state: a screen (`show`) or a form step (`ask`, filling `fills`), what typing does, which buttons count.

    `read` checks a typed answer (None: typing gets the generic hint); `idle` is the hint for anything sent to a
    screen that only takes buttons; `picks` are buttons that answer the step; `actions` are buttons that do more;
    `share` is the keyboard shown with the question (a contact or a location answers it); `echo` says a typed
    answer back; `part_of` names the step a sub-screen belongs to; `counted` puts it in "Step n of m".
    """

    show: Show | None = None
    ask: Ask | None = None
    fills: str = ""  # the form field the step's answer goes to
    read: Read | None = None
    idle: str = ""
    picks: Mapping[str, Pick] = field(default_factory=dict)
    actions: Mapping[str, Action] = field(default_factory=dict)
    share: ButtonAction | None = None
    echo: Callable[[Ctx, str], str] | None = None
    when: Callable[[Mapping[str, Any]], bool] = _always
    part_of: str = ""
    counted: bool = True

    @property
    def in_form(self) -> bool:
        return bool(self.fills) and not self.part_of


# --- questions ---------------------------------------------------------------------------------------------

def ask_name(ctx: Ctx) -> Question:
    return ctx._("What is your name?"), []


def ask_phone(ctx: Ctx) -> Question:
    """A shared contact that may not be the user's own number waits here to be confirmed."""
    pending = ctx.session.data.get("pending_phone")
    if pending:
        rows = [(Button(ctx._("✅ Use this number"), "cb:own"),)]
        phone = format_phone(pending)
        if ctx.session.data.get("pending_unsure"):
            return ctx._("Should we call {phone}? Press “Use this number” if it is yours, or type the "
                         "number to call.").format(phone=phone), rows
        return ctx._("This contact is not your own number: {phone}. Should we call this number? Press "
                     "“Use this number”, or type the number to call.").format(phone=phone), rows
    return ctx._("Which phone number should we call? Type it, for example {example}, or share it with the "
                 "button below. A number abroad is fine too: start it with + and the country code.").format(
        example=EXAMPLE_PHONE), []


def ask_town(ctx: Ctx) -> Question:
    return ctx._("Where do you live? Type your town or village, or share your location."), []


def ask_topic(ctx: Ctx) -> Question:
    labels = [Button(topic_label(ctx.content, ctx.t, t), f"cb:t:{t}") for t in TOPICS]
    return ctx._("What do you need help with?"), [(b,) for b in labels]


def ask_country(ctx: Ctx) -> Question:
    return ctx._("Which country did you return from?"), []


def ask_returned(ctx: Ctx) -> Question:
    this_year = date.today().year
    years = [Button(str(y), f"cb:y:{y}") for y in range(this_year, this_year - YEAR_BUTTONS, -1)]
    return ctx._("When did you return? Choose the year, or type the month and year, for example {example}.") \
        .format(example=f"03/{this_year - 1}"), [tuple(years[:3]), tuple(years[3:])]


def ask_month(ctx: Ctx) -> Question:
    year = int(ctx.session.data.get("year", date.today().year))
    today = date.today()
    last = today.month if year == today.year else 12
    names = get_month_names("wide", context="stand-alone", locale=ctx.lang)
    months = [Button(str(names[m]).capitalize(), f"cb:m:{m}") for m in range(1, last + 1)]
    rows = [tuple(months[i:i + 3]) for i in range(0, len(months), 3)]
    rows.append((Button(ctx._("I do not remember the month"), "cb:m:0"),))
    return ctx._("In which month of {year}?").format(year=year), rows


def ask_language(ctx: Ctx) -> Question:
    rows = [(Button(LANGUAGE_NAMES[lang], f"cb:l:{lang}"),) for lang in LANGUAGES]
    return ctx._("In which language should the caseworker speak with you?"), rows


def ask_time(ctx: Ctx) -> Question:
    rows = [(Button(window_label(ctx.t, w), f"cb:w:{w}"),) for w in WINDOWS]
    return ctx._("When is a good time to call you (Georgian time)?"), rows


def ask_note(ctx: Ctx) -> Question:
    limit = ctx.settings.callback.note_max
    if ctx.session.data.get("form", {}).get("note"):
        return ctx._("Write a new note (up to {limit} characters), or press “Remove the note”.").format(
            limit=limit), [(Button(ctx._("Remove the note"), "cb:skip"),)]
    return ctx._("Anything the caseworker should know before calling? Write a short note (up to {limit} "
                 "characters), or press Skip.").format(limit=limit), [(Button(ctx._("Skip"), "cb:skip"),)]


# --- typed answers -----------------------------------------------------------------------------------------

def read_name(ctx: Ctx, text: str) -> tuple[str | None, str]:
    limit = ctx.settings.callback.name_max
    name, problem = check_name(text, limit)
    if problem is None:
        return name, ""
    hints = {
        "long": ctx._("That is too long. Please write your name in up to {limit} characters.").format(limit=limit),
        "digits": ctx._("Please write only your name, without digits."),
    }
    return None, hints.get(problem, ctx._("Please write your name in letters."))


def phone_problem(ctx: Ctx, problem: str) -> str:
    if problem == "kind":
        return ctx._("We cannot call this number: premium-rate, shared-cost and satellite numbers cost too "
                     "much or cannot be reached. Please give a mobile or landline number.")
    return ctx._("I could not read that as a phone number.")


def read_phone(ctx: Ctx, text: str) -> tuple[str | None, str]:
    phone, problem = check_phone(text)
    if problem == "unreadable" and (digits := spoken_digits(text)) is not None:
        phone, problem = check_phone(digits)  # "five nine nine, one two..." as dictated
    return (phone, "") if problem is None else (None, phone_problem(ctx, problem))


def said_phone(ctx: Ctx, phone: str) -> str:
    """A typed number said back above the next question, so a typo is seen at once."""
    return ctx._("Your number: {phone}. If it is wrong, press “Back”.").format(phone=format_phone(phone))


def _read_place(ctx: Ctx, text: str, limit: int) -> tuple[str | None, str]:
    place, problem = check_place(text, limit)
    if problem is None:
        return place, ""
    if problem == "long":
        return None, ctx._("That is too long. Please keep it to {limit} characters or fewer.").format(limit=limit)
    return None, ctx._("Please write a place name in letters.")


def read_town(ctx: Ctx, text: str) -> tuple[str | None, str]:
    return _read_place(ctx, text, TOWN_MAX)


def read_country(ctx: Ctx, text: str) -> tuple[str | None, str]:
    return _read_place(ctx, text, COUNTRY_MAX)


def read_returned(ctx: Ctx, text: str) -> tuple[str | None, str]:
    """"03/2024", "2024", "last month", "3 months ago"..."""
    value = parse_month_year(text, date.today())
    return (value, "") if value is not None else (None, ctx._("I could not read that date."))


def read_note(ctx: Ctx, text: str) -> tuple[str | None, str]:
    limit = ctx.settings.callback.note_max
    note, problem = check_note(text, limit)
    if problem == "long":
        return None, ctx._("Your note has {length} characters; please shorten it to {limit}.").format(
            length=len(note), limit=limit)
    if problem:
        return None, ""  # nothing left once cleaned: the question again
    return note, ""


def buttons_only(ctx: Ctx, text: str) -> tuple[str | None, str]:
    return None, ctx._("Please choose one of the buttons.")


# --- pressed answers ---------------------------------------------------------------------------------------

def pick_own(ctx: Ctx, value: str) -> str | None:
    """“Use this number”: the shared contact waiting for confirmation."""
    return ctx.session.data.get("pending_phone") or None


def pick_topic(ctx: Ctx, value: str) -> str | None:
    return value if value in TOPICS else None


def pick_month(ctx: Ctx, value: str) -> str | None:
    """A month of the year pressed before (0: "I do not remember the month", the year alone)."""
    year = ctx.session.data.get("year")
    if not isinstance(year, int) or not value.isdigit():
        return None
    return parse_month_year(f"{year}-{int(value):02d}" if int(value) else str(year), date.today())


def pick_language(ctx: Ctx, value: str) -> str | None:
    return value if value in LANGUAGES else None


def pick_window(ctx: Ctx, value: str) -> str | None:
    return value if value in WINDOWS else None


def pick_skip(ctx: Ctx, value: str) -> str | None:
    return ""
