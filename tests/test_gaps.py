"""Content gaps for staff: questions the content did not answer and answers marked "not helpful" are recorded
without personal data, counted by normalised text, reported by `hotline content gaps`, and purged after the
retention period. Driven through the engine and the real CLI on one SQLite file."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import Runtime
from bot.cli import main
from bot.config import Settings
from tests.helpers import ChatUser

# Each pair is one question asked twice by different people: counted once, with a count of 2.
UNANSWERED = {
    "en": [
        "My name is David Miller, can I take my parrot on the ferry? tel +995 599 12 34 56",
        "my name is Anna Brown. Can I take my parrot on the ferry?? tel 599123456",
    ],
    "ru": [
        "Меня зовут Ирина Петрова, можно ли перевезти пианино на пароме? Пишите irina.petrova@mail.ru",
        "меня зовут Олег Смирнов, можно ли перевезти пианино на пароме? пишите oleg77@yandex.ru",
    ],
    "ka": [
        "მე მქვია გიორგი ბერიძე, შეიძლება ბორანზე თუთიყუშის წაყვანა? ტელ 555 12 34 56",
        "მე მქვია ნინო კაპანაძე, შეიძლება ბორანზე თუთიყუშის წაყვანა? ტელ 599 65 43 21",
    ],
}
# Georgian typed in Latin letters, from a Georgian-speaking user: its own line in the report.
LATIN_GEORGIAN = "chemi saxeli aris Levan Gelashvili, sheidzleba boranze tutiyushis wayvana? 577 12 34 56"
PERSONAL = [
    "David", "Miller", "Anna", "Brown", "599", "12 34 56", "599123456", "Ирина", "Петрова", "irina", "mail.ru",
    "Олег", "Смирнов", "oleg77", "yandex", "გიორგი", "ბერიძე", "ნინო", "კაპანაძე", "555", "65 43 21", "Levan",
    "Gelashvili", "577",
]


def personal_data_in(text: str) -> list[str]:
    return [p for p in PERSONAL if p.lower() in text.lower()]


async def gaps_report(settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                      *args: str) -> str:
    """Runs `hotline content gaps` as staff would, against the bot's own data directory."""
    monkeypatch.delenv("HOTLINE_CONFIG", raising=False)
    monkeypatch.delenv("HOTLINE_DATABASE_URL", raising=False)
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(settings.data_dir))
    capsys.readouterr()
    code = await asyncio.to_thread(main, ["content", "gaps", *args])
    assert code == 0
    return capsys.readouterr().out


def section(report: str, title: str) -> list[str]:
    lines = report.split(title, 1)[1].strip("\n").splitlines()
    taken = []
    for line in lines:
        if not line.strip():
            break
        taken.append(line)
    return taken


def count_of(lines: list[str], lang: str, *parts: str) -> int:
    for line in lines:
        match = re.match(r"^\s*(\d+)\s+\[(\w+)\] (.*)$", line)
        if match and match.group(2) == lang and all(p in match.group(3) for p in parts):
            return int(match.group(1))
    return 0


async def ask_all(rt: Runtime) -> None:
    for lang, questions in UNANSWERED.items():
        for n, question in enumerate(questions):
            user = ChatUser(rt.engine, f"asker-{lang}-{n}", platform_language=lang)
            await user.say(question)
            data = [b.data for b in user.buttons]
            assert not any(d.startswith(("q:", "f:", "c:")) for d in data), f"{question!r} got an answer: {data}"
            assert "a:callback" in data, "an unanswered question offers a callback"
    user = ChatUser(rt.engine, "asker-latin", platform_language="ka")
    await user.say(LATIN_GEORGIAN)


def faq_ids(rt: Runtime) -> tuple[str, str]:
    ids = sorted(rt.content.current.faqs)
    return ids[0], ids[1]


async def mark_unhelpful(rt: Runtime) -> None:
    first, second = faq_ids(rt)
    for n, faq_id in enumerate([first, first, second]):
        user = ChatUser(rt.engine, f"reader-{n}", platform_language="en")
        await user.tap(f"f:{faq_id}")
        await user.tap(f"q:n:{faq_id}")
        assert any(b.data == "a:callback" for b in user.buttons), "'not helpful' offers a person"


async def test_report_counts_gaps_without_personal_data(
    rt: Runtime, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    await ask_all(rt)
    await mark_unhelpful(rt)
    report = await gaps_report(settings, monkeypatch, capsys)

    unanswered = section(report, "Most frequent unanswered questions:")
    assert count_of(unanswered, "en", "<name>", "parrot", "ferry", "<phone>") == 2, report
    assert count_of(unanswered, "ru", "<name>", "пианино", "<email>") == 2, report
    assert count_of(unanswered, "ka", "<name>", "თუთიყუშ", "<phone>") == 2, report
    assert count_of(unanswered, "ka", "<name>", "tutiyushis", "<phone>") == 1, report

    first, second = faq_ids(rt)
    unhelpful = section(report, "Answers marked not helpful:")
    assert count_of(unhelpful, "en", f"{first}:") == 2, report
    assert count_of(unhelpful, "en", f"{second}:") == 1, report
    assert unhelpful[0].split("]")[1].strip().startswith(f"{first}:"), "the least helpful entry comes first"

    assert personal_data_in(report) == []
    assert personal_data_in(caplog.text) == [], "no personal data in the logs"
    with sqlite3.connect(settings.data_dir / "hotline.sqlite3") as db:
        stored = " ".join(" ".join(row) for row in db.execute("SELECT text, normalised FROM gaps"))
    assert personal_data_in(stored) == [], "only redacted text is stored"


async def test_report_filters_by_language_and_date(
    rt: Runtime, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    await ask_all(rt)
    await mark_unhelpful(rt)
    georgian = await gaps_report(settings, monkeypatch, capsys, "--lang", "ka")
    unanswered = section(georgian, "Most frequent unanswered questions:")
    assert unanswered and all("[ka]" in line for line in unanswered), georgian
    assert "  (none)" in section(georgian, "Answers marked not helpful:")

    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    later = await gaps_report(settings, monkeypatch, capsys, "--since", tomorrow)
    assert section(later, "Most frequent unanswered questions:") == ["  (none)"]
    assert section(later, "Answers marked not helpful:") == ["  (none)"]


async def test_gaps_older_than_the_retention_period_are_purged(
    rt: Runtime, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    await ask_all(rt)
    await mark_unhelpful(rt)
    old = (datetime.now(UTC) - timedelta(days=settings.gaps_retention_days + 1)).isoformat(timespec="microseconds")
    with sqlite3.connect(settings.data_dir / "hotline.sqlite3") as db:
        aged = db.execute("UPDATE gaps SET at = ? WHERE lang = 'en' AND kind = 'unanswered'", (old,)).rowcount
    assert aged == 2

    cutoff = datetime.now(UTC) - timedelta(days=settings.gaps_retention_days)
    assert await rt.store.purge_gaps(cutoff) == 2
    assert await rt.store.purge_gaps(cutoff) == 0

    report = await gaps_report(settings, monkeypatch, capsys)
    unanswered = section(report, "Most frequent unanswered questions:")
    assert count_of(unanswered, "en", "parrot") == 0, report
    assert count_of(unanswered, "ru", "пианино") == 2, "newer gaps stay"
    assert count_of(section(report, "Answers marked not helpful:"), "en", f"{faq_ids(rt)[0]}:") == 2
