"""The shipped legal-migration and risks answers: the topics the hotline must cover, short first screens, sources,
and questions as people really type them, in Georgian (both scripts), English and Russian."""

from __future__ import annotations

import re

import pytest

from bot.knowledge.loader import FIRST_SCREEN, faq_docs, load_content
from bot.knowledge.search import FaqIndex
from tests.conftest import CONTENT_DIR

CONTENT = load_content(CONTENT_DIR).content
assert CONTENT is not None
OURS = sorted(fid for fid, e in CONTENT.faqs.items() if e.menu in {"legal", "risks"})
LANGS = ("ka", "en", "ru")


def test_the_required_topics_have_entries_in_their_menus() -> None:
    required = {"legal_diploma_recognition": "legal", "legal_eu_border": "legal", "legal_90_180": "legal",
                "legal_circular_migration": "legal", "risks_asylum": "risks"}
    for fid, menu in required.items():
        assert fid in CONTENT.faqs, fid
        assert CONTENT.faqs[fid].menu == menu


@pytest.mark.parametrize("fid", OURS)
def test_each_entry_is_short_first_sourced_and_reviewed(fid: str) -> None:
    entry = CONTENT.faqs[fid]
    assert entry.sources and entry.reviewed is not None
    for lang in LANGS:
        assert len(entry.question[lang]) + len(entry.answer[lang]) <= FIRST_SCREEN, lang
        assert entry.more is not None and entry.more[lang].strip(), lang


@pytest.mark.parametrize("fid", OURS)
def test_each_entry_has_eight_examples_per_language_three_of_the_georgian_in_latin_letters(fid: str) -> None:
    examples = CONTENT.faqs[fid].examples
    assert all(len(examples.get(lang, [])) >= 8 for lang in LANGS)
    latin = [e for e in examples["ka"] if not re.search(r"[\u10a0-\u10ff]", e)]
    assert len(latin) >= 3, latin


def test_facts_without_an_official_source_are_not_stated_as_facts() -> None:
    """Only the France agreement is confirmed by an official text; the other schemes are media reports."""
    circular = CONTENT.faqs["legal_circular_migration"]
    assert "France" in circular.answer["en"]
    assert not re.search(r"Germany|Bulgaria|Israel", circular.answer["en"])
    assert circular.more is not None and "media reports" in circular.more["en"]
    border = CONTENT.faqs["legal_eu_border"].more
    assert border is not None and "media reports" in border["en"]


def test_a_question_about_counting_schengen_days_finds_the_90_180_entry() -> None:
    index = FaqIndex.build(list(faq_docs(CONTENT.faqs)))
    for lang, text in [("en", "how do i count my 90 days in schengen"), ("ru", "как считать 90 дней из 180"),
                       ("ka", "90 დღე 180 დღეში როგორ ვითვლი"), ("ka", "90 dghe 180 dgheshi rogor vitvli")]:
        hits = index.search(text, lang).hits
        assert hits and hits[0].faq_id == "legal_90_180", (text, hits)
