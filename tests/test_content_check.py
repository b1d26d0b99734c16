"""`hotline content check` and reload: every problem reported with file:line; a bad edit never replaces good content."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.app import runtime
from bot.cli import main
from bot.config import Settings
from bot.knowledge.loader import ContentHolder, load_content
from tests.conftest import CONTENT_DIR
from tests.helpers import ChatUser

FIXTURE = Path(__file__).parent / "fixtures" / "content_min"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(FIXTURE, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def messages(directory: Path) -> list[str]:
    return [str(i) for i in load_content(directory).issues]


def test_shipped_content_has_no_errors() -> None:
    result = load_content(CONTENT_DIR)
    assert result.errors == []
    assert result.content is not None
    assert len(result.content.faqs) >= 30
    assert {c.id for c in result.content.centres} == {"tbilisi", "batumi", "kutaisi", "telavi"}


def test_shipped_centres_match_published_facts() -> None:
    content = load_content(CONTENT_DIR).content
    assert content is not None
    phones = {c.id: c.phone for c in content.centres}
    assert phones == {
        "tbilisi": "(+995 32) 225 22 16",
        "batumi": "(+995 422) 22 88 83",
        "kutaisi": "(+995 431) 24 44 43",
        "telavi": "(+995 350) 27 08 72",
    }
    assert content.hotline.display == "(+995 32) 2 91 34 61"
    assert content.hotline.e164 == "+995322913461"
    assert content.centre("tbilisi").email == "iomtbilisi@iom.int"  # type: ignore[union-attr]


def test_fixture_is_clean(content: Path) -> None:
    result = load_content(content)
    assert result.errors == [] and result.content is not None


def test_yaml_syntax_error_names_file_and_line(content: Path) -> None:
    _edit(content / "faq" / "legal.yaml", "    menu: legal", "    menu: [legal")
    found = messages(content)
    assert any(m.startswith(f"{content / 'faq' / 'legal.yaml'}:") and "YAML syntax" in m for m in found), found


def test_reference_to_missing_entries(content: Path) -> None:
    _edit(content / "menu.yaml", "      - menu: legal", "      - menu: legall\n      - faq: nothing_here")
    found = messages(content)
    menu = content / "menu.yaml"
    assert f"{menu}:7: error: menu 'legall' does not exist" in found, found
    assert f"{menu}:8: error: FAQ 'nothing_here' does not exist" in found, found


def test_an_intent_answer_naming_a_missing_entry(content: Path) -> None:
    (content / "intents.yaml").write_text(
        "intents:\n  despair:\n    phrases:\n      en: [want to die]\n    answer: no_such_entry\n", encoding="utf-8")
    found = messages(content)
    assert f"{content / 'intents.yaml'}:5: error: intent 'despair': FAQ 'no_such_entry' does not exist" in found, found


def test_an_intent_follow_list_naming_a_missing_entry(content: Path) -> None:
    (content / "intents.yaml").write_text(
        "intents:\n  urgent:\n    phrases:\n      en: [locked in]\n    follow:\n      - risks_trouble_abroad\n"
        "      - risks_trubble\n", encoding="utf-8")
    found = messages(content)
    assert f"{content / 'intents.yaml'}:7: error: intent 'urgent': FAQ 'risks_trubble' in follow does not exist" \
        in found, found


def test_an_intent_of_staffs_own_opens_a_menu_that_must_exist(content: Path) -> None:
    (content / "intents.yaml").write_text(
        "intents:\n  section_visas:\n    menu: visas\n    phrases:\n      en: [all about visas]\n"
        "  mine:\n    phrases:\n      en: [something]\n", encoding="utf-8")
    found = messages(content)
    assert any("unknown intent(s) mine" in m and "or any name with a `menu:`" in m for m in found), found
    (content / "intents.yaml").write_text(
        "intents:\n  section_visas:\n    menu: visas\n    phrases:\n      en: [all about visas]\n", encoding="utf-8")
    found = messages(content)
    assert f"{content / 'intents.yaml'}:3: error: intent 'section_visas': menu 'visas' does not exist" in found, found


def test_danger_examples_need_both_lists(content: Path) -> None:
    (content / "danger.yaml").write_text('danger:\n  en: ["they locked us in"]\ncalm:\n  en: []\n', encoding="utf-8")
    found = messages(content)
    assert any(m.startswith(f"{content / 'danger.yaml'}:") and "calm: no messages" in m for m in found), found


def test_danger_examples_nothing_can_be_learned_from_are_an_error(content: Path) -> None:
    (content / "danger.yaml").write_text('danger:\n  en: [" "]\ncalm:\n  en: [""]\n', encoding="utf-8")
    found = messages(content)
    assert any(m.startswith(f"{content / 'danger.yaml'}:1: error: cannot learn") for m in found), found


def test_duplicate_ids_across_files(content: Path) -> None:
    shutil.copy(content / "faq" / "legal.yaml", content / "faq" / "copy.yaml")
    found = messages(content)
    assert any("legal.yaml:2: error: duplicate FAQ id 'legal_contract' (first in " in m for m in found), found


def test_missing_translation_is_a_warning_with_fallback(content: Path) -> None:
    _edit(content / "menu.yaml", ", ru: Легальная работа за границей}", "}")
    result = load_content(content)
    assert result.content is not None
    assert f"{content / 'menu.yaml'}:11: warning: no ru translation; the ka text will be shown" in map(
        str, result.issues)
    assert result.content.text(result.content.nodes["legal"].title, "ru") == "ლეგალური დასაქმება"


def test_unknown_field_placeholder_phone_and_limits(content: Path) -> None:
    faq = content / "faq" / "legal.yaml"
    _edit(faq, "call {hotline}.", "call {hotlne}. " + "x" * 7100)
    _edit(content / "centres.yaml", '"(+995 431) 24 44 43"', '"12"')
    _edit(content / "menu.yaml", "    items: []", "    items: []\n    colour: red")
    found = messages(content)
    joined = "\n".join(found)
    assert "legal.yaml:7: error: unknown placeholder {hotlne}" in joined
    assert "legal.yaml:7: error: 7" in joined and "over Viber's 7000 limit" in joined
    assert "centres.yaml:9: error: centres.0.phone: Value error, not a possible phone number" in joined
    assert "menu.yaml:13: error: nodes.1.colour: Extra inputs are not permitted" in joined


def test_cli_exit_codes(content: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["content", "check", str(content)]) == 0
    assert "OK: 1 FAQ entries" in capsys.readouterr().out
    _edit(content / "faq" / "legal.yaml", "menu: legal", "menu: nowhere")
    assert main(["content", "check", str(content)]) == 1
    out = capsys.readouterr().out
    assert "legal.yaml:3: error: FAQ 'legal_contract': menu 'nowhere' does not exist" in out
    assert "FAILED: 1 error(s)" in out


def test_reload_with_broken_file_keeps_last_good_content(content: Path) -> None:
    holder = ContentHolder(content)
    assert holder.reload().content is not None
    good = holder.current
    _edit(content / "faq" / "legal.yaml", "id: legal_contract", "id: [broken")
    assert holder.changed()
    result = holder.reload()
    assert result.content is None and result.errors
    assert holder.current is good
    _edit(content / "faq" / "legal.yaml", "id: [broken", "id: legal_contract")
    _edit(content / "faq" / "legal.yaml", "A contract states", "A written contract states")
    holder.reload()
    assert holder.current is not good
    assert "written contract" in holder.current.faqs["legal_contract"].answer["en"]


def test_facts_without_a_source_or_review_are_warned(content: Path) -> None:
    legal = content / "faq" / "legal.yaml"
    found = messages(content)
    assert f"{legal}:2: warning: FAQ 'legal_contract': no `sources:` (a URL or \"seed\", with the date it was " \
           "checked)" in found, found
    _edit(legal, "    keywords:", "    sources: [{url: \"https://example.org/contracts\", checked: 2024-01-10}]\n"
                                   "    reviewed: 2024-01-10\n    keywords:")
    found = messages(content)
    assert not any("legal_contract': no `sources:`" in m for m in found)
    assert any(m.startswith(f"{legal}:") and "last reviewed 2024-01-10, more than a year ago" in m
               for m in found), found


def test_a_long_first_screen_is_warned_with_its_line(content: Path) -> None:
    legal = content / "faq" / "legal.yaml"
    long_answer = "      en: " + "Long words. " * 50 + "A contract states the wage"
    _edit(legal, "      en: A contract states the wage", long_answer)
    found = messages(content)
    assert any(m.startswith(f"{legal}:7: warning: first screen is ") and "move the rest to `more:`" in m
               for m in found), found


def _visa_entry(content: Path, examples: list[str], fields: str = "") -> Path:
    """A work-visa entry with English examples; `fields` are extra lines after its `menu:`."""
    visa = content / "faq" / "visa.yaml"
    visa.write_text(
        "entries:\n"
        "  - id: legal_visa\n"
        "    menu: legal\n"
        f"{fields}"
        "    question: {en: \"Do I need a work visa?\"}\n"
        "    answer: {en: \"Usually yes: a work visa or permit.\"}\n"
        "    examples:\n"
        "      en:\n"
        + "".join(f"        - \"{example}\"\n" for example in examples),
        encoding="utf-8")
    return visa


def test_an_example_another_entry_answers_better_is_warned(content: Path) -> None:
    visa = _visa_entry(content, ["what visa do i need to work in poland",
                                 "what should my job contract say about wage and hours"])
    found = messages(content)
    assert any(m.startswith(f"{visa}:9: warning: example 'what should my job contract say about wage and hours' "
                            "matches 'legal_contract' better") for m in found), found
    assert not any("what visa do i need" in m for m in found)


def test_an_example_with_words_no_entry_has_is_not_warned(content: Path) -> None:
    """Dialect and loanwords match nothing well without the example itself: bringing them is the example's use."""
    _visa_entry(content, ["what visa do i need to work in poland", "zhanitba propiska blat for the wage okay"])
    found = messages(content)
    assert not any("zhanitba" in m for m in found), found


def test_an_example_that_teaches_two_entries_apart_is_not_warned(content: Path) -> None:
    """Staff name the neighbour in `told_apart_from`; naming an entry that does not exist is an error."""
    visa = _visa_entry(content, ["what should my job contract say about wage and hours"],
                       "    told_apart_from: [legal_contract, legal_nothing]\n")
    found = messages(content)
    assert not any("what should my job contract" in m for m in found), found
    assert f"{visa}:4: error: 'legal_nothing' is not another FAQ entry" in found, found


def test_every_shipped_fact_has_a_source_and_a_review_date() -> None:
    content = load_content(CONTENT_DIR).content
    assert content is not None and content.eligibility is not None
    sourced = [*(("FAQ", e.id, e) for e in content.faqs.values()), *(("centre", c.id, c) for c in content.centres),
               ("hotline", "", content.hotline), ("pre-check", "", content.eligibility)]
    missing = [f"{kind} {name}" for kind, name, item in sourced if not item.sources or item.reviewed is None]
    assert not missing, f"no `sources:` or `reviewed:` on {missing}"
    warnings = [str(i) for i in load_content(CONTENT_DIR).warnings]
    assert not [w for w in warnings if "sources" in w or "reviewed" in w or "first screen" in w], warnings


async def test_menu_screens_follow_a_reload(content: Path, tmp_path: Path) -> None:
    """Menu screens are drawn once per content version: an edit staff make shows on the next screen."""
    holder = ContentHolder(content)
    assert holder.reload().content is not None
    settings = Settings(data_dir=tmp_path / "data", content_dir=content)
    async with runtime(settings, watch_content=False, content=holder) as rt:
        user = ChatUser(rt.engine, "menu-reload")
        await user.tap("l:en")
        await user.command("menu")
        assert "Choose a topic." in user.text
        menu = content / "menu.yaml"
        menu.write_text(menu.read_text(encoding="utf-8").replace("Choose a topic.", "Pick a topic."), encoding="utf-8")
        assert holder.reload().content is not None
        await user.command("menu")
        assert "Pick a topic." in user.text and "Choose a topic." not in user.text


def test_aside_words_belong_to_danger_intents(content: Path) -> None:
    """`aside:` limits a cancelling word to its clause, which only danger's rule of clauses reads."""
    (content / "intents.yaml").write_text(
        "intents:\n  greeting:\n    phrases:\n      en: [hello]\n    aside:\n      en: [hello kitty]\n",
        encoding="utf-8")
    found = messages(content)
    assert any(m.startswith(f"{content / 'intents.yaml'}:") and "greeting: `aside:` is for the danger intents" in m
               for m in found), found
