"""What an operator sees: /metrics moving with a conversation, /readyz for deploys, and a clean, quick stop.

The webhook app runs under uvicorn on 127.0.0.1 against the fake Bot API; the polling bot runs as the real
`hotline run` process, with its monitor port, and is stopped with SIGTERM as systemd or a container would.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from bot.channels.telegram.webhook import SECRET_HEADER
from bot.channels.webhooks import build_app
from bot.config import REPO_ROOT, Settings, TelegramSettings
from tests.e2e.fake_telegram import FakeTelegram, FakeUser

SECRET = "operations-secret-token"
CONTENT_DIR = REPO_ROOT / "content"
STOP_WITHIN = 3.0
shared_loop = pytest.mark.asyncio(loop_scope="module")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """The app under uvicorn on a socket of its own, until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(30):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            yield http
    finally:
        server.should_exit = True
        async with asyncio.timeout(10):
            await task
        sock.close()


def _settings(fake: FakeTelegram, data: Path) -> Settings:
    return Settings(data_dir=data, content_dir=CONTENT_DIR, flood_messages_per_10s=1000,
                    telegram=TelegramSettings(token=fake.token, base_url=fake.base_url, webhook_secret=SECRET))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(fake: FakeTelegram, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(build_app(_settings(fake, tmp_path_factory.mktemp("ops") / "data"))) as http:
        yield http


def samples(page: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a metrics page, keyed by name and sorted labels."""
    found = {}
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(page: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return page.get((name, tuple(sorted(labels.items()))), 0.0)


async def post(http: httpx.AsyncClient, fake: FakeTelegram, body: dict[str, Any]) -> None:
    update = {"update_id": fake.next_update_id(), **body}
    response = await http.post("/telegram", json=update, headers={SECRET_HEADER: SECRET})
    assert response.status_code == 200


@shared_loop
async def test_metrics_move_after_a_short_conversation(client: httpx.AsyncClient, fake: FakeTelegram) -> None:
    before = samples((await client.get("/metrics")).text)
    user = FakeUser(fake, 6001)
    await post(client, fake, user.command("start"))
    await post(client, fake, user.text("Can I work abroad on a tourist visa?"))
    await post(client, fake, user.text("Tell me about the visa"))
    await post(client, fake, user.text("Mzia Beridze qwertyuiop zxcvbnm"))
    await post(client, fake, user.text("My employer took my passport and I cannot leave"))
    response = await client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    after = samples(response.text)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("hotline_updates_total", channel="telegram", kind="command") == 1
    assert moved("hotline_updates_total", channel="telegram", kind="text") == 4
    assert moved("hotline_step_seconds_count", channel="telegram") == 5
    assert moved("hotline_typed_messages_total", outcome="answered") == 1
    assert moved("hotline_typed_messages_total", outcome="suggested") == 1
    assert moved("hotline_typed_messages_total", outcome="declined") == 1
    assert moved("hotline_typed_messages_total", outcome="urgent") == 1
    assert moved("hotline_replies_total", platform="telegram", method="sendMessage", result="sent") >= 5
    assert value(after, "hotline_queue_overdue") == 0
    assert value(after, "hotline_store_errors_total", where="step") == value(before, "hotline_store_errors_total",
                                                                             where="step")
    # 1 for the version being served; a version served earlier (content edited meanwhile) stays at 0
    [version] = [dict(labels)["version"] for name, labels in after if name == "hotline_content_info"
                 and value(after, name, **dict(labels)) == 1]
    assert len(version) == 12
    labels = " ".join(value for _, pairs in after for _, value in pairs)
    for words in ("Mzia", "qwertyuiop", "6001"):
        assert words not in labels, "no personal data or typed text in any label"


@shared_loop
async def test_readyz_answers_200_while_serving_and_healthz_stays_a_liveness_check(client: httpx.AsyncClient) -> None:
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"ready": True, "store": True, "content": True}
    assert (await client.get("/healthz")).json()["ok"] is True


async def test_readyz_answers_503_when_the_store_does_not_answer(tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        app = build_app(_settings(fake, tmp_path / "data"))
        async with serving(app) as http:
            assert (await http.get("/readyz")).status_code == 200
            await app.state.runtime.store.close()
            gone = await http.get("/readyz")
            assert gone.status_code == 503 and gone.json() == {"ready": False, "store": False, "content": True}
            assert (await http.get("/healthz")).status_code == 200, "alive, only not ready"
            assert (await http.get("/metrics")).status_code == 200, "metrics still answer, counting the error"


async def test_readyz_answers_503_before_the_app_has_started(tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        app = build_app(_settings(fake, tmp_path / "data"))
        transport = httpx.ASGITransport(app=app)  # no lifespan: nothing opened yet, as during a deploy's start
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            response = await http.get("/readyz")
        assert response.status_code == 503 and response.json()["ready"] is False


async def _spawn(fake: FakeTelegram, tmp_path: Path, monitor_port: int) -> asyncio.subprocess.Process:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_BASE_URL": fake.base_url,
           "HOTLINE_DATA_DIR": str(tmp_path / "data"), "HOTLINE_CONTENT_DIR": str(CONTENT_DIR),
           "HOTLINE_LOG_LEVEL": "WARNING", "HOTLINE_MONITOR_PORT": str(monitor_port), "PYTHONPATH": str(REPO_ROOT)}
    env.pop("HOTLINE_CONFIG", None)
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", env=env, cwd=REPO_ROOT,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def test_sigterm_stops_polling_in_seconds_after_confirming_the_last_batch(tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        port = free_port()
        process = await _spawn(fake, tmp_path, port)
        user = FakeUser(fake, 6101)
        try:
            [update_id] = fake.push(user.command("start"))
            await fake.wait_for(lambda: process.returncode is not None or bool(fake.calls_to(6101)), within=30)
            assert process.returncode is None, "the bot exited before answering"
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
                assert (await http.get("/readyz")).status_code == 200
                page = samples((await http.get("/metrics")).text)
            assert value(page, "hotline_updates_total", channel="telegram", kind="command") == 1
            offsets: list[int] = []
            fake.listeners.append(lambda call: offsets.append(int(call.params.get("offset") or 0))
                                  if call.method == "getUpdates" else None)
            began = time.monotonic()
            process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(30):
                _, stderr = await process.communicate()
            took = time.monotonic() - began
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        assert process.returncode == 0, stderr.decode()[-2000:]
        assert took < STOP_WITHIN, f"stopping took {took:.1f} s"
        assert offsets and offsets[-1] > update_id, "Telegram was told the last batch arrived"
        assert b"Error while calling `get_updates`" not in stderr


async def test_sigterm_lets_the_update_in_progress_finish_before_the_bot_exits(tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        process = await _spawn(fake, tmp_path, free_port())
        user = FakeUser(fake, 6102)
        try:
            fake.push(user.command("language"))
            await fake.wait_for(lambda: process.returncode is not None or bool(fake.calls_to(6102)), within=30)
            fake.slow("sendMessage", 1.0)
            [update_id] = fake.push(user.command("help"))
            await fake.wait_for(lambda: process.returncode is not None or fake.slowed == 1, within=15)
            began = time.monotonic()
            process.send_signal(signal.SIGTERM)  # the answer to /help is on its way, slowly
            async with asyncio.timeout(30):
                _, stderr = await process.communicate()
            took = time.monotonic() - began
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        assert process.returncode == 0, stderr.decode()[-2000:]
        assert took < STOP_WITHIN, f"stopping took {took:.1f} s"
        assert any("Commands:" in call.text for call in fake.calls_to(6102)), "the answer in progress was sent"
        assert fake.offset > update_id


async def test_sigterm_stops_the_webhook_server_in_seconds(tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        port = free_port()
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_BASE_URL": fake.base_url,
               "TELEGRAM_WEBHOOK_SECRET": SECRET, "HOTLINE_DATA_DIR": str(tmp_path / "data"),
               "HOTLINE_CONTENT_DIR": str(CONTENT_DIR), "HOTLINE_LOG_LEVEL": "WARNING", "PYTHONPATH": str(REPO_ROOT)}
        env.pop("HOTLINE_CONFIG", None)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--webhook", "--host", "127.0.0.1", "--port", str(port), env=env,
            cwd=REPO_ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
                ready = False
                for _ in range(300):  # bounded: about 30 s
                    try:
                        ready = (await http.get("/readyz")).status_code == 200
                    except httpx.TransportError:
                        ready = False
                    if ready or process.returncode is not None:
                        break
                    await asyncio.sleep(0.1)
                assert ready, "the server became ready"
                await post(http, fake, FakeUser(fake, 6103).command("start"))
            began = time.monotonic()
            process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(30):
                _, stderr = await process.communicate()
            took = time.monotonic() - began
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        assert process.returncode in (0, -signal.SIGTERM), stderr.decode()[-2000:]  # uvicorn re-raises SIGTERM
        assert took < STOP_WITHIN, f"stopping took {took:.1f} s"
        assert b"Traceback" not in stderr

