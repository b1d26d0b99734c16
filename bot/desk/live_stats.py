"""Live chat statistics: per day how many chats, how many taken and how many within N minutes, waiting times
and ratings. Read from times and outcomes only (`LiveStore.live_stats`), never from what anyone wrote."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from statistics import median

from bot.staff.queue import LOCAL_TZ
from bot.store.live import LiveStats

__all__ = ["LiveDay", "live_days"]


@dataclass
class LiveDay:
    day: date | None  # None: the whole period
    chats: int = 0
    taken: int = 0
    taken_within: int = 0
    missed: int = 0
    up: int = 0
    down: int = 0
    waits: list[float] = field(default_factory=list)  # minutes until taken

    @property
    def median_wait(self) -> str:
        return f"{median(self.waits):.1f}" if self.waits else "—"

    @property
    def within_share(self) -> str:
        return f"{100 * self.taken_within / self.chats:.0f} %" if self.chats else "—"

    def add(self, row: LiveStats, within_minutes: float) -> None:
        self.chats += 1
        if row.taken_at is not None:
            wait = (row.taken_at - row.created_at).total_seconds() / 60
            self.taken += 1
            self.waits.append(wait)
            self.taken_within += wait <= within_minutes
        self.missed += row.status == "missed"
        self.up += row.rating is not None and row.rating > 0
        self.down += row.rating is not None and row.rating < 0


def live_days(rows: list[LiveStats], days: list[date], within_minutes: float) -> tuple[list[LiveDay], LiveDay]:
    """One line per day of the period (Tbilisi days), and the period's total."""
    by_day = {d: LiveDay(d) for d in days}
    total = LiveDay(None)
    for row in rows:
        line = by_day.get(row.created_at.astimezone(LOCAL_TZ).date())
        if line is not None:
            line.add(row, within_minutes)
            total.add(row, within_minutes)
    return [by_day[d] for d in days], total
