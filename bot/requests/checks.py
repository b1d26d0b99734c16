"""Checking what a person typed into the callback form.

Each check returns the cleaned value and a problem code (None when the value is good), so the flow can say
exactly what to fix without this module knowing any conversation.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import phonenumbers

__all__ = ["EXAMPLE_PHONE", "check_name", "check_note", "check_phone", "check_place", "parse_month_year",
           "shared_phone"]

PHONE_MAX = 32
FIRST_YEAR = 1950
_CALLABLE = frozenset({phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE,
                       phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE, phonenumbers.PhoneNumberType.VOIP})
_PHONE_CHARS = re.compile(r"^[\d\s+().\-/]+$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})\s*[./\-\s]\s*(\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})\s*[./\-\s]\s*(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Zl", "Zp")


def _one_line(text: str) -> tuple[str, bool]:
    """Collapses whitespace (line breaks included); reports other invisible or control characters."""
    collapsed = " ".join(text.split())
    return collapsed, any(_is_control(ch) for ch in collapsed)


def check_name(text: str, limit: int) -> tuple[str, str | None]:
    name, control = _one_line(text)
    if control:
        return name, "control"
    if not name:
        return name, "empty"
    if len(name) > limit:
        return name, "long"
    if any(ch.isdigit() for ch in name):
        return name, "digits"
    if sum(ch.isalpha() for ch in name) < 2:  # emoji, punctuation or a single initial alone
        return name, "letters"
    return name, None


def check_place(text: str, limit: int) -> tuple[str, str | None]:
    place, control = _one_line(text)
    if control:
        return place, "control"
    if len(place) > limit:
        return place, "long"
    if not any(ch.isalpha() for ch in place):
        return place, "letters"
    return place, None


def check_note(text: str, limit: int) -> tuple[str, str | None]:
    """Keeps line breaks, drops other control characters; too long is refused rather than cut."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cleaned = "\n".join(" ".join("".join(ch for ch in line if not _is_control(ch)).split()) for line in lines)
    note = re.sub(r"\n{3,}", "\n\n", cleaned).strip()
    if not note:
        return note, "empty"
    if len(note) > limit:
        return note, "long"
    return note, None


def check_phone(text: str, region: str = "GE") -> tuple[str, str | None]:
    """A typed or shared number as E.164, and a problem: "unreadable", or "kind" for a number a caseworker must
    not call (premium-rate, shared-cost, satellite and other non-geographic, or of no known type).
    Georgian numbers may be written without the country code."""
    raw = text.strip()
    if not raw or len(raw) > PHONE_MAX or not _PHONE_CHARS.match(raw):
        return "", "unreadable"
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return "", "unreadable"
    if not phonenumbers.is_valid_number(number):
        return "", "unreadable"
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if phonenumbers.number_type(number) not in _CALLABLE or phonenumbers.region_code_for_number(number) == "001":
        return e164, "kind"
    return e164, None


def shared_phone(raw: str) -> tuple[str, str | None]:
    """`check_phone` for a shared contact, which often carries the full international number without its "+"."""
    digits = re.sub(r"\D", "", raw)
    if not raw.strip().startswith("+") and len(digits) > 10:
        found = check_phone("+" + digits)
        if found[1] != "unreadable":
            return found
    return check_phone(raw)


# "this month", "last month", "3 months ago", as people answer "when did you come back?", in our languages.
_THIS_MONTH = ("this month", "этом месяце", "этот месяц", "ამ თვეში", "am tveshi", "am tvesi")
_LAST_MONTH = ("last month", "прошлом месяце", "прошлый месяц", "გასულ თვეს", "წინა თვეს",
               "gasul tves", "wina tves", "tsina tves")
_MONTHS_AGO = re.compile(r"(\d{1,2})\s*(?:months?\s+ago|месяц\w*\s+назад|თვის\s+წინ|tvis\s+(?:win|tsin))")


def _months_back(today: date, months: int) -> str:
    index = today.year * 12 + today.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def parse_month_year(text: str, today: date) -> str | None:
    """"03/2024", "2024-03", "2024", "last month", "3 months ago" -> "2024-03" / "2024"; not future or before 1950."""
    raw = text.strip()
    lowered = " ".join(raw.lower().split())
    if any(p in lowered for p in _THIS_MONTH):
        return _months_back(today, 0)
    if any(p in lowered for p in _LAST_MONTH):
        return _months_back(today, 1)
    if (ago := _MONTHS_AGO.search(lowered)) and int(ago.group(1)) < 600:
        return _months_back(today, int(ago.group(1)))
    month: int | None = None
    if m := _MONTH_YEAR.match(raw):
        month, year = int(m.group(1)), int(m.group(2))
    elif m := _YEAR_MONTH.match(raw):
        year, month = int(m.group(1)), int(m.group(2))
    elif m := _YEAR.match(raw):
        year = int(m.group(1))
    else:
        return None
    if not FIRST_YEAR <= year <= today.year:
        return None
    if month is None:
        return f"{year:04d}"
    if not 1 <= month <= 12 or (year, month) > (today.year, today.month):
        return None
    return f"{year:04d}-{month:02d}"


def _example_phone() -> str:
    number = phonenumbers.example_number_for_type("GE", phonenumbers.PhoneNumberType.MOBILE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL) if number else "555 12 34 56"


EXAMPLE_PHONE = _example_phone()
