"""Shared fixtures: settings on a fresh data directory, the real content, an open runtime, a user driving it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Runtime, runtime
from bot.config import REPO_ROOT, Settings
from bot.knowledge.loader import ContentHolder
from tests.helpers import ChatUser
from tests.store_support import pg_database, second, store, store_url  # noqa: F401  (every store suite's fixtures)

CONTENT_DIR = REPO_ROOT / "content"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", content_dir=CONTENT_DIR, flood_messages_per_10s=1000)


@pytest.fixture(scope="session")
def shared_content() -> ContentHolder:
    """The shipped content, loaded once: tests that do not edit content share it."""
    holder = ContentHolder(CONTENT_DIR)
    assert holder.reload().content is not None
    return holder


@pytest.fixture
async def rt(settings: Settings, shared_content: ContentHolder) -> AsyncIterator[Runtime]:
    async with runtime(settings, watch_content=False, content=shared_content) as opened:
        yield opened


@pytest.fixture
def user(rt: Runtime) -> ChatUser:
    return ChatUser(rt.engine, "alice")
