"""`hotline config check`: the settings as the bot will see them, secrets masked, and what each mode still needs.

Settings come from defaults, the file and the environment (bot/config.py); a file that does not validate never
gets here (the command exits 2 naming the file and the field). This adds the checks a valid file can still fail:
directories that do not exist, a database URL of an unknown kind, and per mode the settings it cannot run without.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from bot.config import Settings

__all__ = ["MODES", "Report", "check", "masked", "render"]

SECRET_FIELDS = {("telegram", "token"), ("telegram", "webhook_secret"), ("viber", "auth_token"),
                 ("desk", "secret_key")}
URL_FIELDS = {("database_url",), ("telegram", "proxy")}
VIBER_SENDER_MAX = 28


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    modes: dict[str, list[str]] = field(default_factory=dict)  # mode -> what is missing (empty: ready)
    notes: list[str] = field(default_factory=list)


def _mask_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if not parts.password:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def masked(settings: Settings) -> dict[str, Any]:
    """The effective settings as plain data, with tokens, secrets and passwords replaced by `***`."""
    data = settings.model_dump(mode="json")
    secrets = [v for v in (settings.telegram.token, settings.telegram.webhook_secret, settings.viber.auth_token) if v]

    def walk(node: dict[str, Any], path: tuple[str, ...]) -> None:
        for key, value in node.items():
            where = (*path, key)
            if isinstance(value, dict):
                walk(value, where)
            elif value and where in SECRET_FIELDS:
                node[key] = "***"
            elif isinstance(value, str):
                for secret in secrets:  # a token written into a URL (base_url with the token in it)
                    value = value.replace(secret, "***")
                node[key] = _mask_url(value) if where in URL_FIELDS else value

    walk(data, ())
    return data


def _polling(s: Settings) -> list[str]:
    return [] if s.telegram.token else ["TELEGRAM_BOT_TOKEN"]


def _webhook(s: Settings) -> list[str]:
    missing = [] if s.telegram.token or s.viber.auth_token else ["TELEGRAM_BOT_TOKEN or VIBER_AUTH_TOKEN"]
    tg = s.telegram
    if tg.token and not (tg.webhook_url or tg.webhook_secret):
        missing.append("telegram.webhook_url (the bot registers itself) or TELEGRAM_WEBHOOK_SECRET")
    if tg.webhook_url and not tg.webhook_url.startswith("https://"):
        missing.append("telegram.webhook_url must start with https:// (Telegram calls only HTTPS webhooks)")
    return missing


def _viber(s: Settings) -> list[str]:
    missing = [] if s.viber.auth_token else ["VIBER_AUTH_TOKEN"]
    if len(s.viber.sender_name) > VIBER_SENDER_MAX:
        missing.append(f"viber.sender_name of at most {VIBER_SENDER_MAX} characters")
    return missing


def _staff_group(s: Settings) -> list[str]:
    missing = [] if s.telegram.token else ["TELEGRAM_BOT_TOKEN"]
    if s.telegram.staff_chat_id is None:
        missing.append("telegram.staff_chat_id (the caseworkers' group)")
    elif s.telegram.staff_chat_id > 0:
        missing.append("telegram.staff_chat_id of a group (group ids are negative)")
    if not s.telegram.staff_user_ids:
        missing.append("telegram.staff_user_ids (who may take and close requests)")
    return missing


def _desk(s: Settings) -> list[str]:
    """The caseworkers' web desk is served at /desk by `hotline run` (beside the terminal chat, or with the webhooks)
    once enabled; workers sharing PostgreSQL must sign sessions with one key."""
    missing = [] if s.desk.enabled else ["desk.enabled (or HOTLINE_DESK=1, or hotline run --desk)"]
    if s.effective_database_url.startswith(("postgresql://", "postgres://")) and not s.desk.secret_key:
        missing.append("HOTLINE_DESK_SECRET (the same on every worker)")
    return missing


MODES: dict[str, Callable[[Settings], list[str]]] = {
    "polling": _polling, "webhook": _webhook, "viber": _viber, "staff-group": _staff_group, "desk": _desk,
}


def check(settings: Settings) -> Report:
    report = Report()
    if not settings.content_dir.is_dir():
        report.problems.append(f"content_dir {settings.content_dir} does not exist")
    url = settings.effective_database_url
    if url.startswith("sqlite:///"):
        folder = os.path.dirname(url.removeprefix("sqlite:///")) or "."
        if os.path.exists(folder) and not os.access(folder, os.W_OK):
            report.problems.append(f"the database folder {folder} is not writable")
    elif not url.startswith(("postgresql://", "postgres://")):
        report.problems.append("database_url must be sqlite:///path or postgresql://...")
    else:
        report.notes.append("PostgreSQL: several webhook workers may share it (`hotline run --webhook --workers N`)")
    if settings.telegram.token and settings.telegram.webhook_url:
        report.notes.append("telegram.webhook_url is set: `hotline run` without --webhook would remove the webhook")
    if settings.monitor_port is None:
        report.notes.append("polling serves no /metrics: set HOTLINE_MONITOR_PORT to have them")
    report.modes = {name: needs(settings) for name, needs in MODES.items()}
    return report


def render(settings: Settings, report: Report, source: str) -> str:
    lines = [f"settings: {source}", "effective settings (secrets masked):", ""]
    lines += ["  " + line for line in yaml.safe_dump(masked(settings), sort_keys=False,
                                                      allow_unicode=True).splitlines()]
    lines.append("")
    lines += [f"problem: {problem}" for problem in report.problems]
    for mode, missing in report.modes.items():
        lines.append(f"{mode}: ready" if not missing else f"{mode}: missing {'; '.join(missing)}")
    lines += [f"note: {note}" for note in report.notes]
    return "\n".join(lines)
