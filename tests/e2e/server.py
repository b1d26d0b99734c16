"""The webhook app under uvicorn on 127.0.0.1, with the same server options `hotline run --webhook` uses."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette

from bot.app import Runtime
from bot.channels.http_limits import server_options
from bot.channels.webhooks import build_app
from bot.config import Settings


@dataclass
class Served:
    app: Starlette
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def rt(self) -> Runtime:
        return self.app.state.runtime  # type: ignore[no-any-return]


@asynccontextmanager
async def serve(settings: Settings, **options: Any) -> AsyncIterator[Served]:
    """Serves until the block ends; `options` override the production server options."""
    app = build_app(settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="on", **{**server_options(), **options})
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(30):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
        yield Served(app, sock.getsockname()[1])
    finally:
        server.should_exit = True
        async with asyncio.timeout(15):
            await task
        sock.close()
