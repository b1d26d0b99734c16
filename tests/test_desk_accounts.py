"""Desk accounts on a real SQLite file: one-time passwords, locks per account and per address, roles, and
`hotline staff ...` on the same settings as the bot."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.config import REPO_ROOT, DeskSettings, load_settings
from bot.desk.accounts import Accounts, can, valid_name
from bot.desk.passwords import one_time_password, verify_password
from bot.store import open_store
from bot.store.desk import DeskStore, StaffAccount
from tests.store_support import pg_database, store_url

__all__ = ["pg_database", "store_url"]


@pytest.fixture
async def accounts(store_url: str) -> AsyncIterator[Accounts]:
    """On both engines: what a person types as a name must be storable in either."""
    store = await open_store(store_url)
    assert isinstance(store, DeskStore)
    try:
        yield Accounts(store, DeskSettings(login_attempts=5, address_attempts=8, lock_minutes=15))
    finally:
        await store.close()  # type: ignore[attr-defined]


async def test_a_new_account_signs_in_with_its_one_time_password_only(accounts: Accounts) -> None:
    account, password = await accounts.add("nino", "caseworker", "tests")
    assert re.fullmatch(r"([a-z2-9]{4}-){3}[a-z2-9]{4}", password) and account.must_change
    assert password not in account.password_hash and account.password_hash.startswith("$argon2id$")
    assert (await accounts.login("nino", password, "10.0.0.1")).reason == "ok"
    assert (await accounts.login("nino", password + "x", "10.0.0.1")).reason == "wrong"
    assert (await accounts.login("nobody", password, "10.0.0.1")).reason == "wrong", "same answer for no account"
    assert (await accounts.login("nino\x00\ud800" + "x" * 5000, password, "10.0.0.1")).reason == "wrong"
    with pytest.raises(ValueError):
        await accounts.add("bad (tg:1)", "caseworker", "tests")
    with pytest.raises(ValueError):
        await accounts.add("ana", "admin", "tests")


async def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(accounts: Accounts) -> None:
    _, password = await accounts.add("nino", "caseworker", "tests")
    now = datetime.now(UTC)
    results = [await accounts.login("nino", "guess", f"10.0.0.{i}", now) for i in range(5)]
    assert [r.reason for r in results] == ["wrong"] * 4 + ["locked"]
    assert (await accounts.login("nino", password, "10.0.0.9", now)).reason == "locked"
    later = now + timedelta(minutes=16)
    assert (await accounts.login("nino", password, "10.0.0.9", later)).reason == "ok"


async def test_one_address_guessing_many_names_is_locked_too(accounts: Accounts) -> None:
    _, password = await accounts.add("ana", "supervisor", "tests")
    now = datetime.now(UTC)
    for n in range(8):
        await accounts.login(f"user{n}", "guess", "203.0.113.5", now)
    assert (await accounts.login("ana", password, "203.0.113.5", now)).reason == "locked"
    assert (await accounts.login("ana", password, "203.0.113.6", now)).reason == "ok"


async def test_switching_off_or_resetting_ends_sessions(accounts: Accounts) -> None:
    account, _ = await accounts.add("nino", "caseworker", "tests")
    off = await accounts.set_active("nino", False, "ana")
    assert off is not None and off.session_version == account.session_version + 1 and not can(off, "queue")
    fresh = await accounts.reset_password("nino", "ana")
    assert fresh is not None and await verify_password((await accounts.store.get_account("nino")).password_hash,  # type: ignore[union-attr]
                                                       fresh)
    assert await accounts.reset_password("nobody", "ana") is None
    events = [(e.actor, e.action, e.target) for e in await accounts.store.desk_events()]
    assert ("ana", "account_disabled", "nino") in events and ("ana", "password_reset", "nino") in events


def test_roles_and_names() -> None:
    editor = StaffAccount("keti", "editor", "h")
    assert can(editor, "content") and can(editor, "statistics") and not can(editor, "queue")
    assert can(StaffAccount("ana", "supervisor", "h"), "see_all_details")
    assert not can(StaffAccount("levan", "caseworker", "h"), "see_all_details")
    assert valid_name("ნინო ბერიძე") and not valid_name("a/b") and not valid_name(" nino") and not valid_name("")
    assert one_time_password() != one_time_password()


def test_staff_add_prints_a_one_time_password_that_signs_in(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.yaml"
    monkeypatch.setenv("HOTLINE_CONFIG", str(config))
    config.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data"), "content_dir": str(REPO_ROOT / "content"),
                                      "log_level": "WARNING"}), encoding="utf-8")
    assert main(["--config", str(config), "staff", "add", "ნინო", "--role", "supervisor", "--telegram-id", "42"]) == 0
    password = capsys.readouterr().out.strip().splitlines()[1]
    assert main(["--config", str(config), "staff", "add", "ნინო", "--role", "caseworker"]) == 1
    assert "already" in capsys.readouterr().err
    assert main(["--config", str(config), "staff", "list"]) == 0
    assert capsys.readouterr().out.split("\t")[:2] == ["ნინო", "supervisor"]

    async def sign_in() -> str:
        store = await open_store(load_settings(config).effective_database_url)
        try:
            assert isinstance(store, DeskStore)
            return (await Accounts(store, DeskSettings()).login("ნინო", password, "127.0.0.1")).reason
        finally:
            await store.close()  # type: ignore[attr-defined]

    assert asyncio.run(sign_in()) == "ok"
    assert main(["--config", str(config), "staff", "reset-password", "ნინო"]) == 0
    assert asyncio.run(sign_in()) == "wrong", "the old password stops working"
