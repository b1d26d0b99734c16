"""Metrics the core moves: a confirmed callback request counts once; labels stay within their vocabularies."""

from __future__ import annotations

import shutil
from pathlib import Path

from prometheus_client import REGISTRY

from bot import metrics
from bot.app import Runtime
from bot.knowledge.loader import ContentHolder
from tests.helpers import ChatUser
from tests.test_no_pii_in_logs import fill

FIXTURE = Path(__file__).parent / "fixtures" / "content_min"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_confirmed_callback_request_counts_once(rt: Runtime) -> None:
    before = sample("hotline_callback_requests_created_total")
    user = ChatUser(rt.engine, "metrics-callback", platform_language="en")
    await fill(user)
    await user.tap("cb:ok")
    assert "Your reference" in user.text
    await user.tap("cb:ok")  # a second tap on the same confirmation creates nothing new
    assert sample("hotline_callback_requests_created_total") == before + 1


def test_values_outside_a_vocabulary_are_counted_as_other() -> None:
    before = sample("hotline_typed_messages_total", outcome="other")
    metrics.record_typed("Nino from Batumi")
    metrics.record_reply("telegram", "send message to +995 555", ok=True)
    assert sample("hotline_typed_messages_total", outcome="other") == before + 1
    assert sample("hotline_replies_total", platform="telegram", method="other", result="sent") >= 1
    assert b"Batumi" not in metrics.exposition() and b"+995" not in metrics.exposition()


def test_a_refused_content_edit_counts_and_the_good_version_stays_shown(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(FIXTURE, content)
    holder = ContentHolder(content)
    holder.reload()
    version = holder.current.version
    failures = sample("hotline_content_reload_failures_total")
    (content / "menu.yaml").write_text("nodes: [", encoding="utf-8")
    assert holder.reload().content is None
    assert sample("hotline_content_reload_failures_total") == failures + 1
    assert sample("hotline_content_info", version=version) == 1
