"""The desk served beside the terminal chat (`hotline run` without a token): the same runtime, one process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import uvicorn
from starlette.applications import Starlette

from bot.app import Runtime
from bot.desk.app import desk_mount

__all__ = ["desk_beside"]

log = logging.getLogger(__name__)


class _QuietServer(uvicorn.Server):
    """Leaves Ctrl-C and the terminal to the chat: the server stops when the chat ends."""

    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[no-untyped-def, override]
        yield


@contextlib.asynccontextmanager
async def desk_beside(rt: Runtime, host: str, port: int) -> AsyncIterator[None]:
    mounted = desk_mount(rt.settings)
    if mounted is None:
        yield
        return
    mount, desk = mounted
    desk.attach(rt)
    app = Starlette(routes=[mount])
    app.state.runtime = rt
    server = _QuietServer(uvicorn.Config(app, host=host, port=port, lifespan="off", log_level="warning",
                                         proxy_headers=True))
    task = asyncio.create_task(server.serve(), name="desk")
    print(f"The caseworkers' desk is at http://{host}:{port}/desk", flush=True)
    try:
        yield
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
