"""Attacks on personal data, kept as tests: what an attack and fault test found stored, printed or left behind.

Names, addresses and profile links never reach the gaps report, in any of the three languages and scripts;
/forget removes a user's questions from it, and leaves no byte of their data in any SQLite file.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import Runtime
from bot.config import Settings
from tests.e2e.fake_telegram import Call, FakeTelegram
from tests.helpers import ChatUser
from tests.test_gaps import gaps_report
from tests.test_staff_telegram import NAME, Desk, running, staff_settings

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


# The caseworker's private copy of a request


@pytest.fixture
async def desk(settings: Settings) -> AsyncIterator[Desk]:
    async with FakeTelegram() as fake, running(staff_settings(settings, fake), fake) as staff:
        yield staff


async def _taken_then_forgotten(staff: Desk, user_id: str, age: timedelta = timedelta(0)) -> Call:
    """A request taken by caseworker 11 (its details sent privately), then its user's /forget; the private copy."""
    request = await staff.request(user=user_id)
    await staff.announced(request.ref)
    nino = staff.member(11, "Nino")
    [private] = await staff.push(staff.group_command(nino, f"/take {request.ref}"), method="sendMessage", chat_id=11)
    assert NAME in private.text
    if age:
        for _ in range(200):  # the copy is recorded right after Telegram accepted it
            with sqlite3.connect(staff.rt.settings.data_dir / "hotline.sqlite3") as db:
                if db.execute("UPDATE staff_copies SET sent_at=? WHERE ref=?",
                              ((datetime.now(UTC) - age).isoformat(), request.ref)).rowcount:
                    break
            await asyncio.sleep(0.02)
    user = ChatUser(staff.rt.engine, user_id, channel="telegram", platform_language="en")
    await user.command("forget")
    await user.press("Yes, delete")
    assert "Your data has been deleted" in user.text
    return private


async def test_forget_deletes_the_caseworkers_private_copy(desk: Desk) -> None:
    staff = desk
    private = await _taken_then_forgotten(staff, "forgetful")
    await staff.fake.wait_for(lambda: any(c.params.get("message_id") == private.message_id
                                          for c in staff.fake.methods("deleteMessage")))
    for _ in range(200):  # dropped from the store right after Telegram answered
        if not await staff.rt.store.withdrawn_copies():
            break
        await asyncio.sleep(0.02)
    assert await staff.rt.store.withdrawn_copies() == []


async def test_a_copy_too_old_to_delete_is_edited_to_withdrawn(desk: Desk) -> None:
    staff = desk
    private = await _taken_then_forgotten(staff, "forgetful-later", age=timedelta(hours=50))

    def edited() -> list[Call]:
        return [c for c in staff.fake.methods("editMessageText") if c.params.get("message_id") == private.message_id]

    await staff.fake.wait_for(lambda: bool(edited()))
    assert "withdrawn by the person who asked" in edited()[-1].text
    assert NAME not in edited()[-1].text and "555" not in edited()[-1].text
    assert not staff.fake.methods("deleteMessage")


# What /forget leaves on disk


async def test_forget_leaves_no_byte_of_the_users_data_in_any_sqlite_file(rt: Runtime, settings: Settings) -> None:
    name, note = "Zviadiko Qvirikashvili", "Call me about Xylophonia please"
    user = ChatUser(rt.engine, "to-forget", channel="telegram", platform_language="en")
    await user.command("callback")
    await user.tap("cb:agree")
    for answer in (name, "+995 599 86 42 17", "Rustavi"):
        await user.say(answer)
    await user.tap("cb:t:legal")
    for _ in range(6):  # language, time, note, until the summary offers Confirm
        if any(b.data == "cb:ok" for b in user.buttons):
            break
        if "note" in user.text.lower() and "cb:skip" in [b.data for b in user.buttons]:
            await user.say(note)
        else:
            await user.tap(user.buttons[0].data)
    await user.tap("cb:ok")
    assert "reference" in user.text.lower()
    await user.say(f"is {name} allowed to bring a xylophone?")
    files = sorted(settings.data_dir.glob("hotline.sqlite3*"))
    assert any(b"Qvirikashvili" in f.read_bytes() for f in files), "the data was there to begin with"

    await user.command("forget")
    await user.press("Yes, delete")
    assert "Your data has been deleted" in user.text
    for file in sorted(settings.data_dir.glob("hotline.sqlite3*")):
        data = file.read_bytes()
        for secret in ("Zviadiko", "Qvirikashvili", "Xylophonia", "599864217", "86 42 17"):
            assert secret.encode() not in data, f"{secret} is still in {file.name}"
