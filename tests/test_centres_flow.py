"""The nearest-centre conversation for villages: Georgian names in Georgian, namesakes by municipality,
unknown places answered with region buttons (never "abroad"), distances labelled as straight-line."""

from __future__ import annotations

from bot.app import Runtime
from tests.helpers import ChatUser


async def ask_centres(rt: Runtime, user_id: str, lang: str) -> ChatUser:
    user = ChatUser(rt.engine, user_id)
    await user.command("start")
    await user.tap(f"l:{lang}")
    await user.command("centres")
    return user


async def test_a_village_typed_in_latin_gets_its_georgian_name_in_a_georgian_reply(rt: Runtime) -> None:
    user = await ask_centres(rt, "village-ka", "ka")
    await user.say("Chkaduashi")
    assert "ჭკადუაში" in user.text and "Chkaduashi" not in user.text
    assert "პირდაპირი ხაზით" in user.text
    assert "(+995 431) 24 44 43" in user.text  # Kutaisi


async def test_a_russian_sentence_about_a_village_gets_a_russian_reply(rt: Runtime) -> None:
    user = await ask_centres(rt, "village-ru", "ru")
    await user.say("я живу в селе Дарчели")
    assert "Дарчели" in user.text and "по прямой" in user.text
    assert "From abroad" not in user.text


async def test_namesakes_are_offered_with_their_municipalities(rt: Runtime) -> None:
    user = await ask_centres(rt, "namesake", "en")
    await user.say("Akhaldaba")
    labels = [b.label for b in user.buttons if b.data.startswith("c:p:")]
    assert len(labels) >= 2 and len(set(labels)) == len(labels)
    assert any(label.startswith("Akhaldaba, Borjomi Municipality") for label in labels)
    await user.press("Borjomi Municipality")
    assert "in a straight line" in user.text


async def test_an_unknown_word_gets_region_buttons_not_the_abroad_answer(rt: Runtime) -> None:
    user = await ask_centres(rt, "unknown", "en")
    await user.say("Qwzxvbnm")
    assert "I don't know this place" in user.text
    assert "From abroad" not in user.text
    regions = [b for b in user.buttons if b.data.startswith("c:p:")]
    assert {"Kakheti", "Adjara", "Imereti", "Kvemo Kartli"} <= {b.label for b in regions}
    await user.press("Kakheti")
    assert "(+995 350) 27 08 72" in user.text  # Telavi


async def test_a_foreign_city_is_still_abroad_by_its_exact_name(rt: Runtime) -> None:
    user = await ask_centres(rt, "abroad", "en")
    await user.say("Istanbul")
    assert "From abroad" in user.text
