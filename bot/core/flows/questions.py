"""Typed messages: decide what a message is, then answer it, act on it, or say honestly that we cannot help.

The order is fixed (see content/intents.yaml for the phrases): urgent danger or despair -> a change of language
(unless a call is asked for in it) -> delete or show my data -> a callback -> a person -> a centre -> "I live in
<place>" or just a place -> greeting or thanks -> a question editors decided in the desk (its entry, or out of
scope) -> an FAQ question -> out of scope.
A place inside a question is context, not a request for a centre.

No state of its own. Buttons: q:y:<faq> / q:n:<faq> ("was this helpful?"). Unanswered questions and
"not helpful" answers are recorded for staff with personal data stripped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.core.context import Ctx
from bot.core.events import Button, Reply
from bot.core.flows.base import Replies
from bot.core.flows.centres import CentresFlow
from bot.core.flows.danger import danger_notice
from bot.core.flows.menu import MenuFlow, action_label
from bot.knowledge.intents import DANGER, Match
from bot.knowledge.redact import normalise_question, redact
from bot.knowledge.schema import Action
from bot.knowledge.search import Hit, SearchResult
from bot.knowledge.textnorm import tokenize
from bot.knowledge.vocabulary import known_words

__all__ = ["OUTCOMES", "QuestionsFlow"]

MAX_QUESTION = 1000
SHORT_MESSAGE = 3  # words: a message this short that names a place is the place, not a question about it
LIVES_MESSAGE = 8  # words: "I live in a village near Ambrolauri" says where one lives; longer asks something too
SUGGESTIONS = 3
# A message that also names something we do not cover (the weather, a concert, a bank card) is answered only
# when the question is this clearly one of ours; below it the shared word is a coincidence ("weekend" hours). It was
# 0.45 until examples lifted scores: "погода в батуми на выходные" reached 0.48 through "работаете в выходной?".
OFF_TOPIC_ANSWER_AT = 0.55
# Under the 112 line a choice outside the danger intent's `follow` entries is offered only when it is the search's
# first, rated this high and this far ahead of the second: a calm question that set off the line keeps its answer,
# while the unrelated choices a danger message comes near (in 1,175 of 1,193 such firsts) only distract.
OTHER_AFTER_DANGER_AT = 0.2
OTHER_AFTER_DANGER_LEAD = 0.9  # the second's score at most this share of the first's
OUTCOMES = ("answered", "suggested", "declined", "urgent", "action")
LANGUAGE_INTENTS = ("language_ka", "language_en", "language_ru")
ACTIONS = ("forget", "mydata", "callback", "human")

# Runs an action the engine owns (a:<name>, or p:<name> for the privacy flow) on behalf of a typed message.
Act = Callable[[Ctx, str], Awaitable[Replies | None]]


class QuestionsFlow:
    prefix = "q"

    def __init__(self, menu: MenuFlow, centres: CentresFlow, act: Act) -> None:
        self.menu = menu
        self.centres = centres
        self.act = act

    async def button(self, ctx: Ctx, arg: str) -> Replies | None:
        verdict, _, faq_id = arg.partition(":")
        if faq_id not in ctx.content.faqs or verdict not in ("y", "n"):
            return None
        if verdict == "y":
            return [ctx.with_nav(ctx._("Thank you for your feedback!"))]
        await self._record(ctx, "unhelpful", ctx.text(ctx.content.faqs[faq_id].question), faq_id)
        return self.not_found(ctx, ctx._("Sorry, this did not help. A person can answer you."))

    async def input(self, ctx: Ctx) -> Replies | None:
        whole = ctx.event.text.strip()
        text = whole[:MAX_QUESTION]
        if not text:
            return None
        # Danger told at the end of a long letter is read too: the understanding reads all of it, the rest its start.
        match = ctx.content.intents.match(whole, ctx.lang)
        if match.first(DANGER):
            ctx.outcome = "urgent"
            return await self.urgent(ctx, text, match)
        ctx.outcome = "action"
        language = _language_asked(ctx.lang, match)
        # "call me in english please": the call is what is asked for, and the form asks the call's language.
        if language is not None and "callback" not in match:
            return self.menu.set_language(ctx, language.removeprefix("language_"))
        action = match.first(ACTIONS)
        if action is not None:
            replies = await self.act(ctx, action)
            if replies is not None:
                return replies
        if match.first(("greeting", "thanks")):
            opening = ctx._("Hello!") if "greeting" in match else ctx._("You are welcome!")
            return self.menu.home(ctx, prefix=opening)
        section = ctx.content.intents.menu(match)
        if section is not None and (reply := self.menu.node(ctx, section)) is not None:
            ctx.outcome = "suggested"  # the section's questions, beside the hotline as every set of choices is
            return [replace(reply, text="\n\n".join([reply.text, ctx.hotline_line()]))]
        decided = ctx.content.staff.find(text)
        if decided is not None and decided.faq_id in ctx.content.faqs:
            return await self.answer(ctx, text, SearchResult("confident", (Hit(decided.faq_id, 1.0),)))
        if decided is not None and decided.out_of_scope:
            return await self.answer(ctx, text, SearchResult("none", ()), out_of_scope=True, record=False)
        words = len(tokenize(text))
        short = words <= SHORT_MESSAGE
        lives_only = "live_in" in match and words <= LIVES_MESSAGE
        # A message that may be only a place is looked up as one before any search: a town alone needs none.
        result = None if "centre" in match or short or lives_only else ctx.content.faq_index.search(text, ctx.lang)
        if result is None or result.status != "confident":
            # A word the off-topic phrases know is not a village it resembles ("weather" ~ Chetar).
            replies = self._place(ctx, text, centre="centre" in match, lives="live_in" in match,
                                  named=words <= LIVES_MESSAGE and "out_of_scope" not in match)
            if replies is not None:
                return replies
        if result is None:
            result = ctx.content.faq_index.search(text, ctx.lang)
        return await self.answer(ctx, text, result, out_of_scope="out_of_scope" in match, short=short)

    def _place(self, ctx: Ctx, text: str, centre: bool, lives: bool, named: bool) -> Replies | None:
        """The centre flow, for a message that asks for a centre, says where the person lives, or is only places
        ("sofeli dimi, baghdatis raioni"); `named`: short enough to be only that."""
        gazetteer = ctx.content.gazetteer
        if not (centre or lives or (named and gazetteer.names_only(text))):
            return None
        place = gazetteer.resolve(text)
        if place.status == "found" and not place.candidates[0].abroad:
            return self.centres.for_place(ctx, place.candidates[0])
        if place.status == "ambiguous":
            ctx.session.enter("c:ask")
            return self.centres.choose(ctx, place.candidates)
        if centre:
            return self.centres.ask(ctx)
        return None

    async def answer(self, ctx: Ctx, text: str, result: SearchResult, out_of_scope: bool = False,
                     record: bool = True, short: bool = False) -> Replies:
        """`record=False`: an editor already decided this question is out of scope; it is not a gap again.
        `short`: in a message of a few words, the off-topic words are the whole question ("курс евро")."""
        off_topic = out_of_scope and (short or result.hits[0].score < OFF_TOPIC_ANSWER_AT) if result.hits else False
        if result.status == "confident" and not off_topic:
            ctx.outcome = "answered"
            return self.menu.faq(ctx, result.hits[0].faq_id, feedback=True, related=_runner_up(result)) or []
        if result.status == "several" and not out_of_scope:
            ctx.outcome = "suggested"
            return self.suggest(ctx, result.hits)
        ctx.outcome = "declined"
        if record:
            await self._record(ctx, "unanswered", text)
        if out_of_scope:
            return self.not_found(ctx, ctx._("Sorry, I can't help with that here. I answer questions about "
                                             "working abroad safely and about help after returning to Georgia."))
        return self.not_found(ctx, ctx._("Sorry, I did not find an answer to that."))

    def suggest(self, ctx: Ctx, hits: tuple[Hit, ...], heading: str = "") -> Replies:
        """Close matches, always beside the hotline and the callback button."""
        rows: list[tuple[Button, ...]] = [
            (Button(ctx.text(ctx.content.faqs[h.faq_id].question), f"f:{h.faq_id}"),)
            for h in hits[:SUGGESTIONS] if h.faq_id in ctx.content.faqs
        ]
        rows.append((Button(action_label(ctx, Action.CALLBACK), "a:callback"),))
        text = "\n\n".join([heading or ctx._("Did you mean one of these?"), ctx.hotline_line()])
        return [ctx.with_nav(text, rows)]

    async def urgent(self, ctx: Ctx, text: str, match: Match) -> Replies:
        """Danger first: 112 and the hotline in the first message, then the callback form when the person left a
        number to be called on, the entry the intent names (someone in despair), or else the closest answer or
        choices (or, with none, the menu and a person)."""
        first = danger_notice(ctx, "despair" in match)
        rows: list[tuple[Button, ...]] = [(Button(action_label(ctx, Action.CALLBACK), "a:callback"),)]
        replies = [Reply(text=first, buttons=tuple(rows))]
        # "call me on 555 ..." after the danger it told; "connect me to a person"; "delete what I wrote, he reads
        # my phone": the form, the hotline screen or the deletion itself carries the way on. A call named without a
        # number is often one told of ("she called me").
        asked_for = "callback" if "callback" in match and match.number else \
            next((k for k in ("human", "forget") if k in match), None)
        if asked_for is not None:
            asked = await self.act(ctx, asked_for)
            if asked is not None:
                return [Reply(text=first), *asked]
        if match.first(DANGER) == "cry":
            # A cry and nothing else: no question to answer, so the menu and a person sit under the 112 line.
            return [ctx.with_nav(first, rows, back=False)]
        follow = ctx.content.intents.answer(match)
        if follow in ctx.content.faqs:
            replies.extend(self.menu.faq(ctx, follow, feedback=True) or [])
            return replies
        result = ctx.content.faq_index.search(text, ctx.lang)
        allowed = ctx.content.intents.follow(match)
        choices = tuple(h for i, h in enumerate(result.hits)
                        if allowed is None or h.faq_id in allowed or (i == 0 and _clearly_first(result)))
        if result.status == "confident":
            replies.extend(self.menu.faq(ctx, result.hits[0].faq_id, feedback=True, related=_runner_up(result)) or [])
        elif choices:
            replies.extend(self.suggest(ctx, choices, ctx._("These answers may help:")))
        else:
            # Nothing to follow the 112 line: the menu and a person sit under it, so that it is not a dead end.
            replies[0] = ctx.with_nav(first, rows, back=False)
        return replies

    def not_found(self, ctx: Ctx, opening: str) -> Replies:
        text = "\n\n".join([
            opening,
            ctx._("Try other words, choose a topic from the menu, or talk to a hotline consultant."),
            ctx.hotline_line(),
        ])
        rows = [(Button(action_label(ctx, Action.CALLBACK), "a:callback"),), (Button(ctx._("🏠 Menu"), "n:home"),)]
        return [Reply(text=text, buttons=tuple(rows))]

    async def _record(self, ctx: Ctx, kind: str, text: str, faq_id: str = "") -> None:
        cleaned = redact(text, known_words(ctx.content))
        await ctx.store.record_gap(ctx.lang, kind, cleaned, normalise_question(cleaned), faq_id, ctx.event.key)


def _clearly_first(result: SearchResult) -> bool:
    first = result.hits[0].score
    return first >= OTHER_AFTER_DANGER_AT and (
        len(result.hits) < 2 or result.hits[1].score <= first * OTHER_AFTER_DANGER_LEAD)


def _runner_up(result: SearchResult) -> str:
    return result.hits[1].faq_id if len(result.hits) > 1 else ""


def _language_asked(current: str, match: Match) -> str | None:
    """Of two languages named ("write in Russian, I read Georgian badly"), the one asked for in so many words,
    else the one not in use now: people write in the language they are given to ask for another."""
    named = [name for name in LANGUAGE_INTENTS if name in match]
    if len(named) < 2:
        return named[0] if named else None
    asked = [name for name in named if name in match.requested]
    return next(iter(asked), next((name for name in named if name != f"language_{current}"), named[0]))
