"""Settings: defaults, then a YAML file (--config or HOTLINE_CONFIG), then environment variables.

Every command reads settings through `load_settings`, so staff commands see the same data as the bot.
Secrets (tokens) are meant to come from the environment, not from the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["REPO_ROOT", "ConfigError", "Settings", "load_settings"]

REPO_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file and the field."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TelegramSettings(_Section):
    token: str | None = None
    base_url: str | None = None
    base_file_url: str | None = None
    proxy: str | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 10.0
    write_timeout: float = 10.0
    pool_size: int = 64
    concurrent_updates: int = 64
    webhook_path: str = "/telegram"
    webhook_url: str | None = None
    webhook_secret: str | None = None
    staff_chat_id: int | None = None
    staff_user_ids: list[int] = Field(default_factory=list)
    supervisor_user_ids: list[int] = Field(default_factory=list)
    rate_limit: bool = True


class ViberSettings(_Section):
    auth_token: str | None = None
    api_url: str = "https://chatapi.viber.com/pa"
    webhook_path: str = "/viber"
    sender_name: str = "Migrant hotline"
    sender_avatar: str | None = None


class CallbackSettings(_Section):
    retention_days: int = 90
    sla_working_days: int = 1
    name_max: int = 80
    note_max: int = 500
    supervisors: list[str] = Field(default_factory=list)


class DeskSettings(_Section):
    """The caseworkers' web desk at /desk (bot/desk)."""

    enabled: bool = False
    secret_key: str | None = None  # signs session cookies; every worker needs the same (default: a file in data_dir)
    idle_minutes: int = 30
    login_attempts: int = 5  # wrong passwords for one account within `lock_minutes` before it is locked
    address_attempts: int = 20  # the same for one network address
    lock_minutes: int = 15
    page_size: int = 50
    poll_seconds: int = 5
    note_max: int = 1000


class LiveSettings(_Section):
    """Live chats with a caseworker (bot/core/flows/handoff.py, bot/live): offered only while the desk is staffed,
    which needs the desk enabled, and only in the hours given per weekday (Tbilisi time; Georgian holidays off)."""

    enabled: bool = True
    hours: dict[str, str] = Field(default_factory=lambda: {d: "10:00-18:00" for d in ("mon", "tue", "wed", "thu",
                                                                                     "fri")})
    holidays_off: bool = True  # Georgia's public holidays (from `holidays`) are not staffed
    wait_minutes: float = 10.0  # nobody took it by then: the person is offered a callback instead
    idle_minutes: float = 30.0  # a taken chat with no message for this long is closed
    message_max: int = 2000


class Settings(_Section):
    data_dir: Path = REPO_ROOT / "data"
    database_url: str | None = None
    content_dir: Path = REPO_ROOT / "content"
    default_language: str = "ka"
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    monitor_host: str = "127.0.0.1"
    monitor_port: int | None = None
    content_reload_seconds: float = 2.0
    migrate_on_start: bool = True
    gaps_retention_days: int = 90
    session_retention_days: int = 90
    flood_messages_per_10s: int = 20
    callback: CallbackSettings = Field(default_factory=CallbackSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    viber: ViberSettings = Field(default_factory=ViberSettings)
    desk: DeskSettings = Field(default_factory=DeskSettings)
    live: LiveSettings = Field(default_factory=LiveSettings)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'hotline.sqlite3'}"


_ENV: dict[str, tuple[str, ...]] = {
    "HOTLINE_DATA_DIR": ("data_dir",),
    "HOTLINE_DATABASE_URL": ("database_url",),
    "HOTLINE_CONTENT_DIR": ("content_dir",),
    "HOTLINE_LOG_LEVEL": ("log_level",),
    "HOTLINE_LOG_FORMAT": ("log_format",),
    "HOTLINE_MONITOR_PORT": ("monitor_port",),
    "TELEGRAM_BOT_TOKEN": ("telegram", "token"),
    "TELEGRAM_BASE_URL": ("telegram", "base_url"),
    "TELEGRAM_WEBHOOK_SECRET": ("telegram", "webhook_secret"),
    "VIBER_AUTH_TOKEN": ("viber", "auth_token"),
    "VIBER_API_URL": ("viber", "api_url"),
    "HOTLINE_DESK": ("desk", "enabled"),
    "HOTLINE_DESK_SECRET": ("desk", "secret_key"),
}


def load_settings(path: str | Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    file = path or env.get("HOTLINE_CONFIG")
    if file:
        file_path = Path(file)
        try:
            loaded = yaml.safe_load(file_path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{file_path}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"{file_path}: the top level must be a mapping of settings")
        raw = loaded
        for name in ("data_dir", "content_dir"):
            if isinstance(raw.get(name), str) and not Path(raw[name]).is_absolute():
                raw[name] = str((file_path.parent / raw[name]).resolve())
    for var, dotted in _ENV.items():
        value = env.get(var)
        if value:
            target = raw
            for part in dotted[:-1]:
                target = target.setdefault(part, {})
            target[dotted[-1]] = value
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{file or 'environment'}: {problems}") from exc
    return settings
