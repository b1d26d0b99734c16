"""Live chats' background senders work in rounds: one worker at a time (a store lease), each round woken by the
store's change signal or after a while, so a change is handled at once and a worker that was down catches up."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.app import Runtime
from bot.store.live import LiveStore

__all__ = ["LiveRounds"]

COALESCE = 0.2  # changes that come together are handled in one round


class LiveRounds:
    """A sender's lifecycle: `name` names its task and its lease, `one_round` does the work."""

    name = ""
    failure = ""  # what is logged, with the stack, when a round fails; the next round tries again

    def __init__(self, rt: Runtime, idle_seconds: float = 5.0) -> None:
        self.rt = rt
        self.idle_seconds = idle_seconds
        self._task: asyncio.Task[None] | None = None

    @property
    def store(self) -> LiveStore:
        assert isinstance(self.rt.store, LiveStore)
        return self.rt.store

    def start(self) -> None:
        if isinstance(self.rt.store, LiveStore) and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def one_round(self) -> int:
        raise NotImplementedError

    async def _run(self) -> None:
        """The wait is in place before a round starts, so a change made during the round starts the next one."""
        log = logging.getLogger(type(self).__module__)
        while True:
            woken = asyncio.ensure_future(self.store.wait_live(0, self.idle_seconds))
            try:
                async with self.rt.store.exclusive(self.name) as ours:
                    if ours:
                        await self.one_round()
            except Exception:
                log.exception(self.failure)
            try:
                with contextlib.suppress(Exception):
                    await woken
            finally:
                woken.cancel()
            await asyncio.sleep(COALESCE)
