"""When the desk is staffed for live chats: hours per weekday from settings, Tbilisi time, Georgian holidays off."""

from __future__ import annotations

import re
from datetime import datetime, time
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from babel.dates import get_day_names

from bot.config import LiveSettings

__all__ = ["DAYS", "LOCAL_TZ", "hours_text", "staffed"]

LOCAL_TZ = ZoneInfo("Asia/Tbilisi")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@cache
def _holidays() -> holidays.HolidayBase:
    """Built on first use: looking the country up imports every country's calendar."""
    return holidays.country_holidays("GE")


def _span(text: str) -> tuple[time, time] | None:
    """"10:00-18:00" as two times; None for anything else (that day is then not staffed)."""
    match = _SPAN.match(text or "")
    if not match:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59:
        return None
    end = time(23, 59, 59) if h2 == 24 else time(h2, m2)
    return time(h1, m1), end


def staffed(settings: LiveSettings, now: datetime) -> bool:
    local = now.astimezone(LOCAL_TZ)
    if settings.holidays_off and local.date() in _holidays():
        return False
    span = _span(settings.hours.get(DAYS[local.weekday()], ""))
    return span is not None and span[0] <= local.time().replace(tzinfo=None) < span[1]


def hours_text(settings: LiveSettings, lang: str) -> str:
    """The staffed hours as a person reads them: days with the same hours joined ("Mon–Fri 10:00–18:00")."""
    names = get_day_names("abbreviated", locale=lang)
    groups: list[tuple[int, int, str]] = []
    for index, day in enumerate(DAYS):
        span = _span(settings.hours.get(day, ""))
        if span is None:
            continue
        label = f"{span[0]:%H:%M}–{span[1]:%H:%M}"
        if groups and groups[-1][1] == index - 1 and groups[-1][2] == label:
            groups[-1] = (groups[-1][0], index, label)
        else:
            groups.append((index, index, label))
    parts = []
    for first, last, label in groups:
        days = names[first] if first == last else f"{names[first]}–{names[last]}"
        parts.append(f"{days} {label}")
    return ", ".join(parts)
