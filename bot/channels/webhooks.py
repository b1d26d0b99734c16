"""One ASGI app (Starlette) for every webhook channel, served by uvicorn with one or more workers.

Each channel contributes a `WebhookChannel`: a path, a request handler, and start/stop hooks run inside the
app's lifespan, after the runtime (content, store, engine) is open and before it closes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import metrics
from bot.app import Runtime, configure_logging, runtime, tune_gc
from bot.channels.http_limits import BodyLimit, server_options
from bot.config import Settings, load_settings
from bot.health import readiness, scrape

__all__ = ["WebhookChannel", "build_app", "create_app", "serve"]

log = logging.getLogger(__name__)


class WebhookChannel(Protocol):
    path: str

    async def startup(self) -> None: ...

    async def shutdown(self) -> None: ...

    async def handle(self, request: Request) -> Response: ...


def webhook_channels(rt: Runtime) -> list[WebhookChannel]:
    """The channels configured with a token; a channel without one is simply not served."""
    from bot.channels.telegram.webhook import telegram_webhook
    from bot.channels.viber import viber_webhook

    found: list[WebhookChannel | None] = [telegram_webhook(rt), viber_webhook(rt)]
    return [c for c in found if c is not None]


def build_app(settings: Settings) -> Starlette:
    from bot.desk.app import desk_mount

    state: dict[str, list[WebhookChannel]] = {"channels": []}
    desk = desk_mount(settings)

    async def dispatch(request: Request) -> Response:
        for channel in state["channels"]:
            if request.url.path == channel.path:
                return await channel.handle(request)
        return Response(status_code=404)

    async def health(_: Request) -> Response:
        return JSONResponse({"ok": True, "channels": [c.path for c in state["channels"]]})

    async def ready(request: Request) -> Response:
        ok, body = await readiness(getattr(request.app.state, "runtime", None))
        return JSONResponse(body, status_code=200 if ok else 503)

    async def metrics_page(request: Request) -> Response:
        body = await scrape(getattr(request.app.state, "runtime", None))
        return Response(body, headers={"Content-Type": metrics.CONTENT_TYPE})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            rt = await stack.enter_async_context(runtime(settings))
            channels = webhook_channels(rt)
            for channel in channels:
                await channel.startup()
                stack.push_async_callback(channel.shutdown)
            state["channels"] = channels
            app.state.runtime = rt
            if desk is not None:
                desk[1].attach(rt)
            log.info("serving webhooks at %s", ", ".join(c.path for c in channels) or "(no channel configured)")
            yield
            app.state.runtime = None  # stopping: /readyz says so before the store closes

    paths = {settings.telegram.webhook_path, settings.viber.webhook_path}
    routes = [Route(path, dispatch, methods=["POST", "GET"]) for path in sorted(paths)]
    routes.append(Route("/healthz", health, methods=["GET"]))
    routes.append(Route("/readyz", ready, methods=["GET"]))
    routes.append(Route("/metrics", metrics_page, methods=["GET"]))
    if desk is not None:
        routes.append(desk[0])
    return Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(BodyLimit)])


def create_app() -> Starlette:
    """uvicorn factory: each worker process reads the same settings from the environment."""
    settings = load_settings()
    configure_logging(settings)
    tune_gc()
    return build_app(settings)


def serve(settings: Settings, host: str, port: int, workers: int = 1) -> int:
    import uvicorn

    if workers > 1 and not settings.effective_database_url.startswith(("postgresql://", "postgres://")):
        log.warning("several workers on SQLite share one file; use PostgreSQL (HOTLINE_DATABASE_URL) for that")
    # JSON lines: uvicorn's own records go through the root logger's JSON handler instead of its text format
    own_format: dict[str, Any] = {"log_config": None} if settings.log_format == "json" else {}
    if workers > 1:
        metrics.share_between_workers(settings.data_dir / "metrics")
        uvicorn.run("bot.channels.webhooks:create_app", factory=True, host=host, port=port, workers=workers,
                    log_level=settings.log_level.lower(), proxy_headers=True, **own_format, **server_options())
    else:
        tune_gc()
        uvicorn.run(build_app(settings), host=host, port=port, log_level=settings.log_level.lower(),
                    proxy_headers=True, **own_format, **server_options())
    return 0


