"""A fake Viber REST bot API on 127.0.0.1: records send_message calls and answers set_webhook/get_account_info.

Like Viber, set_webhook first sends a signed `webhook` callback to the URL and succeeds only on HTTP 200.
`fail_next(n)` makes the next n calls answer HTTP 500, to exercise retries.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import socket
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

__all__ = ["FakeViber", "Sent"]

ACCOUNT = {"id": "pa:hotline", "name": "Migrant hotline", "uri": "migranthotline", "category": "Organisations",
           "country": "GE", "subscribers_count": 3}


@dataclass
class Sent:
    method: str
    payload: dict[str, Any]


@dataclass
class FakeViber:
    token: str
    calls: list[Sent] = field(default_factory=list)
    webhook: str = ""
    event_types: list[str] = field(default_factory=list)
    _failures: int = 0
    refusals: dict[str, tuple[int, str]] = field(default_factory=dict)  # receiver -> (status, status_message)
    _runner: web.AppRunner | None = None
    _tokens: itertools.count = field(default_factory=lambda: itertools.count(5_000_000_000_000_000_001))
    port: int = 0
    media: dict[str, bytes] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/pa"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/pa/{method}", self._call)
        app.router.add_get("/media/{name}", self._media)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    def media_url(self, name: str, content: bytes) -> str:
        """Where a file a user sends can be downloaded, as Viber's `media` field gives it."""
        self.media[name] = content
        return f"http://127.0.0.1:{self.port}/media/{name}"

    async def _media(self, request: web.Request) -> web.Response:
        content = self.media.get(request.match_info["name"])
        return web.Response(status=404) if content is None else web.Response(body=content)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_next(self, count: int) -> None:
        self._failures = count

    def sent(self, receiver: str | None = None) -> list[dict[str, Any]]:
        return [c.payload for c in self.calls
                if c.method == "send_message" and (receiver is None or c.payload.get("receiver") == receiver)]

    async def _call(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if self._failures > 0:
            self._failures -= 1
            return web.Response(status=500, text="try again")
        if request.headers.get("X-Viber-Auth-Token") != self.token:
            return web.json_response({"status": 2, "status_message": "invalidAuthToken"})
        payload = json.loads(await request.read())
        self.calls.append(Sent(method, payload))
        if method == "send_message":
            if not payload.get("receiver") or not payload.get("sender", {}).get("name"):
                return web.json_response({"status": 4, "status_message": "missingData"})
            if payload["receiver"] in self.refusals:
                status, message = self.refusals[payload["receiver"]]
                return web.json_response({"status": status, "status_message": message})
            return web.json_response({"status": 0, "status_message": "ok", "message_token": next(self._tokens)})
        if method == "set_webhook":
            return await self._set_webhook(payload)
        if method == "get_account_info":
            return web.json_response({"status": 0, "status_message": "ok", **ACCOUNT, "webhook": self.webhook,
                                      "event_types": self.event_types})
        return web.json_response({"status": 3, "status_message": "badData"})

    async def _set_webhook(self, payload: dict[str, Any]) -> web.Response:
        url = str(payload.get("url") or "")
        check = json.dumps({"event": "webhook", "timestamp": 1457764197627,
                            "message_token": next(self._tokens)}).encode()
        signature = hmac.new(self.token.encode(), check, hashlib.sha256).hexdigest()
        try:
            async with aiohttp.ClientSession() as session, session.post(
                url, data=check, headers={"X-Viber-Content-Signature": signature,
                                          "Content-Type": "application/json"}) as answer:
                ok = answer.status == 200
        except aiohttp.ClientError:
            ok = False
        if not ok:
            return web.json_response({"status": 1, "status_message": "invalidUrl"})
        self.webhook = url
        self.event_types = ["message", *payload.get("event_types", [])]
        return web.json_response({"status": 0, "status_message": "ok", "event_types": self.event_types})
