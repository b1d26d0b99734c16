"""The `hotline` command: run the bot, chat in the terminal, check content, work the queue, manage the database.

Every subcommand reads the same settings (--config / HOTLINE_CONFIG / environment), so staff tools see the
bot's data.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import configure_logging, run_async, runtime
from bot.config import ConfigError, Settings, load_settings

__all__ = ["main"]

Handler = Callable[[argparse.Namespace, Settings], int]


def _parse_since(value: str) -> datetime:
    return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.channels.terminal import TerminalChat

    configure_logging(settings, to_file=True)  # the screen is the conversation's

    async def chat() -> None:
        from bot.desk.beside import desk_beside

        async with runtime(settings) as rt, desk_beside(rt, getattr(args, "host", "127.0.0.1"),
                                                        getattr(args, "port", 8080)):
            terminal = TerminalChat(rt.engine, user=args.user, language=args.lang)
            rt.relay.register("terminal", terminal.deliver)  # a caseworker's replies from the desk
            await terminal.run()

    run_async(chat())
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    if args.desk:
        settings.desk.enabled = True
        os.environ["HOTLINE_DESK"] = "1"  # for webhook workers, which read their settings again
    if args.webhook:
        from bot.channels.webhooks import serve

        return serve(settings, host=args.host, port=args.port, workers=args.workers)
    if settings.telegram.token:
        from bot.channels.telegram.lifecycle import run_polling

        return run_polling(settings)
    print("No TELEGRAM_BOT_TOKEN is set: starting the terminal chat instead. "
          "See README.md to connect Telegram or Viber.", file=sys.stderr)
    args.user, args.lang = "local", None
    return cmd_chat(args, settings)


def cmd_content_check(args: argparse.Namespace, settings: Settings) -> int:
    from bot.knowledge.loader import load_content

    directory = Path(args.dir) if args.dir else settings.content_dir
    result = load_content(directory)
    for issue in result.issues:
        print(issue)
    errors, warnings = len(result.errors), len(result.warnings)
    if result.content is not None:
        print(f"OK: {len(result.content.faqs)} FAQ entries, {len(result.content.nodes)} menus, "
              f"{len(result.content.centres)} centres; {warnings} warning(s)")
        return 0
    print(f"FAILED: {errors} error(s), {warnings} warning(s)")
    return 1


def cmd_content_gaps(args: argparse.Namespace, settings: Settings) -> int:
    from bot.knowledge.loader import load_content
    from bot.store import open_store

    async def report() -> None:
        store = await open_store(settings.effective_database_url)
        try:
            await store.purge_gaps(datetime.now(UTC) - timedelta(days=settings.gaps_retention_days))
            since = _parse_since(args.since) if args.since else None
            rows = await store.gaps(since=since, lang=args.lang, limit=100_000)
        finally:
            await store.close()
        unanswered = [r for r in rows if r.kind == "unanswered"][: args.limit]
        unhelpful = [r for r in rows if r.kind == "unhelpful"][: args.limit]
        content = load_content(settings.content_dir).content
        print("After each question, → the entries it came closest to: add it to one of them as an example.\n")
        print("Most frequent unanswered questions:")
        for row in unanswered:
            closest = content.faq_index.scores(row.text, row.lang, limit=3) if content else []
            near = "  → " + ", ".join(f"{hit.faq_id} ({hit.score:.2f})" for hit in closest) if closest else ""
            print(f"{row.count:5d}  [{row.lang}] {row.text}{near}")
        if not unanswered:
            print("  (none)")
        print("\nAnswers marked not helpful:")
        for row in unhelpful:
            print(f"{row.count:5d}  [{row.lang}] {row.faq_id}: {row.text}")
        if not unhelpful:
            print("  (none)")

    run_async(report())
    return 0


def _export_examples(args: argparse.Namespace, settings: Settings) -> int:
    from bot.desk.cli import cmd_export_examples

    return cmd_export_examples(args, settings)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _read_export(path: str) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    with open(path, encoding="utf-8") as src:
        for line in src:
            if line.strip():
                record = json.loads(line)
                tables.setdefault(record["table"], []).append(record["row"])
    return tables


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from bot.store import open_store

    tables = _read_export(args.file) if args.db_command == "import" else {}
    lines: list[str] = []

    async def work() -> None:
        store = await open_store(settings.effective_database_url)
        try:
            if args.db_command == "export":
                async for table, row in store.dump():
                    record = {"table": table, "row": {k: _jsonable(v) for k, v in row.items()}}
                    lines.append(json.dumps(record, ensure_ascii=False))
            elif args.db_command == "import":
                for table, rows in tables.items():
                    await store.load_rows(table, rows)
        finally:
            await store.close()

    run_async(work())
    if args.db_command == "migrate":
        print("database is at the latest schema version")
    elif args.db_command == "export":
        Path(args.file).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        print(f"exported {len(lines)} rows to {args.file}")
    else:
        print(f"imported {sum(map(len, tables.values()))} rows from {args.file}")
    return 0


def cmd_db_backup(args: argparse.Namespace, settings: Settings) -> int:
    from bot.store.backup import BackupError, backup

    target = Path(args.file).resolve()
    try:
        run_async(backup(settings.effective_database_url, target))
    except BackupError as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"backup written to {target} ({target.stat().st_size} bytes); it holds personal data: keep it no "
          f"longer than the retention period")
    return 0


def cmd_config_check(args: argparse.Namespace, settings: Settings) -> int:
    from bot.config_check import check, render

    report = check(settings)
    print(render(settings, report, os.environ.get("HOTLINE_CONFIG") or "built-in defaults and the environment"))
    missing = report.modes.get(args.mode, []) if args.mode else []
    return 1 if report.problems or missing else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline", description=__doc__)
    parser.add_argument("--config", help="settings file (YAML); defaults to $HOTLINE_CONFIG or built-in defaults")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the bot (Telegram polling, webhooks, or the terminal chat without a token)")
    run.add_argument("--webhook", action="store_true", help="serve Telegram/Viber webhooks over HTTP")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8080)
    run.add_argument("--workers", type=int, default=1, help="webhook worker processes (PostgreSQL for more than 1)")
    run.add_argument("--desk", action="store_true", help="serve the caseworkers' desk at /desk (as desk.enabled)")
    run.set_defaults(handler=cmd_run)

    chat = sub.add_parser("chat", help="chat with the bot in this terminal")
    chat.add_argument("--user", default="local", help="a name for this chat's session")
    chat.add_argument("--lang", choices=["ka", "en", "ru"], help="preselect the language")
    chat.set_defaults(handler=cmd_chat)

    content = sub.add_parser("content", help="check content, see unanswered questions")
    content_sub = content.add_subparsers(dest="content_command", required=True)
    check = content_sub.add_parser("check", help="validate content/ and report every problem with file:line")
    check.add_argument("dir", nargs="?", help="content directory (default: the configured one)")
    check.set_defaults(handler=cmd_content_check)
    gaps = content_sub.add_parser("gaps", help="questions the content did not answer, answers not helpful")
    gaps.add_argument("--since", help="YYYY-MM-DD")
    gaps.add_argument("--lang", choices=["ka", "en", "ru"])
    gaps.add_argument("--limit", type=int, default=30)
    gaps.set_defaults(handler=cmd_content_gaps)
    exporting = content_sub.add_parser("export-examples", help="write the examples and out-of-scope questions "
                                        "decided in the desk into the content files, then check them")
    exporting.add_argument("dir", nargs="?", help="content directory (default: the configured one)")
    exporting.add_argument("--review-file", default="examples-review.yaml",
                           help="where examples that cannot be placed in their file go (default: %(default)s)")
    exporting.set_defaults(handler=_export_examples)

    db = sub.add_parser("db", help="database schema and data moves")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("migrate", help="apply schema migrations").set_defaults(handler=cmd_db)
    export = db_sub.add_parser("export", help="write all data to a JSON-lines file")
    export.add_argument("file")
    export.set_defaults(handler=cmd_db)
    imp = db_sub.add_parser("import", help="load a file written by `db export`")
    imp.add_argument("file")
    imp.set_defaults(handler=cmd_db)
    backup = db_sub.add_parser("backup", help="a consistent copy of the database while the bot runs (SQLite online "
                                              "backup, or pg_dump's custom format)")
    backup.add_argument("file")
    backup.set_defaults(handler=cmd_db_backup)

    config = sub.add_parser("config", help="check the settings")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    config_check = config_sub.add_parser("check", help="validate the settings file and environment, show the "
                                                       "effective settings (secrets masked) and what each mode needs")
    config_check.add_argument("--mode", choices=["polling", "webhook", "viber", "staff-group", "desk"],
                              help="exit with 1 when this mode is missing something")
    config_check.set_defaults(handler=cmd_config_check)

    for register in _extensions():
        register(sub)
    return parser


def _extensions() -> list[Callable[[Any], None]]:
    """Subcommands that live beside the parts they serve (staff queue, Viber)."""
    from bot.channels.viber_cli import register as viber
    from bot.desk.cli import register as staff
    from bot.staff.queue_cli import register as queue

    return [queue, viber, staff]


def main(argv: list[str] | None = None) -> int:
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.config:
        os.environ["HOTLINE_CONFIG"] = str(Path(args.config).resolve())
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings)
    handler: Handler = args.handler
    return handler(args, settings)

