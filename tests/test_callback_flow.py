"""The callback request form through the engine's public API, on a real SQLite file, in every language."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.app import Runtime
from bot.core.events import ButtonAction, Contact, Kind, Reply
from bot.i18n import LANGUAGES, Catalogues
from bot.knowledge.loader import ContentHolder
from bot.requests import (
    TOPICS,
    area_label,
    check_name,
    check_note,
    check_phone,
    check_place,
    parse_month_year,
    phone_kind,
)
from bot.store.base import REF_ALPHABET
from tests.helpers import ChatUser

REF_RE = re.compile(rf"CB-[{REF_ALPHABET}]{{4}}")


def parse_phone(raw: str) -> str | None:
    """A number a caseworker may call, as E.164, or None."""
    phone, problem = check_phone(raw)
    return phone if problem is None else None


def ref_in(text: str) -> str:
    found = REF_RE.search(text)
    assert found, f"no reference in {text!r}"
    return found.group(0)


def assert_short_data(replies: list[Reply]) -> None:
    for reply in replies:
        for row in reply.buttons:
            for button in row:
                assert len(button.data.encode()) <= 64, button.data


async def begin(user: ChatUser, lang: str = "en") -> None:
    await user.command("start")
    await user.tap(f"l:{lang}")
    await user.command("callback")
    await user.tap("cb:agree")


async def fill(user: ChatUser, *, name: str = "Nino Beridze", phone: str = "555 12 34 56", town: str = "Rustavi",
               topic: str = "legal", note: str | None = "After 10, please") -> None:
    """From the name step to the summary, checking each step answers with the next question."""
    for answer in (name, phone, town):
        await user.say(answer)
        assert_short_data(user.last)
    await user.tap(f"cb:t:{topic}")
    if topic.startswith("reint_"):
        await user.say("Greece")
        await user.tap(f"cb:y:{date.today().year - 1}")
        await user.tap("cb:m:3")
    await user.tap("cb:l:ka")
    await user.tap("cb:w:morning")
    if note is None:
        await user.tap("cb:skip")
    else:
        await user.say(note)
    assert any(b.data == "cb:ok" for b in user.buttons), user.text


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_full_request_in_every_language_is_committed_before_the_reference(rt: Runtime, lang: str) -> None:
    user = ChatUser(rt.engine, f"full-{lang}")
    await user.command("start")
    await user.tap(f"l:{lang}")
    await user.command("callback")
    assert str(rt.settings.callback.retention_days) in user.text, "the consent says how long data is kept"
    assert "/forget" in user.text, "the consent says how to delete"
    assert {b.data for b in user.buttons} == {"cb:agree", "cb:decline"}
    await user.tap("cb:agree")
    await fill(user, topic="reint_business")
    await user.tap("cb:ok")
    assert_short_data(user.last)
    ref = ref_in(user.text)
    stored = await rt.store.get_request(ref)
    assert stored is not None
    assert stored.name == "Nino Beridze"
    assert stored.phone == "+995555123456"
    assert stored.town == "Rustavi"
    assert stored.topic == "reint_business" and stored.returnee
    assert stored.return_country == "Greece"
    assert stored.return_month == f"{date.today().year - 1}-03"
    assert (stored.language, stored.time_window, stored.note) == ("ka", "morning", "After 10, please")
    assert stored.status == "new"
    assert await rt.store.pending_announcements() == [stored], "the staff outbox has it"


async def test_reachable_from_menu_action_and_talk_to_a_person(rt: Runtime) -> None:
    user = ChatUser(rt.engine, "reach")
    await user.command("start")
    await user.tap("l:en")
    assert any(b.data == "a:callback" for b in user.buttons), "the main menu offers a callback"
    await user.tap("n:human")
    await user.tap(user.button("callback").data)
    assert any(b.data == "cb:agree" for b in user.buttons)
    await user.command("menu")
    await user.tap("a:callback")
    assert any(b.data == "cb:agree" for b in user.buttons)


async def test_decline_returns_to_menu_with_the_hotline(rt: Runtime) -> None:
    user = ChatUser(rt.engine, "decliner")
    await user.command("start")
    await user.tap("l:en")
    await user.command("callback")
    await user.tap("cb:decline")
    assert rt.content.current.hotline.display in user.text
    assert any(b.data == "a:callback" for b in user.buttons), "back at the main menu"
    assert await rt.store.requests_for(user.key) == []


async def test_bad_answers_are_asked_again_with_a_reason(rt: Runtime) -> None:
    user = ChatUser(rt.engine, "validator")
    await begin(user)
    for bad in ("😀😀😀", "N" * (rt.settings.callback.name_max + 1), "Nino\x07Beridze", "Nino 555123456", "!!"):
        await user.say(bad)
        assert "What is your name?" in user.text, bad
    await user.say("  Nino   <b>Beridze</b> ")
    assert "phone number" in user.text
    for bad in ("12", "call me maybe", "+1 555", "555 12 34 56 78 90 12 34 56 78 90 12 34"):
        await user.say(bad)
        assert "could not read that as a phone number" in user.text, bad
        assert "555 12 34 56" in user.text, "an example is shown"
        assert any(b.action is ButtonAction.CONTACT for r in user.last for row in r.buttons for b in row)
    await user.say("+49 151 23456789")
    assert "town or village" in user.text
    assert user.last[0].remove_keyboard is False, "the location keyboard replaces the contact keyboard"
    await user.say("Tbilisi\u202e")
    assert "town or village" in user.text
    await user.say("Rustavi")
    assert user.last[0].remove_keyboard, "the request keyboard is hidden after the town"
    await user.say("How do I find a legal job abroad?")
    assert "Please choose one of the buttons" in user.text
    await user.tap("cb:t:other")
    await user.tap("cb:l:en")
    await user.tap("cb:w:any")
    await user.say("x" * (rt.settings.callback.note_max + 1))
    assert f"{rt.settings.callback.note_max + 1} characters" in user.text
    await user.say("Robert'); DROP TABLE callback_requests;--")
    await user.tap("cb:ok")
    stored = await rt.store.get_request(ref_in(user.text))
    assert stored is not None
    assert stored.name == "Nino <b>Beridze</b>", "markup is stored as typed and escaped by the channels"
    assert stored.phone == "+4915123456789", "a foreign number is kept in E.164"
    assert stored.note == "Robert'); DROP TABLE callback_requests;--"
    assert len(await rt.store.list_requests()) == 1
    assert await rt.store.gaps() == [], "nothing typed in the form went to the FAQ search"


async def test_shared_contact_own_and_someone_elses(rt: Runtime) -> None:
    user = ChatUser(rt.engine, "sharer")
    await begin(user)
    await user.say("Nino")
    await user.share_contact("995599123456", own=False)
    assert "not your own number" in user.text
    assert "+995 599 12 34 56" in user.text
    await user.say("555 12 34 56")
    assert "town or village" in user.text, "typing a number instead of confirming is fine"
    await user.tap("cb:back")
    await user.share_contact("995599123456", own=False)
    await user.tap("cb:own")
    assert "town or village" in user.text
    await user.tap("cb:back")
    await user.share_contact("+995 577 11 22 33", own=True)
    await user.share_location(41.716667, 44.783333)
    await user.tap("cb:t:legal")
    await user.tap("cb:l:en")
    await user.tap("cb:w:evening")
    await user.tap("cb:skip")
    await user.tap("cb:ok")
    stored = await rt.store.get_request(ref_in(user.text))
    assert stored is not None
    assert stored.phone == "+995577112233"
    assert "41.72, 44.78" in stored.town, "a shared location is kept only as rounded coordinates"


async def test_back_and_cancel_at_every_step(rt: Runtime) -> None:
    user = ChatUser(rt.engine, "backer")
    await begin(user)
    await user.say("Nino")
    await user.tap("cb:back")
    assert "What is your name?" in user.text
    await user.tap("cb:back")
    assert any(b.data == "cb:agree" for b in user.buttons), "back from the first step is the consent"
    await user.tap("cb:agree")
    await fill(user, topic="reint_medical")
    seen = []
    for _ in range(12):
        await user.tap("cb:back")
        seen.append(user.text)
        if any(b.data == "cb:agree" for b in user.buttons):
            break
    assert any("Which country" in s for s in seen) and any("When did you return" in s for s in seen)
    await user.tap("cb:agree")
    await user.say("Nino")
    await user.tap("cb:cancel")
    assert "Delete what you entered?" in user.text, "a filled-in form is not thrown away without asking"
    await user.tap("cb:resume")
    assert "phone" in user.text.lower(), "“No” goes back to the step on screen"
    await user.tap("cb:cancel")
    await user.tap("cb:cancel:yes")
    assert "Nothing was saved" in user.text
    assert await rt.store.requests_for(user.key) == []
    await user.say("Rustavi")
    assert "Nothing was saved" not in user.text and "What is your name?" not in user.text


async def test_edit_from_summary_and_topic_change_drops_return_details(rt: Runtime) -> None:
    user = ChatUser(rt.engine, "editor")
    await begin(user)
    await fill(user, topic="reint_housing", note=None)
    assert "Greece" in user.text
    await user.tap("cb:e:name")
    await user.say("Tamar")
    assert "Please check your request" in user.text and "Tamar" in user.text
    await user.tap("cb:e:topic")
    await user.tap("cb:t:risks")
    assert "Greece" not in user.text
    await user.tap("cb:e:topic")
    await user.tap("cb:t:reint_training")
    assert "Which country" in user.text, "a returnee topic asks for the return details"
    await user.say("Poland")
    await user.tap(f"cb:y:{date.today().year}")
    await user.tap("cb:m:0")
    assert "Please check your request" in user.text
    await user.tap("cb:ok")
    stored = await rt.store.get_request(ref_in(user.text))
    assert stored is not None
    assert (stored.name, stored.topic, stored.return_country, stored.return_month) == (
        "Tamar", "reint_training", "Poland", str(date.today().year))


async def test_prefilled_topic_from_the_eligibility_check(rt: Runtime) -> None:
    user = ChatUser(rt.engine, "eligible")
    await user.command("start")
    await user.tap("l:en")
    await user.tap("cb:start:reint_employment")
    await user.tap("cb:agree")
    await user.say("Giorgi")
    await user.say("599 12 34 56")
    await user.say("Kutaisi")
    assert "Which country" in user.text, "the topic step is skipped, the returnee steps are not"
    await user.say("Germany")
    await user.say(f"11/{date.today().year - 2}")
    await user.tap("cb:l:ru")
    await user.tap("cb:w:afternoon")
    await user.tap("cb:skip")
    await user.tap("cb:ok")
    stored = await rt.store.get_request(ref_in(user.text))
    assert stored is not None and stored.topic == "reint_employment"
    assert stored.return_month == f"{date.today().year - 2}-11"


async def test_one_open_request_is_updated_not_duplicated_and_can_be_withdrawn(rt: Runtime) -> None:
    user = ChatUser(rt.engine, "repeat")
    await begin(user)
    await fill(user)
    await user.tap("cb:ok")
    ref = ref_in(user.text)
    await user.command("callback")
    assert ref in user.text and "already have an open" in user.text
    await user.tap("cb:update")
    await user.tap("cb:e:phone")
    await user.say("577 00 11 22")
    await user.tap("cb:ok")
    assert ref in user.text and "updated" in user.text
    requests = await rt.store.requests_for(user.key)
    assert [r.ref for r in requests] == [ref] and requests[0].phone == "+995577001122"
    await user.tap("a:callback")
    await user.tap("cb:withdraw")
    await user.tap("cb:yes")
    assert "cancelled" in user.text
    assert await rt.store.list_requests() == [], "a withdrawn request is gone from caseworkers' views"
    await user.command("callback")
    assert any(b.data == "cb:agree" for b in user.buttons), "a new request can be made"


async def test_mydata_shows_and_forget_deletes(rt: Runtime) -> None:
    user = ChatUser(rt.engine, "private")
    await begin(user)
    await fill(user, name="Eka", note="Ring twice")
    await user.tap("cb:ok")
    ref = ref_in(user.text)
    await user.command("mydata")
    for value in (ref, "Eka", "+995 555 12 34 56", "Rustavi", "Ring twice"):
        assert value in user.text
    await user.command("forget")
    await user.tap("p:yes")
    assert "deleted" in user.text
    assert await rt.store.get_request(ref) is None
    await user.command("mydata")
    assert "Eka" not in user.text


async def test_unfinished_form_is_shown_kept_on_no_and_expires(rt: Runtime) -> None:
    user = ChatUser(rt.engine, "drafty")
    await begin(user)
    await user.say("Lela")
    await user.command("mydata")
    assert "unfinished" in user.text and "Lela" in user.text
    await user.command("forget")
    await user.tap("p:no")
    await user.tap("cb:start")
    assert "phone number" in user.text, "the form continues where it was"
    session = await rt.store.load_session(user.key)
    assert session is not None
    session["data"]["at"] = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    await rt.store.save_session(user.key, session)
    await user.say("555 12 34 56")
    assert "too old" in user.text
    session = await rt.store.load_session(user.key)
    assert session is not None and "Lela" not in str(session)


async def test_stale_and_foreign_buttons_change_nothing(rt: Runtime) -> None:
    user = ChatUser(rt.engine, "stale")
    await user.command("start")
    await user.tap("l:en")
    for data in ("cb:ok", "cb:t:legal", "cb:y:2020", "cb:own", "cb:yes", "cb:t:nonsense"):
        await user.tap(data)
        assert "out of date" in user.text, data
    await begin(user)
    await user.tap("cb:t:legal")
    assert "out of date" in user.text
    assert await rt.store.requests_for(user.key) == []


async def test_sticker_during_the_form_repeats_the_question(rt: Runtime) -> None:
    user = ChatUser(rt.engine, "sticker")
    await begin(user)
    await user.send_sticker()
    assert "What is your name?" in user.text
    await user.share_location(41.7, 44.8)
    assert "What is your name?" in user.text, "a location is not taken for a name (nor sent to the centres)"


def test_every_topic_button_fits_telegram() -> None:
    for topic in TOPICS:
        for data in (f"cb:t:{topic}", f"cb:start:{topic}"):
            assert len(data.encode()) <= 64


# --- the checks on their own -------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("555123456", "+995555123456"),
    ("+995 555 12-34-56", "+995555123456"),
    ("00995 555 12 34 56", "+995555123456"),
    ("(032) 2 12 34 56", "+995322123456"),
    ("+49 151 23456789", "+4915123456789"),
    ("+7 912 345 67 89", "+79123456789"),
    ("12345", None),
    ("555-FLOWERS", None),
    ("", None),
    ("+995 555 12 34 56\n+995", None),
])
def test_parse_phone(raw: str, expected: str | None) -> None:
    assert parse_phone(raw) == expected


@pytest.mark.parametrize("raw", [
    "+979 1 2345 6789",  # international premium rate
    "+44 909 879 0000",  # UK premium rate
    "+1 900 234 5678",  # US premium rate
    "+7 809 123 45 67",  # Russian premium rate
    "+39 899 123 456",  # Italian premium rate
    "+870 773 111 632",  # Inmarsat
    "+881 6 1234 5678",  # Iridium
    "+44 870 123 4567",  # UK shared cost ("non-geographic")
])
def test_numbers_a_caseworker_must_not_call_are_refused(raw: str) -> None:
    phone, problem = check_phone(raw)
    assert problem == "kind" and phone.startswith("+")
    assert parse_phone(raw) is None


@pytest.mark.parametrize(("raw", "kind"), [
    ("555 12 34 56", "Georgia, mobile"),
    ("+995 32 2 91 34 61", "Georgia, landline"),
    ("+995 706 12 34 56", "Georgia, internet phone"),
    ("+1 212 555 0123", "United States, mobile or landline"),
])
def test_callable_numbers_are_accepted_with_their_country_and_kind(raw: str, kind: str) -> None:
    phone, problem = check_phone(raw)
    assert problem is None
    assert phone_kind(Catalogues().translator("en"), phone) == kind


@pytest.mark.parametrize(("lang", "refusal"), [("en", "premium-rate"), ("ru", "платн"), ("ka", "ფასიან")])
async def test_a_premium_rate_number_is_refused_with_a_clear_message(rt: Runtime, lang: str, refusal: str) -> None:
    user = ChatUser(rt.engine, f"premium-{lang}")
    await begin(user, lang)
    await user.say("Nino Beridze")
    await user.say("+44 909 879 0000")
    assert refusal in user.text
    await user.say("+995 555 12 34 56")
    assert "+995 555" not in user.text or refusal not in user.text
    await user.say("Rustavi")
    form = (await rt.store.load_session(user.key) or {})["data"]["form"]
    assert form["phone"] == "+995555123456"


async def test_a_contact_whose_owner_the_platform_cannot_tell_is_confirmed_first(rt: Runtime) -> None:
    """Viber cannot tell a share-phone press from a forwarded contact card: the number is confirmed first."""
    user = ChatUser(rt.engine, "unsure-contact")
    await begin(user)
    await user.say("Nino Beridze")
    await user._send(kind=Kind.CONTACT, contact=Contact("+995 599 11 22 33", is_own=None))
    assert "Should we call +995 599 11 22 33?" in user.text
    form = (await rt.store.load_session(user.key) or {})["data"]["form"]
    assert "phone" not in form
    await user.press("Use this number")
    form = (await rt.store.load_session(user.key) or {})["data"]["form"]
    assert form["phone"] == "+995599112233"


@pytest.mark.parametrize(("lat", "lon"), [(999.0, 44.8), (41.7, -181.0), (float("nan"), 44.8)])
async def test_a_location_off_the_globe_is_not_stored(rt: Runtime, lat: float, lon: float) -> None:
    user = ChatUser(rt.engine, f"off-globe-{lat}-{lon}")
    await begin(user)
    await user.say("Nino Beridze")
    await user.say("555 12 34 56")
    await user.share_location(lat, lon)
    assert "Where do you live?" in user.text
    form = (await rt.store.load_session(user.key) or {})["data"]["form"]
    assert "town" not in form


@given(st.text(max_size=60))
def test_parse_phone_never_raises_and_returns_e164(raw: str) -> None:
    found = parse_phone(raw)
    assert found is None or re.fullmatch(r"\+\d{6,15}", found)


@pytest.mark.parametrize(("raw", "problem"), [
    ("Nino", None),
    ("ნინო ბერიძე", None),
    ("Нино Беридзе", None),
    ("Jean-Luc O'Neil", None),
    ("🙂🙂", "letters"),
    ("N", "letters"),
    ("...", "letters"),
    ("", "empty"),
    ("Nino\u200bB", "control"),
    ("Nino\x1b[31m", "control"),
    ("R2D2", "digits"),
])
def test_check_name(raw: str, problem: str | None) -> None:
    assert check_name(raw, 80)[1] == problem


@given(st.text(max_size=200))
def test_a_good_name_is_bounded_and_clean(raw: str) -> None:
    name, problem = check_name(raw, 80)
    if problem is None:
        assert 2 <= len(name) <= 80
        assert name == name.strip() and "\n" not in name


def test_check_place_and_note() -> None:
    assert check_place("  Ozurgeti  ", 80) == ("Ozurgeti", None)
    assert check_place("123", 80)[1] == "letters"
    assert check_place("x" * 81, 80)[1] == "long"
    assert check_note("line one\r\nline two\x07", 500) == ("line one\nline two", None)
    assert check_note("a" * 501, 500)[1] == "long"
    assert check_note("\x00\x01", 500)[1] == "empty"


@pytest.mark.parametrize(("raw", "expected"), [
    ("03/2024", "2024-03"),
    ("3.2024", "2024-03"),
    ("2024-11", "2024-11"),
    ("2024", "2024"),
    ("13/2024", None),
    ("03/2031", None),
    ("1900", None),
    ("spring", None),
])
def test_parse_month_year(raw: str, expected: str | None) -> None:
    assert parse_month_year(raw, date(2030, 6, 15)) == expected


async def test_a_double_tap_or_old_button_keeps_the_form(rt: Runtime) -> None:
    user = ChatUser(rt.engine, "doubletap")
    await begin(user)
    await user.say("Nino Beridze")
    await user.tap("cb:agree")  # the consent button of an older message
    assert "out of date" in user.text and "phone number" in user.text, "asked the current step again"
    await user.say("555 12 34 56")
    assert "Where do you live" in user.text


async def test_mydata_shows_a_form_parked_by_forget(rt: Runtime) -> None:
    user = ChatUser(rt.engine, "parked")
    await begin(user)
    await user.say("Nino Beridze")
    await user.command("forget")
    await user.command("mydata")
    assert "Nino Beridze" in user.text


@pytest.mark.parametrize(("town", "shown"), [
    ("Kutaisi", "Kutaisi"), ("ქუთაისში", "Kutaisi"), ("Terjola village", "Terjola"), ("Istanbul", "Istanbul"),
    ("Kutaisi, Tamar Mepe st 14", "see the details"), ("Gori street", "see the details"),
    ("Pekini avenue", "see the details"), ("ул. Руставели", "see the details"),
    ("ჭავჭავაძის გამზირი", "see the details"),
    ("I live in Istanbul now", "see the details"), ("at my aunt's house", "see the details"),
    ("📍 41.72, 44.78", "shared location, nearest centre: IOM Tbilisi office"),
    ("📍 51.50, -0.12", "see the details"),
])
def test_the_staff_group_sees_an_area_never_an_address(shared_content: ContentHolder, town: str, shown: str) -> None:
    assert area_label(shared_content.current, Catalogues().translator("en"), town) == shown


async def test_menu_and_language_keep_a_half_filled_form(rt: Runtime) -> None:
    user = ChatUser(rt.engine, "jumper")
    await begin(user)
    await user.say("Nino")
    for leave in ("start", "menu", "language"):
        await user.command(leave)
        if leave == "language":
            await user.tap("l:en")
        assert "Your unfinished callback request is kept." in user.text
        await user.press("Continue my request")
        assert "phone" in user.text.lower(), f"after /{leave} the form goes on where it was"
    await user.say("+995 577 11 22 33")
    assert "Your number: 577 11 22 33" in user.text or "Your number:" in user.text


async def test_a_typed_phone_number_is_shown_back(rt: Runtime) -> None:
    user = ChatUser(rt.engine, "typo")
    await begin(user)
    await user.say("Nino")
    await user.say("577 11 22 34")
    assert "577 11 22 34" in user.text.replace("(", "").replace(")", "") and "Back" in user.text


async def test_a_number_written_in_words_is_read(rt: Runtime) -> None:
    user = ChatUser(rt.engine, "words")
    await begin(user)
    await user.say("Nino")
    await user.say("five seven seven, one one, two two, three four")
    assert "577 11 22 34" in user.text.replace("(", "").replace(")", "")


async def test_danger_typed_into_the_form_gets_112_first_and_the_form_goes_on(rt: Runtime) -> None:
    """At the consent question or for a name, danger is no answer: 112 and the hotline come first and the step is
    asked again, with nothing typed before lost; as the note for the caseworker it is kept as the note."""
    user = ChatUser(rt.engine, "form-danger")
    await user.command("start")
    await user.tap("l:en")
    await user.command("callback")
    replies = await user.say("they took my passport and lock me in the room")
    assert "112" in replies[0].text and "(+995 32) 2 91 34 61" in replies[0].text
    assert any(b.data == "cb:agree" for b in user.buttons), "the consent question is asked again"
    await user.tap("cb:agree")
    await user.say("Nino Beridze")
    replies = await user.say("help me he is hitting me")
    assert "112" in replies[0].text
    assert "phone" in user.text.lower(), "the phone step is asked again, the name kept"
    await user.say("555 12 34 56")
    await user.say("Rustavi")
    await user.tap("cb:t:legal")
    await user.tap("cb:l:ka")
    await user.tap("cb:w:morning")
    replies = await user.say("my boss took my passport and locks me in at night")
    assert "112" in replies[0].text
    assert any(b.data == "cb:ok" for b in user.buttons), user.text
    assert "Nino Beridze" in user.text and "locks me in at night" in user.text
