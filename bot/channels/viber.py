"""The Viber channel: a signed webhook that turns Viber callbacks into core Events and Replies into messages.

Every callback is checked first: `X-Viber-Content-Signature` must be the hex HMAC-SHA256 of the raw body keyed
with the auth token (constant-time comparison), else 403 and nothing else happens.

Events:
- `webhook` (the check Viber makes when the webhook is registered): 200.
- `conversation_started`: the welcome goes in the HTTP answer, the one message Viber allows before the user
  subscribes. It is the core's answer to /start without the platform language, so a new user always sees the
  greeting in all three languages with the language buttons (the Viber app language is often not the one a
  person reads best); someone who already chose a language gets the main menu.
- `subscribed` / `unsubscribed`: recorded in the store. A user's message also subscribes them (Viber sends no
  callback for that), recorded before the 200. Nothing is ever sent to a user recorded as unsubscribed.
- `message`: stored (bot/channels/pending.py), answered 200, then processed in the background (Viber retries
  callbacks that are slow to be acknowledged), one user at a time in arrival order, and cleared once answered.
  A message not answered within `ANSWER_WITHIN` (Viber unreachable, or the answer stuck) or left by a crash is
  taken up again after `RECOVER_AFTER` by whichever worker looks next (every `RECOVER_EVERY`, one worker at a
  time), for about an hour (`RECOVER_ATTEMPTS`); one from a user who has unsubscribed since is dropped. If a message
  cannot be stored, Viber gets a 503 and sends it again.
  text/location/contact become core Events; picture, sticker, file, video, url and anything else become
  Kind.UNSUPPORTED. message_token is the Event's update_id, so the engine processes a token once; a token seen
  moments ago by this process is dropped before that.
- `delivered` / `seen`: accepted. `failed`: accepted and logged with the message token only (Viber's description
  may name the user).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections import OrderedDict
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.app import Runtime
from bot.channels.kit import Conversations
from bot.channels.pending import PendingUpdates
from bot.channels.viber_client import EVENT_TYPES, ViberApiError, ViberClient
from bot.channels.viber_payload import message_parts, sender_language, to_event, well_formed
from bot.channels.viber_render import (
    PageTexts,
    Sender,
    decode_keyboard,
    needs_paging,
    page_payload,
    parse_more,
    render,
    render_welcome,
)
from bot.core.context import Session
from bot.core.events import Event, Kind, Reply, SessionKey
from bot.i18n import N_

__all__ = ["CHANNEL", "EVENT_TYPES", "SIGNATURE_HEADER", "TASK_NAME", "ViberChannel", "sign", "viber_webhook"]

log = logging.getLogger(__name__)

CHANNEL = "viber"
NOT_SUBSCRIBED = 6  # Viber status: the receiver is not subscribed
SIGNATURE_HEADER = "X-Viber-Content-Signature"
RECENT_TOKENS = 10_000
SHUTDOWN_GRACE = 10.0
TASK_NAME = "viber-answer"
# Answering a message is given up after ANSWER_WITHIN (it stays stored), so a stored message older than
# RECOVER_AFTER is not being answered by anyone: a crash or a failure left it. Taking it up re-arms that delay.
ANSWER_WITHIN = timedelta(minutes=2)
RECOVER_AFTER = timedelta(minutes=5)
RECOVER_EVERY = timedelta(minutes=1)
# Taken up at most this often, RECOVER_AFTER apart: about an hour, Viber's own patience with a webhook, so an
# outage of Viber's API that long still loses nothing.
RECOVER_ATTEMPTS = 12
UNREACHABLE = -1  # ViberApiError status when Viber could not be reached or did not answer JSON

MORE = N_("More ➡️")
FIRST = N_("↩️ Back to the first options")
HEADING = N_("Options, page {page} of {pages}:")


def sign(token: str, body: bytes) -> str:
    """The signature Viber puts on a callback body."""
    return hmac.new(token.encode("utf-8"), body, hashlib.sha256).hexdigest()


def viber_webhook(rt: Runtime) -> ViberChannel | None:
    """The Viber webhook, or None when no auth token is configured."""
    if not rt.settings.viber.auth_token:
        return None
    return ViberChannel(rt)


class ViberChannel:
    def __init__(self, rt: Runtime, client: ViberClient | None = None, recover_after: timedelta = RECOVER_AFTER,
                 recover_every: timedelta = RECOVER_EVERY) -> None:
        settings = rt.settings.viber
        assert settings.auth_token
        self.rt = rt
        self.path = settings.webhook_path
        self.token = settings.auth_token
        self.client = client or ViberClient(settings.auth_token, settings.api_url)
        self.sender = Sender(settings.sender_name, settings.sender_avatar)
        self._tasks: set[asyncio.Task[None]] = set()
        self.conversations = Conversations(rt.engine)
        self._recent: OrderedDict[str, None] = OrderedDict()
        self.pending = PendingUpdates(rt.store, CHANNEL, max_attempts=RECOVER_ATTEMPTS)
        self.recover_after = recover_after
        self.recover_every = recover_every
        self._recovering: asyncio.Task[None] | None = None
        rt.relay.register(CHANNEL, self.deliver_live, self.client.download)

    async def deliver_live(self, user_id: str, replies: list[Reply]) -> None:
        """A caseworker's message in a live chat; raises when Viber took none of it, so the desk shows it."""
        if replies and not await self.deliver(SessionKey(CHANNEL, user_id), replies):
            raise ViberApiError("send_message", 0, "not delivered")

    async def startup(self) -> None:
        self._recovering = asyncio.create_task(self._keep_recovering(), name="viber-recover")
        log.info("Viber webhook at %s", self.path)

    async def _keep_recovering(self) -> None:
        while True:
            try:
                await self.recover()
            except Exception as exc:  # tried again at the next round
                log.warning("could not look for unanswered Viber messages: %s", type(exc).__name__)
            await asyncio.sleep(self.recover_every.total_seconds())

    async def recover(self) -> int:
        """Answers stored messages a crash left unanswered; returns how many it took up."""
        taken = 0
        async with self.rt.store.exclusive("viber-recover") as ours:
            if not ours:
                return 0
            for callback in await self.pending.take(datetime.now(UTC) - self.recover_after):
                if isinstance(callback, dict) and self._message(callback, recovered=True):
                    taken += 1
        if taken:
            log.info("answering %d Viber message(s) left unanswered by an earlier run", taken)
        return taken

    async def shutdown(self) -> None:
        """Lets answers in flight finish (briefly), then closes the HTTP client.

        A message still unanswered after the grace period stays stored and is answered after the restart."""
        if self._recovering is not None:
            self._recovering.cancel()
            with suppress(asyncio.CancelledError):
                await self._recovering
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=SHUTDOWN_GRACE)
            for task in pending:
                task.cancel()
            for task in pending:
                with suppress(asyncio.CancelledError):
                    await task
        await self.pending.close()
        await self.client.close()

    async def handle(self, request: Request) -> Response:
        body = await request.body()  # at most http_limits.MAX_BODY: a larger body was refused with 413
        if not self._signed(body, request.headers.get(SIGNATURE_HEADER, "")):
            return Response(status_code=403)
        if not well_formed(body):
            return Response(status_code=400)
        callback = json.loads(body)  # safe now: an object of bounded depth
        event = callback.get("event")
        if event == "conversation_started":
            return await self._conversation_started(callback)
        if event == "message":
            return await self._arrived(callback)
        if event in ("subscribed", "unsubscribed"):
            await self._subscription(callback, event == "subscribed")
        elif event == "failed":  # its description may name the user: not logged
            log.warning("Viber could not deliver message %s", callback.get("message_token"))
        return Response(status_code=200)

    def _signed(self, body: bytes, signature: str) -> bool:
        expected = sign(self.token, body).encode("ascii")
        return bool(signature) and hmac.compare_digest(expected, signature.strip().lower().encode("utf-8"))

    def _first_time(self, token: object) -> bool:
        """False for a message token this process saw moments ago (a Viber retry)."""
        if token is None:
            return True
        key = str(token)
        if key in self._recent:
            return False
        self._recent[key] = None
        if len(self._recent) > RECENT_TOKENS:
            self._recent.popitem(last=False)
        return True

    async def _conversation_started(self, callback: dict[str, Any]) -> Response:
        user = callback.get("user") or {}
        user_id = str(user.get("id") or "")
        if not user_id:
            return Response(status_code=200)
        if callback.get("subscribed") is True:
            return Response(status_code=200)  # a subscribed user reopening the chat: keep their conversation as is
        key = SessionKey(CHANNEL, user_id)
        replies = await self.rt.engine.handle(Event(key, Kind.COMMAND, data="start"))
        texts = await self._page_texts(key) if needs_paging(replies) else None
        welcome = render_welcome(replies, self.sender, texts)
        if welcome is None:
            return Response(status_code=200)
        return JSONResponse(welcome)

    async def _subscription(self, callback: dict[str, Any], subscribed: bool) -> None:
        user = callback.get("user") or {}
        user_id = str(user.get("id") or callback.get("user_id") or "")
        if user_id:
            await self.rt.store.set_subscribed(SessionKey(CHANNEL, user_id), subscribed)

    async def _arrived(self, callback: dict[str, Any]) -> Response:
        """Records the sender as subscribed and stores the message before answering 200, so that a crash while
        answering it loses nothing, and a recorded unsubscription found later really came after the message."""
        token = callback.get("message_token")
        parts = message_parts(callback)
        if parts is None or (token is not None and str(token) in self._recent):
            return Response(status_code=200)
        try:
            key = SessionKey(CHANNEL, parts[0])
            if await self.rt.store.is_subscribed(key) is not True:
                await self.rt.store.set_subscribed(key, True)  # a message subscribes; Viber sends no callback
            if token is not None:
                await self.pending.keep([(str(token), parts[0], callback)])
        except Exception as exc:
            log.error("could not store Viber message %s (%s); Viber will send it again", token, type(exc).__name__)
            return Response(status_code=503)
        self._message(callback)
        return Response(status_code=200)

    def _message(self, callback: dict[str, Any], recovered: bool = False) -> bool:
        """Starts answering a message in the background, unless this process has it already."""
        parts = message_parts(callback)
        token = callback.get("message_token")
        if parts is None or not self._first_time(token):
            return False
        task = asyncio.create_task(self._answer(parts[0], callback, parts[1], recovered), name=TASK_NAME)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _answer(self, user_id: str, callback: dict[str, Any], message: dict[str, Any], recovered: bool) -> None:
        """Answers, then clears the stored message; one that failed stays stored and is tried again later.

        A shutdown cancels this task before it clears anything, so that message is answered after the restart."""
        token = callback.get("message_token")
        answered = await self._process(user_id, callback, message, recovered)
        if token is None:
            return
        if answered:
            self.pending.clear(str(token))
        else:
            self._recent.pop(str(token), None)  # so that this process's next recovery look may take it up

    async def _process(self, user_id: str, callback: dict[str, Any], message: dict[str, Any],
                       recovered: bool) -> bool:
        """True when the message is done with: answered, or nothing may be sent (the user has unsubscribed since)."""
        key = SessionKey(CHANNEL, user_id)
        try:
            async with asyncio.timeout(ANSWER_WITHIN.total_seconds()), self.conversations.hold(str(key)):
                if recovered and await self.rt.store.is_subscribed(key) is False:
                    return True  # they unsubscribed after sending it: nothing may be sent to them now
                page = parse_more(str(message.get("text") or "")) if message.get("type") == "text" else None
                if page is not None:
                    await self._send_page(key, page, message.get("tracking_data"))
                    return True
                token = callback.get("message_token")
                event = to_event(key, message, None if token is None else str(token), sender_language(callback))

                async def send(replies: list[Reply]) -> None:
                    await self.deliver(key, replies)

                await self.conversations.answer(event, send)
                return True
        except Exception:
            log.exception("Viber message %s could not be answered; it is tried again later",
                          callback.get("message_token"))
            return False

    async def deliver(self, key: SessionKey, replies: list[Reply]) -> int:
        """Sends the core's answer; returns how many messages Viber accepted. Never messages an unsubscribed user."""
        if not replies or await self.rt.store.is_subscribed(key) is False:
            return 0
        texts = await self._page_texts(key) if needs_paging(replies) else None
        return await self._send(key, render(replies, self.sender, texts))

    async def _send_page(self, key: SessionKey, page: int, tracking_data: object) -> None:
        rows = decode_keyboard(tracking_data if isinstance(tracking_data, str) else None)
        if rows is None:
            await self.deliver(key, await self.rt.engine.handle(Event(key, Kind.COMMAND, data="menu")))
            return
        if await self.rt.store.is_subscribed(key) is False:
            return
        await self._send(key, [page_payload(rows, page, self.sender, await self._page_texts(key))])

    async def _send(self, key: SessionKey, payloads: list[dict[str, Any]]) -> int:
        sent = 0
        for payload in payloads:
            try:
                await self.client.send_message({"receiver": key.user_id, **payload})
            except ViberApiError as exc:
                if exc.status == UNREACHABLE:
                    raise  # Viber could not be reached: the message stays stored and is answered later
                log.warning("Viber send_message refused (status %s); dropping the rest of this answer",
                            exc.status)  # Viber's own wording may name the user: not logged
                if exc.status == NOT_SUBSCRIBED:
                    await self.rt.store.set_subscribed(key, False)
                break
            sent += 1
        return sent

    async def _page_texts(self, key: SessionKey) -> PageTexts:
        lang = Session.from_dict(await self.rt.store.load_session(key)).lang or self.rt.settings.default_language
        t = self.rt.engine.catalogues.translator(lang)
        return PageTexts(more=t.gettext(MORE), first=t.gettext(FIRST), heading=t.gettext(HEADING))
