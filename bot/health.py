"""Liveness, readiness and metrics for operators: answers shared by the webhook app and the polling monitor port.

`/healthz` says the process is alive. `/readyz` says it can serve: the store answers a query and content is
loaded; a load balancer sends no traffic to a worker that is starting, stopping, or has lost its database.
`/metrics` is the Prometheus text format (bot/metrics.py). None of them shows personal data.

In polling mode there is no web server, so `monitor` serves the same three paths on a local port of their own
(`monitor_port`, off by default).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot import metrics
from bot.app import Runtime
from bot.staff.queue import add_working_days

__all__ = ["READY_WITHIN", "monitor", "readiness", "scrape"]

log = logging.getLogger(__name__)

READY_WITHIN = 2.0  # seconds the store has to answer before the worker is reported not ready


async def readiness(rt: Runtime | None) -> tuple[bool, dict[str, Any]]:
    """Whether this worker can serve users now, and why not."""
    if rt is None:
        return False, {"ready": False, "store": False, "content": False}
    content = rt.content.loaded
    try:
        await asyncio.wait_for(rt.store.ping(), READY_WITHIN)
        store = True
    except Exception as exc:
        metrics.record_store_error("readiness")
        log.warning("readiness: the store did not answer (%s)", type(exc).__name__)
        store = False
    ready = store and content
    return ready, {"ready": ready, "store": store, "content": content}


async def scrape(rt: Runtime | None) -> bytes:
    """The metrics text, with the database gauges refreshed when they are older than a few seconds."""
    if rt is not None:
        await metrics.refresh(lambda: _counts(rt))
    return metrics.exposition()


async def _counts(rt: Runtime) -> tuple[dict[str, int], dict[str, int], int]:
    counts = await rt.store.operational_counts()
    now, days = datetime.now(UTC), rt.settings.callback.sla_working_days
    overdue = sum(1 for created in counts.new_request_times if add_working_days(created, days) < now)
    return counts.requests_by_status, counts.pending_by_channel, overdue


@asynccontextmanager
async def monitor(rt: Runtime, host: str, port: int | None) -> AsyncIterator[None]:
    """/healthz, /readyz and /metrics on host:port while polling; nothing when `port` is None."""
    if port is None:
        yield
        return

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def ready(_: web.Request) -> web.Response:
        ok, body = await readiness(rt)
        return web.json_response(body, status=200 if ok else 503)

    async def metrics_page(_: web.Request) -> web.Response:
        return web.Response(body=await scrape(rt), headers={"Content-Type": metrics.CONTENT_TYPE})

    app = web.Application()
    app.router.add_get("/healthz", health)
    app.router.add_get("/readyz", ready)
    app.router.add_get("/metrics", metrics_page)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            raise SystemExit(f"cannot serve /metrics on {host}:{port}: {exc.strerror}; "
                             "choose another HOTLINE_MONITOR_PORT") from exc
        log.info("metrics and health checks on http://%s:%d", host, port)
        yield
    finally:
        await runner.cleanup()
