"""The built content kept in the data directory: reused for the same inputs, never for changed ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.knowledge.loader import ContentHolder

FIXTURE = Path(__file__).parent / "fixtures" / "content_min"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(FIXTURE, target)
    return target


def _menu_title(holder: ContentHolder) -> str:
    content = holder.current
    return content.text(content.nodes[content.root].text, "en")


def test_a_restart_reads_the_built_content_back(content: Path, tmp_path: Path) -> None:
    cache = tmp_path / "data" / "cache"
    first = ContentHolder(content, cache_dir=cache)
    first.reload()
    [stored] = list(cache.glob("content-*.pickle"))
    again = ContentHolder(content, cache_dir=cache)
    again.reload()
    assert again.current.version == first.current.version
    assert again.current.faq_index.search("x", "en") == first.current.faq_index.search("x", "en")
    assert list(cache.glob("content-*.pickle")) == [stored]


def test_an_edit_is_built_anew_and_replaces_the_old_file(content: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    holder = ContentHolder(content, cache_dir=cache)
    holder.reload()
    [old] = list(cache.glob("content-*.pickle"))
    menu = content / "menu.yaml"
    before = _menu_title(holder)
    menu.write_text(menu.read_text(encoding="utf-8").replace(before, before + " (edited)", 1), encoding="utf-8")
    restarted = ContentHolder(content, cache_dir=cache)
    restarted.reload()
    assert _menu_title(restarted) == before + " (edited)"
    [new] = list(cache.glob("content-*.pickle"))
    assert new != old


def test_a_damaged_file_is_rebuilt(content: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    ContentHolder(content, cache_dir=cache).reload()
    [stored] = list(cache.glob("content-*.pickle"))
    stored.write_bytes(b"not a pickle")
    holder = ContentHolder(content, cache_dir=cache)
    assert holder.reload().content is not None
    assert stored.read_bytes() != b"not a pickle"


def test_content_with_errors_is_not_cached(content: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (content / "menu.yaml").write_text("nodes: [", encoding="utf-8")
    assert ContentHolder(content, cache_dir=cache).reload().content is None
    assert not list(cache.glob("content-*.pickle"))
