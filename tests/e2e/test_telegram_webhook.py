"""`hotline run --webhook` for Telegram: the one Starlette app under uvicorn on 127.0.0.1, a fake Bot API behind it.

Telegram's secret token guards the path: without the right X-Telegram-Bot-Api-Secret-Token a POST is refused
with 403 and nothing happens; with it the update is handled before the response returns.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn

from bot.channels.telegram.webhook import SECRET_HEADER
from bot.channels.webhooks import build_app
from bot.config import REPO_ROOT, Settings, TelegramSettings
from tests.e2e.fake_telegram import FakeTelegram, FakeUser

SECRET = "s3cret-Token_for-tests"
WEBHOOK_URL = "https://hotline.example.org/telegram"
CONTENT_DIR = REPO_ROOT / "content"


shared_loop = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(fake: FakeTelegram, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    """`hotline run --webhook`'s app under uvicorn, on a socket of its own, for the whole module."""
    tg = TelegramSettings(token=fake.token, base_url=fake.base_url, webhook_secret=SECRET, webhook_url=WEBHOOK_URL)
    settings = Settings(data_dir=tmp_path_factory.mktemp("webhook") / "data", content_dir=CONTENT_DIR,
                        flood_messages_per_10s=1000, telegram=tg)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(build_app(settings), log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(20):
            while not server.started:
                if serving.done():
                    serving.result()
                await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            yield http
    finally:
        server.should_exit = True
        async with asyncio.timeout(10):
            await serving
        sock.close()


def _update(fake: FakeTelegram, body: dict[str, Any]) -> dict[str, Any]:
    return {"update_id": fake.next_update_id(), **body}


@shared_loop
async def test_the_webhook_is_registered_with_its_secret(client: httpx.AsyncClient, fake: FakeTelegram) -> None:
    [call] = fake.methods("setWebhook")
    assert call.params["url"] == WEBHOOK_URL and call.params["secret_token"] == SECRET
    assert len(fake.methods("setMyCommands")) == 4
    health = (await client.get("/healthz")).json()
    assert "/telegram" in health["channels"]


@shared_loop
async def test_a_post_without_the_right_secret_is_refused(client: httpx.AsyncClient, fake: FakeTelegram) -> None:
    user = FakeUser(fake, 4001)
    update = _update(fake, user.command("start"))
    assert (await client.post("/telegram", json=update)).status_code == 403
    wrong = {SECRET_HEADER: SECRET + "x"}
    assert (await client.post("/telegram", json=update, headers=wrong)).status_code == 403
    assert (await client.get("/telegram", headers={SECRET_HEADER: SECRET})).status_code == 405
    assert not [c for c in fake.calls if c.chat_id == 4001]


@shared_loop
async def test_a_post_with_the_secret_is_answered_once(client: httpx.AsyncClient, fake: FakeTelegram) -> None:
    user = FakeUser(fake, 4002, "ru")
    update = _update(fake, user.command("start"))
    headers = {SECRET_HEADER: SECRET}
    response = await client.post("/telegram", json=update, headers=headers)
    assert response.status_code == 200
    [reply] = [c for c in fake.calls if c.chat_id == 4002]
    assert reply.method == "sendMessage" and reply.params["parse_mode"] == "HTML"
    assert reply.buttons and reply.buttons[-1][1] == "n:human"
    again = await client.post("/telegram", json=update, headers=headers)
    assert again.status_code == 200
    assert len([c for c in fake.calls if c.chat_id == 4002]) == 1, "a resent update is not answered twice"
    assert (await client.post("/telegram", content=b"not json", headers=headers)).status_code == 400


@shared_loop
async def test_replies_that_could_not_be_sent_make_telegram_resend_and_arrive_once(
        client: httpx.AsyncClient, fake: FakeTelegram) -> None:
    user = FakeUser(fake, 4003, "en")
    update = _update(fake, user.command("menu"))
    headers = {SECRET_HEADER: SECRET}
    fake.fail("sendMessage", 502, "Bad Gateway")
    first = await client.post("/telegram", json=update, headers=headers)
    assert first.status_code == 503, "a passing failure asks Telegram to send the update again"
    sent = [c for c in fake.calls if c.chat_id == 4003 and c.method == "sendMessage"]
    assert len(sent) == 2 and "Sorry, something went wrong" in sent[1].text
    assert (await client.post("/telegram", json=update, headers=headers)).status_code == 200
    resent = [c for c in fake.calls if c.chat_id == 4003 and c.method == "sendMessage"][2:]
    assert len(resent) == 1 and resent[0].buttons, "the kept replies are sent on the resend"
    assert (await client.post("/telegram", json=update, headers=headers)).status_code == 200
    assert len([c for c in fake.calls if c.chat_id == 4003 and c.method == "sendMessage"]) == 3
