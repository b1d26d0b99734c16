"""Telegram channel on python-telegram-bot: updates -> core Events, Replies -> Bot API calls.

Polling (`hotline run`) and webhooks (`hotline run --webhook`, served by bot/channels/webhooks.py) share one
Application built from settings: base URL, proxy, timeouts, connection pool, rate limiter and concurrency.

Handler groups: the staff module (bot/staff/telegram_staff.py, if present) registers its handlers in group -1
through `install(application, rt)`; the user-facing handlers below live in group 0 and only see private chats.
Staff handlers end an update they handled with `ApplicationHandlerStop`; staff command names are also skipped
here while the staff module is installed, so a caseworker's /take never reaches the conversation core.
Groups and channels other than the staff group are ignored silently.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import importlib
import logging
import re
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from http import HTTPStatus
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    CallbackQuery,
    Message,
    Update,
    User,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.app import Runtime, run_async, runtime
from bot.channels.telegram_http import AiohttpRequest, HotlineBot, slim_update
from bot.channels.telegram_pending import PolledUpdates, UpdateProcessor
from bot.channels.telegram_render import deliver
from bot.config import Settings, TelegramSettings
from bot.core.engine import COMMANDS
from bot.core.events import Contact, Event, Kind, Location, Reply, SessionKey
from bot.health import monitor
from bot.i18n import LANGUAGES, N_
from bot.store.base import StoreUnavailable
from bot.store.keylocks import KeyLocks

__all__ = [
    "ALLOWED_UPDATES",
    "CHANNEL",
    "COMMAND_DESCRIPTIONS",
    "CORE_GROUP",
    "STAFF_COMMANDS",
    "TelegramBridge",
    "TelegramWebhook",
    "build_application",
    "event_from_message",
    "polling",
    "register_commands",
    "run_polling",
    "serve_polling",
    "telegram_webhook",
    "webhook_secret",
]

log = logging.getLogger(__name__)

CHANNEL = "telegram"
CORE_GROUP = 0
STAFF_COMMANDS = frozenset({"queue", "take", "done", "unreachable", "note"})
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "channel_post", "edited_channel_post",
                   "my_chat_member")
POLL_TIMEOUT = timedelta(seconds=10)
FAILURES_KEPT = 1000
RETRY_AFTER_ATTEMPTS = 3
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_API = "https://api.telegram.org/bot"
DEFAULT_FILES = "https://api.telegram.org/file/bot"
COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)

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


def event_from_message(message: Message, user: User, update_id: int, edited: bool = False) -> Event:
    """A private-chat message as a core Event; anything that is not text, a location or a contact is UNSUPPORTED."""
    common: dict[str, Any] = {
        "key": SessionKey(CHANNEL, str(user.id)),
        "update_id": str(update_id),
        "platform_language": user.language_code,
    }
    if edited:
        return Event(kind=Kind.UNSUPPORTED, **common)
    if message.text is not None:
        match = COMMAND_RE.match(message.text.strip())
        if match:
            return Event(kind=Kind.COMMAND, data=match.group(1).lower(), text=(match.group(2) or "").strip(),
                         **common)
        return Event(kind=Kind.TEXT, text=message.text, **common)
    if message.location is not None:
        location = Location(message.location.latitude, message.location.longitude)
        return Event(kind=Kind.LOCATION, location=location, **common)
    if message.contact is not None:
        contact = message.contact
        name = " ".join(part for part in (contact.first_name, contact.last_name) if part)
        own = contact.user_id is not None and contact.user_id == user.id
        return Event(kind=Kind.CONTACT, contact=Contact(contact.phone_number, is_own=own, name=name), **common)
    return Event(kind=Kind.UNSUPPORTED, **common)


class TelegramBridge:
    """The user-facing handlers: one private chat at a time, in the order its updates arrived."""

    def __init__(self, rt: Runtime, bot: HotlineBot) -> None:
        self.rt = rt
        self.bot = bot
        self.staff_chat_id = rt.settings.telegram.staff_chat_id
        self.skip_commands: frozenset[str] = frozenset()
        self._chats = KeyLocks()
        self._failed: dict[int, bool] = {}
        self.resent_on_failure = False  # webhooks: Telegram resends an update answered with 503

    def register(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGES
        application.add_handler(MessageHandler(private, self.on_message), group=CORE_GROUP)
        application.add_handler(CallbackQueryHandler(self.on_callback), group=CORE_GROUP)
        application.add_error_handler(self.on_error)

    async def respond(self, chat_id: int, event: Event, pressed_message_id: int | None = None) -> None:
        """Handles, renders and confirms delivery under a per-chat lock, so a fast tapper's answers arrive in
        order and a resent update waits for the first copy's outcome; the engine sends under the user's store
        lock, so a copy given to another worker waits for it too."""

        async def send(replies: list[Reply]) -> None:
            await deliver(self.bot, chat_id, replies, pressed_message_id)

        async with self._chats.hold(str(chat_id)):
            await self.rt.engine.handle(event, send)

    def take_failure(self, update_id: int) -> bool:
        """Whether sending the replies to `update_id` failed in a way worth Telegram resending it."""
        return self._failed.pop(update_id, False)

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        if update.edited_message is not None and message.location is not None:
            return  # a live location moving: answered once, when it was first shared
        event = event_from_message(message, user, update.update_id, edited=update.edited_message is not None)
        if event.kind is Kind.COMMAND and event.data in self.skip_commands:
            return
        await self.respond(message.chat_id, event)

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        message = query.message
        if message is not None and message.chat.type != ChatType.PRIVATE:
            if message.chat.id != self.staff_chat_id:
                await self._answer(query)
            return
        if self.skip_commands and (query.data or "").startswith("s:"):
            await self._answer(query)  # a staff button whose staff handler failed: never a user's button
            return
        answering = asyncio.ensure_future(self._answer(query))
        try:
            user = query.from_user
            event = Event(SessionKey(CHANNEL, str(user.id)), Kind.BUTTON, data=query.data or "",
                          update_id=str(update.update_id), platform_language=user.language_code)
            pressed = message.message_id if isinstance(message, Message) and message.text is not None else None
            await self.respond(message.chat.id if message else user.id, event, pressed)
        finally:
            await answering

    def _is_staff(self, update: object) -> bool:
        """Staff actions are not de-duplicated like user updates, so a failed one must not be resent."""
        if not isinstance(update, Update):
            return False
        if update.callback_query is not None:
            return (update.callback_query.data or "").startswith("s:")
        text = update.effective_message.text if update.effective_message else None
        if not text or not text.startswith("/"):
            return False
        return text[1:].split(maxsplit=1)[0].split("@")[0].lower() in self.skip_commands

    async def _answer(self, query: CallbackQuery) -> None:
        """Stops the button's spinner; a query too old to answer is not worth an error."""
        try:
            await self.bot.call("answerCallbackQuery", {"callback_query_id": query.id})
        except TelegramError as exc:
            log.info("could not answer a callback query: %s", exc.message)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Logs with the update id (never its content) and tells the user, with the hotline number."""
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        if isinstance(error, Forbidden):
            log.info("update %s: the user has blocked the bot or left the chat", update_id)
            return
        log.error("failed to handle update %s: %s", update_id, type(error).__name__, exc_info=error)
        private = isinstance(update, Update) and update.effective_chat is not None \
            and update.effective_chat.type == ChatType.PRIVATE
        if update_id is not None and _transient(error) and private and not self._is_staff(update):
            self._failed[update_id] = True
            while len(self._failed) > FAILURES_KEPT:
                del self._failed[next(iter(self._failed))]
            if isinstance(error, StoreUnavailable) and self.resent_on_failure:
                return  # Telegram sends it again and it is answered then: no apology in between
        if not isinstance(update, Update) or update.effective_chat is None or update.effective_user is None:
            return
        if update.effective_chat.type != ChatType.PRIVATE:
            return
        user = update.effective_user
        event = Event(SessionKey(CHANNEL, str(user.id)), Kind.TEXT, platform_language=user.language_code)
        try:
            await deliver(self.bot, update.effective_chat.id, self.rt.engine.apology(event))
        except TelegramError as exc:
            log.warning("could not tell the user about the failure of update %s: %s", update_id,
                        type(exc).__name__)


def _transient(error: object) -> bool:
    """Network trouble, flood limits and lost database connections pass; a bad request or a blocked bot would
    fail the same way again."""
    return isinstance(error, RetryAfter | StoreUnavailable) or (
        isinstance(error, NetworkError) and not isinstance(error, BadRequest))


def _install_staff(application: Application[Any, Any, Any, Any, Any, Any], rt: Runtime) -> bool:
    """Lets the staff module add its handlers; True when it did (it returns None when no staff are configured)."""
    try:
        module = importlib.import_module("bot.staff.telegram_staff")
    except ModuleNotFoundError as exc:
        if exc.name != "bot.staff.telegram_staff":
            raise
        return False
    install = getattr(module, "install", None)
    if install is None:
        return False
    return install(application, rt) is not None


def _quiet_library_logs() -> None:
    """python-telegram-bot's debug records carry whole updates and messages (names, phone numbers)."""
    for name in ("telegram", "aiohttp.client"):
        library = logging.getLogger(name)
        if library.getEffectiveLevel() < logging.INFO:
            library.setLevel(logging.INFO)


def build_application(rt: Runtime) -> Application[Any, Any, Any, Any, Any, Any]:
    """The Application for polling or webhooks; the caller initialises, starts and stops it."""
    return _build(rt)[0]


def _build(rt: Runtime) -> tuple[Application[Any, Any, Any, Any, Any, Any], TelegramBridge]:
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
    if _install_staff(application, rt):
        bridge.skip_commands = STAFF_COMMANDS
    return application, bridge


async def register_commands(application: Application[Any, Any, Any, Any, Any, Any], rt: Runtime) -> None:
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


async def _initialize(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Initialises the Application; if that fails (bad token, no network) its HTTP sessions are still closed."""
    try:
        await application.initialize()
    except BaseException:
        await application.bot.shutdown()
        raise


async def _start_hooks(application: Application[Any, Any, Any, Any, Any, Any], rt: Runtime) -> None:
    await register_commands(application, rt)
    if application.post_init is not None:
        await application.post_init(application)


async def _stop_hooks(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    if application.post_stop is not None:
        await application.post_stop(application)


def _polling_error(exc: TelegramError) -> None:
    log.warning("getting updates failed (%s); retrying", type(exc).__name__)


async def _keep_pending_updates(application: Application[Any, Any, Any, Any, Any, Any],
                                rt: Runtime) -> PolledUpdates | None:
    """Stores fetched updates until handled, and queues the ones a previous run left unhandled."""
    bot, processor = application.bot, application.update_processor
    if not isinstance(bot, HotlineBot) or not isinstance(processor, UpdateProcessor):
        return None
    polled = PolledUpdates(rt.store)
    for update in await polled.replay(lambda data: Update.de_json(slim_update(data), bot)):
        await application.update_queue.put(update)
    bot.keep_fetched_updates(polled.keep)
    processor.polled = polled
    return polled


@asynccontextmanager
async def polling(application: Application[Any, Any, Any, Any, Any, Any], rt: Runtime,
                  poll_timeout: timedelta = POLL_TIMEOUT) -> AsyncIterator[None]:
    """Runs the Application on getUpdates; leaving waits for in-flight updates, then shuts it down."""
    await _initialize(application)
    try:
        await _start_hooks(application, rt)
        polled = await _keep_pending_updates(application, rt)
        updater = application.updater
        assert updater is not None
        await updater.start_polling(timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES,
                                    error_callback=_polling_error)
        await application.start()
        log.info("Telegram polling started as @%s", application.bot.username)
        try:
            yield
        finally:
            try:
                await updater.stop()
                await application.stop()
            finally:
                if polled is not None:
                    await polled.close()
            await _stop_hooks(application)
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


async def serve_polling(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Polls until SIGINT/SIGTERM (or `stop`), then lets in-flight updates finish and closes the store."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        async with runtime(settings) as rt, monitor(rt, settings.monitor_host, settings.monitor_port):
            application = build_application(rt)
            async with polling(application, rt):
                await stop.wait()
                log.info("stopping: finishing the updates in progress")
    except InvalidToken:
        log.error("Telegram rejected the bot token; check TELEGRAM_BOT_TOKEN")
        return 2
    except TelegramError as exc:
        log.error("could not start Telegram polling: %s", type(exc).__name__)
        return 1
    finally:
        for sig in signals:
            with suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    return 0


def run_polling(settings: Settings) -> int:
    """`hotline run` with a token: polls Telegram until interrupted (on uvloop where it is installed)."""
    return run_async(serve_polling(settings))


def webhook_secret(tg: TelegramSettings) -> str:
    """The configured secret, or one derived from the token so that every worker agrees on it."""
    if tg.webhook_secret:
        return tg.webhook_secret
    assert tg.token
    return hmac.new(tg.token.encode(), b"telegram-webhook-secret", hashlib.sha256).hexdigest()


class TelegramWebhook:
    """The Telegram part of the webhook app: checks Telegram's secret header and processes updates inline.

    An update is processed before the response, so a crash mid-update makes Telegram resend it; so does a 503,
    answered when the replies could not be sent for a passing reason (network, flood limit). The engine keeps
    a processed update's replies until they are confirmed sent, so a resend is answered once, not twice.
    """

    def __init__(self, rt: Runtime, application: Application[Any, Any, Any, Any, Any, Any],
                 bridge: TelegramBridge) -> None:
        self.rt = rt
        self.application = application
        self.bridge = bridge
        bridge.resent_on_failure = True
        self.path = rt.settings.telegram.webhook_path
        self._secret = webhook_secret(rt.settings.telegram).encode()

    async def startup(self) -> None:
        await _initialize(self.application)
        await _start_hooks(self.application, self.rt)
        tg = self.rt.settings.telegram
        if tg.webhook_url:
            await self.application.bot.set_webhook(tg.webhook_url, secret_token=self._secret.decode(),
                                                   allowed_updates=ALLOWED_UPDATES)
            log.info("Telegram webhook registered")
        await self.application.start()

    async def shutdown(self) -> None:
        try:
            if self.application.running:
                await self.application.stop()
                await _stop_hooks(self.application)
        finally:
            await self.application.shutdown()
            if self.application.post_shutdown is not None:
                await self.application.post_shutdown(self.application)

    async def handle(self, request: Request) -> Response:
        if request.method != "POST":
            return Response(status_code=HTTPStatus.METHOD_NOT_ALLOWED)
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return Response(status_code=HTTPStatus.FORBIDDEN)
        try:
            data = AiohttpRequest.parse_json_payload(await request.body())  # the same fallback as polling
            update = Update.de_json(slim_update(data), self.application.bot) if isinstance(data, dict) else None
        except Exception:  # anything Telegram would never send: refuse it rather than answer 500
            update = None
        if update is None:
            return Response(status_code=HTTPStatus.BAD_REQUEST)
        application = self.application
        await application.update_processor.process_update(update, application.process_update(update))
        if self.bridge.take_failure(update.update_id):
            return Response(status_code=HTTPStatus.SERVICE_UNAVAILABLE)
        return Response(status_code=HTTPStatus.OK)


def telegram_webhook(rt: Runtime) -> TelegramWebhook | None:
    """The webhook channel for bot/channels/webhooks.py, or None without a token.

    With `webhook_url` set the bot registers itself (with a secret derived from the token unless one is
    configured); without it, `webhook_secret` must be set and registered with Telegram by whoever sets the
    webhook, or every request would be refused.
    """
    tg = rt.settings.telegram
    if not tg.token:
        return None
    if not tg.webhook_url and not tg.webhook_secret:
        log.error("Telegram webhook not served: set telegram.webhook_url (the bot registers itself) or "
                  "TELEGRAM_WEBHOOK_SECRET (the secret_token you register with setWebhook)")
        return None
    return TelegramWebhook(rt, *_build(rt))
