"""The queue as the desk shows it: filters read from the address bar, the SLA turned into a time cut-off so the
database can filter overdue requests, and areas (what the staff group sees instead of the town as typed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.i18n import LANGUAGES, Translator
from bot.knowledge.loader import Content
from bot.requests import TOPICS, area_label
from bot.staff.queue import Queue, add_working_days
from bot.store.desk import RequestFilter

__all__ = ["CHANNELS", "STATUS_TABS", "AreaNames", "QueueQuery", "now_utc", "overdue_cutoff"]

STATUS_TABS = ("new", "assigned", "done", "unreachable")
CHANNELS = ("telegram", "viber", "terminal")
_CACHE_MAX = 20_000


def overdue_cutoff(queue: Queue, now: datetime) -> datetime:
    """The moment before which a request still new is overdue now: due dates only grow with the creation time,
    so a binary search over `Queue`'s own working-day rule finds it (to a millisecond) without a second rule."""
    days = queue.settings.callback.sla_working_days
    low, high = now - timedelta(days=7 * days + 60), now
    while high - low > timedelta(milliseconds=1):
        middle = low + (high - low) / 2
        if add_working_days(middle, days) < now:
            low = middle
        else:
            high = middle
    return low


class AreaNames:
    """Area labels by language and town as typed, cached: the place resolver is fast, but a queue has many rows."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, str, str], str] = {}

    def label(self, content: Content, t: Translator, town: str) -> str:
        key = (id(content), t.lang, town)
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            found = self._cache[key] = area_label(content, t, town)
        return found


@dataclass(frozen=True)
class QueueQuery:
    status: str = "new"
    overdue: bool = False
    topic: str = ""
    area: str = ""
    language: str = ""
    channel: str = ""
    oldest_first: bool = False
    page: int = 1

    @classmethod
    def parse(cls, params: Any) -> QueueQuery:
        """Unknown values fall back to the default view rather than an error page."""

        def pick(name: str, allowed: tuple[str, ...]) -> str:
            value = params.get(name, "")
            return value if value in allowed else ""

        try:
            page = max(1, min(int(params.get("page", "1")), 100_000))
        except ValueError:
            page = 1
        return cls(
            status=pick("status", STATUS_TABS) or "new", overdue=params.get("overdue") == "1",
            topic=pick("topic", TOPICS), area=str(params.get("area", ""))[:200], language=pick("language", LANGUAGES),
            channel=pick("channel", CHANNELS), oldest_first=params.get("order") == "oldest", page=page,
        )

    def filter(self, cutoff: datetime, page_size: int, towns: tuple[str, ...] | None) -> RequestFilter:
        return RequestFilter(
            statuses=(self.status,), overdue_before=cutoff if self.overdue else None, topic=self.topic,
            language=self.language, channel=self.channel, towns=towns, newest_first=not self.oldest_first,
            limit=page_size, offset=(self.page - 1) * page_size,
        )

    def counting(self, cutoff: datetime, towns: tuple[str, ...] | None) -> RequestFilter:
        return RequestFilter(overdue_before=cutoff, topic=self.topic, language=self.language, channel=self.channel,
                             towns=towns)

    def params(self, **changes: Any) -> dict[str, str]:
        """The address-bar form of this view with some values changed (for tabs, paging and sorting links)."""
        values = {"status": self.status, "overdue": "1" if self.overdue else "", "topic": self.topic,
                  "area": self.area, "language": self.language, "channel": self.channel,
                  "order": "oldest" if self.oldest_first else "", "page": str(self.page) if self.page > 1 else ""}
        values.update({k: str(v) for k, v in changes.items()})
        return {k: v for k, v in values.items() if v}


def now_utc() -> datetime:
    return datetime.now(UTC)
