"""`hotline queue ...`: the callback queue for staff without Telegram, on the same settings and store as the bot.

    hotline queue list [--status new --status assigned | --status all] [--overdue]
    hotline queue show CB-7K3Q
    hotline queue take|done|unreachable CB-7K3Q --by "Nino" [--note "..."]
    hotline queue note CB-7K3Q --by "Nino" called, will call again tomorrow
    hotline queue export --format csv [--since 2025-01-01] [--output requests.csv]
    hotline queue purge

The CSV export is UTF-8 with a byte-order mark, so Excel opens Georgian text correctly; a cell that would start
with = + - or @ gets a leading apostrophe so a spreadsheet shows it as text instead of running it as a formula.
Exit status: 0 done, 1 not found or not possible (someone else has it, already closed), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.i18n import Catalogues
from bot.records import CLOSED_STATUSES, OPEN_STATUSES, CallbackRequest
from bot.requests import phone_kind
from bot.staff.queue import ACTIONS, LOCAL_TZ, Actor, Outcome, Queue, staff_text
from bot.store import open_store

__all__ = ["register"]

STATUSES = tuple(s for s in (*OPEN_STATUSES, *CLOSED_STATUSES) if s != "cancelled")  # cancelled ones are gone
ACTION_HELP = {
    "take": "assign a request to yourself and show whom to call",
    "done": "close a request: the person was called",
    "unreachable": "close a request: the person could not be reached",
}


def _local(value: datetime | None) -> str:
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if value else ""


def _run(settings: Settings, work: Callable[[Queue], Awaitable[int]]) -> int:
    async def main() -> int:
        store = await open_store(settings.effective_database_url)
        try:
            return await work(Queue(store, settings))
        finally:
            await store.close()

    return asyncio.run(main())


def _statuses(values: list[str] | None) -> tuple[str, ...] | None:
    chosen = [s.strip() for v in values or [] for s in v.split(",") if s.strip()]
    if "all" in chosen:
        return STATUSES
    unknown = sorted(set(chosen) - set(STATUSES))
    if unknown:
        raise SystemExit(f"unknown status {', '.join(unknown)}; use {', '.join(STATUSES)} or all")
    return tuple(chosen) or None


def _table(queue: Queue, requests: list[CallbackRequest]) -> str:
    header = ("REF", "STATUS", "CREATED", "DUE", "TOPIC", "TOWN", "LANG", "TIME", "ASSIGNED TO")
    rows = [header]
    for r in requests:
        due = _local(queue.due(r)) if r.status == "new" else ""
        rows.append(tuple(staff_text(cell) for cell in (
            r.ref, r.status, _local(r.created_at), f"{due} OVERDUE" if queue.overdue(r) else due, r.topic,
            r.town[:24], r.language, r.time_window, r.assigned_to)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def _details(request: CallbackRequest) -> str:
    """Every field, each cleaned of control characters: what users and staff typed never reaches the terminal
    as an escape sequence."""
    kind = phone_kind(Catalogues().translator("en"), request.phone) if request.phone else ""
    fields = [
        ("Reference", request.ref), ("Status", request.status), ("Assigned to", request.assigned_to),
        ("Created", _local(request.created_at)), ("Updated", _local(request.updated_at)),
        ("Name", request.name), ("Phone", f"{request.phone} ({kind})" if kind else request.phone),
        ("Town", request.town), ("Topic", request.topic),
        ("Returned from", " ".join(x for x in (request.return_country, request.return_month) if x)),
        ("Language", request.language), ("Time to call", request.time_window), ("Note", request.note),
        ("Channel", request.channel),
    ]
    return "\n".join(f"{label + ':':15}{_indented(value)}" for label, value in fields if value)


def _indented(value: str) -> str:
    return staff_text(value, lines=True).replace("\n", "\n" + " " * 15)


def _refusal(ref: str, outcome: Outcome, action: str = "") -> str:
    request = outcome.request
    if outcome.reason == "taken" and request is not None:
        refusal = f"{ref} is already taken by {staff_text(request.assigned_to)}"
        return refusal if action in ("", "take") else f"{refusal}; only they or a supervisor can close it"
    if outcome.reason == "closed" and request is not None:
        return f"{ref} is {request.status}; nothing changed"
    if outcome.reason == "empty":
        return "the note is empty; nothing changed"
    return f"no request {ref}"


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    statuses = _statuses(args.status)

    async def work(queue: Queue) -> int:
        requests = await queue.list(statuses, overdue_only=args.overdue)
        print(_table(queue, requests) if requests else "no requests")
        return 0

    return _run(settings, work)


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    async def work(queue: Queue) -> int:
        request = await queue.get(args.ref)
        if request is None:
            print(f"no request {args.ref.upper()}", file=sys.stderr)
            return 1
        print(_details(request))
        if queue.overdue(request):
            print(f"{'Overdue:':15}due {_local(queue.due(request))}")
        print("\nHistory:")
        for entry in await queue.history(request.ref):
            note = f"  {staff_text(entry.note)}" if entry.note else ""
            print(f"  {_local(entry.at)}  {staff_text(entry.actor)}: {entry.from_status or '-'} -> "
                  f"{entry.to_status}{note}")
        return 0

    return _run(settings, work)


def cmd_act(args: argparse.Namespace, settings: Settings) -> int:
    async def work(queue: Queue) -> int:
        ref = args.ref.upper()
        outcome = await queue.act(args.action, ref, Actor(args.by), args.note or "")
        if not outcome.ok or outcome.request is None:
            print(_refusal(ref, outcome, args.action), file=sys.stderr)
            return 1
        print(f"{ref}: {outcome.request.status}" + (f" ({staff_text(outcome.request.assigned_to)})"
                                                     if outcome.request.status == "assigned" else ""))
        if args.action == "take":
            print(_details(outcome.request))
        return 0

    return _run(settings, work)


def cmd_note(args: argparse.Namespace, settings: Settings) -> int:
    async def work(queue: Queue) -> int:
        ref = args.ref.upper()
        outcome = await queue.note(ref, Actor(args.by), " ".join(args.text))
        if not outcome.ok:
            print(_refusal(ref, outcome), file=sys.stderr)
            return 1
        print(f"{ref}: note added")
        return 0

    return _run(settings, work)


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    since = datetime.combine(date.fromisoformat(args.since), datetime.min.time(), tzinfo=LOCAL_TZ).astimezone(UTC) \
        if args.since else None
    exported: list[bytes] = []

    async def work(queue: Queue) -> int:
        exported.append(await queue.export_csv(since))
        return 0

    _run(settings, work)
    data = exported[0]
    if args.output:
        Path(args.output).write_bytes(data)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return 0


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    async def work(queue: Queue) -> int:
        purged = await queue.purge()
        print(f"purged {purged} request(s) closed more than {settings.callback.retention_days} days ago")
        return 0

    return _run(settings, work)


def _date(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("use YYYY-MM-DD") from exc
    return value


def register(sub: Any) -> None:
    """Adds `queue` and its subcommands to the `hotline` parser."""
    queue = sub.add_parser("queue", help="work the callback queue", description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = queue.add_subparsers(dest="queue_command", required=True)

    listing = commands.add_parser("list", help="open requests (or --status ...), oldest first")
    listing.add_argument("--status", action="append", metavar="STATUS",
                         help=f"{', '.join(STATUSES)} or all; repeat or separate with commas (default: open ones)")
    listing.add_argument("--overdue", action="store_true", help="only new requests past the SLA")
    listing.set_defaults(handler=cmd_list)

    show = commands.add_parser("show", help="every field of a request, with its history")
    show.add_argument("ref")
    show.set_defaults(handler=cmd_show)

    for action in ACTIONS:
        act = commands.add_parser(action, help=ACTION_HELP[action])
        act.add_argument("ref")
        act.add_argument("--by", required=True, help="your name, for the audit trail")
        act.add_argument("--note", help="a note for the audit trail")
        act.set_defaults(handler=cmd_act, action=action)

    note = commands.add_parser("note", help="add a note to a request's history")
    note.add_argument("ref")
    note.add_argument("--by", required=True, help="your name, for the audit trail")
    note.add_argument("text", nargs="+")
    note.set_defaults(handler=cmd_note)

    export = commands.add_parser("export", help="all requests as CSV (UTF-8 with BOM, for Excel)")
    export.add_argument("--format", choices=["csv"], default="csv")
    export.add_argument("--since", type=_date, help="created on or after YYYY-MM-DD (hotline time)")
    export.add_argument("--output", help="file to write (default: standard output)")
    export.set_defaults(handler=cmd_export)

    purge = commands.add_parser("purge", help="delete requests closed longer ago than the retention period")
    purge.set_defaults(handler=cmd_purge)
