"""`hotline viber ...`: register the webhook and show the account.

`set-webhook URL` asks Viber to send our event types to URL; Viber checks the URL at once with a signed `webhook`
callback, so `hotline run --webhook` must already be serving it (HTTPS with a publicly trusted certificate).
The token comes from VIBER_AUTH_TOKEN or the config file, the API address from VIBER_API_URL or the config.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bot.channels.viber_client import EVENT_TYPES, ViberApiError, ViberClient
from bot.config import Settings

__all__ = ["register"]

INFO_FIELDS = ("name", "uri", "id", "category", "country", "webhook", "event_types", "subscribers_count")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    viber = sub.add_parser("viber", help="Viber webhook and account")
    viber_sub = viber.add_subparsers(dest="viber_command", required=True)
    hook = viber_sub.add_parser("set-webhook", help="register URL as the Viber webhook (the server must be up)")
    hook.add_argument("url", help="public HTTPS address of the webhook, e.g. https://bot.example.org/viber")
    hook.set_defaults(handler=cmd_set_webhook)
    info = viber_sub.add_parser("info", help="show the Viber account the token belongs to")
    info.set_defaults(handler=cmd_info)


def _run(settings: Settings, work: Callable[[ViberClient], Awaitable[int]]) -> int:
    token = settings.viber.auth_token
    if not token:
        print("No Viber auth token: set VIBER_AUTH_TOKEN or viber.auth_token in the config file.", file=sys.stderr)
        return 2

    async def main() -> int:
        async with ViberClient(token, settings.viber.api_url, attempts=2) as client:
            try:
                return await work(client)
            except ViberApiError as exc:
                print(f"Viber refused: {exc}", file=sys.stderr)
                return 1

    return asyncio.run(main())


def cmd_set_webhook(args: argparse.Namespace, settings: Settings) -> int:
    async def work(client: ViberClient) -> int:
        await client.set_webhook(args.url, EVENT_TYPES)
        print(f"Webhook set: {args.url}")
        print(f"Events: message, {', '.join(EVENT_TYPES)}")
        return 0

    return _run(settings, work)


def cmd_info(args: argparse.Namespace, settings: Settings) -> int:
    async def work(client: ViberClient) -> int:
        account = await client.get_account_info()
        for field in INFO_FIELDS:
            if field in account:
                print(f"{field}: {_show(account[field])}")
        return 0

    return _run(settings, work)


def _show(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
