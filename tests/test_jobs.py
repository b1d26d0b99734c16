"""Retention upkeep: closed requests, old gaps and old update ids go; open requests and fresh data stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app import Runtime
from bot.jobs import run_maintenance_once
from bot.records import CallbackRequest


async def test_maintenance_purges_only_what_is_past_retention(rt: Runtime) -> None:
    store, settings = rt.store, rt.settings
    closed = await store.create_request(CallbackRequest("test", "a", name="Nino", phone="+995555123456"))
    still_open = await store.create_request(CallbackRequest("test", "b", name="Giorgi", phone="+995555123457"))
    await store.transition(closed.ref, ("new",), "done", "staff:eka")
    await store.record_gap("en", "unanswered", "where can I buy a car", "where can i buy a car")
    later = datetime.now(UTC) + timedelta(days=settings.callback.retention_days + 1)
    done = await run_maintenance_once(store, settings, now=later)
    assert done["callback_requests"] == 1
    assert done["gaps"] == 1
    assert await store.get_request(closed.ref) is None
    assert await store.get_request(still_open.ref) is not None
    assert all(entry.note == "" for entry in await store.audit(closed.ref))
    assert await run_maintenance_once(store, settings, now=later) == {}, "runs once per period"
