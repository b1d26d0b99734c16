"""The Telegram channel end to end: the real python-telegram-bot Application polling a fake Bot API server.

One bot runs for the whole module (loading content is the slow part), on the real content plus one very long
answer, with a staff group configured; each test plays users of its own by pushing updates, waits until the
bot has handled them (see `Harness`), and reads what the bot sent back. No test sleeps or guesses.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from telegram import Message
from telegram.ext import Application

from bot.app import Runtime, runtime
from bot.channels.telegram.app import build_application
from bot.channels.telegram.bridge import event_from_message
from bot.channels.telegram.lifecycle import polling
from bot.channels.telegram.render import MAX_TEXT, split_text, tappable_phones
from bot.config import REPO_ROOT, Settings, TelegramSettings
from bot.core.events import Kind
from bot.core.flows.navigation import COMMANDS
from tests.e2e.fake_telegram import Call, FakeTelegram, FakeUser

CONTENT_DIR = REPO_ROOT / "content"
HOTLINE = "+995 32 2 91 34 61"
STAFF_CHAT = -100777
CASEWORKER = 1999
LONG_PARAGRAPH = "Keep <b>copies</b> of your papers & your contract. Ask questions before you sign anything. "
LONG_ANSWER = "\n\n".join(f"{n}. {LONG_PARAGRAPH * 2}" for n in range(1, 30))
shared_loop = pytest.mark.asyncio(loop_scope="module")


class Harness:
    """The running bot and the fake server, with a way to wait until an update has been handled.

    python-telegram-bot fetches updates into its update queue before it asks for the next ones, so once the fake
    server sees a getUpdates offset past an update, joining the queue waits for that update to be handled (and
    works whichever handler group ends it).
    """

    def __init__(self, fake: FakeTelegram, rt: Runtime, application: Application[Any, Any, Any, Any, Any, Any]):
        self.fake = fake
        self.rt = rt
        self.application = application

    async def until_handled(self, update_id: int, within: float = 5.0) -> None:
        await self.fake.wait_for(lambda: self.fake.offset > update_id, within=within)
        async with asyncio.timeout(within):
            await self.application.update_queue.join()

    async def send(self, update: dict[str, Any]) -> list[Call]:
        """Pushes one update and returns every call the bot made while handling it."""
        since = len(self.fake.calls)
        [update_id] = self.fake.push(update)
        await self.until_handled(update_id)
        return self.fake.calls[since:]

    def user(self, user_id: int, language_code: str | None = "en") -> FakeUser:
        return FakeUser(self.fake, user_id, language_code)


def shown(harness: Harness, local: dict[str, str] | None, lang: str = "en") -> str:
    """A content text as the user sees it on Telegram."""
    return tappable_phones(harness.rt.content.current.text(local, lang))


def node_text(harness: Harness, node: str, lang: str = "en") -> str:
    return shown(harness, harness.rt.content.current.nodes[node].text, lang)


def messages(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.is_message]


@asynccontextmanager
async def running_bot(settings: Settings, fake: FakeTelegram) -> AsyncIterator[Harness]:
    async with runtime(settings, watch_content=False) as rt:
        application = build_application(rt)
        async with polling(application, rt, poll_timeout=timedelta(seconds=2)):
            yield Harness(fake, rt, application)


def content_with_a_long_answer(target: Path) -> Path:
    """The real content plus one FAQ entry whose answer is over 5000 characters of text to escape."""
    shutil.copytree(CONTENT_DIR, target)
    block = "".join(f"        {line}\n" if line else "\n" for line in LONG_ANSWER.split("\n"))
    (target / "faq" / "zz_long.yaml").write_text(
        "entries:\n  - id: long_answer\n    menu: legal\n    question: {en: \"A long answer?\"}\n"
        "    answer:\n      en: |-\n" + block,
        encoding="utf-8",
    )
    return target


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(fake: FakeTelegram, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    """The module's bot; every test plays users of its own."""
    tmp = tmp_path_factory.mktemp("telegram")
    settings = Settings(data_dir=tmp / "data", content_dir=content_with_a_long_answer(tmp / "content"),
                        flood_messages_per_10s=1000,
                        telegram=TelegramSettings(token=fake.token, base_url=fake.base_url,
                                                  staff_chat_id=STAFF_CHAT, staff_user_ids=[CASEWORKER]))
    async with running_bot(settings, fake) as harness:
        yield harness


def _pressed(calls: list[Call], data: str) -> Call:
    """The bot message carrying a button with `data` (its message_id is what a user taps on)."""
    for call in reversed(calls):
        if any(d == data for _, d in call.buttons):
            return call
    raise AssertionError(f"no message with button {data!r}")


@shared_loop
@pytest.mark.parametrize(("user_id", "code", "lang"), [(1001, "ka", "ka"), (1021, "en", "en"), (1031, "ru-RU", "ru")])
async def test_start_greets_in_the_platform_language_with_the_main_menu(bot: Harness, user_id: int, code: str,
                                                                       lang: str) -> None:
    user = bot.user(user_id, code)
    sent = messages(await bot.send(user.command("start")))
    assert len(sent) == 1
    reply = sent[0]
    assert reply.method == "sendMessage" and reply.chat_id == user_id
    assert reply.params["parse_mode"] == "HTML"
    assert node_text(bot, "main", lang) in reply.text
    assert HOTLINE in reply.text, "the hotline number is written so that Telegram makes it tappable"
    data = [d for _, d in reply.buttons]
    assert "m:legal" in data and "n:human" in data
    assert all(len(d.encode()) <= 64 for d in data)


@shared_loop
async def test_commands_are_registered_per_language_at_start(bot: Harness) -> None:
    calls = bot.fake.methods("setMyCommands")
    assert sorted(str(c.params.get("language_code")) for c in calls) == ["None", "en", "ka", "ru"]
    for call in calls:
        names = [c["command"] for c in call.params["commands"]]
        assert names == list(COMMANDS), "every engine command is in the menu, with a description"
        assert all(c["description"] for c in call.params["commands"])
        assert call.params["scope"] == {"type": "all_private_chats"}


@shared_loop
async def test_another_language_code_gets_the_language_menu(bot: Harness) -> None:
    user = bot.user(1002, "de")
    sent = messages(await bot.send(user.command("start")))
    assert [d for _, d in sent[0].buttons] == ["l:ka", "l:en", "l:ru"]
    chosen = messages(await bot.send(user.press("l:ru", sent[0].message_id)))
    assert node_text(bot, "main", "ru") in chosen[-1].text


@shared_loop
async def test_walking_the_menus_to_an_answer_edits_in_place_and_answers_every_tap(bot: Harness) -> None:
    user = bot.user(1003)
    start = messages(await bot.send(user.command("start")))
    menu = _pressed(start, "m:legal")
    calls = await bot.send(user.press("m:legal", menu.message_id))
    assert [c.method for c in calls].count("answerCallbackQuery") == 1
    [edit] = messages(calls)
    assert edit.method == "editMessageText" and edit.params["message_id"] == menu.message_id
    assert node_text(bot, "legal") in edit.text
    assert ("⬅️ Back", "n:back") in edit.buttons

    calls = await bot.send(user.press("f:legal_agency_check", menu.message_id))
    assert [c.method for c in calls].count("answerCallbackQuery") == 1
    [answer] = messages(calls)
    assert shown(bot, bot.rt.content.current.faqs["legal_agency_check"].answer) in answer.text
    assert {"n:back", "n:home", "n:human"} <= {d for _, d in answer.buttons}

    back = messages(await bot.send(user.press("n:back", answer.message_id)))
    assert node_text(bot, "legal") in back[-1].text


@shared_loop
async def test_a_shared_location_gets_the_nearest_centre_as_a_venue(bot: Harness) -> None:
    user = bot.user(1004)
    await bot.send(user.command("start"))
    ask = messages(await bot.send(user.command("centres")))
    request = ask[0]
    assert request.keyboard and request.keyboard[0].get("request_location") is True
    assert request.markup.get("one_time_keyboard") is True

    sent = messages(await bot.send(user.location(42.27, 42.70)))
    venue = sent[0]
    assert venue.method == "sendVenue"
    assert venue.params["title"] == "Migrant Resource Centre, Kutaisi"
    assert abs(venue.params["latitude"] - 42.274) < 0.01
    assert venue.markup.get("remove_keyboard") is True, "the location keyboard is removed after use"
    details = sent[1]
    assert "+995 431 24 44 43" in details.text
    assert "Hours are not published; please call before you come." in details.text
    assert {"n:home", "n:human"} <= {d for _, d in sent[-1].buttons}


@shared_loop
async def test_a_location_abroad_still_removes_the_location_keyboard(bot: Harness) -> None:
    user = bot.user(1016)
    await bot.send(user.command("centres"))
    sent = messages(await bot.send(user.location(48.85, 2.35)))
    assert sent[0].markup == {"remove_keyboard": True}, "a message without buttons of its own carries the removal"
    assert sent[-1].buttons and "+995" in " ".join(c.text for c in sent)


@shared_loop
async def test_a_message_that_cannot_be_edited_is_sent_anew(bot: Harness) -> None:
    user = bot.user(1017)
    start = messages(await bot.send(user.command("start")))
    bot.fake.fail("editMessageText", 400, "Bad Request: message can't be edited")
    sent = messages(await bot.send(user.press("m:legal", start[0].message_id)))
    assert [c.method for c in sent] == ["editMessageText", "sendMessage"]
    assert node_text(bot, "legal") in sent[-1].text
    bot.fake.fail("editMessageText", 400, "Bad Request: message is not modified: specified new message content "
                  "and reply markup are exactly the same")
    again = messages(await bot.send(user.press("m:legal", sent[-1].message_id)))
    assert [c.method for c in again] == ["editMessageText"], "an unchanged message needs nothing new"


@shared_loop
async def test_a_venue_sent_at_any_time_is_understood_as_a_location(bot: Harness) -> None:
    user = bot.user(1005)
    await bot.send(user.command("start"))
    sent = messages(await bot.send(user.venue(41.64, 41.64)))
    assert sent[0].method == "sendVenue" and "Batumi" in sent[0].params["title"]


@shared_loop
async def test_a_stale_button_answers_the_query_and_shows_the_current_menu(bot: Harness) -> None:
    user = bot.user(1006)
    start = messages(await bot.send(user.command("start")))
    calls = await bot.send(user.press("f:an_answer_removed_since", start[0].message_id))
    assert [c.method for c in calls].count("answerCallbackQuery") == 1
    menu = messages(calls)[-1]
    assert "out of date" in menu.text and node_text(bot, "main") in menu.text
    calls = await bot.send(user.press("m:legal"))  # a button on a message too old to be shown to the bot
    assert [c.method for c in calls].count("answerCallbackQuery") == 1
    assert messages(calls)[-1].method == "sendMessage"


@shared_loop
@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "document"])
async def test_unsupported_messages_get_a_hint_and_the_menu(bot: Harness, kind: str) -> None:
    user = bot.user(1007)
    sent = messages(await bot.send(getattr(user, kind)()))
    assert len(sent) == 1
    assert "I understand text, buttons and locations" in sent[0].text
    assert "m:legal" in [d for _, d in sent[0].buttons]


@shared_loop
async def test_an_edited_message_gets_the_hint(bot: Harness) -> None:
    user = bot.user(1008)
    sent = messages(await bot.send(user.edited("changed my mind")))
    assert "I understand text, buttons and locations" in sent[0].text


@shared_loop
async def test_a_live_location_moving_is_not_answered_again(bot: Harness) -> None:
    user = bot.user(1018)
    await bot.send(user.command("start"))
    first = messages(await bot.send(user.location(42.27, 42.70)))
    assert first and first[0].method == "sendVenue"
    moved = user.message(kind="edited_message", location={"latitude": 42.2701, "longitude": 42.7001,
                                                          "live_period": 900})
    assert await bot.send(moved) == []


@shared_loop
async def test_groups_and_channels_are_ignored_silently(bot: Harness) -> None:
    user = bot.user(1009)
    assert await bot.send(user.in_group(-100200, "/start")) == []
    assert await bot.send(user.in_group(-100200, "hello everyone")) == []
    assert await bot.send(user.channel_post(-100300, "news")) == []


@shared_loop
async def test_staff_commands_and_the_staff_group_are_left_to_the_staff_module(bot: Harness) -> None:
    for update in [bot.user(1015).command("queue"), bot.user(CASEWORKER).command("queue"),
                   bot.user(CASEWORKER).in_group(STAFF_CHAT, "/take CB-2345")]:
        answers = messages(await bot.send(update))
        assert len(answers) <= 1, "one answer at most, from the staff module"
        for answer in answers:
            assert "I do not know that command" not in answer.text and "m:legal" not in [d for _, d in answer.buttons]
    assert messages(await bot.send(bot.user(CASEWORKER).in_group(STAFF_CHAT, "hello team"))) == []


@shared_loop
async def test_the_same_update_twice_is_answered_once(bot: Harness) -> None:
    user = bot.user(1010)
    update = {"update_id": bot.fake.next_update_id(), **user.command("start")}
    since = len(bot.fake.calls)
    bot.fake.push(update, update)
    await bot.until_handled(update["update_id"])
    assert len(messages(bot.fake.calls[since:])) == 1


@shared_loop
async def test_a_failed_send_is_logged_without_content_and_the_user_is_told(
        bot: Harness, caplog: pytest.LogCaptureFixture) -> None:
    user = bot.user(1011)
    bot.fake.fail("sendMessage", 400, "Bad Request: something broke")
    with caplog.at_level(logging.ERROR, logger="bot.channels.telegram"):
        sent = messages(await bot.send(user.text("my secret question about 599123456")))
    assert "Sorry, something went wrong" in sent[-1].text and HOTLINE in sent[-1].text
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "failed to handle update" in logged
    assert "599123456" not in caplog.text and "secret question" not in caplog.text


@shared_loop
async def test_an_answer_that_is_not_json_is_an_error_the_user_is_told_about(
        bot: Harness, caplog: pytest.LogCaptureFixture) -> None:
    user = bot.user(1014)
    bot.fake.garble("sendMessage")
    with caplog.at_level(logging.WARNING):
        sent = messages(await bot.send(user.text("my question about 599123456")))
    assert "Sorry, something went wrong" in sent[-1].text and HOTLINE in sent[-1].text
    assert "not JSON" in caplog.text and "599123456" not in caplog.text and "proxy error" not in caplog.text


@shared_loop
async def test_half_an_emoji_does_not_stall_polling(bot: Harness) -> None:
    user = bot.user(1018)
    sent = messages(await bot.send(user.text("hello \ud83d")))  # a lone surrogate, as a broken client may send
    assert sent and "Sorry, something went wrong" not in sent[-1].text
    assert messages(await bot.send(user.command("help")))


@shared_loop
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # raised inside RetryAfter itself
async def test_a_flood_limit_from_telegram_is_waited_out_and_retried(bot: Harness) -> None:
    user = bot.user(1012)
    bot.fake.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    sent = messages(await bot.send(user.command("help")))
    assert len(sent) == 2 and sent[0].method == sent[1].method == "sendMessage"
    assert "Commands:" in sent[1].text


@shared_loop
async def test_a_5000_character_answer_arrives_as_two_escaped_messages(bot: Harness) -> None:
    assert 5000 <= len(LONG_ANSWER) <= 6000
    user = bot.user(1013)
    await bot.send(user.command("start"))
    sent = messages(await bot.send(user.press("f:long_answer")))
    assert len(sent) == 2
    assert all(len(c.text) <= MAX_TEXT for c in sent)
    assert "&lt;b&gt;copies&lt;/b&gt;" in sent[0].html and "&amp;" in sent[0].html and "<b>" not in sent[0].html
    assert not sent[0].buttons and sent[1].buttons, "the keyboard comes with the last part"
    assert sent[0].text.endswith(".") and sent[1].text.split(". ", 1)[0].isdigit(), "cut between paragraphs"
    whole = " ".join((sent[0].text + " " + sent[1].text).split())
    assert " ".join(LONG_ANSWER.split()) in whole and whole.endswith("IOM hotline: +995 32 2 91 34 61")


def _message(data: dict[str, Any]) -> Message:
    message = Message.de_json(data["message"], None)
    assert message is not None
    return message


def test_a_shared_contact_says_whether_it_is_the_senders_own() -> None:
    fake = FakeTelegram()
    user = FakeUser(fake, 2001)
    own = _message(user.contact("+995599123456", user_id=2001))
    other = _message(user.contact("+995599654321", user_id=3003))
    unknown = _message(user.contact("+995599000000"))
    assert own.from_user is not None
    events = [event_from_message(m, own.from_user, 7) for m in (own, other, unknown)]
    assert [e.kind for e in events] == [Kind.CONTACT] * 3
    assert [e.contact.is_own for e in events if e.contact] == [True, False, False]
    assert events[0].contact is not None and events[0].contact.phone == "+995599123456"


def test_commands_with_a_bot_name_and_arguments() -> None:
    fake = FakeTelegram()
    user = FakeUser(fake, 2002)
    message = _message(user.text("/Start@hotline_test_bot  source-42"))
    assert message.from_user is not None
    event = event_from_message(message, message.from_user, 8)
    assert (event.kind, event.data, event.text) == (Kind.COMMAND, "start", "source-42")
    assert event_from_message(_message(user.text("/")), message.from_user, 9).kind is Kind.TEXT


def test_splitting_prefers_paragraphs_then_sentences_and_counts_utf16() -> None:
    text = "First paragraph.\n\n" + "A sentence here. " * 400
    parts = split_text(text, 1000)
    assert parts[0] == "First paragraph."
    assert all(len(p) <= 1000 and p.endswith(".") for p in parts[1:])
    emoji = "🙂" * 3000
    assert [len(p) for p in split_text(emoji)] == [2048, 952]
    assert split_text("short") == ["short"] and split_text("   ") == []


def test_phone_numbers_are_written_in_international_form() -> None:
    assert tappable_phones("Call (+995 32) 2 91 34 61.") == "Call +995 32 2 91 34 61."
    assert tappable_phones("call 032 2 91 34 61 now") == "call +995 32 2 91 34 61 now"
    assert tappable_phones("in 2024 we paid 5000 GEL") == "in 2024 we paid 5000 GEL"


async def test_hotline_run_polls_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        await _run_and_stop(fake, tmp_path)


async def _start_bot(fake: FakeTelegram, tmp_path: Path) -> asyncio.subprocess.Process:
    """`hotline run` polling the fake server, on SQLite under tmp_path."""
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_BASE_URL": fake.base_url,
           "HOTLINE_DATA_DIR": str(tmp_path / "data"), "HOTLINE_CONTENT_DIR": str(CONTENT_DIR),
           "HOTLINE_LOG_LEVEL": "WARNING", "PYTHONPATH": str(REPO_ROOT)}
    env.pop("HOTLINE_CONFIG", None)
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", env=env, cwd=REPO_ROOT,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
        await process.wait()


def _answers(fake: FakeTelegram, chat_id: int, words: str, since: int = 0) -> list[Call]:
    return [c for c in fake.calls_to(chat_id, since) if c.method == "sendMessage" and words in c.text]


async def test_an_update_fetched_but_unanswered_when_the_bot_is_killed_is_answered_after_restart(
        tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        user = FakeUser(fake, 1016, "en")
        process = await _start_bot(fake, tmp_path)
        try:
            fake.push(user.command("start"))
            await fake.wait_for(lambda: bool(_answers(fake, 1016, "")) or process.returncode is not None, within=30)
            fake.hold("sendMessage")
            [update_id] = fake.push(user.command("help"))
            # Telegram now considers the update delivered, and the bot is stuck sending its answer.
            await fake.wait_for(lambda: fake.offset > update_id and fake.held == 1, within=15)
            process.kill()
            await process.wait()
        finally:
            await _kill(process)
        fake.release()
        assert not _answers(fake, 1016, "Commands:")

        since = len(fake.calls)
        process = await _start_bot(fake, tmp_path)
        try:
            await fake.wait_for(lambda: bool(_answers(fake, 1016, "Commands:", since)), within=30)
            fake.push(user.command("language"))  # the bot carries on as usual afterwards
            await fake.wait_for(lambda: len(fake.calls_to(1016, since)) >= 2, within=15)
        finally:
            await _kill(process)
        assert len(_answers(fake, 1016, "Commands:", since)) == 1


async def test_a_replayed_update_that_telegram_also_resends_is_handled_once(tmp_path: Path) -> None:
    """A staff command is not de-duplicated by the engine, so only the replay itself can keep it from running twice."""
    async with FakeTelegram() as fake:
        settings = Settings(data_dir=tmp_path / "data", content_dir=CONTENT_DIR,
                            telegram=TelegramSettings(token=fake.token, base_url=fake.base_url,
                                                      staff_chat_id=STAFF_CHAT, staff_user_ids=[CASEWORKER]))
        left_over = {"update_id": fake.next_update_id(), **FakeUser(fake, CASEWORKER).in_group(STAFF_CHAT, "/queue")}
        async with runtime(settings, watch_content=False) as rt:  # what a killed run left behind
            await rt.store.add_pending_updates("telegram",
                                               [(str(left_over["update_id"]), str(CASEWORKER), json.dumps(left_over))])
        fake.push(left_over)  # never confirmed, so Telegram sends it again too
        async with running_bot(settings, fake) as harness:
            await harness.until_handled(left_over["update_id"])
            assert len(messages(fake.calls_to(STAFF_CHAT))) == 1
            await harness.send(harness.user(1017).command("start"))
        async with runtime(settings, watch_content=False) as rt:  # a clean stop leaves nothing to replay
            assert await rt.store.take_pending_updates("telegram") == ([], 0)


async def _run_and_stop(fake: FakeTelegram, tmp_path: Path) -> None:
    process = await _start_bot(fake, tmp_path)

    def replied_or_exited() -> bool:
        return process.returncode is not None or any(c.method == "sendMessage" and c.chat_id == 1014
                                                     for c in fake.calls)

    try:
        fake.push(FakeUser(fake, 1014, "en").command("start"))
        await fake.wait_for(replied_or_exited, within=30)
        assert process.returncode is None, "the bot exited before answering"
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(15):
            _, stderr = await process.communicate()
    finally:
        await _kill(process)
    assert process.returncode == 0, stderr.decode()[-2000:]
