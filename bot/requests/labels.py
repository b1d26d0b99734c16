"""A callback request as people read it: labels for its fields, for the user, /mydata, the desk and staff."""

from __future__ import annotations

import re
from datetime import date

import phonenumbers
from babel import Locale
from babel.dates import format_date

from bot.i18n import LANGUAGE_NAMES, N_, Translator
from bot.knowledge.geo import in_georgia, nearest_centres
from bot.knowledge.loader import Content
from bot.records import CallbackRequest
from bot.requests.form import WINDOWS

__all__ = ["area_label", "describe_request", "format_phone", "month_label", "phone_kind", "status_label",
           "topic_label", "window_label"]

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
_STATUS = {
    "new": N_("waiting for a caseworker"),
    "assigned": N_("a caseworker is handling it"),
    "done": N_("done"),
    "unreachable": N_("we could not reach you"),
    "cancelled": N_("cancelled"),
}
_PHONE_KINDS = {
    phonenumbers.PhoneNumberType.MOBILE: N_("mobile"),
    phonenumbers.PhoneNumberType.FIXED_LINE: N_("landline"),
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: N_("mobile or landline"),
    phonenumbers.PhoneNumberType.VOIP: N_("internet phone"),
}
_SHARED_LOCATION = re.compile(r"^📍 (-?\d+\.\d+), (-?\d+\.\d+)$")
# A number, or a word for a street, avenue or flat: the town field holds an address, whatever town it names.
_ADDRESS = re.compile(
    r"\d|\b(?:street|str|st|avenue|ave|road|lane|flat|apt|apartment|улица|ул|проспект|пр-т|переулок|пер|квартира|кв)"
    r"\b|ქუჩ|გამზირ|შესახვევ|ჩიხ|ბინა|კორპუს",
    re.IGNORECASE,
)


def topic_label(content: Content, t: Translator, topic: str) -> str:
    """The content's own title for a menu topic where there is one, so the form and the menu agree."""
    node = content.nodes.get(topic)
    if node is not None:
        return content.text(node.title, t.lang)
    return t.gettext(_TOPIC_FALLBACK[topic]) if topic in _TOPIC_FALLBACK else topic


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
