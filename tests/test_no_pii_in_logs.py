"""Names, phones, towns, notes and locations never reach the logs: every record of whole flows is captured.

The conversation, the store and the staff queue are captured at DEBUG (with the app's own logging setup, which
keeps aiosqlite's statement log quiet); the Telegram staff group at the default level.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.app import Runtime, configure_logging
from bot.config import Settings
from bot.records import CallbackRequest
from bot.staff.queue import Actor, Queue
from tests.e2e.fake_telegram import FakeTelegram
from tests.helpers import ChatUser
from tests.test_staff_telegram import STAFF_CHAT, running, staff_settings

NAME = "Mzia Kvaratskhelia"
OTHER_NAME = "Zurab Tsiklauri"
PHONE_TYPED = "577 31 42 59"
PHONE_SHARED = "995599246813"
TOWN = "Tskaltubo"
COUNTRY = "Portugal"
NOTE = "my neighbour Dali answers the phone"
LATITUDE, LONGITUDE = 42.270431, 42.704918
SECRETS = (NAME, OTHER_NAME, "Mzia", "Kvaratskhelia", "577314259", "577 31 42 59", "+995577314259", "599246813",
           TOWN, COUNTRY, "neighbour Dali", "42.27", "42.70", "42.704918", "42.270431")


def assert_clean(caplog: pytest.LogCaptureFixture) -> None:
    assert caplog.records, "the flows did log something"
    text = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} reached the logs"


@pytest.fixture
async def debug_logs(settings: Settings, caplog: pytest.LogCaptureFixture) -> AsyncIterator[None]:
    configure_logging(settings.model_copy(update={"log_level": "DEBUG"}))
    caplog.set_level(logging.DEBUG)
    yield


async def fill(user: ChatUser) -> None:
    await user.command("callback")
    await user.tap("cb:agree")
    await user.say("🙂")
    await user.say(NAME)
    await user.say("577 31")
    await user.share_contact(PHONE_SHARED, own=False)
    await user.say(PHONE_TYPED)
    await user.share_location(LATITUDE, LONGITUDE)
    await user.tap("cb:back")
    await user.say(TOWN)
    await user.tap("cb:t:reint_living")
    await user.say(COUNTRY)
    await user.say("13/2021")
    await user.say("03/2021")
    await user.tap("cb:l:ka")
    await user.tap("cb:w:morning")
    await user.say(NOTE)


async def test_conversation_store_and_queue_log_no_personal_data(rt: Runtime, debug_logs: None,
                                                                 caplog: pytest.LogCaptureFixture,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    user = ChatUser(rt.engine, "pii", platform_language="en")
    await fill(user)

    async def broken(request: CallbackRequest) -> CallbackRequest:
        raise OSError("disk I/O error")

    with monkeypatch.context() as patch:
        patch.setattr(rt.store, "create_request", broken)
        await user.tap("cb:ok")
        assert "Sorry, something went wrong" in user.text
    assert any(r.exc_info for r in caplog.records), "the failure was logged with its traceback"
    await user.command("callback")
    await user.say(NAME)
    await user.tap("cb:ok")
    assert "Your reference" in user.text
    await user.command("callback")
    await user.tap("cb:update")
    await user.tap("cb:e:name")
    await user.say(OTHER_NAME)
    await user.tap("cb:ok")
    await user.command("mydata")
    [request] = await rt.store.requests_for(user.key)

    queue = Queue(rt.store, rt.settings)
    await queue.note(request.ref, Actor("Nino"), f"spoke to {NAME} at {PHONE_TYPED}")
    await queue.act("take", request.ref, Actor("Nino"))
    await queue.act("done", request.ref, Actor("Nino"), note=f"{NAME} will visit {TOWN}")
    await queue.export_csv()
    assert await queue.purge(now=datetime.now(UTC) + timedelta(days=365)) == 1

    other = ChatUser(rt.engine, "pii-2", platform_language="en")
    await fill(other)
    await other.tap("cb:ok")
    await other.command("callback")
    await other.tap("cb:withdraw")
    await other.tap("cb:yes")
    await other.command("forget")
    await other.tap("p:yes")
    assert_clean(caplog)


async def test_staff_group_logs_no_personal_data(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with FakeTelegram() as fake, running(staff_settings(settings, fake), fake) as staff:
        request = await staff.request(name=NAME, phone="+995577314259", town=TOWN, note=NOTE, return_country=COUNTRY)
        post = await staff.announced(request.ref)
        fake.fail("sendMessage", 403, "Forbidden: bot can't initiate conversation with a user")
        nino = staff.member(11, "Nino")
        await staff.push(nino.press(f"s:t:{request.ref}", post.message_id))
        await staff.push(nino.command(f"take {request.ref}"), method="sendMessage", chat_id=11, expect=2)
        await staff.push(staff.group_command(nino, f"/note {request.ref} {NAME} asked for {TOWN}"),
                         method="sendMessage", chat_id=STAFF_CHAT)
        await staff.push(staff.group_command(nino, f"/done {request.ref}"), method="sendMessage", chat_id=STAFF_CHAT)
        sent: list[Any] = [c for c in fake.calls if c.chat_id == 11]
        assert any(NAME in c.text for c in sent), "the caseworker did get the details"
    assert_clean(caplog)
