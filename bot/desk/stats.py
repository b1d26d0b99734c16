"""Statistics for a date range (hotline days, Tbilisi time): conversations per day by channel and language, what
became of typed questions (answered, suggested, declined) and the FAQ entries given most, callback requests by
topic, area and status, time to first contact and to close, overdue now, and the questions the content did not
answer. Every table can be downloaded as CSV; nothing here is personal."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from bot.i18n import LANGUAGE_NAMES, Translator
from bot.knowledge.loader import Content
from bot.requests import topic_label
from bot.staff.queue import LOCAL_TZ, csv_safe
from bot.store.desk import DeskStore

__all__ = ["MAX_DAYS", "TABLES", "Period", "Report", "build_report", "report_csv"]

MAX_DAYS = 400
TABLES = ("conversations", "outcomes", "faq_entries", "requests_by_topic", "requests_by_area", "requests_by_status",
          "times", "gaps")
QUESTION_OUTCOMES = ("answered", "suggested", "declined")  # what a typed question can become
OTHER_OUTCOMES = ("urgent", "action")  # typed messages that were not questions: danger first, or an action
TOP_ENTRIES = 15


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @classmethod
    def parse(cls, start: str, end: str, today: date) -> Period:
        """From the form's two dates; anything unreadable falls back to the last 30 days."""
        try:
            last = date.fromisoformat(end) if end else today
        except ValueError:
            last = today
        try:
            first = date.fromisoformat(start) if start else last - timedelta(days=29)
        except ValueError:
            first = last - timedelta(days=29)
        first = min(first, last)
        return cls(max(first, last - timedelta(days=MAX_DAYS - 1)), last)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as UTC instants, from the first day's Tbilisi midnight to the day after the last."""
        start = datetime.combine(self.first, time.min, tzinfo=LOCAL_TZ)
        end = datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=LOCAL_TZ)
        return start.astimezone(UTC), end.astimezone(UTC)


@dataclass
class Report:
    period: Period
    by_channel: dict[str, list[int]] = field(default_factory=dict)
    by_language: dict[str, list[int]] = field(default_factory=dict)
    conversations: list[tuple[date, str, str, int]] = field(default_factory=list)
    topics: list[tuple[str, int]] = field(default_factory=list)
    areas: list[tuple[str, int]] = field(default_factory=list)
    statuses: list[tuple[str, int]] = field(default_factory=list)
    times: list[tuple[str, float | None, float | None, int]] = field(default_factory=list)
    gaps: dict[str, list[int]] = field(default_factory=dict)
    outcome_rows: list[tuple[date, str, str, str, int]] = field(default_factory=list)
    outcomes: dict[str, list[int]] = field(default_factory=dict)  # per day, question outcomes only
    outcome_totals: dict[str, int] = field(default_factory=dict)
    entries: list[tuple[str, str, int, int]] = field(default_factory=list)  # id, question, answered, opened
    requests: int = 0
    people: int = 0

    @property
    def questions(self) -> int:
        return sum(self.outcome_totals.get(o, 0) for o in QUESTION_OUTCOMES)

    def share(self, outcome: str) -> int | None:
        """Percent of typed questions that became `outcome` (rounded), or None when there were none."""
        return round(100 * self.outcome_totals.get(outcome, 0) / self.questions) if self.questions else None


def _hours(histogram: list[tuple[int, int]]) -> tuple[float | None, float | None, int]:
    """Median and 90th percentile, in hours, of a histogram in tenths of an hour (to six minutes)."""
    total = sum(n for _, n in histogram)
    if not total:
        return None, None, 0

    def share(part: float) -> float:
        seen = 0
        for tenths, n in histogram:
            seen += n
            if seen >= part * total:
                return round(tenths / 10, 1)
        return round(histogram[-1][0] / 10, 1)

    return share(0.5), share(0.9), total


async def build_report(store: DeskStore, content: Content, t: Translator, period: Period,
                       area_label: Callable[[str], str], by_cell: bool = False) -> Report:
    """`area_label` names a town as typed by its area (what the staff group sees), never the town itself.
    `by_cell`: outcomes by channel and language too (for their CSV; the page shows them per day)."""
    report = Report(period)
    days = period.days
    index = {day: i for i, day in enumerate(days)}
    report.conversations = await store.activity(period.first, period.last)
    names = {code: name.split(" ", 1)[-1] for code, name in LANGUAGE_NAMES.items()}
    for day, channel, language, people in report.conversations:
        at = index[day]
        report.by_channel.setdefault(channel, [0] * len(days))[at] += people
        report.by_language.setdefault(names.get(language, language or "?"), [0] * len(days))[at] += people
        report.people += people
    since, until = period.bounds()
    topics: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    for topic, town, status, count in await store.request_counts(since, until):
        topics[topic] += count
        areas[area_label(town)] += count
        statuses[status] += count
        report.requests += count
    report.topics = [(topic_label(content, t, k) if k else "—", n) for k, n in topics.most_common()]
    report.areas = areas.most_common(15)
    report.statuses = statuses.most_common()
    delays = await store.request_delays(since, until)
    report.times = [(name, *_hours(delays.get(name, []))) for name in ("first_contact", "close")]
    for day, kind, count in await store.gap_days(since, until):
        if day in index:
            report.gaps.setdefault(kind, [0] * len(days))[index[day]] += count
    report.outcome_rows = await store.outcome_days(period.first, period.last, by_cell)
    report.outcomes = {outcome: [0] * len(days) for outcome in QUESTION_OUTCOMES}
    for day, _, _, outcome, count in report.outcome_rows:
        report.outcome_totals[outcome] = report.outcome_totals.get(outcome, 0) + count
        if outcome in report.outcomes and day in index:
            report.outcomes[outcome][index[day]] += count
    given: dict[str, list[int]] = {}
    for faq_id, outcome, count in await store.entry_counts(period.first, period.last):
        given.setdefault(faq_id, [0, 0])[0 if outcome == "answered" else 1] += count
    top = sorted(given.items(), key=lambda item: (-sum(item[1]), item[0]))[:TOP_ENTRIES]
    report.entries = [(faq_id, _entry_label(content, faq_id, t.lang), answered, opened)
                      for faq_id, (answered, opened) in top]
    return report


def _entry_label(content: Content, faq_id: str, lang: str) -> str:
    """An entry's question in the page's language; an entry since removed from the content by its id."""
    entry = content.faqs.get(faq_id)
    return content.text(entry.question, lang) if entry else faq_id


def report_csv(report: Report, table: str) -> bytes:
    """One table of the report as CSV (UTF-8 with a BOM, so spreadsheet programs show Georgian right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if table == "conversations":
        writer.writerow(("day", "channel", "language", "people"))
        writer.writerows((d.isoformat(), c, lang, n) for d, c, lang, n in report.conversations)
    elif table == "outcomes":
        writer.writerow(("day", "channel", "language", "outcome", "messages"))
        writer.writerows((d.isoformat(), c, lang, o, n) for d, c, lang, o, n in report.outcome_rows)
    elif table == "faq_entries":
        writer.writerow(("faq_id", "question", "answered", "opened"))
        writer.writerows((faq_id, csv_safe(question), a, o) for faq_id, question, a, o in report.entries)
    elif table in ("requests_by_topic", "requests_by_area", "requests_by_status"):
        writer.writerow((table.removeprefix("requests_by_"), "requests"))
        rows = {"requests_by_topic": report.topics, "requests_by_area": report.areas,
                "requests_by_status": report.statuses}[table]
        writer.writerows((csv_safe(name), n) for name, n in rows)
    elif table == "times":
        writer.writerow(("measure", "median_hours", "p90_hours", "requests"))
        writer.writerows(("" if v is None else v for v in row) for row in report.times)
    elif table == "gaps":
        writer.writerow(("day", *report.gaps))
        for i, day in enumerate(report.period.days):
            writer.writerow((day.isoformat(), *(values[i] for values in report.gaps.values())))
    else:
        raise ValueError(table)
    return buffer.getvalue().encode("utf-8-sig")
