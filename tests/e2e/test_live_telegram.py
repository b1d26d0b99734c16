"""Live chats on the polling Telegram bot (fake Bot API): the staff group hears of a waiting chat at once, without
the person's name or phone, and sees who took it; nobody taking it in time brings the callback offer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from bot.config import DeskSettings, LiveSettings, Settings, TelegramSettings
from bot.core.events import SessionKey
from bot.store.desk import DeskStore, StaffAccount
from bot.store.live import LiveStore
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.test_telegram import CASEWORKER, CONTENT_DIR, STAFF_CHAT, Harness, running_bot

ALWAYS = {d: "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
shared_loop = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    tmp = tmp_path_factory.mktemp("live-telegram")
    async with FakeTelegram() as fake:
        settings = Settings(data_dir=tmp / "data", content_dir=CONTENT_DIR, flood_messages_per_10s=1000,
                            default_language="en",
                            telegram=TelegramSettings(token=fake.token, base_url=fake.base_url,
                                                      staff_chat_id=STAFF_CHAT),
                            desk=DeskSettings(enabled=True), live=LiveSettings(hours=ALWAYS, holidays_off=False))
        async with running_bot(settings, fake) as harness:
            yield harness


def texts(harness: Harness, chat_id: int, since: int = 0) -> list[str]:
    return [c.text for c in harness.fake.calls[since:] if c.chat_id == chat_id and c.text]


async def ask(harness: Harness, user_id: int, first: str) -> int:
    user = harness.user(user_id)
    for update in (user.command("start"), user.press("n:human"), user.press("h:ask"), user.text(first)):
        await harness.send(update)
    store = harness.rt.store
    assert isinstance(store, LiveStore)
    chats = await store.live_for_user(SessionKey("telegram", str(user_id)))
    return chats[-1].id


@shared_loop
async def test_the_staff_group_hears_at_once_without_name_or_phone(bot: Harness) -> None:
    since = len(bot.fake.calls)
    chat = await ask(bot, 9101, "My name is Giorgi Beridze, call me on +995 599 12 34 56, my visa expired")
    await bot.fake.wait_for(lambda: any("waiting to write" in t for t in texts(bot, STAFF_CHAT, since)), 5)
    post = next(t for t in texts(bot, STAFF_CHAT, since) if "waiting to write" in t)
    assert "Language: English · telegram" in post and "my visa expired" in post
    assert "Giorgi" not in post and "599" not in post and "Beridze" not in post
    assert await bot.rt.relay.take(chat, "nino")
    await bot.fake.wait_for(lambda: any(c.method == "editMessageText" and "taken by nino" in c.text
                                        for c in bot.fake.calls[since:]), 5)
    assert any("A consultant has joined the chat" in t for t in texts(bot, 9101, since))
    person = len(bot.fake.calls)
    await bot.send(bot.user(9101).text("thank you"))
    assert texts(bot, 9101, person) == [], "the bot is silent while a person answers"
    await bot.rt.relay.reply(chat, "nino", "You can apply again.")
    assert texts(bot, 9101, person) == ["👤 Consultant: You can apply again."]


@shared_loop
async def test_nobody_takes_it_in_time_and_the_callback_is_offered(bot: Harness) -> None:
    chat = await ask(bot, 9102, "Where do I get my diploma recognised?")
    since = len(bot.fake.calls)
    assert await bot.rt.relay.tick(datetime.now(UTC) + timedelta(minutes=11)) >= 1
    told = "\n".join(texts(bot, 9102, since))
    assert "no consultant could answer in time" in told and "kept as the note" in told
    store = bot.rt.store
    assert isinstance(store, LiveStore)
    assert (await store.live(chat)).status == "missed"  # type: ignore[union-attr]
    await bot.fake.wait_for(lambda: any("Nobody took this live chat in time" in t
                                        for t in texts(bot, STAFF_CHAT, since)), 5)


@shared_loop
async def test_forget_deletes_the_staff_group_post(bot: Harness) -> None:
    since = len(bot.fake.calls)
    await ask(bot, 9103, "I want to delete this later")
    await bot.fake.wait_for(lambda: any("waiting to write" in t for t in texts(bot, STAFF_CHAT, since)), 5)
    post = next(c for c in bot.fake.calls[since:] if c.chat_id == STAFF_CHAT and "waiting to write" in c.text)
    user = bot.user(9103)
    for update in (user.command("forget"), user.press("p:yes")):
        await bot.send(update)
    await bot.fake.wait_for(lambda: any(c.method == "deleteMessage" and c.params.get("message_id") ==
                                        post.message_id for c in bot.fake.calls[since:]), 10)


@shared_loop
async def test_a_linked_caseworker_holds_the_chat_from_a_private_telegram_chat(bot: Harness) -> None:
    store = bot.rt.store
    assert isinstance(store, DeskStore)
    await store.add_account(StaffAccount("lela", "caseworker", "-", must_change=False, telegram_id=CASEWORKER))
    chat = await ask(bot, 9104, "Can my wife come with me?")
    assert await bot.rt.relay.take(chat, "lela")
    since = len(bot.fake.calls)
    await bot.fake.wait_for(lambda: any(t.startswith(f"💬 #{chat} ") for t in texts(bot, CASEWORKER, since)), 5)
    first = next(c for c in bot.fake.calls[since:] if c.chat_id == CASEWORKER and c.text.startswith(f"💬 #{chat}"))
    assert "Can my wife come with me?" in first.text and "Reply to a message here" in first.text
    await bot.send(bot.user(9104).text("She has a Georgian passport"))
    await bot.fake.wait_for(lambda: any("She has a Georgian passport" in t for t in texts(bot, CASEWORKER, since)), 5)
    caseworker = bot.user(CASEWORKER)
    replied_to = {"message_id": first.message_id, "date": 0, "chat": caseworker.chat, "text": first.text}
    person = len(bot.fake.calls)
    await bot.send(caseworker.text("Yes, with a family visa.", reply_to_message=replied_to))
    assert texts(bot, 9104, person) == ["👤 Consultant: Yes, with a family visa."]
    assert texts(bot, CASEWORKER, person) == [], "the bot does not answer the caseworker as a person"
    store_live = bot.rt.store
    assert isinstance(store_live, LiveStore)
    assert [(m.direction, m.author) for m in await store_live.live_messages(chat)][-1] == ("out", "lela")
    copies = [c for c in bot.fake.calls[since:] if c.chat_id == CASEWORKER and c.text.startswith(f"💬 #{chat}")]
    for update in (bot.user(9104).command("forget"), bot.user(9104).press("p:yes")):
        await bot.send(update)
    await bot.fake.wait_for(lambda: {c.message_id for c in copies} <= {
        c.params.get("message_id") for c in bot.fake.calls if c.method == "deleteMessage"
        and c.chat_id == CASEWORKER}, 10)  # the caseworker's copies go with the person's /forget
