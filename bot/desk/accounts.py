"""Who may use the desk and what each role may do; logins with per-account and per-address locks.

Roles: a caseworker works the queue and sees a request's personal data only once they have taken it; a
supervisor also sees every request's details, closes or returns others' requests and manages accounts; an editor
works on content (gaps, content, statistics) and does not see the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.config import DeskSettings
from bot.desk.passwords import MIN_LENGTH, hash_password, one_time_password, verify_password
from bot.staff.queue import Actor
from bot.store.base import storable_text
from bot.store.desk import ROLES, AccountExists, DeskStore, StaffAccount

__all__ = [
    "NAME_MAX",
    "ROLES",
    "AccountExists",
    "Accounts",
    "LoginResult",
    "actor_for",
    "can",
    "valid_name",
]

NAME_MAX = 40
_PERMISSIONS = {
    "queue": {"caseworker", "supervisor"},
    "see_all_details": {"supervisor"},
    "act_for_others": {"supervisor"},
    "manage_accounts": {"supervisor"},
    "content": {"editor", "supervisor"},
    "statistics": {"caseworker", "editor", "supervisor"},
}


def can(account: StaffAccount, permission: str) -> bool:
    return account.active and account.role in _PERMISSIONS[permission]


def actor_for(account: StaffAccount) -> Actor:
    """The name the audit trail records; a linked Telegram id makes desk and Telegram actions one person's."""
    return Actor(account.name, account.telegram_id, supervisor=can(account, "act_for_others"))


def valid_name(name: str) -> bool:
    cleaned = storable_text(name).strip()
    return 0 < len(cleaned) <= NAME_MAX and cleaned == name and all(c.isprintable() for c in name) and \
        not set(name) & set("()/\\")


@dataclass(frozen=True)
class LoginResult:
    """`reason`: ok, wrong (name or password), locked (too many wrong tries: see `until`), disabled."""

    reason: str
    account: StaffAccount | None = None
    until: datetime | None = None


class Accounts:
    def __init__(self, store: DeskStore, settings: DeskSettings) -> None:
        self.store = store
        self.settings = settings

    async def add(self, name: str, role: str, actor: str, telegram_id: int | None = None) -> tuple[StaffAccount, str]:
        """Creates the account with a one-time password, returned once and never stored in clear."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if not valid_name(name):
            raise ValueError(f"a name is 1 to {NAME_MAX} printable characters, without brackets or slashes")
        password = one_time_password()
        account = await self.store.add_account(StaffAccount(name, role, await hash_password(password),
                                                            telegram_id=telegram_id))
        await self.store.record_desk_event(actor, "account_added", name, role)
        return account, password

    async def reset_password(self, name: str, actor: str) -> str | None:
        """A new one-time password; the old one and every signed-in browser stop working."""
        password = one_time_password()
        changed = await self.store.update_account(name, password_hash=await hash_password(password),
                                                  must_change=True, end_sessions=True)
        if changed is None:
            return None
        await self.store.clear_login_failures(f"account:{name}")
        await self.store.record_desk_event(actor, "password_reset", name)
        return password

    async def set_password(self, account: StaffAccount, password: str) -> StaffAccount | None:
        if len(password) < MIN_LENGTH:
            raise ValueError("short")
        changed = await self.store.update_account(account.name, password_hash=await hash_password(password),
                                                  must_change=False, end_sessions=True)
        await self.store.record_desk_event(account.name, "password_changed", account.name)
        return changed

    async def set_active(self, name: str, active: bool, actor: str) -> StaffAccount | None:
        changed = await self.store.update_account(name, active=active, end_sessions=not active)
        if changed is not None:
            await self.store.record_desk_event(actor, "account_enabled" if active else "account_disabled", name)
        return changed

    async def set_role(self, name: str, role: str, actor: str) -> StaffAccount | None:
        if role not in ROLES:
            raise ValueError(role)
        changed = await self.store.update_account(name, role=role, end_sessions=True)
        if changed is not None:
            await self.store.record_desk_event(actor, "role_changed", name, role)
        return changed

    async def login(self, name: str, password: str, address: str, now: datetime | None = None) -> LoginResult:
        """Checks the locks first (a locked account is not even tried), then the password; counts failures."""
        now = now or datetime.now(UTC)
        name = storable_text(name)[:NAME_MAX * 4]  # what was typed is kept in counters and the desk's audit
        keys = (f"account:{name}", f"address:{address}")
        for key in keys:
            until = await self.store.login_locked_until(key, now)
            if until is not None:
                await self.store.record_desk_event(name, "login_refused_locked", key.split(":")[0])
                return LoginResult("locked", until=until)
        account = await self.store.get_account(name) if valid_name(name) else None
        if await verify_password(account.password_hash if account else None, password) and account is not None:
            if not account.active:
                await self.store.record_desk_event(name, "login_refused_disabled")
                return LoginResult("disabled")
            await self.store.clear_login_failures(keys[0])
            await self.store.record_desk_event(name, "login", "", address)
            return LoginResult("ok", account)
        window = lock = timedelta(minutes=self.settings.lock_minutes).total_seconds()
        until_account = await self.store.login_failure(keys[0], now, window, self.settings.login_attempts, lock)
        until_address = await self.store.login_failure(keys[1], now, window, self.settings.address_attempts, lock)
        await self.store.record_desk_event(name, "login_failed", "", address)
        until = until_account or until_address
        return LoginResult("locked", until=until) if until else LoginResult("wrong")

