"""Reintegration pre-check: the rules file is validated with file:line, and the flow walks a returnee from the first
question to the directions that may apply, in all three languages, on a real SQLite file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.app import Runtime
from bot.config import Settings
from bot.core.engine import Engine
from bot.i18n import LANGUAGES, Catalogues
from bot.knowledge.eligibility import END, Eligibility, answer_data, load_eligibility
from bot.knowledge.loader import ContentHolder
from bot.knowledge.yamlread import read_yaml
from bot.store import open_store
from tests.conftest import CONTENT_DIR
from tests.helpers import ChatUser

DIRECTIONS = {"reint_housing", "reint_living", "reint_medical", "reint_employment", "reint_training",
              "reint_business"}
RULES_FILE = CONTENT_DIR / "eligibility.yaml"

MINIMAL = """\
start: first
intro: {ka: შესავალი, en: Intro, ru: Вступление}
questions:
  - id: first
    text: {ka: პირველი, en: First, ru: Первый}
    answers:
      - id: a1
        label: {ka: ა, en: A, ru: А}
        next: second
      - id: a2
        label: {ka: ბ, en: B, ru: Б}
        next: result
  - id: second
    text: {ka: მეორე, en: Second, ru: Второй}
    answers:
      - id: b1
        label: {ka: გ, en: C, ru: В}
        next: result
rules:
  - when: {first: a1}
    directions: [reint_housing]
  - when: {second: b1}
    directions: [reint_medical, reint_housing]
    note: {ka: შენიშვნა, en: Note, ru: Заметка}
results:
  found: {ka: ეს, en: These, ru: Эти}
  none: {ka: არაფერი, en: Nothing, ru: Ничего}
  notice: {ka: ნიმუში, en: Sample, ru: Пример}
"""


def check(tmp_path: Path, text: str) -> tuple[Eligibility | None, list[str], Path]:
    path = tmp_path / "eligibility.yaml"
    path.write_text(text, encoding="utf-8")
    parsed, issues = load_eligibility(read_yaml(path), DIRECTIONS)
    return parsed, [str(i) for i in issues], path


def line_no(text: str, snippet: str, nth: int = 1) -> int:
    """The 1-based line of the nth line containing `snippet`."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if snippet in line]
    assert len(hits) >= nth, f"{snippet!r} occurs {len(hits)} times"
    return hits[nth - 1]


# --- the rules file -------------------------------------------------------------------------------------------


def test_minimal_rules_load_and_evaluate(tmp_path: Path) -> None:
    parsed, issues, _ = check(tmp_path, MINIMAL)
    assert issues == []
    assert parsed is not None
    assert parsed.evaluate({"first": "a1", "second": "b1"}) == ["reint_housing", "reint_medical"]
    assert parsed.evaluate({"first": "a2"}) == []
    assert parsed.notes({"first": "a1", "second": "b1"}) == [{"ka": "შენიშვნა", "en": "Note", "ru": "Заметка"}]
    assert sorted(map(sorted, (p.items() for p in parsed.paths()))) == [
        [("first", "a1"), ("second", "b1")],
        [("first", "a2")],
    ]


BROKEN = [
    pytest.param("        next: second", "        next: third", "next: third", 1, "error",
                 "next question 'third' does not exist (use `next: result` to end the check)", id="missing-next"),
    pytest.param("        label: {ka: გ, en: C, ru: В}\n        next: result",
                 "        label: {ka: გ, en: C, ru: В}\n        next: first", "next: first", 1, "error",
                 "answer 'b1' of 'second' goes back to 'first', so the check never ends: first -> second -> first",
                 id="loop"),
    pytest.param("        next: second", "        next: result", "- id: second", 1, "error",
                 "question 'second' cannot be reached from 'first': no answer leads to it", id="unreachable"),
    pytest.param("[reint_medical, reint_housing]", "[reint_medical, reint_flying]", "reint_flying", 1, "error",
                 "direction 'reint_flying' is not a menu id (directions: reint_business, reint_employment, "
                 "reint_housing, reint_living, reint_medical, reint_training)", id="unknown-direction"),
    pytest.param("when: {first: a1}", "when: {first: a9}", "{first: a9}", 1, "error",
                 "question 'first' has no answer 'a9' (answers: a1, a2)", id="unknown-answer-in-rule"),
    pytest.param("when: {second: b1}", "when: {third: b1}", "{third: b1}", 1, "error",
                 "question 'third' does not exist", id="unknown-question-in-rule"),
    pytest.param("{ka: ბ, en: B, ru: Б}", "{ka: ბ, en: " + "B" * 61 + ", ru: Б}", "B" * 61, 1, "error",
                 "button text is 61 characters; keep it under 60", id="long-label"),
    pytest.param("id: a2", "id: " + "a" * 21, "a" * 21, 1, "error",
                 "questions.0.answers.1.id: String should match pattern '^[a-z0-9_]{1,20}$'", id="long-id"),
    pytest.param("id: a2", "id: yes", "id: yes", 1, "error",
                 "questions.0.answers.1.id: Input should be a valid string (YAML reads a bare yes/no/on/off as "
                 'true/false: write the word in quotes, like "yes")', id="bare-yes"),
    pytest.param("start: first", "start: zero", "start: zero", 1, "error",
                 "start question 'zero' does not exist", id="missing-start"),
    pytest.param("  - id: second", "  - id: first", "- id: first", 2, "error",
                 "duplicate question id 'first'", id="duplicate-question"),
    pytest.param("  - id: second", "  - id: result", "- id: result", 1, "error",
                 "'result' is reserved for `next: result`; choose another question id", id="reserved-id"),
    pytest.param("    answers:\n      - id: b1\n        label: {ka: გ, en: C, ru: В}\n        next: result\n",
                 "    answers: []\n", "- id: second", 1, "error",
                 "question 'second' has no answers: the check would stop there", id="no-answers"),
    pytest.param("    directions: [reint_housing]\n", "", "when: {first: a1}", 1, "error",
                 "rules.0: Value error, a rule needs `directions`, a `note`, or both", id="useless-rule"),
    pytest.param("en: Sample,", "en: 'Sample {phone}',", "Sample {phone}", 1, "error",
                 "unknown placeholder {phone}; known: {hotline}", id="unknown-placeholder"),
    pytest.param("text: {ka: მეორე, en: Second, ru: Второй}", "text: {ka: მეორე, en: Second}",
                 "text: {ka: მეორე, en: Second}", 1, "warning",
                 "no ru translation; the ka text will be shown", id="missing-translation"),
    pytest.param("results:", "  - when: {first: a2, second: b1}\n    directions: [reint_living]\nresults:",
                 "{first: a2, second: b1}", 1, "warning",
                 "this rule never applies: no way through the questions gives all of these answers",
                 id="rule-never-applies"),
]


@pytest.mark.parametrize(("old", "new", "where", "nth", "severity", "message"), BROKEN)
def test_broken_rules_name_file_and_line(tmp_path: Path, old: str, new: str, where: str, nth: int, severity: str,
                                         message: str) -> None:
    assert old in MINIMAL
    text = MINIMAL.replace(old, new, 1)
    parsed, issues, path = check(tmp_path, text)
    expected = f"{path}:{line_no(text, where, nth)}: {severity}: {message}"
    assert expected in issues, "\n".join(issues)
    assert (parsed is None) == (severity == "error")


def test_yaml_syntax_error_and_empty_file(tmp_path: Path) -> None:
    parsed, issues, path = check(tmp_path, MINIMAL.replace("results:", "results: [", 1))
    assert parsed is None
    assert any(i.startswith(f"{path}:") and "YAML syntax" in i for i in issues), issues
    parsed, issues, path = check(tmp_path, "")
    assert parsed is None
    assert issues == [f"{path}:1: error: the file is empty"]


MEETS_CRITERIA = {"citizen": {"citizen", "stateless"}, "stay": {"irregular", "asylum"},
                  "returned": {"within_9", "near_deadline"}}


def test_shipped_rules_use_the_programme_criteria(shared_content: ContentHolder) -> None:
    text = RULES_FILE.read_text(encoding="utf-8")
    assert "SAMPLE" not in text.upper(), "the pre-check states the real criteria, not sample rules"
    assert DIRECTIONS <= set(shared_content.current.nodes)
    assert shared_content.current.eligibility is not None, "the loader serves the check"
    parsed, issues = load_eligibility(read_yaml(RULES_FILE), DIRECTIONS)
    assert [str(i) for i in issues] == []
    assert parsed is not None
    assert parsed.sources and parsed.reviewed is not None
    assert [q.id for q in parsed.questions] == ["citizen", "stay", "returned", "need"]
    for question in parsed.questions:
        for answer in question.answers:
            assert len(answer_data(question.id, answer.id).encode()) <= 64
            assert all(len(label) <= 60 for label in answer.label.values())
    for rule in parsed.rules:
        if rule.note is not None:
            assert rule.sources and rule.reviewed is not None, f"the note of {rule.when} states a fact"
    agency = {"ka": "სააგენტო", "en": "Agency", "ru": "Агентств"}
    programme = {"ka": "სახელმწიფო სარეინტეგრაციო პროგრამ", "en": "State reintegration programme",
                 "ru": "государственн"}
    for lang in LANGUAGES:
        assert agency[lang] in parsed.results.notice[lang], "the notice says that the Agency decides"
        assert len(parsed.results.notice[lang].splitlines()) == 1
        for text_ in (parsed.results.found[lang], parsed.results.none[lang]):
            assert agency[lang] in text_ and programme[lang] in text_
        for text_ in (parsed.results.notice[lang], parsed.results.found[lang], parsed.results.none[lang]):
            assert not any(word in text_.lower() for word in ("sample", "სანიმუშო", "пример"))
        assert "03/2026" in parsed.question("returned").text[lang]  # type: ignore[union-attr]


def test_month_of_return_picks_the_answer_by_the_one_year_deadline() -> None:
    parsed, _ = load_eligibility(read_yaml(RULES_FILE), DIRECTIONS)
    assert parsed is not None
    returned = parsed.question("returned")
    assert returned is not None and returned.asks_month
    picked = {months: getattr(returned.by_months(months), "id", None) for months in (0, 8, 9, 12, 13, 40)}
    assert picked == {0: "within_9", 8: "within_9", 9: "near_deadline", 12: "near_deadline", 13: "over_year",
                      40: "over_year"}
    not_back = returned.answer("not_back")
    assert not_back is not None and not_back.months is None, "'not back yet' is chosen with its button only"
    near = next(r.note for r in parsed.rules if r.when == {"returned": ["near_deadline"]} and r.note)
    assert "NOW" in near["en"] and "СЕЙЧАС" in near["ru"] and "ახლავე" in near["ka"]
    over = next(r.note for r in parsed.rules if r.when == {"returned": ["over_year"]} and r.note)
    assert "deadline to apply to the State programme has passed" in over["en"]


def test_every_way_through_the_shipped_check_ends_in_real_directions() -> None:
    parsed, _ = load_eligibility(read_yaml(RULES_FILE), DIRECTIONS)
    assert parsed is not None
    paths = list(parsed.paths())
    assert paths
    suggested: set[str] = set()
    for answers in paths:
        question = parsed.question(parsed.start)
        steps = 0
        while question is not None:  # replays the path to prove it ends
            steps += 1
            assert steps <= len(parsed.questions)
            answer = question.answer(answers[question.id])
            assert answer is not None
            question = None if answer.next == END else parsed.question(answer.next)
        directions = parsed.evaluate(answers)
        assert set(directions) <= DIRECTIONS
        assert len(directions) == len(set(directions))
        meets = all(answers.get(q) in ok for q, ok in MEETS_CRITERIA.items())
        assert bool(directions) == meets, f"directions only for people who meet the criteria: {answers}"
        if not meets:
            assert parsed.notes(answers), f"a person outside the programme is told why and what else exists: {answers}"
        suggested.update(directions)
    assert suggested == DIRECTIONS, "every direction is suggested by some answers"


# --- the flow -------------------------------------------------------------------------------------------------


async def started(rt: Runtime, name: str, lang: str) -> ChatUser:
    user = ChatUser(rt.engine, name)
    await user.command("start")
    await user.tap(f"l:{lang}")
    await user.tap("m:reintegration")
    await user.tap("a:eligibility")
    return user


def check_of(rt: Runtime) -> Eligibility:
    parsed = rt.content.current.eligibility
    assert parsed is not None
    return parsed


async def session_of(rt: Runtime, user: ChatUser) -> dict[str, object]:
    return await rt.store.load_session(user.key) or {}


async def test_full_check_in_english_lists_directions_and_offers_callback(rt: Runtime) -> None:
    user = await started(rt, "returnee-en", "en")
    check = check_of(rt)
    assert check.intro["en"] in user.text
    assert check.question("citizen").text["en"] in user.text  # type: ignore[union-attr]
    for label in ("Yes, a Georgian citizen", "Irregularly, for more than a year", "9–12 months ago",
                  "Several of these"):
        await user.press(label)
    content = rt.content.current
    expected = ["reint_medical", "reint_business", "reint_training", "reint_housing"]
    for direction in expected:
        assert f"• {content.text(content.nodes[direction].title, 'en')}" in user.text
    for other in ("reint_employment", "reint_living"):
        assert content.text(content.nodes[other].title, "en") not in user.text
    assert check.results.found["en"] in user.text
    assert "Apply to the Agency NOW: call 1505" in user.text, "near the deadline: apply now"
    assert "You are within the one-year period" not in user.text
    assert ("This is a first orientation, not a decision. The Agency that runs the programme decides whether you "
            "are eligible.") in user.text
    assert check.results.notice["en"] in user.text
    assert content.hotline.display in user.text
    data = [b.data for b in user.buttons]
    for direction in expected:
        assert f"m:{direction}" in data
        assert f"cb:start:{direction}" in data
    assert "e:start" in data and "n:home" in data
    saved = await session_of(rt, user)
    assert saved.get("state") == "" and saved.get("data") == {}, "the answers are not kept after the result"
    await user.tap("n:back")
    assert "a:eligibility" in [b.data for b in user.buttons], "back from the result returns to its menu"


async def test_direction_button_opens_its_menu(rt: Runtime) -> None:
    user = await started(rt, "reader", "en")
    for label in ("Stateless", "asylum", "Less than 9 months ago", "A place to stay"):
        await user.press(label)
    assert "You are within the one-year period. Do not put it off: call the Agency's hotline 1505" in user.text
    await user.tap("m:reint_housing")
    content = rt.content.current
    assert content.text(content.nodes["reint_housing"].text, "en").split("\n")[0] in user.text


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_check_in_every_language(rt: Runtime, lang: str) -> None:
    user = await started(rt, f"returnee-{lang}", lang)
    check = check_of(rt)
    content = rt.content.current
    assert check.intro[lang] in user.text
    path = [("citizen", "citizen"), ("stay", "asylum"), ("returned", "within_9"), ("need", "job")]
    for question_id, answer_id in path:
        question = check.question(question_id)
        assert question is not None
        assert question.text[lang] in user.text
        answer = question.answer(answer_id)
        assert answer is not None
        assert all(len(b.data.encode()) <= 64 for b in user.buttons)
        await user.press(answer.label[lang])
    for direction in ("reint_employment", "reint_training"):
        assert content.text(content.nodes[direction].title, lang) in user.text
    job_note = next(r.note for r in check.rules if r.when == {"need": ["job"]} and r.note)
    assert job_note[lang] in user.text, "finding a job is not a programme service: the result says so"
    assert check.results.notice[lang] in user.text


async def test_not_yet_returned_gets_note_and_general_callback(rt: Runtime) -> None:
    user = await started(rt, "abroad", "en")
    for label in ("Yes, a Georgian citizen", "Irregularly, for more than a year", "I am not back yet"):
        await user.press(label)
    check = check_of(rt)
    assert check.results.none["en"].split("\n")[0] in user.text
    assert "You apply to the State programme only after you return, within one year of your return." in user.text
    assert "The Agency that runs the programme decides whether you are eligible." in user.text
    data = [b.data for b in user.buttons]
    assert "cb:start" in data
    assert not any(d.startswith("cb:start:") or d.startswith("m:reint") for d in data)


async def test_back_goes_one_question_back_then_to_the_menu(rt: Runtime) -> None:
    user = await started(rt, "undecided", "en")
    await user.press("Yes, a Georgian citizen")
    assert "How did you stay abroad?" in user.text
    await user.tap("e:b")
    assert "Are you a citizen of Georgia?" in user.text
    assert user.last[0].edit
    await user.tap("e:b")
    assert "a:eligibility" in [b.data for b in user.buttons], "back on the first question returns to its menu"
    assert (await session_of(rt, user)).get("state") == ""


async def test_cancel_returns_home(rt: Runtime) -> None:
    user = await started(rt, "quitter", "en")
    await user.press("Yes, a Georgian citizen")
    await user.tap("e:x")
    assert "Cancelled." in user.text
    assert "m:reintegration" in [b.data for b in user.buttons]
    await user.tap(answer_data("stay", "irregular"))
    assert "out of date" in user.text, "answers from a cancelled check are stale"


async def test_changing_an_earlier_answer_drops_the_later_ones(rt: Runtime) -> None:
    user = await started(rt, "changer", "en")
    for label in ("Yes, a Georgian citizen", "Irregularly, for more than a year", "Less than 9 months ago"):
        await user.press(label)
    assert "Which help do you need most?" in user.text
    await user.tap(answer_data("stay", "other"))  # pressed on an older message
    check = check_of(rt)
    assert check.results.none["en"] in user.text, "a legal stay ends the check: the programme does not fit"
    assert "The State programme is for people who stayed abroad irregularly for more than a year" in user.text
    assert "one-year period" not in user.text, "the later answer about the return is dropped"
    assert not any(b.data.startswith("m:reint") for b in user.buttons)


async def test_typed_answers_count_and_other_text_asks_again(rt: Runtime) -> None:
    user = await started(rt, "typist", "ru")
    await user.press("Да, гражданин(ка) Грузии")
    await user.say("незаконно,  БОЛЬШЕ года")
    question = check_of(rt).question("returned")
    assert question is not None and question.text["ru"] in user.text
    await user.say("что-то непонятное")
    assert question.text["ru"] in user.text
    assert [b.data for b in user.buttons][:4] == [answer_data("returned", a.id) for a in question.answers]
    assert (await session_of(rt, user)).get("state") == "e:ask"


def month_ago(months: int) -> str:
    """A month of return typed as people write it, `months` whole months before today."""
    today = date.today()
    total = today.year * 12 + today.month - 1 - months
    return f"{total % 12 + 1:02d}/{total // 12}"


@pytest.mark.parametrize(("lang", "typed", "within_year", "expected"), [
    ("en", month_ago(3), True, "You are within the one-year period"),
    ("ka", month_ago(8), True, "თქვენ ჯერ ერთი წლის ვადაში ხართ"),
    ("ru", month_ago(10), True, "Ваш годичный срок истекает"),
    ("en", month_ago(12), True, "Your one-year period is ending, or may already have ended"),
    ("ru", month_ago(13), False, "срок подачи заявления в государственную программу истёк"),
    ("en", "last month", True, "You are within the one-year period"),
])
async def test_a_typed_month_of_return_is_held_against_the_deadline(rt: Runtime, lang: str, typed: str,
                                                                    within_year: bool, expected: str) -> None:
    user = await started(rt, f"month-{lang}-{typed}", lang)
    check = check_of(rt)
    await user.tap(answer_data("citizen", "citizen"))
    await user.tap(answer_data("stay", "irregular"))
    assert "03/2026" in user.text, "the question says that a month can be typed"
    await user.say(typed)
    if within_year:
        need = check.question("need")
        assert need is not None and need.text[lang] in user.text, "within the year: on to the help needed"
        await user.tap(answer_data("need", "medical"))
        assert content_title(rt, "reint_medical", lang) in user.text
    else:
        assert check.results.none[lang] in user.text, "past the deadline: no programme service is offered"
    assert expected in user.text


def content_title(rt: Runtime, node: str, lang: str) -> str:
    content = rt.content.current
    return content.text(content.nodes[node].title, lang)


async def test_restart_from_an_old_first_question_and_from_the_result(rt: Runtime) -> None:
    user = await started(rt, "again", "en")
    await user.press("Neither")
    assert "The State programme is for Georgian citizens and for stateless persons" in user.text
    await user.tap(answer_data("citizen", "citizen"))
    assert "How did you stay abroad?" in user.text, "the first question's buttons start a new check"
    await user.tap("e:start")
    assert "Are you a citizen of Georgia?" in user.text
    await user.tap(answer_data("need", "job"))
    assert "out of date" in user.text, "a later question's answer without a running check is stale"


async def test_without_a_rules_file_the_check_hands_over_to_the_hotline(settings: Settings) -> None:
    holder = ContentHolder(Path(__file__).parent / "fixtures" / "content_min")
    content = holder.reload().content
    assert content is not None and content.eligibility is None
    store = await open_store(settings.effective_database_url)
    try:
        user = ChatUser(Engine(holder, store, settings, Catalogues()), "no-rules", platform_language="en")
        await user.tap("e:start")
        assert content.hotline.display in user.text
        assert "a:callback" in [b.data for b in user.buttons]
        await user.tap(answer_data("citizen", "citizen"))
        assert "out of date" in user.text
    finally:
        await store.close()
