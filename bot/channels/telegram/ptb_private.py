"""Every private python-telegram-bot name the bot relies on, fenced in this one module.

The library gives no public way to see each Bot API call on its way out, nor names the "value left at its
default" marker its request classes receive; both are needed for speed and for losing no update. The hooks:

- `telegram._utils.defaultvalue.DefaultValue` and `telegram._utils.types.ODVInput`: a request class is given a
  timeout or this marker for "use your own default" (AiohttpRequest reads it).
- `Bot._post(endpoint, data, *, read_timeout, write_timeout, connect_timeout, pool_timeout, api_kwargs)`: every
  Bot API method goes through it, and it returns the answer's `result` as parsed JSON. `HookedBot` overrides it
  once and hands each call to `on_post`, so the rest of the bot overrides public-looking names only.

tests/test_ptb_private.py fails, naming the hook, when an upgrade of the library moves or changes one of them:
fix it here, nowhere else.
"""

from __future__ import annotations

from typing import Any

from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.ext import ExtBot

__all__ = ["DefaultValue", "HookedBot", "ODVInput"]


class HookedBot(ExtBot[Any]):
    """An ExtBot whose every Bot API call passes through `on_post`."""

    __slots__ = ()

    async def _post(self, endpoint: str, data: Any = None, **kwargs: Any) -> Any:
        return await self.on_post(endpoint, data, **kwargs)

    async def on_post(self, endpoint: str, data: Any = None, **kwargs: Any) -> Any:
        """Called for every Bot API call, the library's and `call`'s alike; sends it as it is by default."""
        return await self.library_post(endpoint, data, **kwargs)

    async def library_post(self, endpoint: str, data: Any = None, **kwargs: Any) -> Any:
        """The library's own sending: its defaults, the rate limiter, and its errors (BadRequest, RetryAfter...)."""
        return await super()._post(endpoint, data, **kwargs)
