"""The Telegram part of the webhook app (bot/channels/webhooks.py): Telegram's secret header, then each update
processed before the answer.

An update is processed before the response, so a crash mid-update makes Telegram resend it; so does a 503,
answered when the replies could not be sent for a passing reason (network, flood limit). The engine keeps a
processed update's replies until they are confirmed sent, so a resend is answered once, not twice.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from contextlib import AsyncExitStack
from http import HTTPStatus

from starlette.requests import Request
from starlette.responses import Response
from telegram import Update

from bot.app import Runtime
from bot.channels.telegram.app import TelegramApplication, build
from bot.channels.telegram.bridge import TelegramBridge
from bot.channels.telegram.http import AiohttpRequest
from bot.channels.telegram.lifecycle import ALLOWED_UPDATES, opened, started, stopped
from bot.channels.telegram.updates import slim_update
from bot.config import TelegramSettings

__all__ = ["SECRET_HEADER", "TelegramWebhook", "telegram_webhook", "webhook_secret"]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_secret(tg: TelegramSettings) -> str:
    """The configured secret, or one derived from the token so that every worker agrees on it."""
    if tg.webhook_secret:
        return tg.webhook_secret
    assert tg.token
    return hmac.new(tg.token.encode(), b"telegram-webhook-secret", hashlib.sha256).hexdigest()


class TelegramWebhook:
    """Started and stopped by the webhook app's lifespan; `handle` serves `POST <webhook_path>`."""

    def __init__(self, rt: Runtime, application: TelegramApplication, bridge: TelegramBridge) -> None:
        self.rt = rt
        self.application = application
        self.bridge = bridge
        bridge.resent_on_failure = True
        self.path = rt.settings.telegram.webhook_path
        self._secret = webhook_secret(rt.settings.telegram).encode()
        self._open = AsyncExitStack()

    async def startup(self) -> None:
        application = self.application
        await self._open.enter_async_context(opened(application))
        try:
            await started(application, self.rt)
            tg = self.rt.settings.telegram
            if tg.webhook_url:
                await application.bot.set_webhook(tg.webhook_url, secret_token=self._secret.decode(),
                                                  allowed_updates=ALLOWED_UPDATES)
                log.info("Telegram webhook registered")
            await application.start()
        except BaseException:
            await self._open.aclose()  # the app's lifespan calls `shutdown` only for a channel that started
            raise

    async def shutdown(self) -> None:
        try:
            if self.application.running:
                await self.application.stop()
                await stopped(self.application)
        finally:
            await self._open.aclose()

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
    """The webhook channel, or None without a token.

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
    return TelegramWebhook(rt, *build(rt))
