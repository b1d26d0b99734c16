"""A user flooding the bot is told once to slow down and costs nothing more; everyone else is served."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.app import runtime
from bot.config import Settings
from bot.core.events import Event, Kind, SessionKey
from bot.knowledge.loader import ContentHolder
from tests.conftest import CONTENT_DIR


async def test_flooding_user_is_throttled_politely_and_others_are_not(tmp_path: Path,
                                                                      shared_content: ContentHolder) -> None:
    settings = Settings(data_dir=tmp_path, content_dir=CONTENT_DIR, flood_messages_per_10s=20)
    async with runtime(settings, watch_content=False, content=shared_content) as rt:
        flooder = SessionKey("test", "flooder")
        burst = [Event(flooder, Kind.TEXT, text=f"spam {i}", update_id=f"f{i}", platform_language="en")
                 for i in range(100)]
        calm = Event(SessionKey("test", "calm"), Kind.COMMAND, data="start", update_id="c1", platform_language="en")
        results = await asyncio.gather(*(rt.engine.handle(e) for e in burst), rt.engine.handle(calm))
        flood_replies, calm_replies = results[:-1], results[-1]
        notes = [r for replies in flood_replies for r in replies if "sending messages very fast" in r.text]
        assert len(notes) == 1
        assert sum(1 for replies in flood_replies if replies) == 21, "20 answered, then one note, then silence"
        assert calm_replies and "very fast" not in calm_replies[0].text
        session = await rt.store.load_session(flooder)
        assert session is not None
