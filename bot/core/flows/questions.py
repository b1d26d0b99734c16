"""Free-text questions: search the FAQ, answer when confident, offer choices when close, admit when not.

No state of its own. Buttons: q:y:<faq> / q:n:<faq> ("was this helpful?"). Unanswered questions and
"not helpful" answers are recorded for staff with personal data stripped.
"""

from __future__ import annotations

from bot.core.context import Ctx
from bot.core.events import Button, Reply
from bot.core.flows.base import Replies
from bot.core.flows.centres import CentresFlow
from bot.core.flows.menu import MenuFlow, action_label
from bot.knowledge.redact import normalise_question, redact
from bot.knowledge.schema import Action

__all__ = ["QuestionsFlow"]

MAX_QUESTION = 1000


class QuestionsFlow:
    prefix = "q"

    def __init__(self, menu: MenuFlow, centres: CentresFlow) -> None:
        self.menu = menu
        self.centres = centres

    async def button(self, ctx: Ctx, arg: str) -> Replies | None:
        verdict, _, faq_id = arg.partition(":")
        if faq_id not in ctx.content.faqs or verdict not in ("y", "n"):
            return None
        if verdict == "y":
            return [ctx.with_nav(ctx._("Thank you for your feedback!"))]
        await self._record(ctx, "unhelpful", ctx.text(ctx.content.faqs[faq_id].question), faq_id)
        return self.not_found(ctx, ctx._("Sorry, this did not help. A person can answer you."))

    async def input(self, ctx: Ctx) -> Replies | None:
        text = ctx.event.text.strip()[:MAX_QUESTION]
        if not text:
            return None
        result = ctx.content.faq_index.search(text, ctx.lang)
        if result.status == "confident":
            return self.menu.faq(ctx, result.hits[0].faq_id, feedback=True)
        if result.status == "several":
            rows = [(Button(ctx.text(ctx.content.faqs[h.faq_id].question), f"f:{h.faq_id}"),)
                    for h in result.hits[:3] if h.faq_id in ctx.content.faqs]
            return [ctx.with_nav(ctx._("Did you mean one of these?"), rows)]
        place = ctx.content.gazetteer.resolve(text)
        if place.status == "found":
            return self.centres.for_place(ctx, place.candidates[0])
        await self._record(ctx, "unanswered", text)
        return self.not_found(ctx, ctx._("Sorry, I did not find an answer to that."))

    def not_found(self, ctx: Ctx, opening: str) -> Replies:
        text = "\n\n".join([
            opening,
            ctx._("Try other words, choose a topic from the menu, or talk to a hotline consultant."),
            ctx.hotline_line(),
        ])
        rows = [(Button(action_label(ctx, Action.CALLBACK), "a:callback"),), (Button(ctx._("🏠 Menu"), "n:home"),)]
        return [Reply(text=text, buttons=tuple(rows))]

    async def _record(self, ctx: Ctx, kind: str, text: str, faq_id: str = "") -> None:
        cleaned = redact(text)
        await ctx.store.record_gap(ctx.lang, kind, cleaned, normalise_question(cleaned), faq_id)
