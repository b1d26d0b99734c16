"""A live chat through the engine and the relay, as a person and a caseworker see it: the offer, waiting, the
take, messages both ways with the bot silent, reminders, the ends (caseworker, person, clock), ratings,
/mydata and /forget, out of hours, and the callback offered with what was written kept as its note."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import Runtime, configure_logging, runtime
from bot.channels.terminal import TerminalChat
from bot.config import DeskSettings, LiveSettings, Settings
from bot.core.events import Reply
from bot.knowledge.loader import ContentHolder
from bot.store.live import LiveStore
from tests.conftest import CONTENT_DIR
from tests.helpers import ChatUser

ALWAYS = {d: "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def live_settings(tmp_path: Path, hours: dict[str, str] | None = None) -> Settings:
    return Settings(data_dir=tmp_path / "data", content_dir=CONTENT_DIR, flood_messages_per_10s=1000,
                    default_language="en", desk=DeskSettings(enabled=True),
                    live=LiveSettings(hours=ALWAYS if hours is None else hours, holidays_off=False))


@pytest.fixture
async def rt(tmp_path: Path, shared_content: ContentHolder) -> AsyncIterator[Runtime]:
    async with runtime(live_settings(tmp_path), watch_content=False, content=shared_content) as opened:
        yield opened


class Phone:
    """What the person's phone shows of messages sent outside a step (the caseworker's, the bot coming back)."""

    def __init__(self) -> None:
        self.got: list[Reply] = []

    async def __call__(self, user_id: str, replies: list[Reply]) -> None:
        self.got.extend(replies)

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.got)


@pytest.fixture
def phone(rt: Runtime) -> Phone:
    received = Phone()
    rt.relay.register("test", received)
    return received


async def ask(user: ChatUser, first: str = "I need help with my documents") -> int:
    await user.command("start")
    await user.press("Talk to a person")
    assert "consultant" in user.text.lower()
    await user.press("Write to a consultant now")
    assert "Write your question" in user.text
    await user.say(first)
    assert "Your message is with the consultants" in user.text
    store = user.engine.store
    assert isinstance(store, LiveStore)
    chat = await store.open_live_for(user.key)
    assert chat is not None and chat.status == "waiting"
    return chat.id


async def test_ask_take_talk_close_rate(rt: Runtime, phone: Phone) -> None:
    user = ChatUser(rt.engine, "alice", platform_language="en")
    chat = await ask(user)
    assert await rt.relay.take(chat, "nino")
    assert not await rt.relay.take(chat, "ana")  # one wins
    assert "A consultant has joined" in phone.text
    assert await user.say("What is the deadline?") == []  # the bot is silent
    assert await user.say("What is the 112 number for, I am in danger") == []  # the caseworker reads it
    message = await rt.relay.reply(chat, "nino", "It is one year after you return.")
    assert message is not None and message.status == "sent"
    assert "It is one year after you return." in phone.text
    assert await rt.relay.reply(chat, "ana", "not mine") is None
    reminder = await user.command("menu")
    assert "You are writing with a consultant" in reminder[0].text and user.button("End chat")
    await user.command("start")
    assert "You are writing with a consultant" in user.text
    store = rt.store
    assert isinstance(store, LiveStore)
    bodies = [(m.direction, m.body) for m in await store.live_messages(chat)]
    assert bodies == [("in", "I need help with my documents"), ("in", "What is the deadline?"),
                      ("in", "What is the 112 number for, I am in danger"),
                      ("out", "It is one year after you return.")]
    assert not await rt.relay.close(chat, "ana", "")  # not theirs
    phone.got.clear()
    assert await rt.relay.close(chat, "nino", "[advised]")
    assert "The consultant has ended the chat" in phone.text and "talking to the bot again" in phone.text
    user.last = phone.got
    await user.press("👍")
    assert "Thank you for your feedback" in user.text
    ended = await store.live(chat)
    assert ended is not None and (ended.status, ended.rating, ended.outcome) == ("closed", 1, "[advised]")
    answer = await user.say("What documents do I need to work in Germany?")
    assert answer and "consultant" not in answer[-1].text.lower()[:40]  # the bot answers again
    await user.command("mydata")
    assert "A chat with a consultant" in user.text


async def test_the_person_ends_it_and_a_late_message_goes_to_the_bot(rt: Runtime, phone: Phone) -> None:
    user = ChatUser(rt.engine, "bob", platform_language="en")
    chat = await ask(user)
    await rt.relay.take(chat, "nino")
    await user.press("End chat") if user.buttons else await user.tap("h:end")
    assert "You ended the chat" in user.text and "talking to the bot again" in user.text
    assert await rt.relay.reply(chat, "nino", "hello?") is None
    assert await user.say("hello") != []


async def test_nobody_takes_it_in_time_and_the_note_is_kept(rt: Runtime, phone: Phone) -> None:
    user = ChatUser(rt.engine, "carol", platform_language="en")
    chat = await ask(user, "My employer in Poland keeps my passport")
    await user.say("Please help")
    assert await rt.relay.tick(datetime.now(UTC) + timedelta(minutes=11)) == 1
    assert "no consultant could answer in time" in phone.text
    assert "kept as the note" in phone.text
    user.last = phone.got
    await user.press("Request a callback")
    await user.press("I agree")
    store = rt.store
    assert isinstance(store, LiveStore)
    assert (await store.live(chat)).status == "missed"  # type: ignore[union-attr]
    from bot.core.context import Session

    session = Session.from_dict(await rt.store.load_session(user.key))
    assert session.data["form"]["note"] == "My employer in Poland keeps my passport\nPlease help"


async def test_a_taken_chat_left_idle_ends(rt: Runtime, phone: Phone) -> None:
    user = ChatUser(rt.engine, "dan", platform_language="en")
    chat = await ask(user)
    await rt.relay.take(chat, "nino")
    assert await rt.relay.tick(datetime.now(UTC) + timedelta(minutes=5)) == 0
    assert await rt.relay.tick(datetime.now(UTC) + timedelta(minutes=31)) == 1
    assert "no new messages for a while" in phone.text


async def test_forget_during_a_chat_deletes_it(rt: Runtime, phone: Phone) -> None:
    user = ChatUser(rt.engine, "erin", platform_language="en")
    chat = await ask(user, "My name is Erin Smith, +995 555 123 456")
    await rt.relay.take(chat, "nino")
    await user.command("forget")
    await user.press("No, keep it")
    assert "Nothing was deleted" in user.text
    assert await user.say("still here") == []  # still in the chat
    await user.command("forget")
    await user.press("Yes, delete my data")
    assert "Your data has been deleted" in user.text
    store = rt.store
    assert isinstance(store, LiveStore)
    assert await store.live(chat) is None and await store.live_messages(chat) == []
    assert await rt.relay.reply(chat, "nino", "hello") is None


async def test_out_of_hours_offers_the_callback(tmp_path: Path, shared_content: ContentHolder) -> None:
    settings = live_settings(tmp_path, hours={})
    async with runtime(settings, watch_content=False, content=shared_content) as closed:
        user = ChatUser(closed.engine, "fay", platform_language="en")
        await user.command("start")
        await user.press("Talk to a person")
        assert "Right now nobody is at the desk" in user.text
        assert "Write to a consultant" not in " ".join(b.label for b in user.buttons)
        assert user.button("Request a callback")
        await user.tap("h:ask")  # an old button
        assert "Right now nobody is at the desk" in user.text


async def test_without_the_desk_the_hotline_is_shown(tmp_path: Path, shared_content: ContentHolder) -> None:
    settings = Settings(data_dir=tmp_path / "data", content_dir=CONTENT_DIR, default_language="en")
    async with runtime(settings, watch_content=False, content=shared_content) as plain:
        user = ChatUser(plain.engine, "gus", platform_language="en")
        await user.command("start")
        await user.press("Talk to a person")
        assert "Write to a consultant" not in " ".join(b.label for b in user.buttons)


async def test_the_terminal_chat_shows_a_caseworkers_reply(rt: Runtime) -> None:
    screen = io.StringIO()
    chat = TerminalChat(rt.engine, user="tester", language="en", stdin=io.StringIO(), stdout=screen)
    rt.relay.register("terminal", chat.deliver)
    for line in ("/start", "Talk to a person", "Write to a consultant now", "Where is my nearest centre?"):
        number = next((str(i + 1) for i, b in enumerate(chat.buttons) if line in b.label), None)
        await chat.send(number or line)
    store = rt.store
    assert isinstance(store, LiveStore)
    live = await store.open_live_for(chat.key)
    assert live is not None and await rt.relay.take(live.id, "nino")
    await rt.relay.reply(live.id, "nino", "In Kutaisi, on Rustaveli street.")
    shown = screen.getvalue()
    assert "A consultant has joined the chat" in shown
    assert "👤 Consultant: In Kutaisi, on Rustaveli street." in shown and "End chat" in shown


async def test_no_message_text_reaches_the_logs(rt: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    configure_logging(rt.settings.model_copy(update={"log_level": "DEBUG"}))
    caplog.set_level(logging.DEBUG)
    secrets = ("Mzia Kvaratskhelia", "577 31 42 59", "my neighbour Dali", "Call Mzia tomorrow")

    async def refuse(user_id: str, replies: list[Reply]) -> None:
        raise RuntimeError(f"refused: {replies[0].text}")  # a platform's error may quote the message

    rt.relay.register("test", refuse)
    user = ChatUser(rt.engine, "hana", platform_language="en")
    chat = await ask(user, f"I am {secrets[0]}, phone {secrets[1]}")
    await rt.relay.take(chat, "nino")
    await user.say(secrets[2])
    message = await rt.relay.reply(chat, "nino", secrets[3])
    assert message is not None and (message.status, message.error) == ("failed", "RuntimeError")
    await rt.relay.close(chat, "nino", "[advised]")
    assert caplog.records, "something was logged"
    logged = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    for secret in secrets:
        assert secret not in logged, f"{secret!r} reached the logs"
