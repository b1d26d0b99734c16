"""Attacks on personal data, kept as tests: what an attack and fault test found stored, printed or left behind.

Names, addresses and profile links never reach the gaps report, in any of the three languages and scripts;
/forget removes a user's questions from it, and leaves no byte of their data in any SQLite file.
"""

from __future__ import annotations

import pytest

from bot.app import Runtime
from bot.config import Settings
from tests.helpers import ChatUser
from tests.test_gaps import gaps_report

# What people typed (none of it answered by the content), and what must not come out.
QUESTIONS = [
    ("en", "I am Giorgi Beridzeovich, need a job picking parrots", ["Giorgi", "Beridzeovich"]),
    ("en", "Zurabique Quxadze needs a parrot visa", ["Zurabique", "Quxadze"]),
    ("en", "this is Tamazique, can my parrot fly with me?", ["Tamazique"]),
    ("en", "parrot delivery to 14 Chavchavadze street, flat 3?", ["Chavchavadze", "flat 3"]),
    ("en", "parrot help, write t.me/gioparrots", ["gioparrots"]),
    ("ru", "я Зурабик, можно ли перевезти попугая?", ["Зурабик"]),
    ("ru", "Попугай для Вахтанга Квирикадзе, ул. Руставели, д. 5", ["Вахтанг", "Квирикадзе", "Руставели"]),
    ("ka", "მე ვარ ნინო, თუთიყუშის წაყვანა შეიძლება?", ["ნინო"]),
    ("ka", "კაპანაძე ვარ, თუთიყუში ჭავჭავაძის ქუჩა 12-ში მყავს", ["კაპანაძე", "ჭავჭავაძ"]),
    ("ka", "me var giorgi beridze, tutiyushi minda", ["giorgi", "beridze"]),
]


async def test_the_gaps_report_shows_no_names_addresses_or_links(
        rt: Runtime, settings: Settings, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    for n, (lang, question, _) in enumerate(QUESTIONS):
        user = ChatUser(rt.engine, f"gap-{n}", platform_language=lang)
        await user.say(question)
    report = await gaps_report(settings, monkeypatch, capsys)
    assert "parrot" in report and "попуга" in report.lower() and "თუთიყუშ" in report
    leaked = [word for _, _, words in QUESTIONS for word in words if word.lower() in report.lower()]
    assert leaked == [], report


async def test_forget_removes_the_users_questions_from_the_gaps_report(
        rt: Runtime, settings: Settings, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    asker, other = ChatUser(rt.engine, "asker", platform_language="en"), ChatUser(rt.engine, "other", "test", "en")
    await asker.say("does a tortoise like cucumbers?")
    await other.say("does a hamster like cucumbers?")
    await asker.command("forget")
    await asker.press("Yes, delete")
    report = await gaps_report(settings, monkeypatch, capsys)
    assert "hamster" in report and "tortoise" not in report
