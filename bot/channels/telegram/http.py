"""The Bot API request layer: an aiohttp `BaseRequest`, and a bot that can make a call without object building.

python-telegram-bot's default client (httpx) costs about 1.3 ms of CPU per call on this machine, aiohttp about
0.3 ms (see bench/bench_telegram.py). Requests go out as JSON, written and read with orjson; file uploads as
multipart. A connection that could not even be opened is retried with a short back-off (nothing was sent, so
nothing can be duplicated); any other failure is raised as python-telegram-bot's NetworkError or TimedOut for the
caller to handle.

`HotlineBot.call` sends plain dicts and returns the API's JSON: building keyboard objects, serialising them back
and parsing every sent message into a `Message` nobody reads cost about 0.2 ms a message. It still goes through
the rate limiter, the error mapping (BadRequest, RetryAfter...) and the request object above.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import aiohttp
import orjson
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot import metrics
from bot.channels.telegram.ptb_private import DefaultValue, HookedBot, ODVInput
from bot.channels.telegram.updates import slim_update

__all__ = ["AiohttpRequest", "HotlineBot"]

log = logging.getLogger(__name__)

CONNECT_RETRIES = 3
RETRY_BACKOFF = 0.25
FINAL_POLL_SECONDS = 2.0  # the getUpdates without long polling made at stop to confirm the last batch


def _pick(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` over one aiohttp session with a bounded keep-alive connection pool.

    aiohttp has no separate write timeout: a request's writing is bounded by the connect and read timeouts.
    """

    __slots__ = ("_connect_timeout", "_pool_size", "_pool_timeout", "_proxy", "_read_timeout", "_session",
                 "_timeouts", "_write_timeout")

    def __init__(
        self,
        connection_pool_size: int = 64,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        proxy: str | None = None,
    ) -> None:
        self._pool_size = max(1, connection_pool_size)
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._proxy = proxy
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _timeout(self, read: ODVInput[float], write: ODVInput[float], connect: ODVInput[float],
                 pool: ODVInput[float]) -> aiohttp.ClientTimeout:
        key = (_pick(read, self._read_timeout), _pick(write, self._write_timeout),
               _pick(connect, self._connect_timeout), _pick(pool, self._pool_timeout))
        timeout = self._timeouts.get(key)
        if timeout is None:
            read_s, write_s, connect_s, pool_s = key
            acquire = None if connect_s is None or pool_s is None else connect_s + pool_s
            per_read = None if read_s is None else read_s + (write_s or 0.0)
            timeout = aiohttp.ClientTimeout(total=None, connect=acquire, sock_connect=connect_s, sock_read=per_read)
            if len(self._timeouts) < 64:
                self._timeouts[key] = timeout
        return timeout

    @staticmethod
    def _body(request_data: RequestData | None) -> tuple[Any, dict[str, str]]:
        if request_data is None:
            return None, {}
        if request_data.contains_files:
            form = aiohttp.FormData()
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, (filename, content, mimetype) in request_data.multipart_data.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            return form, {}
        return orjson.dumps(request_data.parameters), {"Content-Type": "application/json"}

    @staticmethod
    def parse_json_payload(payload: bytes) -> Any:
        """As python-telegram-bot's, with orjson first: every answer and every batch of updates is parsed here.

        What orjson refuses (a lone surrogate escape in a user's text) goes to the standard library, as before,
        rather than stall polling on a batch that would never parse. The body is never logged: it is user data.
        """
        try:
            return orjson.loads(payload)
        except orjson.JSONDecodeError:
            pass
        try:
            return json.loads(payload.decode("utf-8", "replace"))
        except ValueError as exc:
            log.warning("the Bot API answered with something that is not JSON (%d bytes)", len(payload))
            raise TelegramError("Invalid server response") from exc

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        timeout = self._timeout(read_timeout, write_timeout, connect_timeout, pool_timeout)
        for attempt in range(CONNECT_RETRIES + 1):
            body, headers = self._body(request_data)
            try:
                async with self._session.request(method, url, data=body, headers=headers, timeout=timeout,
                                                 proxy=self._proxy) as response:
                    return response.status, await response.read()
            except aiohttp.ClientConnectorError as exc:
                if attempt == CONNECT_RETRIES:
                    raise NetworkError(f"aiohttp.{type(exc).__name__}: could not connect") from exc
                log.warning("could not connect to the Bot API (attempt %d); retrying", attempt + 1)
                await asyncio.sleep(RETRY_BACKOFF * 2**attempt)
            except aiohttp.ConnectionTimeoutError as exc:
                raise TimedOut("Timed out while connecting or waiting for a free connection") from exc
            except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
                raise TimedOut from exc
            except aiohttp.ClientError as exc:
                raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
        raise AssertionError("unreachable")


def _is_long_poll(data: Any) -> bool:
    timeout = data.get("timeout") if isinstance(data, dict) else None
    seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else timeout
    return bool(seconds)


class HotlineBot(HookedBot):
    """The Application's bot, plus `call` for the renderer.

    Fetched updates are slimmed before parsing and, when `keep` is set (polling), stored before they are
    returned: the next getUpdates confirms them to Telegram, so they must be safe by then.

    On stop, python-telegram-bot cancels the running long poll without waiting for it, then makes one more
    getUpdates (timeout 0) to confirm the last batch, on a pool of one connection. That call first lets the
    cancelled poll give its connection back, then runs with a short timeout of its own: a stop must fit in the
    seconds a service manager grants (systemd and container runtimes send SIGKILL after about 10 s).
    """

    __slots__ = ("_keep", "_long_polls")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keep: Callable[[list[dict[str, Any]]], Awaitable[None]] | None = None
        self._long_polls: set[asyncio.Task[Any]] = set()

    def keep_fetched_updates(self, keep: Callable[[list[dict[str, Any]]], Awaitable[None]] | None) -> None:
        self._keep = keep

    async def on_post(self, endpoint: str, data: Any = None, **kwargs: Any) -> Any:
        if endpoint == "getUpdates":
            if _is_long_poll(data):
                return await self._long_poll(data, **kwargs)
            await self._settle_long_polls()
            kwargs.update(read_timeout=FINAL_POLL_SECONDS, write_timeout=0.0, connect_timeout=FINAL_POLL_SECONDS,
                          pool_timeout=FINAL_POLL_SECONDS)
        return await self._fetched(endpoint, await self.library_post(endpoint, data, **kwargs))

    async def _long_poll(self, data: Any, **kwargs: Any) -> Any:
        task = asyncio.current_task()
        if task is not None:
            self._long_polls.add(task)
        try:
            result = await self.library_post("getUpdates", data, **kwargs)
        finally:
            if task is not None:
                self._long_polls.discard(task)
        return await self._fetched("getUpdates", result)

    async def _settle_long_polls(self) -> None:
        """Waits (briefly) for cancelled long polls to unwind, so their connection is free for this call."""
        current = asyncio.current_task()
        others = [t for t in self._long_polls if t is not current and not t.done()]
        if others:
            await asyncio.wait(others, timeout=FINAL_POLL_SECONDS)

    async def _fetched(self, endpoint: str, result: Any) -> Any:
        if endpoint == "getUpdates" and isinstance(result, list):
            for update in result:
                slim_update(update)
            if result and self._keep is not None:
                try:
                    await self._keep(result)
                except Exception as exc:  # not confirmed to Telegram, so fetched again after the poll's back-off
                    metrics.record_store_error("keep")
                    log.error("could not store fetched updates (%s); fetching them again", type(exc).__name__)
                    raise NetworkError(f"could not store fetched updates ({type(exc).__name__})") from exc
        return result

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """Calls a Bot API method with JSON-ready parameters; returns its `result` as parsed JSON."""
        try:
            result = await self.on_post(method, params)
        except TelegramError:
            metrics.record_reply("telegram", method, ok=False)
            raise
        metrics.record_reply("telegram", method, ok=True)
        return result
