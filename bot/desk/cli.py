"""`hotline staff ...`: desk accounts from the server's command line (the first supervisor starts here)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.app import run_async
from bot.config import Settings
from bot.store import open_store
from bot.store.desk import ROLES, AccountExists, DeskStore

__all__ = ["register"]


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    from bot.desk.accounts import Accounts

    async def add() -> tuple[str, str] | str:
        store = await open_store(settings.effective_database_url)
        try:
            assert isinstance(store, DeskStore)
            try:
                account, password = await Accounts(store, settings.desk).add(args.name, args.role, "cli",
                                                                             args.telegram_id)
            except AccountExists:
                return f"there is already an account named {args.name!r}"
            except ValueError as exc:
                return str(exc)
            return account.name, password
        finally:
            await store.close()

    result = run_async(add())
    if isinstance(result, str):
        print(result, file=sys.stderr)
        return 1
    print(f"account {result[0]!r} ({args.role}) added. One-time password (shown only now, "
          f"to be changed at the first sign-in):\n{result[1]}")
    if not settings.desk.enabled:
        print("note: the desk is not enabled; start it with `hotline run --desk` or set desk.enabled in the config")
    return 0


def cmd_reset(args: argparse.Namespace, settings: Settings) -> int:
    from bot.desk.accounts import Accounts

    async def reset() -> str | None:
        store = await open_store(settings.effective_database_url)
        try:
            assert isinstance(store, DeskStore)
            return await Accounts(store, settings.desk).reset_password(args.name, "cli")
        finally:
            await store.close()

    password = run_async(reset())
    if password is None:
        print(f"no account named {args.name!r}", file=sys.stderr)
        return 1
    print(f"new one-time password for {args.name!r} (shown only now):\n{password}")
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    async def accounts() -> list[Any]:
        store = await open_store(settings.effective_database_url)
        try:
            assert isinstance(store, DeskStore)
            return await store.list_accounts()
        finally:
            await store.close()

    for account in run_async(accounts()):
        state = "active" if account.active else "switched off"
        print(f"{account.name}\t{account.role}\t{state}\t{account.telegram_id or ''}")
    return 0


def register(sub: Any) -> None:
    staff = sub.add_parser("staff", help="caseworkers' desk accounts")
    commands = staff.add_subparsers(dest="staff_command", required=True)
    add = commands.add_parser("add", help="add an account; prints a one-time password")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--telegram-id", type=int, help="the person's Telegram user id, so the audit names one person")
    add.set_defaults(handler=cmd_add)
    reset = commands.add_parser("reset-password", help="a new one-time password; signs the account out everywhere")
    reset.add_argument("name")
    reset.set_defaults(handler=cmd_reset)
    commands.add_parser("list", help="list accounts").set_defaults(handler=cmd_list)
