"""The shape of the content staff edit in content/, validated with pydantic.

Field names here are what staff write in YAML; keep them plain words. Cross-file checks (references,
translations, platform limits) live in `loader.py`, which knows files and lines.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated

import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bot.i18n import LANGUAGES

__all__ = [
    "KNOWN_PLACEHOLDERS",
    "PLACEHOLDER",
    "Action",
    "Centre",
    "CentresFile",
    "FaqEntry",
    "FaqFile",
    "GeoPoint",
    "Hotline",
    "LocalText",
    "MenuFile",
    "MenuItem",
    "MenuNode",
    "Source",
    "Sourced",
]

ID_PATTERN = r"^[a-z0-9_]{1,40}$"
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]


def _check_languages(value: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(value) - set(LANGUAGES))
    if unknown:
        raise ValueError(f"unknown language code(s) {', '.join(unknown)}; use {', '.join(LANGUAGES)}")
    if not value:
        raise ValueError("needs a text in at least one language")
    for lang, text in value.items():
        if not str(text).strip():
            raise ValueError(f"the {lang} text is empty")
    return {k: str(v).strip() for k, v in value.items()}


LocalText = Annotated[dict[str, str], AfterValidator(_check_languages)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Model):
    """Where a fact comes from: a public page, or "seed" for the hotline's own first texts."""

    url: Annotated[str, StringConstraints(pattern=r"^(https?://\S+|seed)$")]
    checked: date


class Sourced(_Model):
    """Anything that states facts: where they come from and when a person last read them against the source."""

    sources: list[Source] = Field(default_factory=list)
    reviewed: date | None = None


class Action(StrEnum):
    CENTRES = "centres"
    CALLBACK = "callback"
    ELIGIBILITY = "eligibility"
    LANGUAGE = "language"
    HOTLINE = "hotline"


class MenuItem(_Model):
    menu: Id | None = None
    faq: Id | None = None
    action: Action | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> MenuItem:
        if sum(x is not None for x in (self.menu, self.faq, self.action)) != 1:
            raise ValueError("an item is exactly one of `menu: <id>`, `faq: <id>` or `action: <name>`")
        return self


class MenuNode(_Model):
    id: Id
    title: LocalText
    text: LocalText | None = None
    items: list[MenuItem] = Field(default_factory=list)


class MenuFile(_Model):
    root: Id
    nodes: list[MenuNode]


class FaqEntry(Sourced):
    """A question and its answer. `answer` is the first screen (one-sentence answer first); `more` the rest."""

    id: Id
    menu: Id
    question: LocalText
    answer: LocalText
    more: LocalText | None = None
    keywords: dict[str, list[str]] = Field(default_factory=dict)
    examples: dict[str, list[str]] = Field(default_factory=dict)
    # Entries people confuse with this one. Its examples may sit close to them on purpose ("deported years ago,
    # may I go back?" teaches the entry ban apart from deportation), so the content check does not warn.
    told_apart_from: list[Id] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_languages(self) -> FaqEntry:
        for name in ("keywords", "examples"):
            unknown = sorted(set(getattr(self, name)) - set(LANGUAGES))
            if unknown:
                raise ValueError(f"{name}: unknown language code(s) {', '.join(unknown)}")
        return self


class FaqFile(_Model):
    entries: list[FaqEntry]


class OutOfScopeFile(_Model):
    """Questions editors decided the hotline does not answer (content/out_of_scope.yaml): each, and questions
    typed nearly the same way, is declined honestly instead of searched."""

    questions: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_languages(self) -> OutOfScopeFile:
        unknown = sorted(set(self.questions) - set(LANGUAGES))
        if unknown:
            raise ValueError(f"questions: unknown language code(s) {', '.join(unknown)}")
        return self


class GeoPoint(_Model):
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]


def _check_phone(value: str) -> str:
    try:
        parsed = phonenumbers.parse(value, "GE")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {value!r}") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError(f"not a possible phone number: {value!r}")
    return value


Phone = Annotated[str, AfterValidator(_check_phone)]


class Hotline(Sourced):
    phone: Phone
    display: str
    hours: LocalText

    @property
    def e164(self) -> str:
        return phonenumbers.format_number(phonenumbers.parse(self.phone, "GE"), phonenumbers.PhoneNumberFormat.E164)

    @property
    def international(self) -> str:
        return phonenumbers.format_number(
            phonenumbers.parse(self.phone, "GE"), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )


class Centre(Sourced):
    id: Id
    name: LocalText
    address: LocalText
    phone: Phone
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")] | None = None
    location: GeoPoint
    hours: LocalText

    @property
    def e164(self) -> str:
        return phonenumbers.format_number(phonenumbers.parse(self.phone, "GE"), phonenumbers.PhoneNumberFormat.E164)


class CentresFile(_Model):
    hotline: Hotline
    centres: list[Centre]


PLACEHOLDER = re.compile(r"\{(\w+)\}")
KNOWN_PLACEHOLDERS = frozenset({"hotline"})  # filled in by Content.text
