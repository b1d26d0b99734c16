"""A small aiohttp client for Viber's REST bot API: POST JSON, retry what a retry can fix, stop on a bad token.

Viber answers errors with HTTP 200 and a non-zero `status`; network errors and 5xx answers are retried with
exponential backoff. Status 2 (invalid auth token) is final: it is logged once, clearly, and every later call fails
fast until the process is restarted with a working token.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

import aiohttp

from bot import metrics

__all__ = [
    "EVENT_TYPES",
    "STATUS_INVALID_TOKEN",
    "STATUS_OK",
    "ViberApiError",
    "ViberAuthError",
    "ViberClient",
    "dumps",
]

log = logging.getLogger(__name__)

STATUS_OK = 0
STATUS_INVALID_TOKEN = 2
AUTH_HEADER = "X-Viber-Auth-Token"
# The opt-in callbacks we handle; `message`, `subscribed` and `unsubscribed` always arrive.
EVENT_TYPES = ["delivered", "seen", "failed", "subscribed", "unsubscribed", "conversation_started"]


def dumps(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON: Georgian text escaped as \\uXXXX would triple the size against Viber's 30 KB cap."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class ViberApiError(Exception):
    """Viber refused a call; `status` is Viber's code (or the HTTP status when the answer was not JSON)."""

    def __init__(self, method: str, status: int, message: str) -> None:
        super().__init__(f"{method}: status {status} ({message})")
        self.method = method
        self.status = status
        self.message = message


class ViberAuthError(ViberApiError):
    """The auth token was rejected; nothing will work until it is replaced."""


MEDIA_MAX = 20 * 1024 * 1024


class ViberClient:
    def __init__(
        self,
        token: str,
        api_url: str,
        attempts: int = 4,
        backoff: float = 0.5,
        timeout: float = 10.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.token = token
        self.api_url = api_url.rstrip("/")
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None
        self.token_invalid = False

    async def __aenter__(self) -> ViberClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def call(self, method: str, payload: dict[str, Any]) -> dict[str, Any]:
        """One API call with retries; returns Viber's answer when its status is 0."""
        if self.token_invalid:
            raise ViberAuthError(method, STATUS_INVALID_TOKEN, "auth token was rejected earlier")
        body = dumps(payload)
        headers = {AUTH_HEADER: self.token, "Content-Type": "application/json; charset=utf-8"}
        url = f"{self.api_url}/{method}"
        for attempt in range(1, self.attempts + 1):
            try:
                async with self._client().post(url, data=body, headers=headers) as response:
                    if response.status >= 500:
                        raise _Retryable(f"HTTP {response.status}")
                    text = await response.text()
                    if response.status != 200:
                        raise ViberApiError(method, response.status, f"HTTP {response.status}")
            except (aiohttp.ClientError, TimeoutError, _Retryable) as exc:
                if attempt == self.attempts:
                    log.error("Viber %s failed after %d attempts: %s", method, attempt, _describe(exc))
                    raise ViberApiError(method, -1, _describe(exc)) from exc
                delay = self.backoff * 2 ** (attempt - 1) * (1 + random.random() / 4)
                log.warning("Viber %s attempt %d failed (%s); retrying in %.2fs", method, attempt,
                            _describe(exc), delay)
                await self._sleep(delay)
                continue
            return self._check(method, text)
        raise AssertionError("unreachable")

    async def download(self, url: str, limit: int = MEDIA_MAX) -> bytes:
        """A file a user sent (its `media` URL from a signed callback), for a caseworker; at most `limit` bytes."""
        if not url.startswith(("https://", "http://")):
            raise ViberApiError("media", -1, "not a web address")
        async with self._client().get(url) as response:
            if response.status != 200:
                raise ViberApiError("media", response.status, f"HTTP {response.status}")
            body = await response.content.read(limit + 1)
        if len(body) > limit:
            raise ViberApiError("media", -1, "file too large")
        return body

    def _check(self, method: str, text: str) -> dict[str, Any]:
        try:
            answer = json.loads(text)
        except ValueError as exc:
            raise ViberApiError(method, -1, "answer is not JSON") from exc
        if not isinstance(answer, dict):
            raise ViberApiError(method, -1, "answer is not a JSON object")
        status = answer.get("status", -1)
        message = str(answer.get("status_message", ""))
        if status == STATUS_OK:
            return answer
        if status == STATUS_INVALID_TOKEN:
            if not self.token_invalid:
                log.error("Viber rejected the auth token (status 2, %s): set a valid VIBER_AUTH_TOKEN and "
                          "restart; no more calls to Viber will be made until then", message or "invalid token")
            self.token_invalid = True
            raise ViberAuthError(method, status, message)
        raise ViberApiError(method, int(status) if isinstance(status, int) else -1, message)

    async def send_message(self, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            answer = await self.call("send_message", payload)
        except ViberApiError:
            metrics.record_reply("viber", "send_message", ok=False)
            raise
        metrics.record_reply("viber", "send_message", ok=True)
        return answer

    async def set_webhook(self, url: str, event_types: list[str], send_name: bool = False,
                          send_photo: bool = False) -> dict[str, Any]:
        payload = {"url": url, "event_types": event_types, "send_name": send_name, "send_photo": send_photo}
        return await self.call("set_webhook", payload)

    async def get_account_info(self) -> dict[str, Any]:
        return await self.call("get_account_info", {})


class _Retryable(Exception):
    """A 5xx answer: the same request may well succeed a moment later."""


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
