"""The Telegram staff group: new requests announced with Take / Done / Unreachable, and staff commands.

The group only ever sees a request's reference, topic, area (a known place's name, or the centre nearest to a
shared location: `area_label`), language and time window; the name, phone, the town as typed and the note go
to the caseworker who takes it, in a private chat with the bot, so personal data does not sit in a group's
history. Once a request is closed or withdrawn its group message is cut down to the reference and topic.
Only user ids in `settings.telegram.staff_user_ids` may act; anyone else is refused and nothing changes. A
taken request is closed only by its taker or a supervisor (`supervisor_user_ids`, see bot/staff/queue.py).
Where each private copy of a request's details went is stored; after the user's /forget the copy is deleted,
or edited down to the reference when it is too old for Telegram to delete (`withdraw_copies`).

Announcements come from the store's durable outbox (`pending_announcements` / `mark_announced`), polled by a
background task, so a request committed while Telegram was unreachable is posted once it is back. The same task
brings group messages up to date with changes made elsewhere (the CLI, a user updating or withdrawing a request);
with several workers one of them holds the store's "staff-desk" lease and does it. The retention purge is in
bot/jobs.py. Handlers sit in group -1 and stop the update there, so the conversation engine
never answers in the staff group or sees a staff button.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden, TelegramError
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
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.records import OPEN_STATUSES, CallbackRequest
from bot.requests import area_label, describe_request, topic_label, window_label
from bot.staff.queue import LOCAL_TZ, Actor, Outcome, Queue, display_name

__all__ = ["STAFF_COMMANDS", "StaffDesk", "install"]

log = logging.getLogger(__name__)

STAFF_COMMANDS = ("queue", "take", "done", "unreachable", "note")
BUTTON_ACTIONS = {"t": "take", "d": "done", "u": "unreachable"}
REF_RE = re.compile(r"^CB-[0-9A-Z]{4,8}$", re.IGNORECASE)
QUEUE_LINES = 40
DELETABLE_FOR = timedelta(hours=47)  # Telegram allows 48; an hour's margin for a slow round


@dataclass
class _Posted:
    """A group message we manage: where it is and what it says now."""

    chat_id: int
    message_id: int
    text: str = ""


@dataclass
class StaffDesk:
    application: Application[Any, Any, Any, Any, Any, Any]
    rt: Runtime
    poll_seconds: float = 2.0
    sync_seconds: float = 15.0
    queue: Queue = field(init=False)
    _posted: dict[str, _Posted] = field(default_factory=dict, init=False)
    _task: asyncio.Task[None] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.queue = Queue(self.rt.store, self.rt.settings)

    # lifecycle

    @property
    def chat_id(self) -> int | None:
        return self.rt.settings.telegram.staff_chat_id

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
                            await self._remember_posted()
                            remembered = True
                        await self.announce_pending()
                        await self.withdraw_copies()
                        if loop.time() >= next_sync:
                            await self.sync()
                            next_sync = loop.time() + self.sync_seconds
            except Exception:
                log.exception("staff desk: background step failed; retrying")
            await asyncio.sleep(self.poll_seconds)

    # the group's messages

    def render(self, request: CallbackRequest | None, ref: str,
               closed_by: str = "") -> tuple[str, InlineKeyboardMarkup | None]:
        """A request as the group sees it: never the name, phone or note."""
        t = self.t
        if request is None or request.status == "cancelled":
            return t.gettext("📞 {ref}: withdrawn by the person who asked.").format(ref=ref), None
        topic = topic_label(self.rt.content.current, t, request.topic) if request.topic else ""
        who = display_name(request.assigned_to)
        if request.status not in OPEN_STATUSES:
            closed = {"done": t.gettext("done by {who}"), "unreachable": t.gettext("unreachable ({who})")}
            status = closed.get(request.status, request.status).format(who=closed_by or who)
            return f"📞 {request.ref} · {topic} · {status}", None
        lines = [
            t.gettext("📞 Callback request {ref}").format(ref=request.ref),
            f"{t.gettext('Topic')}: {topic}",
            f"{t.gettext('Town')}: {area_label(self.rt.content.current, t, request.town)}",
            f"{t.gettext('Language')}: {LANGUAGE_NAMES.get(request.language, request.language)}",
            f"{t.gettext('Time to call')}: {window_label(t, request.time_window)}",
        ]
        if request.created_at:
            lines.append(t.gettext("Received: {time}").format(time=t.datetime(request.created_at.astimezone(LOCAL_TZ))))
        if request.status == "assigned":
            lines.append(t.gettext("Taken by {who}").format(who=who))
            buttons = [self._button("d", request.ref), self._button("u", request.ref)]
        else:
            if self.queue.overdue(request):
                lines.append(t.gettext("⚠️ Overdue"))
            buttons = [self._button("t", request.ref), self._button("d", request.ref), self._button("u", request.ref)]
        return "\n".join(lines), InlineKeyboardMarkup([buttons])

    def _button(self, action: str, ref: str) -> InlineKeyboardButton:
        labels = {"t": self.t.gettext("🙋 Take"), "d": self.t.gettext("✅ Done"),
                  "u": self.t.gettext("📵 Unreachable")}
        return InlineKeyboardButton(labels[action], callback_data=f"s:{action}:{ref}")

    async def _remember_posted(self) -> None:
        """Finds the open requests' group messages; the first sync rewrites each, so a message posted by an older
        version (which showed the town as typed) or before a crash is brought up to date."""
        for request in await self.rt.store.list_requests(OPEN_STATUSES):
            posted = _parse_posted(request.staff_message)
            if posted is not None:
                posted.text = ""
                self._posted[request.ref] = posted

    async def announce_pending(self) -> int:
        """Posts requests the group has not seen yet; each is marked only after Telegram accepted it."""
        if self.chat_id is None:
            return 0
        count = 0
        for request in await self.rt.store.pending_announcements():
            text, markup = self.render(request, request.ref)
            message = await self.application.bot.send_message(self.chat_id, text, reply_markup=markup, parse_mode=None)
            await self.rt.store.mark_announced(request.ref, f"{message.chat_id}:{message.message_id}")
            self._posted[request.ref] = _Posted(message.chat_id, message.message_id, text)
            count += 1
        return count

    async def withdraw_copies(self) -> int:
        """Deletes the caseworkers' private copies of requests whose user sent /forget (Telegram lets a bot delete
        its messages for 48 hours); an older copy is edited down to the reference. A copy is dropped from the
        store once done, or once Telegram says the message is gone; one that failed for a passing reason
        waits for the next round."""
        done = 0
        for copy in await self.rt.store.withdrawn_copies():
            posted = _parse_posted(copy.location)
            if posted is not None and not await self._withdraw(posted, copy.ref, copy.sent_at):
                continue
            await self.rt.store.drop_staff_copy(copy.id)
            done += 1
        return done

    async def _withdraw(self, posted: _Posted, ref: str, sent_at: datetime) -> bool:
        bot = self.application.bot
        try:
            if datetime.now(UTC) - sent_at < DELETABLE_FOR:
                try:
                    await bot.delete_message(posted.chat_id, posted.message_id)
                    return True
                except BadRequest as exc:
                    if "not found" in str(exc).lower():
                        return True
            text = self.t.gettext("📞 {ref}: withdrawn by the person who asked.").format(ref=ref)
            await bot.edit_message_text(text, chat_id=posted.chat_id, message_id=posted.message_id,
                                        reply_markup=None, parse_mode=None)
        except BadRequest as exc:
            problem = str(exc).lower()
            if "not found" not in problem and "not modified" not in problem:
                log.warning("staff desk: could not withdraw a copy of %s (%s)", ref, type(exc).__name__)
        except Forbidden:
            log.info("staff desk: the caseworker's chat with a copy of %s is closed", ref)
        except TelegramError as exc:
            log.info("staff desk: withdrawing a copy of %s failed for now (%s)", ref, type(exc).__name__)
            return False
        return True

    async def sync(self) -> None:
        """Brings group messages in line with changes made outside the group (CLI, the user, a purge)."""
        current = {r.ref: r for r in await self.rt.store.list_requests(OPEN_STATUSES)}
        for ref in list(self._posted):
            request = current.get(ref) or await self.rt.store.get_request(ref)
            await self.refresh(ref, request)

    async def refresh(self, ref: str, request: CallbackRequest | None) -> None:
        """Edits a request's group message if what it should say has changed."""
        posted = self._posted.get(ref)
        if posted is None and request is not None:
            posted = _parse_posted(request.staff_message)
        if posted is None:
            return
        closed_by = ""
        if request is not None and request.status not in OPEN_STATUSES:
            history = await self.rt.store.audit(ref)
            closed_by = display_name(history[-1].actor) if history else ""
        text, markup = self.render(request, ref, closed_by)
        if request is None or request.status not in OPEN_STATUSES:
            self._posted.pop(ref, None)
        else:
            self._posted[ref] = posted
        if text == posted.text:
            return
        try:
            await self.application.bot.edit_message_text(text, chat_id=posted.chat_id, message_id=posted.message_id,
                                                         reply_markup=markup, parse_mode=None)
        except TelegramError as exc:
            problem = str(exc).lower()
            if "not found" in problem:  # deleted from the group: nothing left to keep up to date
                log.info("staff desk: the group message of %s is gone", ref)
                self._posted.pop(ref, None)
                return
            if "not modified" not in problem:
                log.warning("staff desk: could not update the group message of %s (%s)", ref, type(exc).__name__)
                return
        posted.text = text

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
                await self.refresh(ref, outcome.request)
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
            await self.refresh(ref, outcome.request)
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
        markup = InlineKeyboardMarkup([[self._button("d", request.ref), self._button("u", request.ref)]])
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


def _parse_posted(staff_message: str) -> _Posted | None:
    chat, _, message = staff_message.partition(":")
    try:
        return _Posted(int(chat), int(message))
    except ValueError:
        return None


def _is_private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == "private"


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
