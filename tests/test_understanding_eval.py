"""What people see when they type, on labelled sets, printed with `pytest -s`.

The tuning sets (`understanding_dev*.yaml`, `urgent_dev*.yaml`, `actions_dev4.yaml`, `dev5_*.yaml`,
`dev6_*.yaml`) were each written without seeing the content or the code and are used for tuning: phrases in
content/intents.yaml and the search were adjusted on them, each after a first untouched run (README gives the
first-run figures). `understanding_heldout.yaml` was written the same way by
someone else and is never tuned on: its figures are the honest ones, and its floors below guard against
regressions. The tuning sets up to dev14_requests are also what the danger model learns from (content/danger.yaml),
so their danger figures are its training fit; dev14_danger, dev14_faq, dev15_danger and everything written later
are not in it. dev15 was a second untouched guard until two of its misses were read and the danger model's line was set
on it with the others. `dev17_mixed.yaml` (a week's traffic, 300 messages) is that guard now:
its misses were never read, its totals were among those the readers' rules were decided on. See README,
"Measurements".
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.app import Runtime
from tests.understanding_eval import Report, evaluate, evaluate_conversations, load_messages

DATA = Path(__file__).parent / "data"


async def run(rt: Runtime, name: str) -> Report:
    report = await evaluate(rt.engine, load_messages(DATA / name))
    print(f"\n{name}\n{report.table()}")
    return report


@pytest.mark.parametrize("name", ["understanding_dev.yaml", "understanding_dev2.yaml"])
async def test_tuning_sets(rt: Runtime, name: str) -> None:
    report = await run(rt, name)
    assert report.share({"right"}, expect="@urgent") >= 0.95
    assert report.share({"right"}, expect="@callback") >= 0.95
    assert report.share({"right"}, faq_only=True) >= 0.65
    assert report.share({"right", "offered"}, faq_only=True) >= 0.90
    assert report.share({"wrong"}, faq_only=True) <= 0.03
    assert report.share({"wrong"}, expect="none") <= 0.05


async def test_held_out_set_never_tuned_on(rt: Runtime) -> None:
    report = await run(rt, "understanding_heldout.yaml")
    assert len(report.rows) >= 300
    # Floors a little under the figures measured at the end of the fifth session (README); they only guard
    # against regressions.
    assert report.share({"right"}, expect="@urgent") >= 0.96
    assert report.share({"right"}, expect="@callback") >= 0.93
    assert report.share({"right"}, faq_only=True) >= 0.77
    assert report.share({"right", "offered"}, faq_only=True) >= 0.93
    assert report.share({"wrong"}, faq_only=True) <= 0.06
    assert report.share({"wrong"}, expect="none") <= 0.05


async def test_second_guard_never_read(rt: Runtime) -> None:
    """dev17_mixed: first run at the session's start FAQ 89 / 98 / 1 %, out of scope answered 10 %, danger and
    callback 100 %; floors a little under today's figures."""
    report = await run(rt, "dev17_mixed.yaml")
    assert report.share({"right"}, expect="@urgent") >= 0.95
    assert report.share({"right"}, expect="@callback") >= 0.95
    assert report.share({"right"}, faq_only=True) >= 0.85
    assert report.share({"right", "offered"}, faq_only=True) >= 0.95
    assert report.share({"wrong"}, faq_only=True) <= 0.03
    assert report.share({"wrong"}, expect="none") <= 0.08


def test_no_faq_answer_claims_a_request_exists(rt: Runtime) -> None:
    """An answer that says "your request is registered" is shown only after a request was made."""
    for entry in rt.content.current.faqs.values():
        for lang, text in entry.answer.items():
            lowered = text.lower()
            assert "your request is registered" not in lowered and "ваша заявка зарегистрирована" not in lowered, (
                f"{entry.id} [{lang}] claims a request exists")


# Sets of danger told only by details. Many calm look-alikes are questions on the risks entries, whose answers name
# 112 and the hotline themselves: answered outright (the FAQ's second reader), they count here too.
DANGER_FLOORS = {"dev5_urgent.yaml": 0.9, "dev8_danger.yaml": 0.85, "dev9_danger.yaml": 0.9, "dev10_danger.yaml": 0.9,
                 "dev11_danger.yaml": 0.95, "dev12_danger.yaml": 0.95, "dev13.yaml": 0.95, "dev14_danger.yaml": 0.9,
                 "dev15_danger.yaml": 0.85, "dev16_danger.yaml": 0.97, "dev18_danger.yaml": 0.97,
                 "dev19_mixed.yaml": 0.97, "dev20_danger.yaml": 0.97, "dev22_danger.yaml": 0.97,
                 "dev23_danger.yaml": 0.97, "dev24_danger_scripts.yaml": 0.97, "dev25_danger.yaml": 0.97,
                 "dev26_danger.yaml": 0.97, "dev27_danger.yaml": 0.97, "dev29_danger.yaml": 0.97,
                 "dev30_ka_danger.yaml": 0.97, "dev32_ka_danger.yaml": 0.97, "dev37_ka_danger.yaml": 0.97,
                 "dev40_ka_danger.yaml": 0.97, "dev42_short.yaml": 0.97, "dev44_ka_danger.yaml": 0.97,
                 "dev45_ka_danger.yaml": 0.97, "dev46_ka_mixed_danger.yaml": 0.97, "dev47_danger_guard.yaml": 0.95,
                 "dev48_danger_requests.yaml": 0.97, "dev49_ka_stories.yaml": 0.97, "dev50_ka_slang.yaml": 0.97,
                 "dev51_ka_exploitation.yaml": 0.97, "dev52_ka_journeys.yaml": 0.97, "dev53_ka_voices.yaml": 0.97,
                 "dev54_ka_short.yaml": 0.95, "dev55_ka_latin_short.yaml": 0.97,
                 "dev56_ka_context.yaml": 0.92, "dev57_danger_guard.yaml": 0.95,
                 "dev58_ka_returnees.yaml": 0.97, "dev59_ka_rough.yaml": 0.97, "dev60_danger_guard.yaml": 0.95,
                 "dev61_danger_guard.yaml": 0.95, "dev62_ka_polite.yaml": 0.97, "dev63_ka_everyday.yaml": 0.97,
                 "dev64_ka_typos.yaml": 0.97, "dev65_ka_kin.yaml": 0.97, "dev66_shared_words.yaml": 0.95,
                 "dev67_ka_shared_words.yaml": 0.95, "dev68_danger_guard.yaml": 0.95, "dev69_ka_buried.yaml": 0.96,
                 "dev70_ka_regional.yaml": 0.96, "dev71_danger_guard.yaml": 0.97, "dev72_ka_asking.yaml": 0.97,
                 "dev73_ka_understated.yaml": 0.9, "dev74_ka_long.yaml": 0.95, "dev76_ka_care_work.yaml": 0.97,
                 "dev77_ka_mixed_speech.yaml": 0.97, "dev78_danger_guard.yaml": 0.97,
                 "dev79_ka_question_first.yaml": 0.97, "dev80_question_first_mixed.yaml": 0.97,
                 "dev81_danger_guard.yaml": 0.93, "dev82_mixed_free.yaml": 0.97, "dev83_mixed_plain.yaml": 0.97}
# Written in the thirteenth session, first run on its start (5b3b303): dev45_ka_danger (Georgian script: a child
# in danger, suicide said indirectly, documents kept, sold, threats, locked in, a relative gone silent; 30 calm
# look-alikes) 67 of 70, calm with 112 7 of 30; dev46_ka_mixed_danger (Georgian script and Latin letters, dialects,
# run-on sentences) 66 of 67, calm 8 of 33; dev47_danger_guard (all four groups; never tuned on, misses never read)
# 70 of 72, calm 12 of 48; dev48_danger_requests (danger in the same message as a request: call me, a person, the
# number, another language, delete this) 75 of 78, calm 3 of 32; dev49_ka_stories (long Georgian stories, danger
# buried in one sentence or told by facts alone) 65 of 65, but calm stories got the line first 24 of 35: a rule
# that lets the model overrule a phrase in a long message would have lost danger on the older sets at every line;
# dev50_ka_slang (Georgian script, slang and Russianisms, fear hidden behind "lol" and 😂) 64 of 70, calm 4 of 30.
# Written in the fourteenth session, first run on its start (ea82116), all Georgian script, 50 danger and 30 calm
# look-alikes each: dev51_ka_exploitation (forced marriage, sex work by euphemism, organs, debt bondage, resold,
# domestic workers) 50 of 50, calm 8 of 30; dev52_ka_journeys (trucks, boats, borders, ransom, detention,
# abandoned, injured and hidden) 50 of 50, calm 11 of 30; dev53_ka_voices (an elderly parent, a teenager, a man who
# minimises, farewells in idioms, two to five words) 48 of 50, calm 11 of 30; dev54_ka_short (one to five words,
# 60 danger, 40 calm) 49 of 60, calm 7 of 40; dev55_ka_latin_short (Georgian in Latin letters, two to twelve words)
# 47 of 50, calm 9 of 30. The misses left: forms a native review found too often calm ("ვანში" is mostly the town
# Vani; "ხელები დავჭერი" is also chopping). dev56_ka_context (danger beside a question about the signs, a past
# event, a divorce, an expiring visa, a joke; 40 calm with the same framings) 54 of 60, calm 14 of 40.
# dev57_danger_guard (all four groups, written at the session's end; never tuned on, misses never read) 78 of 80,
# calm 9 of 50; 79 of 80 since the fifteenth session's rule of danger told twice apart (its total was looked at
# while that rule was decided).
# Written in the fifteenth session, first run on its start (7ed9b23), Georgian script, 50 danger and 40 calm each:
# dev58_ka_returnees (people back in Georgia: lenders and recruiters threatening, violence at home, despair, a
# relative still held, pressed to go back) 50 of 50, calm 6 of 40; dev59_ka_rough (typed roughly: dialects,
# Russian loanwords, missing spaces and letters, no punctuation) 49 of 50 (the miss has no spaces at all), calm 4
# of 40. dev60_danger_guard (all four groups, 80 danger and 50 calm, written after the session's first changes; never
# tuned on, misses never read) 77 of 80 at the start and at the end, calm 8 of 50 both times.
# Written in the sixteenth session, first run on its start (1a4e6b2): dev61_danger_guard (all four groups, 80
# danger and 50 calm; never tuned on, misses never read) 79 of 80, calm 11 of 50; dev62_ka_polite (Georgian
# script, letters in a polite register: greetings, apologies, danger told calmly among dates and places) 49 of 50
# (the miss: a ransom told as "they called us, he is detained, transfer money so they let him go"), calm 13 of 40;
# dev63_ka_everyday (Georgian script, villages and towns, every tense, person and number) 70 of 70, calm 8 of 30.
# Written in the seventeenth session, first run on its start (8af98c2): dev64_ka_typos (Georgian script typed in a
# hurry: typos, dropped endings, words run together, loanwords) 70 of 70, calm 9 of 40; dev65_ka_kin (parents and
# grandparents in villages writing about a relative abroad, in regional and old-fashioned speech) 70 of 70, calm 20
# of 40. Written after that session's first changes, run first on its start and then on the changes (before any
# was made from them): dev66_shared_words (English and Russian, danger and calm questions sharing their words:
# afraid, dangerous, a trap, threatens, locked, sold, stuck, "will kill me") 58 of 60 both, calm 22 → 20 of 60;
# dev67_ka_shared_words (the same in Georgian script and Latin letters) 59 of 60 both, calm 29 → 18 of 60.
# dev68_danger_guard (all four groups, 80 danger and 60 calm, written at that session's end; never tuned on, misses
# never read) 78 of 80 on its start and at its end, calm 19 → 15 of 60.
# Written in the eighteenth session, first run on its start (74f576e), Georgian: dev69_ka_buried (danger in passing
# inside a practical letter; calm letters that tell a danger that is over or only feared) 27 of 30, calm 14 of 20;
# dev70_ka_regional (regional and old people's speech, both scripts) 30 of 30, calm 7 of 20; dev72_ka_asking
# (danger asked about as a legal or practical question) 35 of 35, calm 3 of 15; dev73_ka_understated (danger told
# with resignation or nervous laughter) 32 of 35, calm 2 of 15; dev74_ka_long (letters of 1,300-1,700 characters,
# danger in the second half) 19 of 20 (the miss told it after the first thousand characters), calm 7 of 10.
# dev71_danger_guard (all four groups, 71 danger and
# 69 calm; never tuned on, misses never read) 71 of 71, calm 10 of 69.
# Written in the nineteenth session, first run on its start (f65e8d7): dev76_ka_care_work (carers, cleaners and
# farm hands abroad and their families: a passport kept "for later", no day off, a debt to the go-between, the
# employer's son at night; both scripts) 35 of 35, calm 8 of 25; dev77_ka_mixed_speech (Georgian mixed with Russian,
# Turkish and English words, dictated with no punctuation, in all three scripts) 35 of 35, calm 4 of 25;
# dev78_danger_guard (all four groups, 72 danger and 68 calm; never tuned on, misses never read) 72 of 72, calm 11 of
# 68 (Georgian script 5, Latin letters 4, Russian 1, English 1, of 17 each).
# Written in the twentieth session, first run on its start (cd6bd1f), each message opening with a practical question
# (a visa, a residence permit, a school, a transfer, a consulate) and telling the writer's situation after it:
# dev79_ka_question_first (Georgian script) 40 of 40, calm 10 of 30; dev80_question_first_mixed (Latin-typed
# Georgian, Russian, English) 54 of 55 (the miss: "how do I enrol my child at school? ... my partner beats my son",
# cancelled by "enrol at school" in the question), calm 6 of 45. dev81_danger_guard (all four groups, 72 danger and
# 68 calm; never tuned on, misses never read) 67 of 72 (Georgian script 17, Latin letters 17, Russian 17, English
# 16, of 18 each), calm 10 of 68 (3, 1, 1, 5 of 17). dev83_mixed_plain (all four groups, plain words typed in a
# hurry, no legal terms; written after the session's first changes, run first on its start) 71 of 72 (the miss: "the
# lady hid my documents"), calm 12 of 68; dev82_mixed_free (all four groups, victims writers tend to forget: men,
# elderly parents, students, sailors, drivers, people stuck in transit) 71 of 72 (the miss: "he said he'd break my
# legs" at a restaurant, read as off-topic), calm 11 of 68.
# Calm messages that got the 112 line first, at most (one message above the figures of the twelfth session). An
# answer whose text names 112 (a passport kept, trouble abroad) is not counted: it is the right answer to a calm
# question. Until the twelfth session these caps counted such answers too, and rose with every right answer on the
# risks entries.
CALM_CAPS = {"urgent_dev.yaml": 0.08, "urgent_dev3.yaml": 0.14, "dev5_urgent.yaml": 0.1, "dev6_actions.yaml": 0.03,
             "dev7.yaml": 0.08, "dev8_danger.yaml": 0.18, "dev9_danger.yaml": 0.12, "dev10_danger.yaml": 0.04,
             "dev11_danger.yaml": 0.03, "dev12_danger.yaml": 0.03, "dev13.yaml": 0.03, "dev14_danger.yaml": 0.2,
             "dev15_danger.yaml": 0.16, "dev16_danger.yaml": 0.19, "dev18_danger.yaml": 0.23, "dev19_mixed.yaml": 0.05,
             "dev20_danger.yaml": 0.27, "dev21_mixed_lang.yaml": 0.05, "dev21_relatives.yaml": 0.14,
             "dev22_danger.yaml": 0.2, "dev23_danger.yaml": 0.16, "dev24_danger_scripts.yaml": 0.25,
             "dev25_danger.yaml": 0.38, "dev26_danger.yaml": 0.2, "dev27_danger.yaml": 0.2, "dev29_danger.yaml": 0.18,
             "dev30_ka_danger.yaml": 0.35, "dev32_ka_danger.yaml": 0.15, "dev37_ka_danger.yaml": 0.26,
             "dev40_ka_danger.yaml": 0.37, "dev42_short.yaml": 0.03, "dev44_ka_danger.yaml": 0.3,
             "dev45_ka_danger.yaml": 0.24, "dev46_ka_mixed_danger.yaml": 0.25, "dev47_danger_guard.yaml": 0.28,
             "dev48_danger_requests.yaml": 0.13, "dev49_ka_stories.yaml": 0.72, "dev50_ka_slang.yaml": 0.17,
             "dev51_ka_exploitation.yaml": 0.3, "dev52_ka_journeys.yaml": 0.4, "dev53_ka_voices.yaml": 0.37,
             "dev54_ka_short.yaml": 0.15, "dev55_ka_latin_short.yaml": 0.24,
             "dev56_ka_context.yaml": 0.38, "dev57_danger_guard.yaml": 0.2, "dev58_ka_returnees.yaml": 0.15,
             "dev59_ka_rough.yaml": 0.13, "dev60_danger_guard.yaml": 0.18, "dev61_danger_guard.yaml": 0.26,
             "dev62_ka_polite.yaml": 0.37, "dev63_ka_everyday.yaml": 0.3,
             "dev64_ka_typos.yaml": 0.25, "dev65_ka_kin.yaml": 0.55, "dev66_shared_words.yaml": 0.22,
             "dev67_ka_shared_words.yaml": 0.15, "dev68_danger_guard.yaml": 0.33, "dev69_ka_buried.yaml": 0.75,
             "dev70_ka_regional.yaml": 0.4, "dev71_danger_guard.yaml": 0.16, "dev72_ka_asking.yaml": 0.27,
             "dev73_ka_understated.yaml": 0.2, "dev74_ka_long.yaml": 0.75, "dev76_ka_care_work.yaml": 0.36,
             "dev77_ka_mixed_speech.yaml": 0.2, "dev78_danger_guard.yaml": 0.18,
             "dev79_ka_question_first.yaml": 0.24, "dev80_question_first_mixed.yaml": 0.14,
             "dev81_danger_guard.yaml": 0.18, "dev82_mixed_free.yaml": 0.19,
             "dev83_mixed_plain.yaml": 0.13}


@pytest.mark.parametrize("name", list(CALM_CAPS))
async def test_danger_sets(rt: Runtime, name: str) -> None:
    """Tuning sets of danger told in many ways, beside calm messages that share its words (a past event, "this
    heat is killing me", "SOS, my card is blocked"). Missing danger costs far more than a needless 112 line."""
    messages = [{**m, "expect": "@urgent" if m.get("urgent", m.get("expect") in ("urgent", "@urgent")) is True
                 else "calm"} for m in load_messages(DATA / name)]
    report = await evaluate(rt.engine, messages)
    urgent = [s.urgent for m, s in report.rows if m["expect"] == "@urgent"]
    calm = [s.alarm for m, s in report.rows if m["expect"] == "calm"]
    print(f"\n{name}: danger with 112 first {sum(urgent)}/{len(urgent)}, calm with 112 first {sum(calm)}/{len(calm)}")
    assert sum(urgent) / len(urgent) >= DANGER_FLOORS.get(name, 0.95)
    assert sum(calm) / len(calm) <= CALM_CAPS[name]


async def test_danger_told_over_several_messages(rt: Runtime) -> None:
    """dev75_bursts: 50 people typing in pieces, one thought per message (30 in danger, 20 calm), in all four
    groups. First run on the eighteenth session's start (74f576e): danger with 112 first by the last message 29 of
    30 (the miss: "someone called my mom" opened the callback form, which then read "they'll hurt him" as no
    answer to its consent question), calm with the line first 2 of 20 (a passport taken "several years ago";
    "stories about people trapped abroad"); now 30 of 30 and 2 of 20."""
    data = yaml.safe_load((DATA / "dev75_bursts.yaml").read_text(encoding="utf-8"))["conversations"]
    shown = await evaluate_conversations(rt.engine, data)
    danger = [any(s.urgent for s in seen) for c, seen in zip(data, shown, strict=True) if c["expect"] == "@urgent"]
    calm = [any(s.alarm for s in seen) for c, seen in zip(data, shown, strict=True) if c["expect"] == "calm"]
    print(f"\ndev75_bursts: danger with 112 first by the last message {sum(danger)}/{len(danger)}, "
          f"calm with 112 first {sum(calm)}/{len(calm)}")
    assert sum(danger) == len(danger)
    assert sum(calm) <= 3


async def test_requests_tuning_set(rt: Runtime) -> None:
    """Ways of asking the bot to do something (call me, a person, the nearest centre, another language, my data),
    with danger told by hints; a tuning set, first run at callback 62 %, centre 48 %, danger 64 % (README)."""
    report = await run(rt, "actions_dev4.yaml")
    assert report.share({"right"}, expect="@urgent") >= 0.9
    assert report.share({"right"}, expect="@callback") >= 0.8
    assert report.share({"right"}, expect="@human") >= 0.9
    assert report.share({"right"}, expect="@centre") >= 0.85
    assert report.share({"right"}, expect="@forget") >= 0.9


@pytest.mark.parametrize("name", ["dev5_enru.yaml", "dev5_ka.yaml", "dev6_faq.yaml", "dev8_faq.yaml",
                                  "dev11_faq.yaml", "dev12_faq.yaml", "dev13.yaml", "dev14_faq.yaml",
                                  "dev16_faq.yaml", "dev19_faq.yaml", "dev19_mixed.yaml", "dev20_terse.yaml",
                                  "dev20_stories.yaml", "dev21_mixed_lang.yaml", "dev21_relatives.yaml",
                                  "dev22_neighbours.yaml"])
async def test_question_tuning_sets(rt: Runtime, name: str) -> None:
    """Questions on every entry, with tricky out-of-scope ones ("a cooking course in Tbilisi", "the shopping
    centre's hours"); first runs: dev5_enru 60 % answered right, 92 % answered or offered, 6 % wrong, 20 % of
    out-of-scope answered; dev5_ka 50 / 84 / 2 %, 35 %; dev6_faq 75 / 94 / 2 %, 38 %; dev8_faq (neighbouring
    entries told apart) 62 / 91 / 5 %. Danger told by details, first runs: dev8_danger 49 %, and dev9_danger
    (written after the hints) 77 % (phrases alone at the session's start) → 93 % (with the hints, untouched);
    dev10_danger 61 % → 78 % the same way; dev11_faq 66 / 94 / 4 %, 10 % of out-of-scope answered; dev11_danger
    80 %; dev12_faq (long questions, out-of-scope ones close to migration) 62 / 92 / 2 %, 23 %; dev12_danger 87 %;
    dev13 (a day's mixed traffic) 82 / 97 / 1 %, 13 %, danger 90 %; dev14_faq 82 / 99 / 1 %, 10 %; dev14_danger
    75 % with phrases alone, 95 % with the danger model (content/danger.yaml), which never saw either dev14 set;
    dev16_faq (neighbouring entries, out-of-scope close to migration) 94 / 98 / 2 %, 2.5 %; dev16_danger 100 %;
    dev18_danger (fragments, understatement, hints only) 97 %; dev19_faq (elderly parents, voice typing, slang,
    whole stories) 90 / 96 / 2 %, 22 %; dev19_mixed danger 99 %; dev20_terse (fragments of a few words) 88 / 92 /
    4 %, 40 % (a town beside a word was taken for a centre request); dev20_stories (long stories, the question in
    the middle) 71 / 90 / 2 %, 0 %; dev20_danger (coded, hurried, third person) 97 %; dev21_mixed_lang (languages
    and scripts mixed, Russian typed in Latin letters) 85 / 95 / 2 %, 0 %, danger 93 %; dev21_relatives
    (parents, neighbours, formal letters) 78 / 94 / 2 %, 0 %, danger 100 %; dev22_neighbours (entries easy to
    confuse, asked for each side) 83 / 97 / 1 %, 10 %; dev22_danger (plain statements, children, euphemisms) 99 %."""
    report = await run(rt, name)
    assert report.share({"right"}, faq_only=True) >= 0.58
    assert report.share({"right", "offered"}, faq_only=True) >= 0.85
    assert report.share({"wrong"}, faq_only=True) <= 0.04
    if any(m["expect"] == "none" for m, _ in report.rows):
        assert report.share({"wrong"}, expect="none") <= 0.10


@pytest.mark.parametrize("name", ["dev5_requests.yaml", "dev6_actions.yaml", "dev7.yaml", "dev11_requests.yaml",
                                  "dev13.yaml", "dev14_requests.yaml", "dev16_requests.yaml",
                                  "dev18_callbacks.yaml", "dev19_mixed.yaml", "dev20_terse.yaml",
                                  "dev20_callbacks.yaml", "dev21_mixed_lang.yaml", "dev21_relatives.yaml",
                                  "dev22_callbacks.yaml"])
async def test_more_request_tuning_sets(rt: Runtime, name: str) -> None:
    """First runs: dev5_requests callback 73 %, centre 80 %, a person 90 %, my data 70 %; dev6_actions callback
    88 %, centre 75 %, danger 71 %; dev7 (danger told only by details) callback 72 %, danger 51 %; dev11_requests
    callback 98 %, a person 95 %, centre 100 %, delete my data 80 %; dev13 callback 97 %, a person and centre
    100 %; dev14_requests callback 90 %, centre 80 %, a person 95 %; dev16_requests callback 91 %, centre 80 %,
    a person 100 %; dev18_callbacks (unusual ways: "give me a buzz", "by phone is easier", "ზარი მომეცით")
    callback 82 %, a person 95 %; dev19_mixed (late-night traffic) callback 90 %, the rest 100 %; requests
    together: dev20_terse 98 %, dev20_callbacks (every way of leaving a number, look-alikes) 83 %,
    dev21_mixed_lang 89 %, dev21_relatives 86 %; dev22_callbacks (indirect, on someone's behalf, numbers in
    every format) callback 98 %, centre 67 %, a person 100 %."""
    report = await run(rt, name)
    for expect in ("@callback", "@human", "@centre", "@forget", "@mydata"):
        if any(m["expect"] == expect for m, _ in report.rows):
            assert report.share({"right"}, expect=expect) >= 0.9, expect


# Written in the seventh session, first run on that session's start code: dev23_mixed (a week's traffic, shaped
# like the held-out set) FAQ 86 / 96 / 1 %, out of scope answered 11 %, danger and callback 100 %; dev23_boundaries
# (each question worded with a neighbouring entry's words; out-of-scope questions close to migration) 81 / 93 /
# 4 %, 17 %; dev23_callbacks (every way of asking for a call or a person, look-alikes) callback 96 %, a person
# 100 %, look-alike questions 89 / 94 / 6 %, 2 of 9 out-of-scope answered; dev23_danger (hard danger) 98 %;
# dev24_danger_scripts (danger typed in another script or a weak second language) 97 % (116 of 120);
# dev24_ka_questions (Georgian script: dialect, slang, formal letters, voice typing) 70 / 90 / 1 %, out of scope
# answered 5 %, requests 60 % (9 of 15).
# Floors a little under the figures at the end of that session.
RECENT = {
    # out of scope 3 of 36 since the eleventh session: "my ID card expired, where do I get a new one?" is answered
    # with the overstay entry (a phrase for it was dropped in review: migrants abroad ask it too)
    "dev23_mixed.yaml": {"right": 0.82, "offered": 0.93, "wrong": 0.03, "none": 0.09, "@urgent": 0.97,
                         "@callback": 0.95},
    "dev23_boundaries.yaml": {"right": 0.77, "offered": 0.91, "wrong": 0.05, "none": 0.20},
    "dev23_callbacks.yaml": {"right": 0.8, "offered": 0.9, "wrong": 0.06, "none": 0.34, "@callback": 0.95,
                             "@human": 0.95},
    "dev24_ka_questions.yaml": {"right": 0.68, "offered": 0.88, "wrong": 0.03, "none": 0.10},
}


# Written in the eighth session, first run on that session's start code: dev25_mixed (a week's traffic, shaped like
# the held-out set) FAQ 84.5 / 95 / 1 % (2 wrong), out of scope answered 8 % (3 of 36), danger 98 % (53 of 54),
# other requests 92 % (73 of 79); dev25_pairs (each question in a neighbouring entry's words) 81 / 95 / 2 %
# (5 wrong); dev25_danger 99 % (89 of 90); dev26_mixed (a month's traffic from many kinds of writer) 90 / 96 / 1 %
# (1 wrong), out of scope answered 6 % (2 of 36), danger 100 %, requests 96 % (52 of 54); dev26_danger 98 %.
RECENT |= {
    "dev25_mixed.yaml": {"right": 0.82, "offered": 0.93, "wrong": 0.02, "none": 0.06, "@urgent": 0.97,
                         "@callback": 0.95, "@human": 0.95},
    "dev25_pairs.yaml": {"right": 0.79, "offered": 0.94, "wrong": 0.02, "none": 0.0},
    "dev26_mixed.yaml": {"right": 0.87, "offered": 0.93, "wrong": 0.02, "none": 0.06, "@urgent": 0.97,
                         "@callback": 0.95, "@human": 0.95},
}


# Written in the ninth session, first run on that session's start code: dev27_mixed (a month's traffic, shaped like
# the held-out set) FAQ 84 / 97 / 0 %, out of scope answered 3 of 40, danger 59 of 60, requests 96 of 100;
# dev27_danger 98 of 100; dev28_questions (each question in a neighbouring entry's words) 81 / 94 / 1 wrong, out
# of scope answered 2 of 30; dev29_danger (indirect, minimised, hurried) 98 of 100; dev29_mixed (a season's
# traffic, many not fluent writers) 89 / 97 / 0 %, out of scope answered 4 of 35, danger 45 of 45, requests 67 of
# 70; dev30_ka_danger (Georgian script: dialect, slang, loanwords) 84 of 85; dev31_ka_questions (Georgian, two
# thirds in Georgian script, dialect and loanwords, key words avoided) 62 / 79 / 3 % (5 wrong), out of scope
# answered 1 of 20; dev35_en_questions (English, half from Georgians writing English, half fluent; written after
# the Georgian examples) 83 / 96 / 4 % (5 wrong, four of them a question read as a request: "which office or can I
# do it online?", "by phone or video call? My aunt..."), out of scope answered 0 of 20.
RECENT |= {
    "dev27_mixed.yaml": {"right": 0.82, "offered": 0.94, "wrong": 0.02, "none": 0.10, "@urgent": 0.96,
                         "@callback": 0.95, "@human": 0.95},
    "dev28_questions.yaml": {"right": 0.80, "offered": 0.93, "wrong": 0.02, "none": 0.10},
    "dev29_mixed.yaml": {"right": 0.86, "offered": 0.95, "wrong": 0.02, "none": 0.08, "@urgent": 0.97,
                         "@callback": 0.95, "@human": 0.95},
    "dev31_ka_questions.yaml": {"right": 0.63, "offered": 0.80, "wrong": 0.04, "none": 0.08},
}


# Written in the tenth session, first run on that session's start code: dev32_ka_danger (Georgian script, eleven
# kinds of danger, plain and literary as well as spoken) 89 of 90; dev33_enru (a month's traffic in English and
# Russian) FAQ 86 / 97 / 0 %, out of scope answered 1 of 24, danger 24 of 24, requests 32 of 32; dev33_ka (a
# month's traffic in Georgian, in all three scripts) 88 / 99 / 0 %, out of scope answered 0 of 20, danger 25 of
# 25, requests 22 of 25; dev34_ka_questions (Georgian, two thirds in Georgian script, regional words and
# loanwords; written after the colloquial Georgian examples, which it first measured) 81 / 94 / 1 %, out of scope
# answered 1 of 20; dev35_en_questions (English, half from Georgians writing English, half fluent; written after
# the Georgian examples) 83 / 96 / 4 % (5 wrong, four of them a question read as a request: "which office or can I
# do it online?", "by phone or video call? My aunt..."), out of scope answered 0 of 20.
RECENT |= {
    # out of scope: "is New Year on a Monday? how many days off?" answered with the opening hours since the
    # eleventh session's examples (2 of 20)
    "dev34_ka_questions.yaml": {"right": 0.78, "offered": 0.91, "wrong": 0.02, "none": 0.10},
    "dev35_en_questions.yaml": {"right": 0.82, "offered": 0.95, "wrong": 0.03, "none": 0.08},
    "dev33_enru.yaml": {"right": 0.82, "offered": 0.94, "wrong": 0.02, "none": 0.08, "@urgent": 0.97,
                        "@callback": 0.95, "@human": 0.95},
    "dev33_ka.yaml": {"right": 0.84, "offered": 0.95, "wrong": 0.02, "none": 0.06, "@urgent": 0.97,
                      "@callback": 0.9},
}


# Written in the eleventh session, first run on that session's start code: dev36_ka_latin (Georgian typed in Latin
# letters, texting spellings and loanwords, neighbouring entries asked for each side) FAQ 77 / 93 / 2 % (3 wrong),
# out of scope answered 5 of 20, danger and requests 20 of 20; dev36_enru (Russian from Georgians, Armenians,
# Azerbaijanis and Russians in Georgia; English from non-native and native writers) 84 / 96 / 1 %, out of scope
# answered 2 of 20, danger and requests 20 of 20; dev37_ka_danger (Georgian script: relatives writing, secret
# fragments, dialect, danger in the middle of a story) 73 of 75, calm with 112 13 of 35; dev38_mixed (a month's
# traffic in all four groups, written after the session's Russian and Latin-typed Georgian examples and never tuned
# on: its first run measured them) 85 / 96 / 1 % (2 wrong), out of scope answered 1 of 25, danger and requests
# 45 of 45.
RECENT |= {
    "dev38_mixed.yaml": {"right": 0.84, "offered": 0.94, "wrong": 0.02, "none": 0.08, "@urgent": 0.95,
                         "@callback": 0.95, "@human": 0.95},
    "dev36_ka_latin.yaml": {"right": 0.74, "offered": 0.91, "wrong": 0.03, "none": 0.25, "@urgent": 0.95},
    "dev36_enru.yaml": {"right": 0.82, "offered": 0.94, "wrong": 0.02, "none": 0.15, "@urgent": 0.95,
                        "@callback": 0.95, "@human": 0.95},
}

# Written in the twelfth session, first run on that session's start code (1f63a84): dev39_en (English from
# non-native and native writers, neighbouring entries) FAQ 82 / 97 / 2 % (2 wrong), out of scope answered 2 of 20,
# danger 10 of 10, requests 9 of 10; dev39_ka_latin (Georgian typed in Latin letters) 86 / 98 / 1 %, out of scope
# 0 of 15, danger 10 of 10, requests 14 of 15; dev40_ka_danger (Georgian script, danger told without its words,
# dialect, beside calm look-alikes) 84 of 85, calm with 112 26 of 55; dev42_short (one to five words in all four
# groups) danger 62 of 70, FAQ 81 / 94 / 0 %; dev41_mixed (a month's traffic, never tuned on, misses never read)
# 89 / 98 / 1 %, out of scope answered 1 of 18, danger and requests 54 of 54. dev44_ka_danger (Georgian script,
# danger told as calm questions and matter-of-fact reports; 40 calm look-alikes): 80 of 80 on arrival.
RECENT |= {
    "dev39_en.yaml": {"right": 0.78, "offered": 0.94, "wrong": 0.03, "none": 0.1, "@urgent": 0.95,
                      "@callback": 0.95},
    "dev39_ka_latin.yaml": {"right": 0.83, "offered": 0.95, "wrong": 0.02, "none": 0.1, "@urgent": 0.95,
                            "@callback": 0.95},
    "dev41_mixed.yaml": {"right": 0.86, "offered": 0.95, "wrong": 0.02, "none": 0.12, "@urgent": 0.95,
                         "@callback": 0.95, "@human": 0.95},
    "dev42_short.yaml": {"right": 0.77, "offered": 0.9, "wrong": 0.03, "none": 0.1, "@urgent": 0.97},
    # dev43_hotline (360 messages to the held-out set's recipe, by another writer): first run 85 / 96 / 1 %, out of
    # scope answered 3 of 40, danger 60 of 60, requests 62 of 70 (five language requests in long messages).
    "dev43_hotline.yaml": {"right": 0.83, "offered": 0.93, "wrong": 0.02, "none": 0.15, "@urgent": 0.97,
                           "@callback": 0.95, "@human": 0.9},
}


@pytest.mark.parametrize("name", sorted(RECENT))
async def test_sets_of_the_latest_sessions(rt: Runtime, name: str) -> None:
    floors = RECENT[name]
    report = await run(rt, name)
    assert report.share({"right"}, faq_only=True) >= floors["right"]
    assert report.share({"right", "offered"}, faq_only=True) >= floors["offered"]
    assert report.share({"wrong"}, faq_only=True) <= floors["wrong"]
    assert report.share({"wrong"}, expect="none") <= floors["none"]
    for expect in ("@urgent", "@callback", "@human"):
        if expect in floors:
            assert report.share({"right"}, expect=expect) >= floors[expect], expect

