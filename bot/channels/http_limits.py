"""Limits that keep the webhook server up under abuse: a hard body cap, and timeouts for slow or idle clients.

Platform updates are a few KB, so a request body is read into memory only up to `MAX_BODY`: a larger one is
refused with 413 as soon as it passes the cap (a chunked body declares no length, so the cap is counted while
reading, not taken from `Content-Length`), and one that takes longer than `BODY_TIMEOUT` to arrive gets 408.
uvicorn itself never times out a connection that has not finished sending its request line and headers (its
keep-alive timer starts only after a first response, and every byte received stops it), so a slow-loris client
could hold a connection for ever: `GuardedH11Protocol` closes any connection whose request head is not complete
within `HEAD_TIMEOUT` of it opening or of the previous response. `limit_concurrency` makes uvicorn answer 503
beyond `MAX_CONNECTIONS` open connections per worker.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["BODY_TIMEOUT", "HEAD_TIMEOUT", "MAX_BODY", "MAX_CONNECTIONS", "BodyLimit", "GuardedH11Protocol",
           "server_options"]

MAX_BODY = 64 * 1024
MAX_HEAD = 16 * 1024  # request line and headers
HEAD_TIMEOUT = 10.0
BODY_TIMEOUT = 10.0
KEEP_ALIVE = 5
MAX_CONNECTIONS = 256


class BodyLimit:
    """ASGI middleware: reads the whole body under the cap and the timeout, then hands it to the app."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY, timeout: float | None = None) -> None:
        self.app = app
        self.max_body = max_body
        self.timeout = BODY_TIMEOUT if timeout is None else timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            await _refuse(send, 413)
            return
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return
                    body = message.get("body", b"")
                    size += len(body)
                    if size > self.max_body:
                        await _refuse(send, 413)
                        return
                    chunks.append(body)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            await _refuse(send, 408)
            return
        whole: Message | None = {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        async def replay() -> Message:
            nonlocal whole
            if whole is not None:
                message, whole = whole, None
                return message
            return await receive()

        await self.app(scope, replay, send)


async def _refuse(send: Send, status: int) -> None:
    """Answers and closes the connection: the rest of the body is never read."""
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-length", b"0"), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request head (see the module notes)."""

    head_timeout = HEAD_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_deadline: asyncio.TimerHandle | None = None
        self._arm_head_deadline()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the head is complete: the app's body timeout takes over
            self._disarm_head_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        self._disarm_head_deadline()
        self._head_deadline = self.loop.call_later(self.head_timeout, self._head_too_slow)

    def _disarm_head_deadline(self) -> None:
        deadline = getattr(self, "_head_deadline", None)
        if deadline is not None:
            deadline.cancel()
            self._head_deadline = None

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self.transport.close()


def server_options(max_connections: int = MAX_CONNECTIONS) -> dict[str, Any]:
    """uvicorn settings for `hotline run --webhook`, with one worker or several."""
    return {
        "http": GuardedH11Protocol,
        "timeout_keep_alive": KEEP_ALIVE,
        "h11_max_incomplete_event_size": MAX_HEAD,
        "limit_concurrency": max_connections,
    }
