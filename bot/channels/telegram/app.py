"""Building the Application from settings: Bot API URLs, proxy, timeouts, pool, rate limiter, concurrency,
the user-facing handlers, the staff group's handlers and the command menu.

Polling (lifecycle.py) and webhooks (webhook.py) run the same Application.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import BotCommand, BotCommandScopeAllPrivateChats
from telegram.ext import AIORateLimiter, Application
from telegram.request import BaseRequest, HTTPXRequest

from bot.app import Runtime
from bot.channels.telegram.bridge import TelegramBridge
from bot.channels.telegram.http import AiohttpRequest, HotlineBot
from bot.channels.telegram.live import install_live
from bot.channels.telegram.pending import UpdateProcessor
from bot.config import TelegramSettings
from bot.core.flows.navigation import COMMANDS
from bot.i18n import LANGUAGES, N_
from bot.staff.telegram_staff import STAFF_COMMANDS, install

__all__ = ["COMMAND_DESCRIPTIONS", "TelegramApplication", "build", "build_application", "register_commands"]

log = logging.getLogger(__name__)

TelegramApplication = Application[Any, Any, Any, Any, Any, Any]
RETRY_AFTER_ATTEMPTS = 3
DEFAULT_API = "https://api.telegram.org/bot"
DEFAULT_FILES = "https://api.telegram.org/file/bot"

COMMAND_DESCRIPTIONS: dict[str, str] = {
    "start": N_("Start again from the main menu"),
    "menu": N_("Main menu"),
    "language": N_("Change the language"),
    "centres": N_("Find the nearest migrant resource centre"),
    "callback": N_("Ask a caseworker to call you back"),
    "help": N_("What this bot can do"),
    "cancel": N_("Stop what you are doing"),
    "mydata": N_("See what we store about you"),
    "forget": N_("Delete what we store about you"),
}


def _api_urls(tg: TelegramSettings) -> tuple[str, str]:
    """The Bot API and file URLs. base_url may be a server root ("http://host:8081"), a ".../bot" prefix, or a
    URL with {token} in it; the file URL follows the same server unless set on its own."""
    if not tg.base_url:
        return DEFAULT_API, tg.base_file_url or DEFAULT_FILES
    base = tg.base_url.rstrip("/")
    root = base.removesuffix("/bot")
    api = base if "{" in base or base.endswith("/bot") else base + "/bot"
    files = tg.base_file_url or (f"{root}/file/bot" if "{" not in root else DEFAULT_FILES)
    return api, files


def _request(tg: TelegramSettings, pool_size: int) -> BaseRequest:
    """aiohttp for speed; httpx only for proxies aiohttp cannot speak (socks)."""
    timeouts = {"read_timeout": tg.read_timeout, "write_timeout": tg.write_timeout,
                "connect_timeout": tg.connect_timeout}
    if tg.proxy and not tg.proxy.startswith(("http://", "https://")):
        return HTTPXRequest(connection_pool_size=pool_size, proxy=tg.proxy, **timeouts)
    return AiohttpRequest(connection_pool_size=pool_size, proxy=tg.proxy, **timeouts)


def _rate_limiter(tg: TelegramSettings) -> AIORateLimiter:
    """Telegram's flood limits when enabled; either way a RetryAfter is waited out and retried."""
    if tg.rate_limit:
        return AIORateLimiter(max_retries=RETRY_AFTER_ATTEMPTS)
    return AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=RETRY_AFTER_ATTEMPTS)


def _quiet_library_logs() -> None:
    """python-telegram-bot's debug records carry whole updates and messages (names, phone numbers)."""
    for name in ("telegram", "aiohttp.client"):
        library = logging.getLogger(name)
        if library.getEffectiveLevel() < logging.INFO:
            library.setLevel(logging.INFO)


def build(rt: Runtime) -> tuple[TelegramApplication, TelegramBridge]:
    """The Application and its bridge to the core; the staff handlers come first when staff are configured."""
    tg = rt.settings.telegram
    if not tg.token:
        raise ValueError("no Telegram token configured (TELEGRAM_BOT_TOKEN)")
    _quiet_library_logs()
    api_url, file_url = _api_urls(tg)
    bot = HotlineBot(
        tg.token,
        base_url=api_url,
        base_file_url=file_url,
        request=_request(tg, tg.pool_size),
        get_updates_request=_request(tg, 1),
        rate_limiter=_rate_limiter(tg),
    )
    processor = UpdateProcessor(max(1, tg.concurrent_updates))
    application = Application.builder().bot(bot).concurrent_updates(processor).build()
    bridge = TelegramBridge(rt, bot)
    bridge.register(application)
    install_live(application, rt)
    if install(application, rt) is not None:
        bridge.skip_commands = frozenset(STAFF_COMMANDS)
    return application, bridge


def build_application(rt: Runtime) -> TelegramApplication:
    """The Application for polling or webhooks; run it with lifecycle.polling or webhook.TelegramWebhook."""
    return build(rt)[0]


async def register_commands(application: TelegramApplication, rt: Runtime) -> None:
    """The command menu in each language, plus a default for clients in other languages."""
    catalogues = rt.engine.catalogues

    async def one(language: str | None) -> None:
        t = catalogues.translator(language or rt.settings.default_language)
        commands = [BotCommand(name, t.gettext(COMMAND_DESCRIPTIONS[name])) for name in COMMANDS
                    if name in COMMAND_DESCRIPTIONS]
        await application.bot.set_my_commands(commands, scope=BotCommandScopeAllPrivateChats(),
                                              language_code=language)

    results = await asyncio.gather(*(one(lang) for lang in (*LANGUAGES, None)), return_exceptions=True)
    failed = [type(r).__name__ for r in results if isinstance(r, BaseException)]
    if failed:
        log.warning("could not register the command menu for every language: %s", ", ".join(failed))
