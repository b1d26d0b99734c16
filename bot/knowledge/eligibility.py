"""The reintegration pre-check as data: questions with button answers, and rules that map answers to the
directions of assistance that may apply.

The check is a small graph: each answer names the next question or `result`. Validation proves every path ends
(no loops, no dead ends), every question can be reached, and every rule can apply and names a real direction, with
file:line for each problem so staff can fix an edit at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from bot.i18n import LANGUAGES, fallback_chain
from bot.knowledge.schema import KNOWN_PLACEHOLDERS, PLACEHOLDER, LocalText, Sourced
from bot.knowledge.yamlread import Issue, YamlDoc, validate

__all__ = [
    "END",
    "Answer",
    "Eligibility",
    "Question",
    "Results",
    "Rule",
    "answer_data",
    "load_eligibility",
]

END = "result"
LABEL_MAX = 60
CALLBACK_BYTES = 64
PATH_LIMIT = 10_000

# 20 characters keep `e:a:<question>:<answer>` within Telegram's 64 bytes of button data.
StepId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,20}$")]
Loc = tuple[str | int, ...]


def answer_data(question: str, answer: str) -> str:
    """The button data of an answer; the flow parses it back."""
    return f"e:a:{question}:{answer}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Answer(_Model):
    id: StepId
    label: LocalText
    next: StepId
    # For a question about when something happened: a typed month ("03/2026", "last month") picks the answer
    # whose range holds the whole months since then, [from, to] inclusive; `to` may be omitted (no upper end).
    months: tuple[int] | tuple[int, int] | None = None

    def holds(self, months: int) -> bool:
        if self.months is None:
            return False
        low, high = self.months[0], (self.months[1] if len(self.months) > 1 else None)
        return low <= months and (high is None or months <= high)


class Question(_Model):
    id: StepId
    text: LocalText
    answers: list[Answer] = Field(default_factory=list)

    def answer(self, answer_id: str) -> Answer | None:
        return next((a for a in self.answers if a.id == answer_id), None)

    def by_months(self, months: int) -> Answer | None:
        return next((a for a in self.answers if a.holds(months)), None)

    @property
    def asks_month(self) -> bool:
        return any(a.months is not None for a in self.answers)


def _one_or_many(value: Any) -> Any:
    """`when: {housing: need}` and `when: {housing: [need, temporary]}` both read naturally."""
    if isinstance(value, dict):
        return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
    return value


class Rule(Sourced):
    when: Annotated[dict[StepId, list[StepId]], BeforeValidator(_one_or_many)]
    directions: list[str] = Field(default_factory=list)
    note: LocalText | None = None

    @model_validator(mode="after")
    def _useful(self) -> Rule:
        if not self.when:
            raise ValueError("`when` needs at least one question and answer")
        if not self.directions and self.note is None:
            raise ValueError("a rule needs `directions`, a `note`, or both")
        return self

    def applies(self, answers: Mapping[str, str]) -> bool:
        return all(answers.get(question) in options for question, options in self.when.items())


class Results(_Model):
    found: LocalText
    none: LocalText
    notice: LocalText


class Eligibility(Sourced):
    start: StepId
    intro: LocalText
    questions: list[Question]
    rules: list[Rule]
    results: Results

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def evaluate(self, answers: Mapping[str, str]) -> list[str]:
        """The directions that may apply, in the order the rules name them, each once."""
        found: dict[str, None] = {}
        for rule in self.rules:
            if rule.applies(answers):
                found.update(dict.fromkeys(rule.directions))
        return list(found)

    def notes(self, answers: Mapping[str, str]) -> list[dict[str, str]]:
        return [rule.note for rule in self.rules if rule.note is not None and rule.applies(answers)]

    def paths(self, limit: int = PATH_LIMIT) -> Iterator[dict[str, str]]:
        """Every complete way through the check (answers by question); assumes the graph has no loops."""
        stack: list[tuple[str, dict[str, str]]] = [(self.start, {})]
        produced = 0
        while stack and produced < limit:
            at, answers = stack.pop()
            question = self.question(at)
            if question is None:
                continue
            for answer in question.answers:
                taken = {**answers, at: answer.id}
                if answer.next == END:
                    produced += 1
                    yield taken
                elif answer.next not in taken:
                    stack.append((answer.next, taken))


def load_eligibility(doc: YamlDoc, directions: set[str]) -> tuple[Eligibility | None, list[Issue]]:
    """Validates content/eligibility.yaml against the menu's direction ids; None if there is any error.

    The returned issues include the ones found while reading the YAML.
    """
    parsed = validate(doc, Eligibility)
    issues = list(doc.issues)
    if parsed is None:
        return None, issues
    _Checker(doc, parsed, directions, issues).run()
    if any(i.is_error for i in issues):
        return None, issues
    return parsed, issues


class _Checker:
    def __init__(self, doc: YamlDoc, parsed: Eligibility, directions: set[str], issues: list[Issue]) -> None:
        self.doc = doc
        self.parsed = parsed
        self.directions = directions
        self.issues = issues
        self.index: dict[str, int] = {}
        for position, question in enumerate(parsed.questions):
            self.index.setdefault(question.id, position)

    def error(self, loc: Loc, message: str) -> None:
        self.issues.append(self.doc.issue(loc, message))

    def warn(self, loc: Loc, message: str) -> None:
        self.issues.append(self.doc.issue(loc, message, "warning"))

    def run(self) -> None:
        before = len([i for i in self.issues if i.is_error])
        self.texts(("intro",), self.parsed.intro, label=False)
        for name in ("found", "none", "notice"):
            self.texts(("results", name), getattr(self.parsed.results, name), label=False)
        self.questions()
        self.graph()
        self.rules()
        if len([i for i in self.issues if i.is_error]) == before:
            self.rules_can_apply()

    def texts(self, loc: Loc, local: dict[str, str], label: bool) -> None:
        for lang in LANGUAGES:
            if lang not in local:
                used = next((c for c in fallback_chain(lang) if c in local), next(iter(local)))
                self.warn(loc, f"no {lang} translation; the {used} text will be shown")
        for lang, text in local.items():
            for name in PLACEHOLDER.findall(text):
                if name not in KNOWN_PLACEHOLDERS:
                    self.error((*loc, lang), f"unknown placeholder {{{name}}}; known: {{hotline}}")
            if label and len(text) > LABEL_MAX:
                self.error((*loc, lang), f"button text is {len(text)} characters; keep it under {LABEL_MAX}")

    def questions(self) -> None:
        seen: set[str] = set()
        for q_index, question in enumerate(self.parsed.questions):
            loc: Loc = ("questions", q_index)
            if question.id == END:
                self.error((*loc, "id"), f"{END!r} is reserved for `next: {END}`; choose another question id")
            if question.id in seen:
                self.error((*loc, "id"), f"duplicate question id {question.id!r}")
            seen.add(question.id)
            self.texts((*loc, "text"), question.text, label=False)
            if not question.answers:
                self.error((*loc, "id"), f"question {question.id!r} has no answers: the check would stop there")
            answer_ids: set[str] = set()
            for a_index, answer in enumerate(question.answers):
                a_loc: Loc = (*loc, "answers", a_index)
                if answer.id in answer_ids:
                    self.error((*a_loc, "id"), f"duplicate answer id {answer.id!r} in question {question.id!r}")
                answer_ids.add(answer.id)
                self.texts((*a_loc, "label"), answer.label, label=True)
                if len(answer_data(question.id, answer.id).encode()) > CALLBACK_BYTES:
                    self.error((*a_loc, "id"), "ids too long for a button's data")
                if answer.next != END and answer.next not in self.index:
                    self.error((*a_loc, "next"), f"next question {answer.next!r} does not exist "
                                                 f"(use `next: {END}` to end the check)")

    def graph(self) -> None:
        """Unreachable questions and loops: a loop is a branch that never ends."""
        start = self.parsed.start
        if start not in self.index:
            self.error(("start",), f"start question {start!r} does not exist")
            return
        reachable: set[str] = set()
        stack = [start]
        while stack:
            current = stack.pop()
            if current in reachable or current not in self.index:
                continue
            reachable.add(current)
            stack.extend(a.next for a in self.parsed.questions[self.index[current]].answers)
        for q_index, question in enumerate(self.parsed.questions):
            if question.id not in reachable and self.index.get(question.id) == q_index:
                self.error(("questions", q_index, "id"),
                           f"question {question.id!r} cannot be reached from {start!r}: no answer leads to it")
        self._loops()

    def _loops(self) -> None:
        done: set[str] = set()
        for root in dict.fromkeys([self.parsed.start, *self.index]):
            if root in done:
                continue
            trail: list[str] = []
            on_trail: set[str] = set()
            # Iterative depth-first search: (question, next answer index to follow).
            stack: list[tuple[str, int]] = [(root, 0)]
            trail.append(root)
            on_trail.add(root)
            while stack:
                current, position = stack[-1]
                answers = self.parsed.questions[self.index[current]].answers
                if position == len(answers):
                    stack.pop()
                    trail.pop()
                    on_trail.discard(current)
                    done.add(current)
                    continue
                stack[-1] = (current, position + 1)
                target = answers[position].next
                if target in on_trail:
                    loop = " -> ".join([*trail[trail.index(target):], target])
                    self.error(("questions", self.index[current], "answers", position, "next"),
                               f"answer {answers[position].id!r} of {current!r} goes back to {target!r}, "
                               f"so the check never ends: {loop}")
                elif target in self.index and target not in done:
                    stack.append((target, 0))
                    trail.append(target)
                    on_trail.add(target)

    def rules(self) -> None:
        if not self.parsed.rules:
            self.warn(("rules",), "no rules: every result will say that no direction stands out")
        for r_index, rule in enumerate(self.parsed.rules):
            loc: Loc = ("rules", r_index)
            for question_id, options in rule.when.items():
                if question_id not in self.index:
                    self.error((*loc, "when", question_id), f"question {question_id!r} does not exist")
                    continue
                question = self.parsed.questions[self.index[question_id]]
                for o_index, option in enumerate(options):
                    if question.answer(option) is None:
                        known = ", ".join(a.id for a in question.answers)
                        self.error((*loc, "when", question_id, o_index),
                                   f"question {question_id!r} has no answer {option!r} (answers: {known})")
            for d_index, direction in enumerate(rule.directions):
                if direction not in self.directions:
                    known = ", ".join(sorted(self.directions)) or "none"
                    self.error((*loc, "directions", d_index),
                               f"direction {direction!r} is not a menu id (directions: {known})")
            if rule.note is not None:
                self.texts((*loc, "note"), rule.note, label=False)

    def rules_can_apply(self) -> None:
        paths = list(self.parsed.paths())
        for r_index, rule in enumerate(self.parsed.rules):
            if not any(rule.applies(path) for path in paths):
                self.warn(("rules", r_index, "when"),
                          "this rule never applies: no way through the questions gives all of these answers")
