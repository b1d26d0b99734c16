"""Periodic upkeep that every deployment needs, whichever channels it runs: retention purges, the editors'
decisions from the desk followed by every worker, and the statistics' day counts added to the store.

Purges run under `store.exclusive(name, every=...)`, so with several workers they run once per period between
them, not once per worker; following decisions and adding counts is every worker's own.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from bot.config import Settings
from bot.core.context import DRAFT_STATES
from bot.knowledge.decisions import Decided, StaffDecisions
from bot.knowledge.loader import ContentHolder
from bot.requests import FORM_TTL
from bot.staff.queue import Queue
from bot.store.base import Store
from bot.store.desk import DeskStore
from bot.store.live import LiveStore
from bot.usage import Tally

__all__ = ["PENDING_UPDATES_KEPT", "PROCESSED_UPDATES_KEPT", "follow_decisions", "keep_counting", "load_decisions",
           "run_maintenance", "run_maintenance_once"]

log = logging.getLogger(__name__)

PROCESSED_UPDATES_KEPT = timedelta(days=7)  # platforms stop redelivering long before this
# Fetched updates a crash left unhandled are handled at the next start; raw messages are not kept past this.
PENDING_UPDATES_KEPT = timedelta(days=2)
PERIOD = timedelta(hours=1)
DECISIONS_POLL_SECONDS = 3.0  # how soon another worker serves what an editor decided on one of them
COUNTS_FLUSH_SECONDS = 10.0


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


async def load_decisions(store: Store, holder: ContentHolder) -> bool:
    """Serves the editors' decisions as the store has them; True when they had changed. The index is built
    again in a thread (a few tens of milliseconds) so conversations do not wait for it."""
    if not isinstance(store, DeskStore):
        return False
    stamp = await store.decisions_stamp()
    if stamp == holder.decisions.stamp:
        return False
    rows = await store.content_decisions()
    decisions = StaffDecisions([Decided(row.lang, row.text, row.faq_id) for row in rows], stamp)
    await asyncio.to_thread(holder.apply, decisions)
    return True


async def follow_decisions(store: Store, holder: ContentHolder, poll_seconds: float = DECISIONS_POLL_SECONDS) -> None:
    """A decision made on another worker is served here within a few seconds (one small read per poll)."""
    while True:
        await asyncio.sleep(poll_seconds)
        try:
            await load_decisions(store, holder)
        except Exception:
            log.exception("reading the editors' decisions failed; retrying later")


async def keep_counting(store: Store, tally: Tally, every: float = COUNTS_FLUSH_SECONDS) -> None:
    """Adds the statistics' day counts to the store every few seconds; the runtime adds the rest when it stops."""
    if not isinstance(store, DeskStore):
        return
    while True:
        await asyncio.sleep(every)
        try:
            await tally.flush(store)
        except Exception:
            log.exception("adding the day counts failed; they are kept for the next try")
