"""The whole bot with the desk, as `hotline run --webhook --desk` serves it, in a thread of its own (uvicorn on
127.0.0.1, the fake Bot API beside it), so synchronous browser tests can drive it."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvicorn

from bot.channels.telegram.webhook import SECRET_HEADER
from bot.channels.webhooks import build_app
from bot.config import REPO_ROOT, DeskSettings, LiveSettings, Settings, TelegramSettings
from bot.desk.accounts import Accounts
from bot.store.desk import DeskStore
from tests.e2e.fake_telegram import FakeTelegram, FakeUser

__all__ = ["DeskServer"]

T = TypeVar("T")
SECRET = "desk-tests-webhook-secret"
REF_RE = re.compile(r"CB-[0-9A-Z]{4}")


class DeskServer:
    def __init__(self, data_dir: Path, poll_seconds: int = 1, live: LiveSettings | None = None) -> None:
        self.data_dir = data_dir
        self.poll_seconds = poll_seconds
        self.live = live or LiveSettings()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="desk-server", daemon=True)
        self.fake = FakeTelegram()
        self.server: uvicorn.Server | None = None
        self.serving: asyncio.Future[Any] | None = None
        self.base_url = ""
        self.settings: Settings | None = None

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self) -> DeskServer:
        self.thread.start()
        self.run(self.fake.start())
        tg = TelegramSettings(token=self.fake.token, base_url=self.fake.base_url, webhook_secret=SECRET)
        self.settings = Settings(data_dir=self.data_dir, content_dir=REPO_ROOT / "content",
                                 flood_messages_per_10s=1000, telegram=tg,
                                 desk=DeskSettings(enabled=True, poll_seconds=self.poll_seconds), live=self.live)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.sock = sock
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(build_app(self.settings), log_level="warning", lifespan="on"))

        async def serve() -> None:
            assert self.server is not None
            self.serving = asyncio.ensure_future(self.server.serve(sockets=[sock]))
            async with asyncio.timeout(20):
                while not self.server.started:
                    if self.serving.done():
                        self.serving.result()
                    await asyncio.sleep(0.02)

        self.run(serve())
        return self

    def stop(self) -> None:
        async def stop() -> None:
            if self.server is not None and self.serving is not None:
                self.server.should_exit = True
                async with asyncio.timeout(10):
                    await self.serving
            await self.fake.close()

        try:
            self.run(stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.sock.close()

    @property
    def store(self) -> DeskStore:
        assert self.server is not None
        store = self.server.config.app.state.runtime.store
        assert isinstance(store, DeskStore)
        return store

    def add_account(self, name: str, role: str) -> str:
        assert self.settings is not None

        async def add() -> str:
            return (await Accounts(self.store, self.settings.desk).add(name, role, "tests"))[1]  # type: ignore[union-attr]

        return self.run(add())

    def telegram(self, user: FakeUser, update: dict[str, Any]) -> None:
        body = {"update_id": self.fake.next_update_id(), **update}
        response = httpx.post(f"{self.base_url}/telegram", json=body, headers={SECRET_HEADER: SECRET}, timeout=10)
        assert response.status_code == 200

    def request_callback(self, user_id: int, name: str, phone: str, town: str = "Kutaisi") -> str:
        """A Telegram user goes through the whole callback form; returns the reference the bot told them."""
        user = FakeUser(self.fake, user_id, "en")
        steps = [user.command("callback"), user.press("cb:agree"), user.text(name), user.text(phone),
                 user.text(town), user.press("cb:t:legal"), user.press("cb:l:en"), user.press("cb:w:any"),
                 user.press("cb:skip"), user.press("cb:ok")]
        for step in steps:
            self.telegram(user, step)
        told = [REF_RE.search(c.text) for c in self.fake.calls if c.chat_id == user_id and c.text]
        refs = [m.group(0) for m in told if m]
        assert refs, "the user was told a reference"
        return refs[-1]
