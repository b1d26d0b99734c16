"""A fake Bot API server on 127.0.0.1: records every call, feeds getUpdates, and plays Telegram users.

The real python-telegram-bot Application talks to it through `base_url`, exactly as it talks to Telegram.
It understands JSON, form-encoded and multipart requests (python-telegram-bot's own httpx client sends forms).
Unknown methods answer 404 like Telegram; failures can be injected per method.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import web

__all__ = ["BOT_ID", "TOKEN", "Call", "FakeTelegram", "FakeUser"]

TOKEN = "123456:TEST-fake-token"
BOT_ID = 123456
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Hotline", "username": "hotline_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
_JSON_FIELDS = {"reply_markup", "allowed_updates", "commands", "scope", "link_preview_options", "entities",
                "reply_parameters", "caption_entities", "media"}
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "user_id", "from_chat_id"}
HELD_AT_MOST = 30.0  # seconds a held call waits for `release` before giving up
_MESSAGE_METHODS = {"sendMessage", "sendVenue", "sendLocation", "sendContact", "sendPhoto", "sendDocument"}


@dataclass
class Call:
    """One Bot API request as the server received it."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.perf_counter)
    message_id: int | None = None

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def html(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def text(self) -> str:
        """What the user reads: the HTML text unescaped (the bot sends no tags), or a venue's title."""
        if self.method == "sendVenue":
            return f"{self.params.get('title', '')}\n{self.params.get('address', '')}"
        return html.unescape(self.html)

    @property
    def markup(self) -> dict[str, Any]:
        markup = self.params.get("reply_markup")
        return markup if isinstance(markup, dict) else {}

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """Inline buttons as (label, callback_data)."""
        return [(b["text"], b.get("callback_data", "")) for row in self.markup.get("inline_keyboard", []) for b in row]

    @property
    def keyboard(self) -> list[dict[str, Any]]:
        """Reply keyboard buttons (request_location / request_contact)."""
        return [b if isinstance(b, dict) else {"text": b} for row in self.markup.get("keyboard", []) for b in row]

    @property
    def is_message(self) -> bool:
        return self.method in _MESSAGE_METHODS or self.method == "editMessageText"


def _decode(name: str, value: str) -> Any:
    if name in _JSON_FIELDS or (value[:1] in "[{" and name not in {"text", "caption"}):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if name in _INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            return value
    if value in ("true", "false") and name not in {"text", "caption"}:
        return value == "true"
    return value


class FakeTelegram:
    """The server. `push` queues updates for getUpdates; `calls` lists what the bot sent (getUpdates aside).

    `listeners` are called with every call as it arrives, getUpdates included.
    """

    def __init__(self, token: str = TOKEN, max_poll: float = 5.0) -> None:
        self.token = token
        self.max_poll = max_poll
        self.calls: list[Call] = []
        self.files: dict[str, bytes] = {}  # file_id -> content, for getFile and downloads
        self.messages: dict[int, dict[str, Any]] = {}
        self.listeners: list[Callable[[Call], None]] = []
        self._pending: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._wakeup = asyncio.Event()
        self._changed = asyncio.Event()
        self._failures: dict[str, list[tuple[int, str, int | None]]] = {}
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.port = 0
        self.offset = 0  # the highest getUpdates offset seen: every update below it reached the bot
        self.held = 0  # calls waiting, unanswered, for `release`
        self._holding: set[str] = set()
        self._released = asyncio.Event()
        self._slow: dict[str, float] = {}
        self.slowed = 0  # calls that have started waiting out a `slow` delay

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self, port: int = 0) -> FakeTelegram:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port, backlog=1024)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        self._closing = True
        self._wake()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- feeding updates ---------------------------------------------------------------------------------

    def _wake(self) -> None:
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    def push(self, *updates: dict[str, Any]) -> list[int]:
        """Queues updates (numbered here unless they carry an update_id) for the next getUpdates."""
        ids = []
        for update in updates:
            if "update_id" not in update:
                update = {"update_id": next(self._update_ids), **update}
            self._pending.append(update)
            ids.append(update["update_id"])
        self._wake()
        return ids

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def fail(self, method: str, error_code: int, description: str, retry_after: int | None = None,
             times: int = 1) -> None:
        """Makes the next `times` calls of `method` fail as Telegram would."""
        self._failures.setdefault(method, []).extend([(error_code, description, retry_after)] * times)

    def garble(self, method: str) -> None:
        """Makes the next call of `method` answer 200 with a body that is not JSON, as a broken proxy would."""
        self._failures.setdefault(method, []).append((HTTPStatus.OK, "<html>proxy error</html>", None))

    def hold(self, method: str) -> None:
        """Leaves calls of `method` unanswered until `release`, then fails them, as a stalled network would."""
        self._holding.add(method)
        self._released = asyncio.Event()

    def slow(self, method: str, seconds: float) -> None:
        """Answers calls of `method` only after `seconds`, as a slow network would (0 ends it)."""
        self._slow[method] = seconds

    def release(self) -> None:
        self._holding.clear()
        self._released.set()

    # -- observing calls ---------------------------------------------------------------------------------

    def calls_to(self, chat_id: int, since: int = 0) -> list[Call]:
        return [c for c in self.calls[since:] if c.chat_id == chat_id]

    def methods(self, name: str) -> list[Call]:
        return [c for c in self.calls if c.method == name]

    async def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Waits (bounded) until `predicate()` holds after some call; raises TimeoutError otherwise."""
        deadline = time.monotonic() + within
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the fake Bot API did not see the expected calls in time")
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                continue

    # -- the API -----------------------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = {k: _decode(k, v) for k, v in request.query.items()}
        if request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
            else:
                form = await request.post()
                params.update({k: _decode(k, v) for k, v in form.items() if isinstance(v, str)})
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params = await self._params(request)
        if method in self._holding:
            self.held += 1
            self._notify()
            await asyncio.wait_for(self._released.wait(), HELD_AT_MOST)
            raise web.HTTPServiceUnavailable  # never carried out: its caller has given up or gone by now
        delay = self._slow.get(method)
        if delay:
            self.slowed += 1
            self._notify()
            await asyncio.sleep(delay)
        failures = self._failures.get(method)
        if failures:
            code, description, retry_after = failures.pop(0)
            self._record(Call(method, params))
            if code == HTTPStatus.OK:
                return web.Response(text=description, content_type="text/html")
            body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
            if retry_after is not None:
                body["parameters"] = {"retry_after": retry_after}
            return web.json_response(body, status=code)
        if method == "getUpdates":
            poll = Call(method, params)
            self.offset = max(self.offset, int(params.get("offset") or 0))
            for listener in self.listeners:
                listener(poll)
            self._notify()
            return web.json_response({"ok": True, "result": await self._get_updates(params)})
        handler = getattr(self, f"_api_{method}", None)
        call = Call(method, params)
        if handler is None and method not in _MESSAGE_METHODS:
            self._record(call)
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found: method not found"},
                                     status=404)
        result = handler(call) if handler is not None else self._new_message(call)
        self._record(call)
        return web.json_response({"ok": True, "result": result})

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        for listener in self.listeners:
            listener(call)
        self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        if offset:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), self.max_poll)
        while True:
            ready = self._pending[:limit]
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0 or self._closing:
                if ready and not offset:
                    del self._pending[:len(ready)]
                return ready
            wakeup = self._wakeup
            try:
                await asyncio.wait_for(wakeup.wait(), remaining)
            except TimeoutError:
                continue

    def _chat(self, chat_id: int) -> dict[str, Any]:
        return {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup", "first_name": "User"}

    def _new_message(self, call: Call) -> dict[str, Any]:
        message_id = next(self._message_ids)
        call.message_id = message_id
        message: dict[str, Any] = {"message_id": message_id, "date": int(time.time()), "from": BOT_USER,
                                   "chat": self._chat(call.chat_id or 0)}
        p = call.params
        if call.method == "sendVenue":
            location = {"latitude": p["latitude"], "longitude": p["longitude"]}
            message["venue"] = {"location": location, "title": p["title"], "address": p["address"]}
            message["location"] = location
        else:
            message["text"] = html.unescape(str(p.get("text", "")))
        if "inline_keyboard" in call.markup:
            message["reply_markup"] = call.markup
        self.messages[message_id] = message
        return message

    def _api_getFile(self, call: Call) -> dict[str, Any]:
        file_id = str(call.params.get("file_id"))
        content = self.files.get(file_id, b"")
        return {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_size": len(content),
                "file_path": f"files/{file_id}"}

    async def _file(self, request: web.Request) -> web.Response:
        content = self.files.get(request.match_info["path"].removeprefix("files/"))
        if request.match_info["token"] != self.token or content is None:
            return web.Response(status=404)
        return web.Response(body=content, content_type="application/octet-stream")

    def _api_getMe(self, call: Call) -> dict[str, Any]:
        return BOT_USER

    def _api_editMessageText(self, call: Call) -> dict[str, Any] | bool:
        message_id = call.params.get("message_id")
        message = self.messages.get(int(message_id)) if message_id is not None else None
        if message is None:
            return True
        call.message_id = message["message_id"]
        message["text"] = html.unescape(str(call.params.get("text", "")))
        message.pop("reply_markup", None)
        if "inline_keyboard" in call.markup:
            message["reply_markup"] = call.markup
        return message

    def _api_editMessageReplyMarkup(self, call: Call) -> dict[str, Any] | bool:
        return self.messages.get(int(call.params.get("message_id") or 0), True)

    def _ok(self, call: Call) -> bool:
        return True

    _api_answerCallbackQuery = _ok
    _api_setMyCommands = _ok
    _api_deleteMyCommands = _ok
    _api_deleteWebhook = _ok
    _api_setWebhook = _ok
    _api_sendChatAction = _ok
    _api_deleteMessage = _ok
    _api_close = _ok
    _api_logOut = _ok


class FakeUser:
    """A Telegram user in a private chat with the bot; methods build updates for `FakeTelegram.push`."""

    _message_ids = itertools.count(1)
    _query_ids = itertools.count(1)

    def __init__(self, server: FakeTelegram, user_id: int, language_code: str | None = "en",
                 first_name: str = "Nino") -> None:
        self.server = server
        self.id = user_id
        self.language_code = language_code
        self.first_name = first_name

    @property
    def sender(self) -> dict[str, Any]:
        sender: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            sender["language_code"] = self.language_code
        return sender

    @property
    def chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}

    def message(self, chat: dict[str, Any] | None = None, kind: str = "message", **fields: Any) -> dict[str, Any]:
        body = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat or self.chat,
                "from": self.sender, **fields}
        if kind == "edited_message":
            body["edit_date"] = int(time.time())
        if kind == "channel_post":
            body.pop("from")
        return {kind: body}

    def text(self, text: str, **extra: Any) -> dict[str, Any]:
        if text.startswith("/"):
            command = text.split()[0]
            extra.setdefault("entities", [{"type": "bot_command", "offset": 0, "length": len(command)}])
        return self.message(text=text, **extra)

    def command(self, name: str, args: str = "") -> dict[str, Any]:
        return self.text(f"/{name} {args}".strip())

    def location(self, latitude: float, longitude: float) -> dict[str, Any]:
        return self.message(location={"latitude": latitude, "longitude": longitude})

    def venue(self, latitude: float, longitude: float, title: str = "Place", address: str = "Street") -> dict[str, Any]:
        location = {"latitude": latitude, "longitude": longitude}
        return self.message(location=location, venue={"location": location, "title": title, "address": address})

    def contact(self, phone: str, user_id: int | None = None, first_name: str = "Nino") -> dict[str, Any]:
        contact: dict[str, Any] = {"phone_number": phone, "first_name": first_name}
        if user_id is not None:
            contact["user_id"] = user_id
        return self.message(contact=contact)

    def sticker(self) -> dict[str, Any]:
        return self.message(sticker={"file_id": "CAAD", "file_unique_id": "u1", "type": "regular", "width": 512,
                                     "height": 512, "is_animated": False, "is_video": False})

    def photo(self) -> dict[str, Any]:
        return self.message(photo=[{"file_id": "AgAD", "file_unique_id": "p1", "width": 90, "height": 90}])

    def voice(self) -> dict[str, Any]:
        return self.message(voice={"file_id": "AwAD", "file_unique_id": "v1", "duration": 3})

    def document(self) -> dict[str, Any]:
        return self.message(document={"file_id": "BQAD", "file_unique_id": "d1", "file_name": "cv.pdf"})

    def edited(self, text: str) -> dict[str, Any]:
        return self.message(kind="edited_message", text=text)

    def in_group(self, chat_id: int, text: str) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if text.startswith("/"):
            extra["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self.message(chat={"id": chat_id, "type": "supergroup", "title": "Some group"}, text=text, **extra)

    def channel_post(self, chat_id: int, text: str) -> dict[str, Any]:
        return self.message(chat={"id": chat_id, "type": "channel", "title": "Some channel"}, kind="channel_post",
                            text=text)

    def press(self, data: str, message_id: int | None = None) -> dict[str, Any]:
        """A tap on an inline button of the bot's message `message_id` (the message as the server keeps it)."""
        query: dict[str, Any] = {"id": str(next(self._query_ids)), "from": self.sender,
                                 "chat_instance": str(self.id), "data": data}
        if message_id is not None and message_id in self.server.messages:
            query["message"] = self.server.messages[message_id]
        return {"callback_query": query}
