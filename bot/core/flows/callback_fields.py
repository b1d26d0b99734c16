"""The callback form's fields: how they are checked, parsed and labelled for the user, /mydata and staff.

Each check returns the cleaned value and a problem code (None when the value is good), so the flow can say
exactly what to fix without this module knowing any conversation.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from typing import Any

import phonenumbers
from babel import Locale
from babel.dates import format_date

from bot.core.events import SessionKey
from bot.i18n import LANGUAGE_NAMES, N_, Translator
from bot.knowledge.geo import in_georgia, nearest_centres
from bot.knowledge.loader import Content
from bot.store.base import CallbackRequest

__all__ = [
    "COUNTRY_MAX",
    "EXAMPLE_PHONE",
    "FIELDS",
    "FORM_TTL",
    "TOPICS",
    "TOWN_MAX",
    "WINDOWS",
    "area_label",
    "check_name",
    "check_note",
    "check_phone",
    "check_place",
    "describe_request",
    "form_request",
    "format_phone",
    "month_label",
    "parse_month_year",
    "parse_phone",
    "phone_kind",
    "shared_location_text",
    "shared_phone",
    "status_label",
    "topic_label",
    "window_label",
]

TOPICS = ("reint_housing", "reint_living", "reint_medical", "reint_employment", "reint_training", "reint_business",
          "legal", "risks", "other")
_TOPIC_FALLBACK = {
    "reint_housing": N_("Temporary accommodation"),
    "reint_living": N_("Improving living conditions"),
    "reint_medical": N_("Medical assistance"),
    "reint_employment": N_("Employment support"),
    "reint_training": N_("Vocational training"),
    "reint_business": N_("Starting a small business"),
    "legal": N_("Working abroad legally"),
    "risks": N_("Risks of irregular migration"),
    "other": N_("Something else"),
}
WINDOWS = {
    "morning": N_("Morning"),
    "afternoon": N_("Afternoon"),
    "evening": N_("Evening"),
    "any": N_("Any time"),
}
_STATUS = {
    "new": N_("waiting for a caseworker"),
    "assigned": N_("a caseworker is handling it"),
    "done": N_("done"),
    "unreachable": N_("we could not reach you"),
    "cancelled": N_("cancelled"),
}
FORM_TTL = timedelta(hours=24)  # an abandoned form's personal data does not linger in the session
TOWN_MAX = 80
COUNTRY_MAX = 60
PHONE_MAX = 32
FIRST_YEAR = 1950
_CALLABLE = frozenset({phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE,
                       phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE, phonenumbers.PhoneNumberType.VOIP})
_PHONE_KINDS = {
    phonenumbers.PhoneNumberType.MOBILE: N_("mobile"),
    phonenumbers.PhoneNumberType.FIXED_LINE: N_("landline"),
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: N_("mobile or landline"),
    phonenumbers.PhoneNumberType.VOIP: N_("internet phone"),
}
_PHONE_CHARS = re.compile(r"^[\d\s+().\-/]+$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})\s*[./\-\s]\s*(\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})\s*[./\-\s]\s*(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")
_SHARED_LOCATION = re.compile(r"^📍 (-?\d+\.\d+), (-?\d+\.\d+)$")
# A number, or a word for a street, avenue or flat: the town field holds an address, whatever town it names.
_ADDRESS = re.compile(
    r"\d|\b(?:street|str|st|avenue|ave|road|lane|flat|apt|apartment|улица|ул|проспект|пр-т|переулок|пер|квартира|кв)"
    r"\b|ქუჩ|გამზირ|შესახვევ|ჩიხ|ბინა|კორპუს",
    re.IGNORECASE,
)
FIELDS = ("name", "phone", "town", "topic", "return_country", "return_month", "language", "time_window", "note")


# --- labels shared with /mydata and the staff side -------------------------------------------------------------

def topic_label(content: Content, t: Translator, topic: str) -> str:
    """The content's own title for a menu topic where there is one, so the form and the menu agree."""
    node = content.nodes.get(topic)
    if node is not None:
        return content.text(node.title, t.lang)
    return t.gettext(_TOPIC_FALLBACK[topic]) if topic in _TOPIC_FALLBACK else topic


def shared_location_text(latitude: float, longitude: float) -> str:
    """How a shared location is kept as the town: about a kilometre, enough to call back and find the centre."""
    return f"📍 {latitude:.2f}, {longitude:.2f}"


def area_label(content: Content, t: Translator, town: str) -> str:
    """The town as coarsely as a group of staff needs it: the one place the text names (never a guess among
    several, never from what reads as an address, a foreign place only when named on its own), or the centre
    nearest to a shared location in Georgia. What the person typed can hold an address, and their coordinates
    are personal: both go only to the caseworker who takes the request."""
    shared = _SHARED_LOCATION.match(town)
    if shared:
        lat, lon = float(shared.group(1)), float(shared.group(2))
        nearest = next(iter(nearest_centres(lat, lon, content.gazetteer.centres)), None)
        centre = content.centre(nearest[0].id) if nearest and in_georgia(lat, lon) else None
        if centre is not None:
            name = content.text(centre.name, t.lang)
            return t.gettext("shared location, nearest centre: {centre}").format(centre=name)
    elif not _ADDRESS.search(town):  # many Tbilisi streets are named after towns and capitals
        found = content.gazetteer.resolve(town)
        alone = len(town.split()) <= 2
        if found.place is not None and (found.status == "found" or (found.status == "abroad" and alone)):
            return found.place.name(t.lang)
    return t.gettext("see the details")


def window_label(t: Translator, window: str) -> str:
    return t.gettext(WINDOWS[window]) if window in WINDOWS else window


def status_label(t: Translator, status: str) -> str:
    return t.gettext(_STATUS[status]) if status in _STATUS else status


def month_label(t: Translator, value: str) -> str:
    """"2024-03" -> "March 2024" in the reader's language; a bare year stays as it is."""
    if re.fullmatch(r"\d{4}-\d{2}", value):
        return format_date(date(int(value[:4]), int(value[5:]), 1), "LLLL y", locale=t.lang)
    return value


def format_phone(e164: str) -> str:
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def describe_request(content: Content, t: Translator, request: CallbackRequest, with_status: bool = True,
                     phone_details: bool = False) -> str:
    """A callback request as its owner sees it: every stored field, labelled; for a caseworker, `phone_details`
    adds the number's country and kind."""
    returned = " ".join(x for x in (request.return_country, month_label(t, request.return_month)) if x)
    phone = format_phone(request.phone) if request.phone else ""
    if phone and phone_details and (kind := phone_kind(t, request.phone)):
        phone = f"{phone} ({kind})"
    fields = [
        (t.gettext("Reference"), request.ref if with_status else ""),
        (t.gettext("Status"), status_label(t, request.status) if with_status else ""),
        (t.gettext("Name"), request.name),
        (t.gettext("Phone"), phone),
        (t.gettext("Town"), request.town),
        (t.gettext("Topic"), topic_label(content, t, request.topic) if request.topic else ""),
        (t.gettext("Return"), returned),
        (t.gettext("Language"), LANGUAGE_NAMES.get(request.language, request.language)),
        (t.gettext("Time to call"), window_label(t, request.time_window) if request.time_window else ""),
        (t.gettext("Note"), request.note),
    ]
    return "\n".join(f"{label}: {value}" for label, value in fields if value)


# --- input checks: each returns the cleaned value and a problem code (None when the value is good) ----------------

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


def parse_phone(text: str, region: str = "GE") -> str | None:
    """A number a caseworker may call, as E.164, or None."""
    phone, problem = check_phone(text, region)
    return phone if problem is None else None


def shared_phone(raw: str) -> tuple[str, str | None]:
    """`check_phone` for a shared contact, which often carries the full international number without its "+"."""
    digits = re.sub(r"\D", "", raw)
    if not raw.strip().startswith("+") and len(digits) > 10:
        found = check_phone("+" + digits)
        if found[1] != "unreadable":
            return found
    return check_phone(raw)


def phone_kind(t: Translator, e164: str) -> str:
    """Where a number is and what kind it is ("Georgia, mobile"), so a caseworker knows what the call costs."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ""
    region = phonenumbers.region_code_for_number(number) or ""
    country = Locale.parse(t.lang).territories.get(region, region) if region != "001" else ""
    kind = _PHONE_KINDS.get(phonenumbers.number_type(number))
    return ", ".join(x for x in (country, t.gettext(kind) if kind else "") if x)


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


def form_request(key: SessionKey, form: dict[str, Any], lang: str) -> CallbackRequest:
    """The request a (possibly unfinished) form describes."""
    topic = str(form.get("topic", ""))
    return CallbackRequest(
        channel=key.channel, user_id=key.user_id,
        name=str(form.get("name", "")), phone=str(form.get("phone", "")), town=str(form.get("town", "")),
        topic=topic, returnee=topic.startswith("reint_"),
        return_country=str(form.get("return_country", "")), return_month=str(form.get("return_month", "")),
        language=str(form.get("language", lang)), time_window=str(form.get("time_window", "any")),
        note=str(form.get("note", "")),
    )


def _example_phone() -> str:
    number = phonenumbers.example_number_for_type("GE", phonenumbers.PhoneNumberType.MOBILE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL) if number else "555 12 34 56"


EXAMPLE_PHONE = _example_phone()
