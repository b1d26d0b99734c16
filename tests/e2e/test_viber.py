"""Viber end to end: the real webhook app on 127.0.0.1, a fake Viber API, callbacks signed as Viber does."""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import logging
import socket
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
import yaml
from starlette.applications import Starlette

from bot.app import Runtime
from bot.channels.viber import CHANNEL, TASK_NAME, ViberChannel, sign
from bot.channels.viber_client import ViberApiError, ViberAuthError, ViberClient, dumps
from bot.channels.viber_render import (
    KEYBOARD_ROWS,
    MAX_BUTTON_TEXT,
    MAX_REQUEST_BYTES,
    MAX_SENDER_NAME,
    MAX_TEXT,
    MAX_TRACKING_DATA,
    PageTexts,
    Sender,
    render,
)
from bot.channels.webhooks import build_app
from bot.cli import main
from bot.config import Settings, ViberSettings
from bot.core.engine import Send
from bot.core.events import Button, ButtonAction, Event, Kind, Reply, SessionKey, Venue
from tests.conftest import CONTENT_DIR
from tests.e2e.fake_viber import FakeViber

TOKEN = "4a5f1e2d3c4b5a69-7e8f9a0b1c2d3e4f-5a6b7c8d9e0f1a2b"
KUTAISI = (42.27, 42.70)
_tokens = itertools.count(4_912_661_846_655_238_145)


@dataclass
class Running:
    app: Starlette
    url: str
    fake: FakeViber

    @property
    def rt(self) -> Runtime:
        return self.app.state.runtime  # type: ignore[no-any-return]


module_loop = pytest.mark.asyncio(loop_scope="module")  # one event loop, so the module-wide server can be shared


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def fake() -> AsyncIterator[FakeViber]:
    server = FakeViber(TOKEN)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(scope="module")
def viber_settings(tmp_path_factory: pytest.TempPathFactory, fake: FakeViber) -> Settings:
    """One server for the whole module (loading the content is the slow part); every test uses its own users."""
    return Settings(data_dir=tmp_path_factory.mktemp("viber") / "data", content_dir=CONTENT_DIR,
                    flood_messages_per_10s=1000, viber=ViberSettings(auth_token=TOKEN, api_url=fake.api_url))


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def running(viber_settings: Settings, fake: FakeViber) -> AsyncIterator[Running]:
    app = build_app(viber_settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(3000):
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    assert server.started, "webhook server did not start"
    try:
        yield Running(app, f"http://127.0.0.1:{port}{viber_settings.viber.webhook_path}", fake)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)
        sock.close()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def settle() -> None:
    """Waits (bounded) until the channel has sent every answer it is working on."""
    for _ in range(2000):
        if not [t for t in asyncio.all_tasks() if t.get_name() == TASK_NAME and not t.done()]:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("Viber answers still pending after 10 s")


class ViberUser:
    """A Viber app user: sends callbacks signed with the token and reads what the fake API recorded for them."""

    def __init__(self, running: Running, http: httpx.AsyncClient, user_id: str, language: str = "en") -> None:
        self.running = running
        self.http = http
        self.id = user_id
        self.language = language
        self.keyboard: dict[str, Any] | None = None
        self.tracking: str | None = None
        self.last: list[dict[str, Any]] = []

    async def post(self, callback: dict[str, Any], signature: str | None = None) -> httpx.Response:
        body = json.dumps(callback).encode()
        headers = {"Content-Type": "application/json",
                   "X-Viber-Content-Signature": sign(TOKEN, body) if signature is None else signature}
        return await self.http.post(self.running.url, content=body, headers=headers)

    async def start(self) -> dict[str, Any]:
        response = await self.post({
            "event": "conversation_started", "timestamp": 1457764197627, "type": "open",
            "user": {"id": self.id, "name": "Nino", "language": self.language, "country": "GE", "api_version": 8},
            "message_token": next(_tokens), "subscribed": False,
        })
        assert response.status_code == 200
        welcome: dict[str, Any] = response.json()
        self._read([welcome])
        return welcome

    def callback(self, message: dict[str, Any], token: int | None = None) -> dict[str, Any]:
        if self.tracking:
            message = {**message, "tracking_data": self.tracking}
        return {"event": "message", "timestamp": 1457764197627, "message_token": token or next(_tokens),
                "sender": {"id": self.id, "name": "Nino", "avatar": "", "api_version": 8}, "message": message}

    async def send(self, message: dict[str, Any], token: int | None = None) -> list[dict[str, Any]]:
        before = len(self.running.fake.sent(self.id))
        response = await self.post(self.callback(message, token))
        assert response.status_code == 200
        await settle()
        self._read(self.running.fake.sent(self.id)[before:])
        return self.last

    def _read(self, messages: list[dict[str, Any]]) -> None:
        self.last = messages
        if messages:
            self.keyboard = messages[-1].get("keyboard")
            self.tracking = messages[-1].get("tracking_data")

    async def say(self, text: str) -> list[dict[str, Any]]:
        return await self.send({"type": "text", "text": text})

    def button(self, label_part: str) -> dict[str, Any]:
        for button in self.buttons:
            if label_part.lower() in html.unescape(button["Text"]).lower():
                return button
        raise AssertionError(f"no button {label_part!r} in {self.labels}")

    async def press(self, label_part: str) -> list[dict[str, Any]]:
        button = self.button(label_part)
        assert button["ActionType"] == "reply", button
        return await self.send({"type": "text", "text": button["ActionBody"]})

    async def share_location(self, lat: float, lon: float) -> list[dict[str, Any]]:
        return await self.send({"type": "location", "location": {"lat": lat, "lon": lon}})

    async def share_phone(self, phone: str) -> list[dict[str, Any]]:
        assert any(b["ActionType"] == "share-phone" for b in self.buttons), self.labels
        return await self.send({"type": "contact", "contact": {"name": "Nino", "phone_number": phone}})

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return list((self.keyboard or {}).get("Buttons", []))

    @property
    def labels(self) -> list[str]:
        return [html.unescape(b["Text"]) for b in self.buttons]

    @property
    def text(self) -> str:
        return "\n".join(m.get("text", "") for m in self.last)


def keyboard_rows(keyboard: dict[str, Any]) -> int:
    return sum(b["Columns"] * b["Rows"] for b in keyboard["Buttons"]) // 6


@module_loop
async def test_walk_from_welcome_to_faq_centre_and_callback(running: Running, http: httpx.AsyncClient) -> None:
    user = ViberUser(running, http, "01234567890A=")
    welcome = await user.start()
    assert "receiver" not in welcome and welcome["sender"]["name"] == "Migrant hotline"
    assert {"ქართული", "English", "Русский"} <= {label.split(" ", 1)[1] for label in user.labels}
    assert running.fake.sent(user.id) == [], "the welcome travels in the HTTP answer, not through send_message"

    await user.press("English")
    assert all(m["receiver"] == user.id for m in user.last)
    assert await running.rt.store.is_subscribed(SessionKey(CHANNEL, user.id)) is True

    content = running.rt.content.current
    await user.press("Risks of irregular migration")
    faq_button = next(b for b in user.buttons if b["ActionBody"].startswith("#f:"))
    faq = content.faqs[faq_button["ActionBody"][len("#f:") :]]
    await user.press(html.unescape(faq_button["Text"]))
    assert faq.answer["en"].split("\n")[0][:60] in user.text

    messages = await user.share_location(*KUTAISI)
    location = next(m for m in messages if m["type"] == "location")
    kutaisi = next(c for c in content.centres if c.id == "kutaisi")
    assert (location["location"]["lat"], location["location"]["lon"]) == (kutaisi.location.lat, kutaisi.location.lon)
    assert "Kutaisi" in user.text

    await user.press("Menu")
    await user.press("Request a callback")
    await fill_callback_form(user)
    assert "CB-" in user.text and "+995 599 12 34 56" in user.text
    requests = await running.rt.store.requests_for(SessionKey(CHANNEL, user.id))
    assert [(r.phone, r.channel, r.town) for r in requests] == [("+995599123456", CHANNEL, "Kutaisi")]


async def fill_callback_form(user: ViberUser) -> None:
    """Answers whatever the callback form asks, the way a person would, until it gives a reference."""
    typed = {"What is your name?": "Nino Beridze", "Where do you live?": "Kutaisi"}
    pressed = ("I agree", "Working abroad legally", "English", "Any time", "Skip", "Confirm")
    for _ in range(15):
        if "reference" in user.text.lower():
            return
        if any("Use this number" in x for x in user.labels):  # Viber cannot tell whose a shared contact is
            await user.press("Use this number")
            continue
        if any(b["ActionType"] == "share-phone" for b in user.buttons):
            await user.share_phone("+995 599 12 34 56")
            continue
        question = next((q for q in typed if q in user.text), None)
        if question is not None:
            await user.say(typed[question])
            continue
        label = next(p for p in pressed if any(p.lower() in x.lower() for x in user.labels))
        await user.press(label)
    raise AssertionError(f"the callback form did not finish: {user.text!r}")


@module_loop
async def test_location_request_uses_the_location_picker(running: Running, http: httpx.AsyncClient) -> None:
    user = ViberUser(running, http, "picker=")
    await user.start()
    await user.press("English")
    await user.press("Resource centres")
    await user.press("nearest centre")
    picker = [b for b in user.buttons if b["ActionType"] == "location-picker"]
    assert picker and user.last[-1]["min_api_version"] >= 3
    assert picker[0]["ActionBody"], "Viber needs some text in ActionBody for location-picker"
    assert "All centres" in " ".join(user.labels), "buttons of both replies are merged into the one visible keyboard"


@module_loop
async def test_forged_and_unsigned_callbacks_are_rejected(running: Running, http: httpx.AsyncClient) -> None:
    user = ViberUser(running, http, "forger=")
    callback = user.callback({"type": "text", "text": "hello"})
    body = json.dumps(callback).encode()
    assert (await http.post(running.url, content=body)).status_code == 403
    assert (await user.post(callback, signature="0" * 64)).status_code == 403
    assert (await user.post(callback, signature=sign("another-token", body))).status_code == 403
    assert (await user.post(callback, signature=sign(TOKEN, body + b" "))).status_code == 403
    assert (await http.get(running.url)).status_code == 403
    odd = {"X-Viber-Content-Signature": "é".encode("latin-1") * 64}
    assert (await http.post(running.url, content=body, headers=odd)).status_code == 403
    await settle()
    assert running.fake.sent(user.id) == []
    key = SessionKey(CHANNEL, user.id)
    assert await running.rt.store.load_session(key) is None
    assert await running.rt.store.is_subscribed(key) is None


@module_loop
async def test_oversized_bodies_are_refused_before_reading(running: Running, http: httpx.AsyncClient) -> None:
    user = ViberUser(running, http, "big=")
    callback = user.callback({"type": "text", "text": "x" * 70_000})
    assert (await user.post(callback)).status_code == 413
    await settle()
    assert running.fake.sent(user.id) == []


@module_loop
async def test_a_subscribed_user_reopening_the_chat_keeps_their_conversation(running: Running,
                                                                            http: httpx.AsyncClient) -> None:
    user = ViberUser(running, http, "reopen=")
    await user.start()
    await user.press("English")
    await user.say("/callback")
    before = await running.rt.store.load_session(SessionKey(CHANNEL, user.id))
    response = await user.post({
        "event": "conversation_started", "timestamp": 1457764197627, "type": "open",
        "user": {"id": user.id, "name": "Nino", "language": "en", "country": "GE", "api_version": 8},
        "message_token": next(_tokens), "subscribed": True,
    })
    assert response.status_code == 200 and not response.content
    assert await running.rt.store.load_session(SessionKey(CHANNEL, user.id)) == before


@module_loop
async def test_webhook_check_and_receipts_are_accepted(running: Running, http: httpx.AsyncClient,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    user = ViberUser(running, http, "receipts=")
    assert (await user.post({"event": "webhook", "timestamp": 1, "message_token": next(_tokens)})).status_code == 200
    for event in ("delivered", "seen"):
        response = await user.post({"event": event, "timestamp": 1, "message_token": next(_tokens),
                                    "user_id": user.id})
        assert response.status_code == 200
    caplog.set_level(logging.WARNING, logger="bot.channels.viber")
    token = next(_tokens)
    response = await user.post({"event": "failed", "timestamp": 1, "message_token": token, "user_id": user.id,
                                "desc": "could not deliver to +995 599 12 34 56"})
    assert response.status_code == 200
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert str(token) in logged
    assert "599 12 34 56" not in logged and user.id not in logged
    assert running.fake.sent(user.id) == []


@module_loop
async def test_duplicate_message_token_is_answered_once(running: Running, http: httpx.AsyncClient) -> None:
    user = ViberUser(running, http, "twice=")
    await user.start()
    await user.press("English")
    token = next(_tokens)
    first = await user.send({"type": "text", "text": "#n:home"}, token=token)
    assert first
    again = await user.send({"type": "text", "text": "#n:home"}, token=token)
    assert again == []


def stored_tokens(running: Running) -> list[str]:
    """The Viber messages kept in the store, read without taking them up."""
    with closing(sqlite3.connect(running.rt.store.path)) as db:  # type: ignore[attr-defined]
        return [row[0] for row in db.execute("SELECT update_id FROM pending_updates WHERE channel=?", (CHANNEL,))]


async def until_cleared(running: Running) -> None:
    for _ in range(400):
        if not stored_tokens(running):
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"stored Viber messages not cleared: {stored_tokens(running)}")


def another_worker(running: Running) -> ViberChannel:
    """A second channel on the same store, looking for stored messages of any age."""
    return ViberChannel(running.rt, ViberClient(TOKEN, running.fake.api_url), recover_after=timedelta(0))


async def recover(channel: ViberChannel) -> int:
    """`channel.recover()`, again if the module's own channel happened to hold the recovery lease just then."""
    for _ in range(100):
        taken = await channel.recover()
        if taken:
            return taken
        await asyncio.sleep(0.01)
    return 0


async def taken_up_by_another_worker(running: Running) -> None:
    """Another worker takes up the one stored message, answers it, and it is cleared."""
    later = another_worker(running)
    try:
        assert await recover(later) == 1
        await settle()
        await until_cleared(running)
    finally:
        await later.shutdown()


async def english_user(running: Running, http: httpx.AsyncClient, user_id: str) -> ViberUser:
    user = ViberUser(running, http, user_id)
    await user.start()
    await user.press("English")
    await until_cleared(running)
    return user


async def store_unanswered(running: Running, user: ViberUser, text: str) -> None:
    """What a worker killed right after its 200 leaves behind: the message stored, and no answer."""
    callback = user.callback({"type": "text", "text": text})
    await running.rt.store.add_pending_updates(CHANNEL, [(str(callback["message_token"]), user.id,
                                                           json.dumps(callback))])


def help_answers(running: Running, user: ViberUser) -> int:
    return len([m for m in running.fake.sent(user.id) if "Commands:" in m.get("text", "")])


@module_loop
async def test_a_message_a_crash_left_unanswered_is_answered_by_a_later_run(running: Running,
                                                                           http: httpx.AsyncClient) -> None:
    user = await english_user(running, http, "crashed=")
    await store_unanswered(running, user, "/help")
    fresh_only = another_worker(running)
    fresh_only.recover_after = timedelta(minutes=5)
    assert await fresh_only.recover() == 0, "a message this fresh may still be being answered elsewhere"
    await fresh_only.shutdown()
    await taken_up_by_another_worker(running)
    assert help_answers(running, user) == 1


@module_loop
async def test_a_message_viber_could_not_take_stays_stored_and_is_answered_later(running: Running,
                                                                                http: httpx.AsyncClient) -> None:
    user = await english_user(running, http, "outage=")
    running.fake.fail_next(4)  # every attempt the client makes
    assert await user.say("/help") == []
    assert stored_tokens(running), "kept for a later try, not cleared"
    await taken_up_by_another_worker(running)
    assert help_answers(running, user) == 1


@module_loop
async def test_a_message_from_someone_who_had_unsubscribed_before_is_answered_when_taken_up_again(
        running: Running, http: httpx.AsyncClient) -> None:
    user = await english_user(running, http, "back=")
    await user.post({"event": "unsubscribed", "timestamp": 1, "user_id": user.id, "message_token": next(_tokens)})
    running.fake.fail_next(4)
    assert await user.say("/help") == []  # writing again subscribes them; the answer could not be sent yet
    await taken_up_by_another_worker(running)
    assert help_answers(running, user) == 1


@module_loop
async def test_a_stored_message_from_someone_who_unsubscribed_since_is_not_answered(
        running: Running, http: httpx.AsyncClient) -> None:
    user = await english_user(running, http, "left=")
    await store_unanswered(running, user, "/help")
    await user.post({"event": "unsubscribed", "timestamp": 1, "user_id": user.id, "message_token": next(_tokens)})
    before = len(running.fake.sent(user.id))
    await taken_up_by_another_worker(running)
    assert running.fake.sent(user.id)[before:] == []
    assert await running.rt.store.is_subscribed(SessionKey(CHANNEL, user.id)) is False


@module_loop
async def test_unsupported_messages_get_a_defined_answer(running: Running, http: httpx.AsyncClient) -> None:
    user = ViberUser(running, http, "sticker=")
    await user.start()
    await user.press("English")
    for message in ({"type": "sticker", "sticker_id": 40100}, {"type": "picture", "media": "http://x/y.jpg"},
                    {"type": "file", "media": "http://x/y.pdf", "file_name": "y.pdf", "size": 1},
                    {"type": "video", "media": "http://x/y.mp4", "size": 1}, {"type": "url", "media": "http://x"}):
        replies = await user.send(message)
        assert replies and "I understand text, buttons and locations" in user.text, message["type"]


@module_loop
async def test_unsubscribed_users_are_never_messaged(running: Running, http: httpx.AsyncClient,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    user = ViberUser(running, http, "leaver=")
    await user.start()
    await user.press("English")
    engine = running.rt.engine
    release = asyncio.Event()
    original = engine.handle

    async def slow(event: Event, send: Send | None = None) -> list[Reply]:
        await release.wait()
        return await original(event, send)

    monkeypatch.setattr(engine, "handle", slow)
    before = len(running.fake.sent(user.id))
    assert (await user.post(user.callback({"type": "text", "text": "#n:home"}))).status_code == 200
    assert (await user.post({"event": "unsubscribed", "timestamp": 1, "user_id": user.id,
                             "message_token": next(_tokens)})).status_code == 200
    release.set()
    await settle()
    assert await running.rt.store.is_subscribed(SessionKey(CHANNEL, user.id)) is False
    assert len(running.fake.sent(user.id)) == before
    assert (await user.post({"event": "subscribed", "timestamp": 1, "user": {"id": user.id, "name": "Nino"},
                             "message_token": next(_tokens)})).status_code == 200
    assert await running.rt.store.is_subscribed(SessionKey(CHANNEL, user.id)) is True


@module_loop
async def test_oversized_keyboard_is_paged_with_more(running: Running, http: httpx.AsyncClient,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    options = [(Button(f"Option {i:02d}", f"f:option{i:02d}"),) for i in range(30)]
    nav = (Button("⬅️ Back", "n:back"), Button("🏠 Menu", "n:home"), Button("👤 Talk to a person", "n:human"))
    engine = running.rt.engine
    original = engine.handle

    async def big_menu(event: Event, send: Send | None = None) -> list[Reply]:
        if event.kind is Kind.TEXT and event.text == "big menu":
            replies = [Reply(text="Choose an option:", buttons=(*options, nav))]
            if send is not None:
                await send(replies)
            return replies
        return await original(event, send)

    monkeypatch.setattr(engine, "handle", big_menu)
    user = ViberUser(running, http, "pager=")
    await user.start()
    await user.press("English")
    await user.say("big menu")
    seen: list[str] = []
    for _ in range(10):
        assert user.keyboard is not None and keyboard_rows(user.keyboard) <= KEYBOARD_ROWS
        assert user.tracking is not None and len(user.tracking) <= MAX_TRACKING_DATA
        assert {"⬅️ Back", "🏠 Menu", "👤 Talk to a person"} <= set(user.labels), "navigation on every page"
        seen += [label for label in user.labels if label.startswith("Option")]
        if any(label.startswith("More") for label in user.labels):
            await user.press("More")
            assert "page" in user.text
            continue
        break
    assert seen == [f"Option {i:02d}" for i in range(30)]
    await user.press("first options")
    assert "Option 00" in user.labels
    await user.press("Option 00")  # a paged button is pressed like any other
    assert user.last


def test_renderer_keeps_viber_limits() -> None:
    sender = Sender("Migrant hotline of Georgia, IOM mission", "https://example.org/a.png")
    long_label = "<b>" + "ა" * 300
    georgian = ("ქართული ტექსტი " * 40 + "\n\n") * 30
    reply = Reply(text=georgian, buttons=tuple((Button(f"{long_label} {i}", f"f:x{i}"),) for i in range(11)))
    venue = Reply(text="", venue=Venue("Centre", "Street 1", 42.27, 42.7))
    texts = PageTexts("More", "First", "Page {page} of {pages}")
    messages = render([venue, reply], sender, texts)
    assert messages[0]["type"] == "location" and messages[1]["text"] == "Centre\nStreet 1"
    assert all(len(m.get("text", "")) <= MAX_TEXT for m in messages)
    assert all(len(dumps({"receiver": "x" * 24, **m})) <= MAX_REQUEST_BYTES for m in messages)
    assert "".join(m["text"] for m in messages[2:]).replace("\n", "").replace(" ", "") == \
        georgian.replace("\n", "").replace(" ", "")
    assert all(m["sender"]["name"] == sender.name[:MAX_SENDER_NAME] for m in messages)
    buttons = messages[-1]["keyboard"]["Buttons"]
    assert all(len(b["Text"]) <= MAX_BUTTON_TEXT and b["Text"].startswith("&lt;b&gt;") for b in buttons)
    assert all(1 <= b["Columns"] <= 6 and b["Rows"] in (1, 2) for b in buttons)
    request = render([Reply("Share it", buttons=((Button("📱 Share my phone", action=ButtonAction.CONTACT),),))],
                     sender)[0]
    assert request["min_api_version"] >= 3 and request["keyboard"]["Buttons"][0]["ActionType"] == "share-phone"


@module_loop
async def test_client_retries_server_errors_and_stops_on_a_bad_token(fake: FakeViber,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    async def no_wait(_: float) -> None:
        return None

    async with ViberClient(TOKEN, fake.api_url, attempts=3, sleep=no_wait) as client:
        fake.fail_next(2)
        answer = await client.send_message({"receiver": "u=", "type": "text", "text": "hi",
                                            "sender": {"name": "Bot"}})
        assert answer["status"] == 0
        fake.fail_next(3)
        with pytest.raises(ViberApiError):
            await client.get_account_info()
    caplog.set_level(logging.ERROR, logger="bot.channels.viber_client")
    async with ViberClient("wrong-token", fake.api_url, sleep=no_wait) as bad:
        with pytest.raises(ViberAuthError):
            await bad.get_account_info()
        with pytest.raises(ViberAuthError, match="rejected earlier"):
            await bad.get_account_info()
    assert sum("auth token" in r.getMessage() for r in caplog.records) == 1


@module_loop
async def test_cli_sets_the_webhook_and_shows_the_account(running: Running, tmp_path: Path,
                                                         viber_settings: Settings,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "data_dir": str(viber_settings.data_dir), "content_dir": str(viber_settings.content_dir),
        "viber": {"auth_token": TOKEN, "api_url": running.fake.api_url},
    }), encoding="utf-8")
    assert await asyncio.to_thread(main, ["--config", str(config), "viber", "set-webhook", running.url]) == 0
    assert running.fake.webhook == running.url
    assert {"conversation_started", "subscribed", "unsubscribed", "failed"} <= set(running.fake.event_types)
    assert await asyncio.to_thread(main, ["--config", str(config), "viber", "info"]) == 0
    out = capsys.readouterr().out
    assert "Webhook set" in out and "name: Migrant hotline" in out and running.url in out
    wrong = running.url.replace("/viber", "/not-the-webhook")
    assert await asyncio.to_thread(main, ["--config", str(config), "viber", "set-webhook", wrong]) == 1


@module_loop
async def test_viber_refusals_and_failures_are_logged_without_names(
        running: Running, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    user = ViberUser(running, http, "refused=")
    await user.start()
    running.fake.refusals[user.id] = (6, "receiver Natela Zhorzholiani is not subscribed")
    await user.press("English")
    await settle()
    assert await running.rt.store.is_subscribed(SessionKey(CHANNEL, user.id)) is False
    failed = {"event": "failed", "timestamp": 1, "message_token": next(_tokens), "user_id": user.id,
              "desc": "failed to deliver to Natela Zhorzholiani"}
    assert (await user.post(failed)).status_code == 200
    assert "status 6" in caplog.text
    assert "Zhorzholiani" not in caplog.text and "Natela" not in caplog.text
