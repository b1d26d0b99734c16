"""Day counts for the statistics: people who wrote on a day, what became of their typed messages, and which FAQ
entries they were given, by channel and language. Numbers only: no text, no user id.

The engine counts in memory as it handles updates; `flush` adds the counts to the store every few seconds (and
when the runtime stops), so the hot path costs a dictionary update, not a database write. Several workers each
add their own counts. A crash loses at most the last few seconds of counting, never a conversation.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = ["DAY_ZONE", "OPENED", "DayCountStore", "Tally", "today"]

DAY_ZONE = ZoneInfo("Asia/Tbilisi")  # the hotline's days, wherever the server runs
OPENED = "opened"  # an entry opened with a button, as opposed to given as the answer to a typed question


def today() -> date:
    return datetime.now(DAY_ZONE).date()


class DayCountStore(Protocol):
    async def add_day_counts(self, people: list[tuple[date, str, str, int]],
                             usage: list[tuple[date, str, str, str, str, int]]) -> None: ...


class Tally:
    """Counts kept since the last flush."""

    def __init__(self) -> None:
        self._people: Counter[tuple[date, str, str]] = Counter()
        self._usage: Counter[tuple[date, str, str, str, str]] = Counter()

    def person(self, day: date, channel: str, language: str) -> None:
        """Someone's first update of the day (the engine knows it from the day noted in their session)."""
        self._people[(day, channel, language)] += 1

    def outcome(self, day: date, channel: str, language: str, outcome: str, faq_id: str = "") -> None:
        self._usage[(day, channel, language, outcome, faq_id)] += 1

    async def flush(self, store: DayCountStore) -> None:
        """Adds what was counted to the store; on failure the counts are kept for the next flush."""
        people, usage = self._people, self._usage
        if not (people or usage):
            return
        self._people, self._usage = Counter(), Counter()
        try:
            await store.add_day_counts([(*k, n) for k, n in people.items()], [(*k, n) for k, n in usage.items()])
        except BaseException:
            self._people.update(people)
            self._usage.update(usage)
            raise
