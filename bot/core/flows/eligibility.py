"""Reintegration pre-check: a few questions with button answers, then the directions of help that may apply.

States: e:ask (data: `path`, the answers so far as [question, answer] pairs; `at`, the question on screen).
Buttons: e:start, e:a:<question>:<answer>, e:b (back one question), e:x (cancel). The result links each
direction to its menu (m:<direction>) and to a callback request about it (cb:start:<direction>). The answers
are dropped as soon as the result is shown: nothing about the user's situation is kept.
"""

from __future__ import annotations

from datetime import date

from bot.core.context import Ctx
from bot.core.events import Button, Reply
from bot.core.flows.base import Replies
from bot.core.flows.menu import MenuFlow
from bot.knowledge.eligibility import END, Answer, Eligibility, Question, answer_data
from bot.requests import parse_month_year

__all__ = ["EligibilityFlow"]

STATE = "e:ask"


def by_month(question: Question, text: str, today: date) -> Answer | None:
    """The answer whose range holds the whole months since a typed month ("03/2026", "last month")."""
    value = parse_month_year(text, today)
    if value is None or "-" not in value:
        return None
    year, month = map(int, value.split("-"))
    return question.by_months(today.year * 12 + today.month - (year * 12 + month))


class EligibilityFlow:
    prefix = "e"

    def __init__(self, menu: MenuFlow) -> None:
        self.menu = menu

    async def button(self, ctx: Ctx, arg: str) -> Replies | None:
        check = ctx.content.eligibility
        if check is None:
            return self.menu.human(ctx) if arg == "start" else None
        if arg == "start":
            ctx.session.enter(STATE, path=[], at=check.start)
            ctx.session.visit("e:start")  # so that "Back" on the result returns to the menu it was started from
            return self.ask(ctx, check, check.start, edit=True)
        if arg == "x":
            return self.menu.home(ctx, prefix=ctx._("Cancelled."))
        if arg == "b":
            return self.back(ctx, check)
        kind, _, rest = arg.partition(":")
        question_id, _, answer_id = rest.partition(":")
        if kind == "a":
            return self.answer(ctx, check, question_id, answer_id, edit=True)
        return None

    async def input(self, ctx: Ctx) -> Replies | None:
        """Typed text that matches an answer counts as pressing it; anything else asks again with a hint."""
        check = ctx.content.eligibility
        if ctx.session.state != STATE or check is None:
            return None
        question = check.question(str(ctx.session.data.get("at", "")))
        if question is None:
            ctx.session.leave()
            return None
        typed = " ".join(ctx.event.text.split()).casefold()
        for answer in question.answers:
            if typed and typed in {" ".join(label.split()).casefold() for label in answer.label.values()}:
                return self.answer(ctx, check, question.id, answer.id, edit=False)
        if question.asks_month:
            chosen = by_month(question, ctx.event.text, date.today())
            if chosen is not None:
                return self.answer(ctx, check, question.id, chosen.id, edit=False)
        hint = ctx._("Please choose one of the answers with the buttons, or press “Cancel” to stop the check.")
        return self.ask(ctx, check, question.id, edit=False, hint=hint)

    def _path(self, ctx: Ctx) -> list[tuple[str, str]]:
        raw = ctx.session.data.get("path") or []
        return [(str(q), str(a)) for q, a in raw]

    def ask(self, ctx: Ctx, check: Eligibility, question_id: str, edit: bool, hint: str = "") -> Replies | None:
        question = check.question(question_id)
        if question is None:
            return None
        ctx.session.data["at"] = question.id
        parts = [hint] if hint else []
        if question.id == check.start and not self._path(ctx):
            parts.append(ctx.text(check.intro))
        parts.append(ctx.text(question.text))
        return [Reply(text="\n\n".join(parts), buttons=self._buttons(ctx, question), edit=edit)]

    def _buttons(self, ctx: Ctx, question: Question) -> tuple[tuple[Button, ...], ...]:
        rows = [(Button(ctx.text(a.label), answer_data(question.id, a.id)),) for a in question.answers]
        rows.append((Button(ctx._("⬅️ Back"), "e:b"), Button(ctx._("✖️ Cancel"), "e:x")))
        return tuple(rows)

    def answer(self, ctx: Ctx, check: Eligibility, question_id: str, answer_id: str, edit: bool) -> Replies | None:
        """Records an answer to the question on screen, or to an earlier one (which drops the answers after it)."""
        question = check.question(question_id)
        chosen = question.answer(answer_id) if question else None
        if question is None or chosen is None:
            return None
        if ctx.session.state == STATE:
            path = self._path(ctx)
            asked = [q for q, _ in path]
            if question_id in asked:
                path = path[: asked.index(question_id)]
            elif question_id != ctx.session.data.get("at"):
                return None
        elif question_id == check.start:
            path = []
        else:
            return None
        path.append((question_id, answer_id))
        if chosen.next == END:
            return self.result(ctx, check, dict(path), edit)
        ctx.session.enter(STATE, path=[list(p) for p in path], at=chosen.next)
        return self.ask(ctx, check, chosen.next, edit)

    def back(self, ctx: Ctx, check: Eligibility) -> Replies | None:
        if ctx.session.state != STATE:
            return None
        path = self._path(ctx)
        if not path:
            ctx.session.leave()
            return self._previous_screen(ctx)
        question_id, _ = path.pop()
        ctx.session.enter(STATE, path=[list(p) for p in path], at=question_id)
        return self.ask(ctx, check, question_id, edit=True)

    def _previous_screen(self, ctx: Ctx) -> Replies:
        """Back from the first question: the menu the check was started from."""
        for screen in reversed(ctx.session.history):
            prefix, _, node_id = screen.partition(":")
            if prefix == "m" and node_id in ctx.content.nodes:
                reply = self.menu.node(ctx, node_id, edit=True)
                if reply is not None:
                    return [reply]
        return self.menu.home(ctx, edit=True)

    def result(self, ctx: Ctx, check: Eligibility, answers: dict[str, str], edit: bool) -> Replies:
        ctx.session.leave()
        directions = [d for d in check.evaluate(answers) if d in ctx.content.nodes]
        titles = {d: ctx.text(ctx.content.nodes[d].title) for d in directions}
        parts = []
        if directions:
            parts.append("\n".join([ctx.text(check.results.found), *(f"• {titles[d]}" for d in directions)]))
        else:
            parts.append(ctx.text(check.results.none))
        parts.extend(ctx.text(note) for note in check.notes(answers))
        parts.append(ctx._("This is a first orientation, not a decision. The Agency that runs the programme "
                           "decides whether you are eligible."))
        parts.append(ctx.text(check.results.notice))
        parts.append(ctx.hotline_line())
        rows: list[tuple[Button, ...]] = [
            (Button(titles[d], f"m:{d}"), Button(ctx._("📞 Call me about this"), f"cb:start:{d}")) for d in directions
        ]
        if not directions:
            rows.append((Button(ctx._("📞 Request a callback"), "cb:start"),))
        rows.append((Button(ctx._("🔁 Start the check again"), "e:start"),))
        return [ctx.with_nav("\n\n".join(parts), rows, edit=edit)]
