"""The conversation core through its public API, in all three languages, on a real SQLite file."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import Runtime, runtime
from bot.config import Settings
from bot.core.events import ButtonAction, Event, Kind, SessionKey
from bot.i18n import LANGUAGES
from tests.helpers import ChatUser

MAIN_ITEMS = ("risks", "legal", "reintegration", "centres_info")


def title(rt: Runtime, node: str, lang: str) -> str:
    content = rt.content.current
    return content.text(content.nodes[node].title, lang)


async def test_first_contact_without_language_shows_language_menu(user: ChatUser) -> None:
    await user.command("start")
    assert "Choose your language" in user.text
    assert [b.data for b in user.buttons] == ["l:ka", "l:en", "l:ru"]


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_menu_to_answer_and_back_in_every_language(rt: Runtime, lang: str) -> None:
    user = ChatUser(rt.engine, f"walker-{lang}")
    await user.command("start")
    await user.tap(f"l:{lang}")
    labels = [b.label for b in user.buttons]
    for node in MAIN_ITEMS:
        assert title(rt, node, lang) in labels
    await user.tap("m:legal")
    faq_buttons = [b for b in user.buttons if b.data.startswith("f:")]
    assert faq_buttons, "the legal menu lists FAQ entries"
    faq_id = faq_buttons[0].data[2:]
    await user.tap(faq_buttons[0].data)
    entry = rt.content.current.faqs[faq_id]
    assert rt.content.current.text(entry.answer, lang) in user.text
    assert [b.data for b in user.last[-1].buttons[-1]] == ["n:back", "n:home", "n:human"]
    await user.tap("n:back")
    assert any(b.data == f"f:{faq_id}" for b in user.buttons), "back returns to the legal menu"
    await user.tap("n:home")
    assert title(rt, "legal", lang) in [b.label for b in user.buttons]


async def test_platform_language_is_preselected(rt: Runtime) -> None:
    user = ChatUser(rt.engine, "ivan", platform_language="ru-RU")
    await user.command("start")
    assert title(rt, "legal", "ru") in [b.label for b in user.buttons]


async def test_language_switch_any_time(user: ChatUser, rt: Runtime) -> None:
    await user.command("start")
    await user.tap("l:ka")
    await user.command("language")
    await user.tap("l:en")
    assert "Language set: English" in user.text
    assert title(rt, "legal", "en") in [b.label for b in user.buttons]


async def test_stale_button_shows_current_menu(user: ChatUser, rt: Runtime) -> None:
    await user.command("start")
    await user.tap("l:en")
    await user.tap("f:removed_long_ago")
    assert "out of date" in user.text
    assert title(rt, "legal", "en") in [b.label for b in user.buttons]
    await user.tap("zz:garbage")
    assert "out of date" in user.text


async def test_unsupported_message_gets_hint_and_menu(user: ChatUser, rt: Runtime) -> None:
    await user.command("start")
    await user.tap("l:en")
    await user.send_sticker()
    assert "I understand text, buttons and locations" in user.text
    assert title(rt, "legal", "en") in [b.label for b in user.buttons]


async def test_duplicate_update_is_processed_once(rt: Runtime) -> None:
    key = SessionKey("test", "dup")
    event = Event(key, Kind.COMMAND, data="start", update_id="777", platform_language="en")
    first = await rt.engine.handle(event)
    await rt.engine.delivered(event)
    second = await rt.engine.handle(event)
    assert first and second == []


async def test_resend_before_delivery_gets_the_same_replies_without_processing_again(rt: Runtime) -> None:
    """The process died after saving the step but before sending: the platform's resend is answered, once."""
    user = ChatUser(rt.engine, "crashy", platform_language="en")
    await user.command("start")
    event = Event(user.key, Kind.BUTTON, data="m:legal", update_id="crash-1")
    first = await rt.engine.handle(event)
    again = await rt.engine.handle(event)
    assert [r.text for r in again] == [r.text for r in first]
    assert again[0].buttons == first[0].buttons
    session = await rt.store.load_session(user.key)
    assert session is not None and session["history"] == ["m:main", "m:legal"], "the step ran once"
    await rt.engine.delivered(event)
    assert await rt.engine.handle(event) == []


async def test_talk_to_a_person_gives_hotline(user: ChatUser) -> None:
    await user.command("start")
    await user.tap("l:en")
    await user.tap("n:human")
    assert "(+995 32) 2 91 34 61" in user.text
    assert "+995 32 291 34 61" in user.text  # for calling from abroad


async def test_location_gives_nearest_centre_as_venue(user: ChatUser) -> None:
    await user.command("start")
    await user.tap("l:en")
    await user.share_location(42.2679, 42.7180)
    venue = next(r.venue for r in user.last if r.venue)
    assert "Kutaisi" in venue.title
    assert "km" in user.text
    assert "(+995 431) 24 44 43" in user.text


async def test_centres_command_asks_for_location_with_request_button(user: ChatUser) -> None:
    await user.command("start")
    await user.tap("l:en")
    await user.command("centres")
    request = user.last[0]
    assert [b.action for row in request.buttons for b in row] == [ButtonAction.LOCATION]
    await user.say("Batumi")
    venue = next(r.venue for r in user.last if r.venue)
    assert "Batumi" in venue.title


async def test_help_and_unknown_command(user: ChatUser) -> None:
    await user.command("start")
    await user.tap("l:en")
    await user.command("help")
    assert "/callback" in user.text and "(+995 32) 2 91 34 61" in user.text
    await user.command("frobnicate")
    assert "I do not know that command" in user.text


async def test_session_survives_restart(settings: Settings) -> None:
    async with runtime(settings, watch_content=False) as rt:
        user = ChatUser(rt.engine, "restart")
        await user.command("start")
        await user.tap("l:ru")
    async with runtime(settings, watch_content=False) as rt:
        user = ChatUser(rt.engine, "restart")
        await user.command("menu")
        assert title(rt, "legal", "ru") in [b.label for b in user.buttons]


async def test_one_users_events_are_handled_in_order(rt: Runtime) -> None:
    user = ChatUser(rt.engine, "fast", platform_language="en")
    await user.command("start")
    key = user.key
    events = [Event(key, Kind.BUTTON, data=d, update_id=f"o{i}") for i, d in
              enumerate(["m:legal", "m:risks", "m:reintegration", "n:back", "n:back"])]
    await asyncio.gather(*(rt.engine.handle(e) for e in events))
    session = await rt.store.load_session(key)
    assert session is not None and session["history"] == ["m:main", "m:legal"]


async def test_store_failure_gets_apology_not_silence(rt: Runtime) -> None:
    await rt.store.close()
    replies = await rt.engine.handle(Event(SessionKey("test", "x"), Kind.TEXT, text="hello", platform_language="en"))
    assert "something went wrong" in replies[0].text
    assert "(+995 32) 2 91 34 61" in replies[0].text


async def test_leaving_the_place_question_hides_the_location_keyboard_and_ends_it(user: ChatUser) -> None:
    await user.command("start")
    await user.tap("l:en")
    await user.command("centres")
    await user.tap("n:home")
    assert user.last[0].remove_keyboard, "the share-location keyboard goes away"
    await user.command("centres")
    await user.command("help")
    await user.say("how can I check that an employment agency is legal")
    assert "could not find that place" not in user.text, "a question after /help is a question again"


async def test_half_an_emoji_from_a_broken_client_is_kept_as_a_replacement_character(user: ChatUser) -> None:
    await user.command("start")
    await user.tap("l:en")
    await user.say("qwzx vbnm \ud83d plkj")  # unanswerable, so it is recorded as a gap too
    assert "something went wrong" not in user.text
    assert [g.text for g in await user.engine.store.gaps() if "qwzx" in g.text] == ["qwzx vbnm \ufffd plkj"]
    await user.command("callback")
    await user.tap("cb:agree")
    await user.say("Nino \udc00")
    assert "something went wrong" not in user.text


async def test_nul_characters_are_dropped_not_fatal(user: ChatUser) -> None:
    await user.command("start")
    await user.tap("l:en")
    await user.say("where\x00 is the\x00 nearest centre")
    assert "something went wrong" not in user.text
