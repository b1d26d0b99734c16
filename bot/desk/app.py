"""The desk as one mounted part of the ASGI app: `desk_mount(settings)` gives the /desk routes (or None when
the desk is not enabled) and the `Desk` to attach the runtime to once it is open."""

from __future__ import annotations

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from bot.config import Settings
from bot.desk.pages_auth import auth_routes
from bot.desk.pages_content import content_routes
from bot.desk.pages_gaps import gap_routes
from bot.desk.pages_live import live_routes
from bot.desk.pages_queue import queue_routes
from bot.desk.pages_staff import staff_routes
from bot.desk.pages_stats import stats_routes
from bot.desk.web import HERE, Desk

__all__ = ["Desk", "desk_mount"]


def desk_mount(settings: Settings) -> tuple[Mount, Desk] | None:
    if not settings.desk.enabled:
        return None
    desk = Desk(settings)
    routes = [*auth_routes(desk), *queue_routes(desk), *staff_routes(desk), *stats_routes(desk), *content_routes(desk),
              *live_routes(desk), *gap_routes(desk)]
    routes.append(Mount("/static", app=StaticFiles(directory=HERE / "static"), name="desk-static"))
    return Mount("/desk", routes=routes), desk
