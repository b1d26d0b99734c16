"""The staff group's posts and the caseworkers' private copies of a request, kept in step with the queue.

The group only ever sees a request's reference, topic, area (a known place's name, or the centre nearest to a
shared location: `area_label`), language and time window; the name, phone, the town as typed and the note go
only to the caseworker who takes it, in a private chat. Once a request is closed or withdrawn its group message
is cut down to the reference and topic. Announcements come from the store's durable outbox
(`pending_announcements` / `mark_announced`): a request committed while Telegram was unreachable is posted
once it is back. Where each private copy went is stored; after the user's /forget the copy is deleted, or
edited down to the reference when it is too old for Telegram to delete (`withdraw_copies`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application

from bot.app import Runtime
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.records import OPEN_STATUSES, CallbackRequest
from bot.requests import area_label, topic_label, window_label
from bot.staff.queue import LOCAL_TZ, Queue, display_name

__all__ = ["GroupPosts", "parse_posted"]

log = logging.getLogger(__name__)

DELETABLE_FOR = timedelta(hours=47)  # Telegram allows 48; an hour's margin for a slow round


@dataclass
class _Posted:
    """A group message we manage: where it is and what it says now."""

    chat_id: int
    message_id: int
    text: str = ""



@dataclass
class GroupPosts:
    """The group's message for each open request, and what it should say now."""

    application: Application[Any, Any, Any, Any, Any, Any]
    rt: Runtime
    queue: Queue
    _posted: dict[str, _Posted] = field(default_factory=dict, init=False)

    @property
    def chat_id(self) -> int | None:
        return self.rt.settings.telegram.staff_chat_id

    @property
    def t(self) -> Translator:
        return self.rt.engine.catalogues.translator(self.rt.settings.default_language)

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
            buttons = [self.button("d", request.ref), self.button("u", request.ref)]
        else:
            if self.queue.overdue(request):
                lines.append(t.gettext("⚠️ Overdue"))
            buttons = [self.button("t", request.ref), self.button("d", request.ref), self.button("u", request.ref)]
        return "\n".join(lines), InlineKeyboardMarkup([buttons])

    def button(self, action: str, ref: str) -> InlineKeyboardButton:
        labels = {"t": self.t.gettext("🙋 Take"), "d": self.t.gettext("✅ Done"),
                  "u": self.t.gettext("📵 Unreachable")}
        return InlineKeyboardButton(labels[action], callback_data=f"s:{action}:{ref}")

    async def remember_posted(self) -> None:
        """Finds the open requests' group messages; the first sync rewrites each, so a message posted by an older
        version (which showed the town as typed) or before a crash is brought up to date."""
        for request in await self.rt.store.list_requests(OPEN_STATUSES):
            posted = parse_posted(request.staff_message)
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
            posted = parse_posted(copy.location)
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
            posted = parse_posted(request.staff_message)
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


def parse_posted(staff_message: str) -> _Posted | None:
    chat, _, message = staff_message.partition(":")
    try:
        return _Posted(int(chat), int(message))
    except ValueError:
        return None
