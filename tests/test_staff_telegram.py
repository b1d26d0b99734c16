"""The Telegram staff group end to end: the real Application polling the fake Bot API, the staff desk installed.

What the group sees never includes a name or phone; those reach only the caseworker who takes the request,
in a private chat. Every wait is bounded and waits on the calls the bot makes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest

from bot.app import Runtime, runtime
from bot.channels.telegram.app import build_application
from bot.channels.telegram.lifecycle import polling
from bot.config import Settings, TelegramSettings
from bot.core.events import SessionKey
from bot.records import CallbackRequest
from bot.staff.telegram_staff import StaffDesk
from tests.e2e.fake_telegram import Call, FakeTelegram, FakeUser

STAFF_CHAT = -100777
CASEWORKERS = (11, 12)
NAME, PHONE, NOTE = "Ketevan Zhvania", "+995555987654", "Please call after work"


class Desk:
    def __init__(self, fake: FakeTelegram, rt: Runtime, desk: StaffDesk) -> None:
        self.fake = fake
        self.rt = rt
        self.desk = desk

    def member(self, user_id: int, first_name: str) -> FakeUser:
        return FakeUser(self.fake, user_id, "en", first_name=first_name)

    def group_command(self, user: FakeUser, text: str) -> dict[str, Any]:
        command = text.split()[0]
        return user.message(chat={"id": STAFF_CHAT, "type": "supergroup", "title": "Caseworkers"}, text=text,
                            entities=[{"type": "bot_command", "offset": 0, "length": len(command)}])

    def group_posts(self) -> list[Call]:
        return [c for c in self.fake.methods("sendMessage") if c.chat_id == STAFF_CHAT]

    async def announced(self, ref: str) -> Call:
        await self.fake.wait_for(lambda: any(ref in c.text for c in self.group_posts()))
        return next(c for c in self.group_posts() if ref in c.text)

    def answers(self) -> list[Call]:
        return self.fake.methods("answerCallbackQuery")

    async def push(self, *updates: dict[str, Any], expect: int = 1, method: str = "answerCallbackQuery",
                   chat_id: int | None = None) -> list[Call]:
        """Pushes updates and waits for `expect` new calls of `method` (to `chat_id` if given)."""
        since = len(self.fake.calls)

        def new() -> list[Call]:
            return [c for c in self.fake.calls[since:] if c.method == method
                    and (chat_id is None or c.chat_id == chat_id)]

        self.fake.push(*updates)
        await self.fake.wait_for(lambda: len(new()) >= expect)
        return new()

    async def request(self, user: str = "u1", **fields: Any) -> CallbackRequest:
        values = {"name": NAME, "phone": PHONE, "town": "Zugdidi", "topic": "reint_medical", "returnee": True,
                  "return_country": "Greece", "return_month": "2024-03", "language": "ru", "time_window": "evening",
                  "note": NOTE, **fields}
        return await self.rt.store.create_request(CallbackRequest("telegram", user, **values))


def staff_settings(settings: Settings, fake: FakeTelegram) -> Settings:
    tg = TelegramSettings(token=fake.token, base_url=fake.base_url, staff_chat_id=STAFF_CHAT,
                          staff_user_ids=list(CASEWORKERS))
    return settings.model_copy(update={"telegram": tg, "default_language": "en"})  # staff texts in English


@asynccontextmanager
async def running(settings: Settings, fake: FakeTelegram) -> AsyncIterator[Desk]:
    async with runtime(settings, watch_content=False) as rt:
        application = build_application(rt)
        desk: StaffDesk = application.bot_data["staff_desk"]
        desk.poll_seconds, desk.sync_seconds = 0.05, 0.2
        async with polling(application, rt, poll_timeout=timedelta(seconds=1)):
            yield Desk(fake, rt, desk)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def staff(settings: Settings, fake: FakeTelegram) -> AsyncIterator[Desk]:
    async with running(staff_settings(settings, fake), fake) as desk:
        yield desk


def assert_no_personal_data(calls: list[Call]) -> None:
    for call in calls:
        for value in (NAME, PHONE, NOTE, "555 98 76 54"):
            assert value not in str(call.params), f"{call.method} to {call.chat_id} carries personal data"


async def test_new_request_is_announced_without_personal_data(staff: Desk) -> None:
    request = await staff.request()
    post = await staff.announced(request.ref)
    content = staff.rt.content.current
    topic = content.text(content.nodes["reint_medical"].title, "en")
    assert "Zugdidi" in post.text and topic in post.text
    assert "Русский" in post.text and "Evening" in post.text
    assert [d for _, d in post.buttons] == [f"s:t:{request.ref}", f"s:d:{request.ref}", f"s:u:{request.ref}"]
    assert "parse_mode" not in post.params, "sent as plain text: user input cannot inject markup"
    assert_no_personal_data(staff.fake.calls)
    for _ in range(100):
        if not await staff.rt.store.pending_announcements():
            break
        await asyncio.sleep(0.02)
    assert await staff.rt.store.pending_announcements() == [], "marked announced once Telegram accepted it"


async def test_the_group_sees_the_area_not_an_address_or_coordinates(staff: Desk) -> None:
    address = await staff.request(user="a1", town="Kutaisi, Tamar Mepe st 14, flat 3")
    shared = await staff.request(user="a2", town="📍 41.72, 44.78")
    unknown = await staff.request(user="a3", town="at my aunt's house")
    village = await staff.request(user="a4", town="Terjola village")
    street = await staff.request(user="a5", town="Gori street 5, Tbilisi")
    abroad = await staff.request(user="a6", town="📍 51.50, -0.12")
    requests = (address, shared, unknown, village, street, abroad)
    posts = {r.ref: (await staff.announced(r.ref)).text for r in requests}
    assert "Town: see the details" in posts[address.ref] and "Tamar" not in posts[address.ref]
    assert "shared location, nearest centre:" in posts[shared.ref] and "41.72" not in posts[shared.ref]
    assert "Tbilisi" in posts[shared.ref]
    assert "Town: see the details" in posts[unknown.ref] and "aunt" not in posts[unknown.ref]
    assert "Town: Terjola\n" in posts[village.ref]
    assert "Town: see the details" in posts[street.ref] and "Gori" not in posts[street.ref]
    assert "Town: see the details" in posts[abroad.ref] and "51.5" not in posts[abroad.ref]
    listing = " ".join(c.text for c in await staff.push(staff.group_command(staff.member(12, "Levan"), "/queue"),
                                                        method="sendMessage", chat_id=STAFF_CHAT))
    assert "Terjola" in listing and not any(word in listing for word in ("Tamar", "aunt", "41.72", "Gori street"))
    nino = staff.member(11, "Nino")
    replies = await staff.push(staff.group_command(nino, f"/take {address.ref}"), method="sendMessage", chat_id=11)
    assert "Tamar Mepe st 14, flat 3" in replies[0].text, "the caseworker who takes it gets the town as written"


async def test_group_messages_posted_before_a_restart_are_brought_up_to_date(settings: Settings,
                                                                              fake: FakeTelegram) -> None:
    settings = staff_settings(settings, fake)
    async with runtime(settings, watch_content=False) as rt:  # posted by an earlier run, as it rendered then
        request = await rt.store.create_request(
            CallbackRequest("telegram", "earlier", NAME, PHONE, town="Kutaisi, Tamar Mepe st 14"))
        await rt.store.mark_announced(request.ref, f"{STAFF_CHAT}:4242")

    def edits() -> list[Call]:
        return [c for c in fake.methods("editMessageText") if c.params.get("message_id") == 4242]

    async with running(settings, fake):
        await fake.wait_for(lambda: bool(edits()))
    assert "Town: see the details" in edits()[0].text and "Tamar" not in edits()[0].text


async def test_take_sends_details_privately_and_a_second_take_is_told_who_has_it(staff: Desk) -> None:
    request = await staff.request()
    post = await staff.announced(request.ref)
    nino, levan = staff.member(11, "Nino"), staff.member(12, "Levan")
    [answer] = await staff.push(nino.press(f"s:t:{request.ref}", post.message_id))
    assert "is yours" in answer.params["text"]
    [private] = [c for c in staff.fake.methods("sendMessage") if c.chat_id == 11]
    assert NAME in private.text and "+995 555 98 76 54 (Georgia, mobile)" in private.text and NOTE in private.text
    assert "Greece" in private.text
    edits = [c for c in staff.fake.methods("editMessageText") if c.params.get("message_id") == post.message_id]
    assert edits and "Taken by Nino" in edits[-1].text
    assert [d for _, d in edits[-1].buttons] == [f"s:d:{request.ref}", f"s:u:{request.ref}"]

    [answer] = await staff.push(levan.press(f"s:t:{request.ref}", post.message_id))
    assert "already taken by Nino" in answer.params["text"] and answer.params.get("show_alert") is True
    assert not [c for c in staff.fake.methods("sendMessage") if c.chat_id == 12]
    stored = await staff.rt.store.get_request(request.ref)
    assert stored is not None and stored.status == "assigned" and stored.assigned_to == "Nino (tg:11)"
    assert_no_personal_data([c for c in staff.fake.calls if c.chat_id != 11])


async def test_simultaneous_takes_exactly_one_wins(staff: Desk) -> None:
    request = await staff.request()
    post = await staff.announced(request.ref)
    nino, levan = staff.member(11, "Nino"), staff.member(12, "Levan")
    answers = await staff.push(nino.press(f"s:t:{request.ref}", post.message_id),
                               levan.press(f"s:t:{request.ref}", post.message_id), expect=2)
    texts = sorted(a.params["text"] for a in answers)
    assert sum("is yours" in t for t in texts) == 1 and sum("already taken by" in t for t in texts) == 1
    private = [c for c in staff.fake.methods("sendMessage") if c.chat_id in CASEWORKERS]
    assert len(private) == 1 and NAME in private[0].text
    history = await staff.rt.store.audit(request.ref)
    assert [e.to_status for e in history].count("assigned") == 1


async def test_strangers_are_refused_and_nothing_changes(staff: Desk) -> None:
    request = await staff.request()
    post = await staff.announced(request.ref)
    stranger = staff.member(99, "Mallory")
    [answer] = await staff.push(stranger.press(f"s:t:{request.ref}", post.message_id))
    assert "Only hotline staff" in answer.params["text"]
    [reply] = await staff.push(staff.group_command(stranger, f"/done {request.ref}"), method="sendMessage",
                               chat_id=STAFF_CHAT)
    assert "Only hotline staff" in reply.text
    [reply] = await staff.push(stranger.command("queue"), method="sendMessage", chat_id=99)
    assert "Only hotline staff" in reply.text
    stored = await staff.rt.store.get_request(request.ref)
    assert stored is not None and stored.status == "new"
    assert len(await staff.rt.store.audit(request.ref)) == 1
    assert_no_personal_data(staff.fake.calls)


async def test_staff_commands(staff: Desk) -> None:
    first = await staff.request(user="a")
    second = await staff.request(user="b", town="Telavi", topic="legal", returnee=False)
    await staff.announced(second.ref)
    nino = staff.member(11, "Nino")

    async def command(text: str) -> str:
        [reply] = await staff.push(staff.group_command(nino, text), method="sendMessage", chat_id=STAFF_CHAT)
        return reply.text

    listing = await command("/queue")
    assert first.ref in listing and second.ref in listing and "Telavi" in listing
    assert "I have sent you the details" in await command(f"/take {second.ref.lower()}")
    assert "Note added" in await command(f"/note {second.ref} left a voicemail")
    assert "is done" in await command(f"/done {second.ref} all clear")
    levan = staff.member(12, "Levan")
    [reply] = await staff.push(staff.group_command(levan, f"/unreachable {first.ref}"), method="sendMessage",
                               chat_id=STAFF_CHAT)
    assert "marked unreachable" in reply.text
    await staff.fake.wait_for(lambda: any(first.ref in c.text and "unreachable (Levan)" in c.text
                                          for c in staff.fake.methods("editMessageText")))
    assert "already closed" in await command(f"/take {first.ref}")
    assert "There is no request CB-2222" in await command("/take CB-2222")
    assert "Use: /take CB-XXXX" in await command("/take")
    assert "The queue is empty" in await command("/queue")
    history = await staff.rt.store.audit(second.ref)
    assert [(e.to_status, e.note) for e in history][-2:] == [("assigned", "left a voicemail"), ("done", "all clear")]
    closed = [c for c in staff.fake.methods("editMessageText") if second.ref in c.text][-1]
    assert "done by Nino" in closed.text and "Telavi" not in closed.text, "a closed post keeps no town"
    assert_no_personal_data([c for c in staff.fake.calls if c.chat_id != 11])


async def test_take_without_a_private_chat_says_how_to_get_the_details(staff: Desk) -> None:
    request = await staff.request()
    post = await staff.announced(request.ref)
    staff.fake.fail("sendMessage", 403, "Forbidden: bot can't initiate conversation with a user")
    nino = staff.member(11, "Nino")
    [answer] = await staff.push(nino.press(f"s:t:{request.ref}", post.message_id))
    assert "cannot write to you privately" in answer.params["text"] and answer.params["show_alert"] is True
    replies = await staff.push(nino.command(f"take {request.ref}"), method="sendMessage", chat_id=11, expect=2)
    assert NAME in replies[0].text, "taking it again in the private chat sends the details"
    assert replies[1].text == f"{request.ref} is yours."


async def test_changes_made_elsewhere_reach_the_group_message(staff: Desk) -> None:
    request = await staff.request()
    post = await staff.announced(request.ref)
    await staff.rt.store.update_request(request.ref, {"town": "Poti"})
    await staff.fake.wait_for(lambda: any("Poti" in c.text for c in staff.fake.methods("editMessageText")))
    await staff.rt.store.forget_user(SessionKey("telegram", "u1"))
    await staff.fake.wait_for(lambda: any("withdrawn" in c.text for c in staff.fake.methods("editMessageText")))
    last = [c for c in staff.fake.methods("editMessageText") if c.params.get("message_id") == post.message_id][-1]
    assert "Poti" not in last.text and last.buttons == []


async def test_staff_group_chatter_never_reaches_the_conversation(staff: Desk) -> None:
    nino = staff.member(11, "Nino")
    request = await staff.request()
    await staff.announced(request.ref)
    since = len(staff.fake.calls)
    staff.fake.push(nino.in_group(STAFF_CHAT, "who is on duty tomorrow?"))
    staff.fake.push(nino.message(chat={"id": -100999, "type": "supergroup", "title": "Family"}, text="/queue",
                                 entities=[{"type": "bot_command", "offset": 0, "length": 6}]))
    [reply] = await staff.push(staff.group_command(nino, "/queue"), method="sendMessage", chat_id=STAFF_CHAT)
    assert request.ref in reply.text
    assert len([c for c in staff.fake.calls[since:] if c.is_message]) == 1, "nothing in other groups either"


async def test_requests_made_while_the_bot_was_down_are_announced_once(settings: Settings,
                                                                       fake: FakeTelegram) -> None:
    configured = staff_settings(settings, fake)
    async with runtime(configured, watch_content=False) as rt:
        early = await rt.store.create_request(CallbackRequest("telegram", "early", NAME, PHONE, town="Gori"))
    async with running(configured, fake) as staff:
        await staff.announced(early.ref)
    async with running(configured, fake) as staff:
        late = await staff.request(user="late")
        await staff.announced(late.ref)
        assert len([c for c in staff.group_posts() if early.ref in c.text]) == 1


async def test_a_user_request_from_telegram_reaches_the_group(staff: Desk) -> None:
    user = FakeUser(staff.fake, 5005, "en")
    fake = staff.fake

    def to_user() -> list[Call]:
        return [c for c in fake.calls if c.chat_id == 5005 and c.is_message]

    async def prompt(words: str) -> None:
        await fake.wait_for(lambda: any(words in c.text for c in to_user()))

    async def press(data: str) -> None:
        await fake.wait_for(lambda: any(d == data for c in to_user() for _, d in c.buttons))
        pressed = next(c for c in reversed(to_user()) if any(d == data for _, d in c.buttons))
        fake.push(user.press(data, pressed.message_id))

    fake.push(user.command("callback"))
    await press("cb:agree")
    await prompt("What is your name?")
    fake.push(user.text(NAME))
    await prompt("Which phone number")
    fake.push(user.contact(PHONE, user_id=5005))
    await prompt("Where do you live?")
    fake.push(user.text("Zugdidi"))
    for data in ("cb:t:legal", "cb:l:ka", "cb:w:any", "cb:skip", "cb:ok"):
        await press(data)
    await prompt("Your reference")
    stored = await staff.rt.store.open_request_for(SessionKey("telegram", "5005"))
    assert stored is not None and stored.phone == PHONE and stored.name == NAME
    await staff.announced(stored.ref)
    assert_no_personal_data([c for c in fake.calls if c.chat_id != 5005])
