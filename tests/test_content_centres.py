"""The shipped centres, hotline and privacy texts say only what is known, and the bot shows them as a person would."""

from __future__ import annotations

import re

import pytest

from bot.app import Runtime
from bot.config import Settings
from bot.i18n import LANGUAGES
from bot.knowledge.loader import Content, load_content
from tests.conftest import CONTENT_DIR
from tests.helpers import ChatUser

OWN_ENTRIES = ("centres_what_they_do", "centres_where", "centres_cost", "centres_hours", "centres_call_abroad",
               "centres_relative_call", "centres_without_visit", "privacy_my_data")
WEEKDAYS = re.compile(r"monday|friday|ორშაბათ|პარასკევ|понедельник|пятниц", re.IGNORECASE)


@pytest.fixture(scope="module")
def content() -> Content:
    loaded = load_content(CONTENT_DIR).content
    assert loaded is not None
    return loaded


def test_hotline_and_every_centre_have_sources_and_honest_hours(content: Content) -> None:
    for item in (content.hotline, *content.centres):
        assert item.sources and item.reviewed is not None
        for lang in LANGUAGES:
            hours = item.hours[lang]
            assert not WEEKDAYS.search(hours), f"hours are not published, yet {lang} says {hours!r}"
    batumi = content.centre("batumi")
    assert batumi is not None
    assert batumi.address == {"ka": "ქ. ბათუმი, მეფე ფარნავაზის ქ. #63", "en": "Batumi, King Parnavaz St. 63",
                              "ru": "г. Батуми, ул. Царя Фарнаваза, 63"}


@pytest.mark.parametrize("faq_id", OWN_ENTRIES)
def test_entry_is_sourced_short_and_has_examples(content: Content, faq_id: str) -> None:
    entry = content.faqs[faq_id]
    assert entry.sources and entry.reviewed is not None
    for lang in LANGUAGES:
        assert len(entry.question[lang]) + len(entry.answer[lang]) <= 500
        assert len(entry.examples[lang]) >= 8
    latin = [e for e in entry.examples["ka"] if not re.search("[\u10a0-\u10ff]", e)]
    assert len(latin) >= 3, "Georgian examples typed in Latin letters, as people do"


def test_centres_are_said_to_inform_and_the_agency_to_decide(content: Content) -> None:
    entry = content.faqs["centres_what_they_do"]
    assert "do not give grants, money or housing" in entry.answer["en"]
    assert "within one year of return" in entry.answer["en"]
    assert entry.more is not None
    for lang, agency in (("ka", "სააგენტო"), ("en", "Agency"), ("ru", "Агентств")):
        assert agency in entry.more[lang] and "1505" in entry.more[lang]


def test_privacy_answer_matches_the_retention_settings(content: Content) -> None:
    settings = Settings()
    days = {settings.callback.retention_days, settings.session_retention_days, settings.gaps_retention_days}
    entry = content.faqs["privacy_my_data"]
    assert entry.more is not None
    for lang in LANGUAGES:
        assert "/mydata" in entry.answer[lang] and "/forget" in entry.answer[lang]
        assert {int(n) for n in re.findall(r"\b(\d+) (?:more )?(?:days|დღე|дней)", entry.more[lang])} <= days | {7}
        assert all(str(d) in entry.more[lang] for d in days)


@pytest.mark.parametrize(("lang", "question"), [
    ("en", "how do i delete my data"),
    ("ru", "какие мои данные вы храните?"),
    ("ka", "chemi monacemebi rogor wavshalo"),
])
def test_privacy_question_typed_is_answered(content: Content, lang: str, question: str) -> None:
    result = content.faq_index.search(question, lang)
    assert result.status == "confident" and result.hits[0].faq_id == "privacy_my_data"


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_privacy_answer_is_in_the_centres_menu_with_more(rt: Runtime, lang: str) -> None:
    user = ChatUser(rt.engine, f"private-{lang}")
    await user.command("start")
    await user.tap(f"l:{lang}")
    await user.tap("m:centres_info")
    assert any(b.data == "f:privacy_my_data" for b in user.buttons), "listed under the centres menu"
    await user.tap("f:privacy_my_data")
    entry = rt.content.current.faqs["privacy_my_data"]
    assert entry.answer[lang] in user.text
    await user.tap("f:privacy_my_data:more")
    assert entry.more is not None and entry.more[lang] in user.text
