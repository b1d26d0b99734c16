"""The Telegram staff group: requests announced with Take / Done / Unreachable, buttons and staff commands.

Only user ids in `settings.telegram.staff_user_ids` may act; anyone else is refused and nothing changes. A
taken request is closed only by its taker or a supervisor (`supervisor_user_ids`, see bot/staff/queue.py). On
Take, the request's details (name, phone, the town as typed, the note) go to the caseworker in a private chat.
The group's own messages, which never hold personal data, are kept by telegram_posts.py.

A background task posts from the store's outbox and brings group messages up to date with changes made
elsewhere (the CLI, the desk, a user updating or withdrawing a request); with several workers one of them holds
the store's "staff-desk" lease and does it. The retention purge is in bot/jobs.py. Handlers sit in group -1 and
stop the update there, so the conversation engine never answers in the staff group or sees a staff button.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    TypeHandler,
    filters,
)

from bot.app import Runtime
from bot.channels.kit import parse_command
from bot.channels.telegram.render import split_text
from bot.channels.telegram.updates import chat_of
from bot.i18n import Translator
from bot.records import OPEN_STATUSES, CallbackRequest
from bot.requests import area_label, describe_request, topic_label, window_label
from bot.staff.queue import Actor, Outcome, Queue, display_name
from bot.staff.telegram_posts import GroupPosts

__all__ = ["STAFF_COMMANDS", "StaffDesk", "install"]

log = logging.getLogger(__name__)

STAFF_COMMANDS = ("queue", "take", "done", "unreachable", "note")
BUTTON_ACTIONS = {"t": "take", "d": "done", "u": "unreachable"}
REF_RE = re.compile(r"^CB-[0-9A-Z]{4,8}$", re.IGNORECASE)
QUEUE_LINES = 40


@dataclass
class StaffDesk:
    application: Application[Any, Any, Any, Any, Any, Any]
    rt: Runtime
    poll_seconds: float = 2.0
    sync_seconds: float = 15.0
    queue: Queue = field(init=False)
    posts: GroupPosts = field(init=False)
    _task: asyncio.Task[None] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.queue = Queue(self.rt.store, self.rt.settings)
        self.posts = GroupPosts(self.application, self.rt, self.queue)

    # lifecycle

    @property
    def t(self) -> Translator:
        return self.rt.engine.catalogues.translator(self.rt.settings.default_language)

    def start(self) -> None:
        """Starts the background task (outbox, sync); safe to call twice."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="staff-desk")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        """Posts and syncs under a store-wide lease, so with several workers one of them does it at a time."""
        loop = asyncio.get_running_loop()
        next_sync = loop.time()
        remembered = False
        while True:
            try:
                async with self.rt.store.exclusive("staff-desk") as ours:
                    if ours:
                        if not remembered:
                            await self.posts.remember_posted()
                            remembered = True
                        await self.posts.announce_pending()
                        await self.posts.withdraw_copies()
                        if loop.time() >= next_sync:
                            await self.posts.sync()
                            next_sync = loop.time() + self.sync_seconds
            except Exception:
                log.exception("staff desk: background step failed; retrying")
            await asyncio.sleep(self.poll_seconds)

    # who may act

    def _actor(self, update: Update) -> Actor | None:
        user = update.effective_user
        if user is None:
            return None
        actor = Actor(user.full_name or str(user.id), user.id)
        return actor if self.queue.allowed(actor) else None

    async def _refuse(self, update: Update) -> None:
        text = self.t.gettext("Only hotline staff can do this.")
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(text, parse_mode=None)

    # handlers

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        _, _, rest = (query.data or "").partition(":")
        code, _, ref = rest.partition(":")
        actor = self._actor(update)
        if actor is None:
            await self._refuse(update)
        elif code in BUTTON_ACTIONS and REF_RE.match(ref):
            outcome = await self.queue.act(BUTTON_ACTIONS[code], ref, actor)
            notice: str | None = None
            important = False
            try:
                await self.posts.refresh(ref, outcome.request)
                notice, important = await self._after(BUTTON_ACTIONS[code], ref, actor, outcome,
                                                      _is_private(update))
            finally:  # the spinner stops even if the group message or the private details could not be sent
                await query.answer(notice, show_alert=important)
        else:
            await query.answer()
        raise ApplicationHandlerStop

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        actor = self._actor(update)
        if actor is None:
            await self._refuse(update)
            raise ApplicationHandlerStop
        parsed = parse_command(message.text)
        command = parsed.name if parsed else ""
        args = parsed.args.split() if parsed else []
        if command == "queue":
            for part in split_text(await self.queue_text()):
                await message.reply_text(part, parse_mode=None)
            raise ApplicationHandlerStop
        if not args or not REF_RE.match(args[0]):
            usage = {"note": "/note CB-XXXX …"}.get(command, f"/{command} CB-XXXX")
            await message.reply_text(self.t.gettext("Use: {usage}").format(usage=usage), parse_mode=None)
            raise ApplicationHandlerStop
        ref, rest = args[0].upper(), " ".join(args[1:])
        if command == "note":
            outcome = await self.queue.note(ref, actor, rest)
            text = (self.t.gettext("Note added to {ref}.").format(ref=ref) if outcome.ok
                    else self._problem(ref, outcome))
        else:
            outcome = await self.queue.act(command, ref, actor, rest)
            await self.posts.refresh(ref, outcome.request)
            text, _ = await self._after(command, ref, actor, outcome, _is_private(update))
        await message.reply_text(text, parse_mode=None)
        raise ApplicationHandlerStop

    async def on_staff_chat(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Anything else in the staff group is staff talking among themselves: not for the engine."""
        if update.callback_query is not None:
            await update.callback_query.answer()
        raise ApplicationHandlerStop

    # replies

    async def _after(self, action: str, ref: str, actor: Actor, outcome: Outcome,
                     in_private: bool) -> tuple[str, bool]:
        """What happened, and whether the caseworker must read it; on Take, sends the details privately."""
        t = self.t
        if not outcome.ok or outcome.request is None:
            return self._problem(ref, outcome), True
        if action != "take":
            done = {"done": t.gettext("{ref} is done."), "unreachable": t.gettext("{ref} is marked unreachable.")}
            return done[action].format(ref=ref), False
        assert actor.telegram_id is not None
        sent = await self._send_details(actor.telegram_id, outcome.request)
        if sent is None:
            return t.gettext("{ref} is yours, but I cannot write to you privately. Open a chat with me, press Start, "
                             "then send /take {ref} there to get the details.").format(ref=ref), True
        if in_private:
            return t.gettext("{ref} is yours.").format(ref=ref), False
        return t.gettext("{ref} is yours. I have sent you the details in our private chat.").format(ref=ref), False

    def _problem(self, ref: str, outcome: Outcome) -> str:
        t = self.t
        request = outcome.request
        if outcome.reason == "taken" and request is not None:
            return t.gettext("{ref} is already taken by {who}.").format(ref=ref, who=display_name(request.assigned_to))
        if outcome.reason == "closed" and request is not None:
            return t.gettext("{ref} is already closed.").format(ref=ref)
        if outcome.reason == "not_allowed":
            return t.gettext("Only hotline staff can do this.")
        if outcome.reason == "empty":
            return t.gettext("Write the note after the reference: /note {ref} …").format(ref=ref)
        return t.gettext("There is no request {ref}.").format(ref=ref)

    async def _send_details(self, user_id: int, request: CallbackRequest) -> Message | None:
        t = self.t
        text = "\n\n".join([
            t.gettext("📞 {ref} is yours. Please call:").format(ref=request.ref),
            describe_request(self.rt.content.current, t, request, phone_details=True),
            t.gettext("When you have called: /done {ref}, or /unreachable {ref}. Add a note: /note {ref} …")
            .format(ref=request.ref),
        ])
        markup = InlineKeyboardMarkup([[self.posts.button("d", request.ref), self.posts.button("u", request.ref)]])
        try:
            sent = await self.application.bot.send_message(user_id, text, reply_markup=markup, parse_mode=None)
        except (Forbidden, BadRequest) as exc:
            log.info("staff desk: no private chat with a caseworker for %s (%s)", request.ref, type(exc).__name__)
            return None
        await self.rt.store.add_staff_copy(request.ref, f"{sent.chat_id}:{sent.message_id}")
        return sent

    async def queue_text(self) -> str:
        t = self.t
        requests = await self.queue.list(OPEN_STATUSES)
        if not requests:
            return t.gettext("The queue is empty.")
        content = self.rt.content.current
        lines = [t.gettext("Open callback requests: {count}").format(count=len(requests))]
        for request in requests[:QUEUE_LINES]:
            status = (t.gettext("Taken by {who}").format(who=display_name(request.assigned_to))
                      if request.status == "assigned" else t.gettext("new"))
            parts = [request.ref, status, topic_label(content, t, request.topic) if request.topic else "",
                     area_label(content, t, request.town), request.language, window_label(t, request.time_window)]
            if self.queue.overdue(request):
                parts.append(t.gettext("⚠️ Overdue"))
            lines.append(" · ".join(p for p in parts if p))
        if len(requests) > QUEUE_LINES:
            lines.append(t.gettext("… and {count} more: see `hotline queue list`.").format(
                count=len(requests) - QUEUE_LINES))
        return "\n".join(lines)




def _is_private(update: Update) -> bool:
    chat = chat_of(update)
    return chat is not None and chat[1]


def install(application: Application[Any, Any, Any, Any, Any, Any], rt: Runtime,
            poll_seconds: float = 2.0) -> StaffDesk | None:
    """Adds the staff handlers (group -1) and the background task; nothing when no staff are configured.

    The task starts with the application's post_init (polling) or when the channel calls `desk.start()`
    itself (webhooks); it stops with post_stop or `await desk.stop()`.
    """
    settings = rt.settings.telegram
    if settings.staff_chat_id is None and not settings.staff_user_ids:
        return None
    desk = StaffDesk(application, rt, poll_seconds=poll_seconds)
    application.add_handler(CallbackQueryHandler(desk.on_button, pattern=r"^s:"), group=-1)
    where = filters.ChatType.PRIVATE
    if settings.staff_chat_id is not None:
        where = where | filters.Chat(settings.staff_chat_id)
    where = where & filters.UpdateType.MESSAGE  # an edited command must not act twice
    application.add_handler(CommandHandler(list(STAFF_COMMANDS), desk.on_command, filters=where), group=-1)
    if settings.staff_chat_id is not None:
        staff_chat = settings.staff_chat_id

        async def in_staff_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            if update.effective_chat is not None and update.effective_chat.id == staff_chat:
                await desk.on_staff_chat(update, context)

        application.add_handler(TypeHandler(Update, in_staff_chat), group=-1)
    previous_init, previous_stop = application.post_init, application.post_stop

    async def post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if previous_init is not None:
            await previous_init(app)
        desk.start()

    async def post_stop(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await desk.stop()
        if previous_stop is not None:
            await previous_stop(app)

    application.post_init = post_init
    application.post_stop = post_stop
    application.bot_data["staff_desk"] = desk
    return desk
