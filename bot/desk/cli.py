"""`hotline staff ...`: desk accounts from the server's command line (the first supervisor starts here); and
`hotline content export-examples`: the editors' decisions from the desk written into the content files."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.app import run_async
from bot.config import Settings
from bot.store import open_store
from bot.store.desk import ROLES, AccountExists, DeskStore

__all__ = ["cmd_export_examples", "register"]


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


def cmd_export_examples(args: argparse.Namespace, settings: Settings) -> int:
    """Writes the stored decisions into the YAML, then checks the content as `hotline content check` does."""
    from pathlib import Path

    import yaml

    from bot.knowledge.decisions import Decided
    from bot.knowledge.export import export_decisions
    from bot.knowledge.loader import load_content

    async def decided() -> list[Decided]:
        store = await open_store(settings.effective_database_url)
        try:
            assert isinstance(store, DeskStore)
            return [Decided(d.lang, d.text, d.faq_id) for d in await store.content_decisions()]
        finally:
            await store.close()

    directory = Path(args.dir) if args.dir else settings.content_dir
    decisions = run_async(decided())
    result = export_decisions(directory, decisions)
    for path, added in result.written.items():
        print(f"{path}: {added} line(s) added")
    if result.already:
        print(f"{result.already} decision(s) were already in the files")
    for fid in result.unknown:
        print(f"entry {fid!r} is no longer in the content: its examples were left out", file=sys.stderr)
    if result.review:
        review = Path(args.review_file)
        review.write_text(yaml.safe_dump(result.review, allow_unicode=True, sort_keys=True), encoding="utf-8")
        print(f"{review}: examples that could not be placed in their file (a list in flow style or over several "
              "lines); add them by hand")
    if not (result.written or result.review):
        print(f"nothing new to write ({len(decisions)} decision(s) stored)")
    checked = load_content(directory)
    for issue in checked.issues:
        print(issue)
    if checked.content is None:
        print(f"FAILED: the content check found {len(checked.errors)} error(s)")
        return 1
    print(f"OK: the content check passes; {len(checked.warnings)} warning(s)")
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
