"""The conversation engine: Event in, Replies out, with the user's session loaded and saved around each step.

Order of routing (first match wins): flood guard -> duplicate update -> language choice -> commands -> buttons by
prefix -> the active flow's input -> global fallbacks (location: nearest centre; text: question search; anything
else: a hint and the menu). A failing step never escapes: the user gets an apology with the hotline. The engine
routes by prefix only: what each button and command does is its flow's business (flows/navigation.py for the
menu's own buttons and the commands).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date

from bot import logs, metrics, usage
from bot.config import Settings
from bot.core.codec import reply_from_dict, reply_to_dict
from bot.core.context import Ctx, Session
from bot.core.events import Button, Event, Kind, Reply
from bot.core.flows.base import Flow, Replies
from bot.core.flows.callback import CallbackFlow
from bot.core.flows.centres import CentresFlow
from bot.core.flows.eligibility import EligibilityFlow
from bot.core.flows.handoff import HandoffFlow
from bot.core.flows.menu import MenuFlow
from bot.core.flows.navigation import ActionFlow, Commands, FaqFlow, HomeFlow, LanguageFlow
from bot.core.flows.privacy import PrivacyFlow
from bot.core.flows.questions import QuestionsFlow
from bot.core.language import guess_language
from bot.i18n import Catalogues, pick_language
from bot.knowledge.intents import DANGER
from bot.knowledge.loader import ContentHolder
from bot.store.base import Store, StoreUnavailable, storable_text

__all__ = ["Engine", "Send"]

log = logging.getLogger(__name__)

def hide_request_keyboard(session: Session, replies: list[Reply]) -> list[Reply]:
    """A share-location/phone keyboard stays on the person's screen until removed: the first reply after the one
    that showed it hides it, unless the step shows one again. What was shown is kept in the session, so no list of
    the steps that ask has to be kept by hand."""
    if any(r.requests for r in replies):
        session.keyboard = True
        return replies
    if not session.keyboard or not replies:
        return replies
    session.keyboard = False
    return [replace(replies[0], remove_keyboard=True), *replies[1:]]


FLOOD_WINDOW = 10.0
STEP_ATTEMPTS = 3  # a step that lost its database connection is tried again, on fresh ones, this many times
Send = Callable[[list[Reply]], Awaitable[object]]


class _SendFailed(Exception):
    """Carries a channel's sending error out of the step unchanged (it is not the step's failure)."""


def _storable(event: Event) -> Event:
    """The event with text every store can hold (see `storable_text`)."""
    contact, attachment = event.contact, event.attachment
    texts = (event.text, event.data, *((contact.name, contact.phone) if contact else ()),
             *((attachment.caption, attachment.file_ref) if attachment else ()))
    if all(storable_text(t) == t for t in texts):
        return event
    if contact is not None:
        contact = replace(contact, name=storable_text(contact.name), phone=storable_text(contact.phone))
    if attachment is not None:
        attachment = replace(attachment, caption=storable_text(attachment.caption),
                             file_ref=storable_text(attachment.file_ref))
    return replace(event, text=storable_text(event.text), data=storable_text(event.data), contact=contact,
                   attachment=attachment)


def _checked(event: Event) -> Event:
    """A location off the globe (or not a number) is no location: the user is told what the bot understands."""
    point = event.location
    if point is None or (-90 <= point.latitude <= 90 and -180 <= point.longitude <= 180):  # NaN fails both
        return event
    return replace(event, kind=Kind.UNSUPPORTED, location=None)


class Engine:
    def __init__(self, content: ContentHolder, store: Store, settings: Settings,
                 catalogues: Catalogues | None = None) -> None:
        self.content = content
        self.store = store
        self.settings = settings
        self.catalogues = catalogues or Catalogues()
        self.menu = MenuFlow()
        self.flows: dict[str, Flow] = {}
        self.commands = Commands(self.menu, self.flows)
        self._recent: dict[str, deque[float]] = {}
        self.tally = usage.Tally()  # day counts for the statistics, flushed to the store by the runtime
        self._register()

    def _register(self) -> None:
        """Every flow, in one place; the prefix is both its button namespace and its state namespace."""
        menu = self.menu
        centres = CentresFlow(menu)
        actions = ActionFlow(menu, self.flows)
        callback = CallbackFlow(menu)
        self.handoff = HandoffFlow(menu, callback)
        for flow in (menu, centres, EligibilityFlow(menu), callback, PrivacyFlow(menu),
                     QuestionsFlow(menu, centres, actions.typed), HomeFlow(menu, self.flows), FaqFlow(menu),
                     LanguageFlow(menu), actions, self.handoff):
            self.flows[flow.prefix] = flow

    async def handle(self, event: Event, send: Send | None = None) -> list[Reply]:
        """Processes one event exactly once per (channel, update id); always returns at least one reply.

        The user's lock is taken before anything is awaited, so one user's events run in the order they came.
        A duplicate update gets [] once its replies were delivered (see `delivered`), or the same replies again.

        With `send`, the replies are sent and marked delivered while the user's lock is still held: a copy of the
        update given at the same moment to another worker waits for that, then finds nothing to send. Only when
        sending failed (it raised, and the error reaches the caller) or the process died are the kept replies
        sent again. A step that fails on lost database connections is tried again from the start on fresh ones;
        if it still fails, StoreUnavailable is raised so that the channel asks the platform to resend the update
        instead of acknowledging it with an apology.
        """
        metrics.record_update(event.key.channel, event.kind.value)
        logs.bind(event.key.channel, event.update_id)
        throttled = self._throttled(event)
        if throttled is not None:
            if send is not None and throttled:
                await send(throttled)
            return throttled
        event = _checked(_storable(event))
        lang: list[str | None] = [None]  # the user's language, once read: the apology speaks it
        started = time.perf_counter()
        try:
            for attempt in range(1, STEP_ATTEMPTS + 1):
                try:
                    async with self.store.lock(event.key):
                        replies = await self._locked_step(event, lang)
                        if send is not None and replies:
                            try:
                                await send(replies)
                            except Exception as exc:
                                raise _SendFailed from exc
                            await self.delivered(event)
                        return replies
                except _SendFailed as failed:
                    raise failed.__cause__ from None  # type: ignore[misc]
                except Exception as exc:
                    if metrics.is_store_error(exc):
                        metrics.record_store_error("step")
                    if self.store.is_transient(exc):
                        log.warning("update %s on %s: the database connection was lost (%s); attempt %d of %d",
                                    event.update_id, event.key.channel, type(exc).__name__, attempt, STEP_ATTEMPTS)
                        if attempt < STEP_ATTEMPTS:
                            continue
                        raise StoreUnavailable(type(exc).__name__) from exc
                    log.exception("failed to handle %s event (update %s) on %s", event.kind.value, event.update_id,
                                  event.key.channel)
                    break
        finally:
            metrics.observe_step(event.key.channel, time.perf_counter() - started)
        apology = self.apology(event, lang[0])
        if send is not None:
            await send(apology)
        return apology

    async def _locked_step(self, event: Event, lang: list[str | None]) -> list[Reply]:
        """One step under the user's lock; notes the user's language in `lang`."""
        start = await self.store.begin_step(event.key, event.update_id)
        if start.seen:
            return [reply_from_dict(r) for r in start.kept_replies] if start.kept_replies else []
        session = Session.from_dict(start.session)
        lang[0] = session.lang
        ctx = Ctx(event, session, self.content.current, self.catalogues, self.store, self.settings)
        replies = hide_request_keyboard(session, await self._step(ctx))
        kept_replies = [reply_to_dict(r) for r in replies] if event.update_id else None
        day = usage.today()
        first_today = bool(session.lang) and session.day != day.isoformat()
        if first_today:
            session.day = day.isoformat()
        await self.store.save_session(event.key, session.to_dict(), event.update_id, kept_replies)
        self._count(ctx, day, first_today)
        return replies

    def _count(self, ctx: Ctx, day: date, first_today: bool) -> None:
        """Counts a saved step (a retried one only once): a person is counted on their first step of the day
        that has a language, so one who only opened the language menu is not a conversation yet."""
        channel, lang = ctx.event.key.channel, ctx.session.lang or ""
        if first_today:
            self.tally.person(day, channel, lang)
        if ctx.outcome:
            metrics.record_typed(ctx.outcome)
            self.tally.outcome(day, channel, lang, ctx.outcome, ctx.faq_shown if ctx.outcome == "answered" else "")
        elif ctx.faq_shown:
            self.tally.outcome(day, channel, lang, usage.OPENED, ctx.faq_shown)

    async def delivered(self, event: Event) -> None:
        """Channels call this once an event's replies are sent: a resend of the update is then answered with nothing.

        Until then, a resend (the process died between saving the step and sending) gets the same replies again.
        """
        if event.update_id:
            try:
                await self.store.mark_delivered(event.key.channel, event.update_id)
            except Exception as exc:
                if metrics.is_store_error(exc):
                    metrics.record_store_error("delivered")
                log.exception("could not mark update %s delivered on %s", event.update_id, event.key.channel)

    def apology(self, event: Event, lang: str | None = None) -> list[Reply]:
        """What a user sees when something broke: never silence."""
        lang = lang or pick_language(event.platform_language) or self.settings.default_language
        t = self.catalogues.translator(lang)
        try:
            hotline = self.content.current.hotline.display
        except RuntimeError:
            hotline = ""
        text = t.gettext("Sorry, something went wrong on our side. Please try again in a minute.")
        if hotline:
            text += "\n" + t.gettext("IOM hotline: {phone}").format(phone=hotline)
        return [Reply(text=text, buttons=((Button(t.gettext("🏠 Menu"), "n:home"),),))]

    def _throttled(self, event: Event) -> list[Reply] | None:
        """A user over the rate gets one polite note, then nothing, without touching the store or the lock.

        Counted per process: with several workers each enforces the limit on the updates it receives.
        """
        now = time.monotonic()
        window = self._recent.setdefault(str(event.key), deque())
        while window and now - window[0] > FLOOD_WINDOW:
            window.popleft()
        window.append(now)
        if len(self._recent) > 10_000:
            for key in [k for k, v in self._recent.items() if not v or now - v[-1] > FLOOD_WINDOW]:
                del self._recent[key]
        limit = self.settings.flood_messages_per_10s
        if len(window) <= limit:
            return None
        if len(window) > limit + 1:
            return []
        t = self.catalogues.translator(pick_language(event.platform_language) or self.settings.default_language)
        return [Reply(text=t.gettext("You are sending messages very fast. Please wait a few seconds, then continue."))]

    async def _step(self, ctx: Ctx) -> Replies:
        event, session = ctx.event, ctx.session
        if session.lang is None:
            preselected = pick_language(event.platform_language)
            if event.kind is Kind.BUTTON and event.data.startswith("l:"):
                replies = self.menu.set_language(ctx, event.data[2:])
                if replies:
                    return replies
            if event.kind is Kind.TEXT and event.text.strip():
                # The first message is answered, not thrown away: its words choose the language.
                session.lang = guess_language(ctx.content, event.text, preselected)
                return [self.menu.language_note(ctx), *await self._step(ctx)]
            if preselected is None:
                return self.menu.language_menu(ctx, first_contact=True)
            session.lang = preselected
            if event.kind is Kind.COMMAND and event.data == "start":
                return self.menu.home(ctx, prefix=ctx._("Hello! I am the migrant hotline assistant."))
        if session.state.startswith("h:"):  # a live chat: the bot stays silent while a person answers
            live = await self.handoff.during(ctx)
            if live is not None:
                return live
        if session.state == "c:ask" and event.kind in (Kind.COMMAND, Kind.BUTTON) \
                and event.data not in ("centres", "a:centres") and not event.data.startswith("c:"):
            session.leave()  # the place question is over: later text is a question again, not a town
        if event.kind is Kind.TEXT and session.state and not session.state.startswith("cb:") \
                and ctx.content.intents.match(event.text, ctx.lang).first(DANGER):
            session.leave()  # danger comes before a half-answered question about a place or a pre-check
            return await self._fallback(ctx)
        if event.kind is Kind.COMMAND:
            return await self._command(ctx)
        if event.kind is Kind.BUTTON:
            return await self._button(ctx)
        if session.state:
            flow = self.flows.get(session.state.split(":", 1)[0])
            if flow is not None:
                replies = await flow.input(ctx)
                if replies is not None:
                    return replies
        return await self._fallback(ctx)

    async def _command(self, ctx: Ctx) -> Replies:
        return await self.commands.run(ctx, ctx.event.data.lower())

    async def _button(self, ctx: Ctx) -> Replies:
        prefix, _, arg = ctx.event.data.partition(":")
        flow = self.flows.get(prefix)
        replies = await flow.button(ctx, arg) if flow is not None else None
        if replies is None:
            return self.menu.home(ctx, prefix=ctx._("That button is out of date. Here is the current menu."))
        return replies

    async def _fallback(self, ctx: Ctx) -> Replies:
        kind = ctx.event.kind
        if kind is Kind.LOCATION:
            replies = await self.flows["c"].input(ctx)
            if replies is not None:
                return replies
        if kind is Kind.TEXT and ctx.event.text.strip():
            replies = await self.flows["q"].input(ctx)
            if replies is not None:
                return replies
        if kind is Kind.CONTACT:
            return self.menu.home(ctx, prefix=ctx._("Thank you. To ask for a callback, choose “Request a callback”."))
        return self.menu.home(ctx, prefix=ctx._("I understand text, buttons and locations."))
