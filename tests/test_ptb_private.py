"""The private python-telegram-bot hooks fenced in bot/channels/telegram/ptb_private.py still work as used.

Each failure names the hook: after a library upgrade, fix ptb_private.py (and only it) until these pass.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from telegram import Bot
from telegram.request import BaseRequest

from bot.channels.telegram.http import AiohttpRequest
from bot.channels.telegram.ptb_private import HookedBot
from tests.e2e.fake_telegram import BOT_ID, TOKEN, FakeTelegram

POST_PARAMETERS = ["self", "endpoint", "data", "read_timeout", "write_timeout", "connect_timeout", "pool_timeout",
                   "api_kwargs"]


def test_the_default_value_marker_is_where_the_request_class_reads_it() -> None:
    for module, name in (("telegram._utils.defaultvalue", "DefaultValue"), ("telegram._utils.types", "ODVInput")):
        try:
            found = getattr(importlib.import_module(module), name, None)
        except ImportError:
            found = None
        assert found is not None, f"private hook {module}.{name} is gone: update ptb_private.py"
    from telegram._utils.defaultvalue import DefaultValue

    assert isinstance(BaseRequest.DEFAULT_NONE, DefaultValue), \
        "private hook DefaultValue no longer marks BaseRequest.DEFAULT_NONE: AiohttpRequest would read it as a value"


def test_bot_post_keeps_its_signature() -> None:
    post = getattr(Bot, "_post", None)
    assert post is not None and inspect.iscoroutinefunction(post), "private hook Bot._post is gone"
    assert list(inspect.signature(post).parameters) == POST_PARAMETERS, \
        f"private hook Bot._post changed its parameters: {list(inspect.signature(post).parameters)}"


class Recording(HookedBot):
    __slots__ = ("_seen",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._seen: list[tuple[str, Any]] = []

    async def on_post(self, endpoint: str, data: Any = None, **kwargs: Any) -> Any:
        self._seen.append((endpoint, dict(data or {})))
        return await super().on_post(endpoint, data, **kwargs)


async def test_every_library_call_passes_through_bot_post() -> None:
    async with FakeTelegram() as fake:
        bot = Recording(TOKEN, base_url=fake.base_url, request=AiohttpRequest(), get_updates_request=AiohttpRequest())
        async with bot:
            assert bot.id == BOT_ID, "private hook Bot._post no longer returns the answer's parsed `result`"
            await bot.get_updates(timeout=0)
            await bot.send_message(1, "hello")
            answer = await bot.library_post("getMe")
        seen = [endpoint for endpoint, _ in bot._seen]
        assert seen[:3] == ["getMe", "getUpdates", "sendMessage"], \
            f"private hook Bot._post is no longer called by the library's methods (saw {seen})"
        assert "timeout" in bot._seen[1][1], "private hook Bot._post: getUpdates no longer passes `timeout` in data"
        assert isinstance(answer, dict) and answer.get("id") == BOT_ID, \
            "private hook Bot._post no longer returns the answer's parsed `result`"
