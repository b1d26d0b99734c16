"""Periodic upkeep that every deployment needs, whichever channels it runs: retention purges.

Each job runs under `store.exclusive(name, every=...)`, so with several workers it runs once per period between
them, not once per worker.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from bot.config import Settings
from bot.core.context import DRAFT_STATES
from bot.requests import FORM_TTL
from bot.staff.queue import Queue
from bot.store.base import Store
from bot.store.live import LiveStore

__all__ = ["PENDING_UPDATES_KEPT", "PROCESSED_UPDATES_KEPT", "run_maintenance", "run_maintenance_once"]

log = logging.getLogger(__name__)

PROCESSED_UPDATES_KEPT = timedelta(days=7)  # platforms stop redelivering long before this
# Fetched updates a crash left unhandled are handled at the next start; raw messages are not kept past this.
PENDING_UPDATES_KEPT = timedelta(days=2)
PERIOD = timedelta(hours=1)


async def run_maintenance_once(store: Store, settings: Settings, now: datetime | None = None) -> dict[str, int]:
    """Purges what is past its retention period; returns how many rows each job removed (empty if not our turn)."""
    now = now or datetime.now(UTC)
    done: dict[str, int] = {}
    async with store.exclusive("retention", every=PERIOD) as ours:
        if ours:
            done["callback_requests"] = await Queue(store, settings).purge(now)
            if isinstance(store, LiveStore):  # live chats' transcripts: the callback requests' retention
                done["live_chats"] = await store.purge_live(now - timedelta(days=settings.callback.retention_days))
            done["gaps"] = await store.purge_gaps(now - timedelta(days=settings.gaps_retention_days))
            done["processed_updates"] = await store.purge_processed_updates(now - PROCESSED_UPDATES_KEPT)
            done["pending_updates"] = await store.purge_pending_updates(now - PENDING_UPDATES_KEPT)
            done["sessions"] = await store.purge_sessions(now - timedelta(days=settings.session_retention_days),
                                                          now - FORM_TTL, DRAFT_STATES)
            if any(done.values()):
                log.info("retention purge: %s", ", ".join(f"{k}={v}" for k, v in done.items()))
    return done


async def run_maintenance(store: Store, settings: Settings, poll_seconds: float = 300.0) -> None:
    """Runs the upkeep forever; a failed round is logged and retried at the next poll."""
    while True:
        try:
            await run_maintenance_once(store, settings)
        except Exception:
            log.exception("maintenance round failed; retrying later")
        await asyncio.sleep(poll_seconds)
