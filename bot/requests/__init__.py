"""Callback requests as a domain: the form's fields and choices, the checks on what people type, and the labels
people read. The callback flow, /mydata, staff commands, the desk and the jobs all import it from here, so none
of them reaches into a conversation flow.

- form.py: topics, call windows, the stored fields, how long an unfinished form lives, the request it makes,
  and saving it
- checks.py: names, places, notes, phone numbers and return dates as typed, cleaned or refused with a reason
- labels.py: each field as the user, a caseworker or the staff group reads it
"""

from __future__ import annotations

from bot.requests.checks import (
    EXAMPLE_PHONE,
    check_name,
    check_note,
    check_phone,
    check_place,
    parse_month_year,
    shared_phone,
)
from bot.requests.form import (
    COUNTRY_MAX,
    FIELDS,
    FORM_TTL,
    TOPICS,
    TOWN_MAX,
    WINDOWS,
    form_request,
    save_request,
    shared_location_text,
)
from bot.requests.labels import (
    area_label,
    describe_request,
    format_phone,
    month_label,
    phone_kind,
    status_label,
    topic_label,
    window_label,
)

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
    "phone_kind",
    "save_request",
    "shared_location_text",
    "shared_phone",
    "status_label",
    "topic_label",
    "window_label",
]
