"""Attacks on the webhook server, kept as tests: the real app under uvicorn on 127.0.0.1 with the production
server options, a fake Bot API and a fake Viber API behind it.

A body past the cap is refused (413) while it is still arriving, chunked or not; a slow request head or body
is cut off; connections beyond the limit get 503; odd but valid text (a lone surrogate) is answered as polling
answers it; a signed Viber callback of the wrong shape gets 400, never 500.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from bot.channels import http_limits
from bot.channels.http_limits import MAX_BODY, MAX_CONNECTIONS, GuardedH11Protocol
from bot.channels.telegram.webhook import SECRET_HEADER
from bot.channels.viber import SIGNATURE_HEADER, sign
from bot.config import Settings, TelegramSettings, ViberSettings
from tests.conftest import CONTENT_DIR
from tests.e2e.fake_telegram import FakeTelegram, FakeUser
from tests.e2e.fake_viber import FakeViber
from tests.e2e.server import Served, serve

SECRET = "limits-secret-token"
VIBER_TOKEN = "445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9"
FAST_HEAD = 1.0  # the head deadline in these tests; production waits HEAD_TIMEOUT
FAST_BODY = 1.0

module_loop = pytest.mark.asyncio(loop_scope="module")


class FastHead(GuardedH11Protocol):
    head_timeout = FAST_HEAD


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fakes() -> AsyncIterator[tuple[FakeTelegram, FakeViber]]:
    viber = FakeViber(VIBER_TOKEN)
    await viber.start()
    async with FakeTelegram() as telegram:
        yield telegram, viber
    await viber.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served(fakes: tuple[FakeTelegram, FakeViber],
                 tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    telegram, viber = fakes
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("limits") / "data", content_dir=CONTENT_DIR, flood_messages_per_10s=1000,
        telegram=TelegramSettings(token=telegram.token, base_url=telegram.base_url, webhook_secret=SECRET),
        viber=ViberSettings(auth_token=VIBER_TOKEN, api_url=viber.api_url))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(http_limits, "BODY_TIMEOUT", FAST_BODY)
        async with serve(settings, http=FastHead) as running:
            yield running


async def _status_line(reader: asyncio.StreamReader, within: float) -> int | None:
    try:
        line = await asyncio.wait_for(reader.readline(), within)
    except (TimeoutError, ConnectionError):
        return None
    parts = line.split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


async def _chunked_post(port: int, path: str, headers: dict[str, str], limit: int = 4 * 1024 * 1024) -> int | None:
    """Streams a chunked body of up to `limit` bytes without ever ending it; the status the server gave, if any."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n{head}\r\n".encode())
    answer = asyncio.ensure_future(_status_line(reader, 5.0))
    chunk = 16 * 1024
    sent = 0
    try:
        while sent < limit and not answer.done():
            writer.write(b"%x\r\n" % chunk + b"[" * chunk + b"\r\n")
            await writer.drain()
            sent += chunk
            await asyncio.sleep(0.001)
    except ConnectionError:
        pass
    try:
        return await answer
    finally:
        writer.close()


@module_loop
async def test_a_chunked_body_past_the_cap_is_refused_while_it_arrives(served: Served) -> None:
    assert await _chunked_post(served.port, "/telegram", {SECRET_HEADER: SECRET}) == 413
    assert await _chunked_post(served.port, "/viber", {SIGNATURE_HEADER: "0" * 64}) == 413


@module_loop
async def test_a_declared_length_past_the_cap_is_refused_unread(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as http:
        for path, headers in (("/telegram", {SECRET_HEADER: SECRET}), ("/viber", {SIGNATURE_HEADER: "0" * 64})):
            response = await http.post(path, content=b"{" * (MAX_BODY + 1), headers=headers)
            assert response.status_code == 413


@module_loop
async def test_a_slow_request_head_is_cut_off(served: Served) -> None:
    """Slow-loris: many connections trickling header lines never finish a request; each is closed."""
    connections = [await asyncio.open_connection("127.0.0.1", served.port) for _ in range(30)]
    for _, writer in connections:
        writer.write(b"POST /viber HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    closed = [False] * len(connections)
    for _ in range(40):  # 8 s at most; the deadline is FAST_HEAD
        await asyncio.sleep(0.2)
        for i, (reader, writer) in enumerate(connections):
            if closed[i]:
                continue
            try:
                writer.write(b"X-Slow: 1\r\n")
                await writer.drain()
                closed[i] = reader.at_eof()
            except ConnectionError:
                closed[i] = True
        if all(closed):
            break
    for _, writer in connections:
        writer.close()
    assert all(closed), f"{closed.count(False)} of {len(closed)} slow connections still open"


@module_loop
async def test_a_body_that_never_finishes_gets_408(served: Served) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    writer.write(f"POST /telegram HTTP/1.1\r\nHost: x\r\n{SECRET_HEADER}: {SECRET}\r\nContent-Length: 100\r\n\r\n{{"
                 .encode())
    assert await _status_line(reader, FAST_BODY + 5) == 408
    writer.close()


@module_loop
async def test_connections_beyond_the_limit_get_503(tmp_path_factory: pytest.TempPathFactory) -> None:
    settings = Settings(data_dir=tmp_path_factory.mktemp("conns") / "data", content_dir=CONTENT_DIR)
    async with serve(settings) as running:
        idle = [await asyncio.open_connection("127.0.0.1", running.port) for _ in range(MAX_CONNECTIONS)]
        for _, writer in idle:
            writer.write(b"GET /healthz HTTP/1.1\r\n")  # started, never finished
        await asyncio.sleep(0.1)
        async with httpx.AsyncClient(base_url=running.url, timeout=5) as http:
            assert (await http.get("/healthz")).status_code == 503
        for _, writer in idle:
            writer.close()


@module_loop
async def test_text_with_a_lone_surrogate_is_answered_on_the_webhook(
        served: Served, fakes: tuple[FakeTelegram, FakeViber]) -> None:
    telegram, _ = fakes
    user = FakeUser(telegram, 7101, "en")
    update = {"update_id": telegram.next_update_id(), **user.text("hi \ud83d")}
    body = json.dumps(update).encode()  # ASCII JSON with the escape "\ud83d", as a broken client sends it
    assert b"\\ud83d" in body
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as http:
        response = await http.post("/telegram", content=body, headers={SECRET_HEADER: SECRET})
    assert response.status_code == 200
    assert [c for c in telegram.calls if c.chat_id == 7101 and c.method == "sendMessage"]


def _deep(depth: int) -> bytes:
    return b'{"event":"message","message":' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize("body", [
    _deep(30_000),
    json.dumps({"event": "message", "message_token": 1, "sender": "someone", "message": {"type": "text"}}).encode(),
    json.dumps({"event": "conversation_started", "user": ["not", "a", "user"]}).encode(),
    json.dumps({"event": "subscribed", "user": 12}).encode(),
    json.dumps({"event": "message", "message_token": 2, "sender": {"id": "v1"},
                "message": {"type": "text", "text": {"nested": True}}}).encode(),
    json.dumps({"event": "message", "message_token": 3, "sender": {"id": "v1"},
                "message": {"type": "location", "location": {"lat": 999, "lon": 0}}}).encode(),
    json.dumps({"event": 5}).encode(),
])
@module_loop
async def test_a_signed_viber_callback_of_the_wrong_shape_gets_400(served: Served, body: bytes) -> None:
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as http:
        response = await http.post("/viber", content=body, headers={SIGNATURE_HEADER: sign(VIBER_TOKEN, body)})
    assert response.status_code == 400


@module_loop
async def test_a_well_formed_viber_message_still_gets_200(served: Served) -> None:
    callback: dict[str, Any] = {"event": "message", "timestamp": 1, "message_token": 77_001, "chat_hostname": "x",
                                "sender": {"id": "limits-user", "name": "N", "language": "en", "api_version": 8},
                                "message": {"type": "text", "text": "hello", "tracking_data": "t"}, "silent": False}
    body = json.dumps(callback).encode()
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as http:
        response = await http.post("/viber", content=body, headers={SIGNATURE_HEADER: sign(VIBER_TOKEN, body)})
    assert response.status_code == 200
