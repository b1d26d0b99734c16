"""Editors' decisions from the desk as the matcher uses them: exact and near-identical questions, examples joining
the search, decisions kept across a content reload, and other workers following the store."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from bot.app import runtime
from bot.config import REPO_ROOT, Settings
from bot.jobs import load_decisions
from bot.knowledge.decisions import Decided, StaffDecisions
from bot.knowledge.loader import ContentHolder
from bot.knowledge.redact import normalise_question
from bot.store.desk import DeskStore
from tests.helpers import ChatUser

PARROT = "Can I take my parrot on the plane to Spain in a cage?"
EGGS = "How many eggs does a chicken lay?"  # a question the content does not answer


def test_find_matches_the_question_and_near_identical_typing_only() -> None:
    decided = StaffDecisions([Decided("en", PARROT, "legal_eu_border"), Decided("en", "visa usa", "")])
    assert decided.find("can i take my parrot on the plane to spain in a cage") == decided.find(PARROT)
    assert decided.find("Can I take my parot on the plane to Spain in a cage???") is not None  # a typo
    assert decided.find("Can I take my dog on the bus to France?") is None
    assert decided.find("Visa USA!") is not None and decided.find("visa uae") is None  # short: exact only
    assert StaffDecisions().find(PARROT) is None


def test_the_latest_decision_on_a_question_wins() -> None:
    decided = StaffDecisions([Decided("en", PARROT, "legal_eu_border"), Decided("en", PARROT.upper(), "")])
    found = decided.find(PARROT)
    assert found is not None and found.out_of_scope and len(decided) == 1 and decided.examples() == []


def test_an_example_joins_the_search_and_survives_a_reload(tmp_path: Path) -> None:
    content_dir = tmp_path / "content"
    shutil.copytree(REPO_ROOT / "content", content_dir)
    holder = ContentHolder(content_dir)
    holder.reload()
    similar = "may I bring a parrot in a cage on a plane to Spain"
    before = [hit.faq_id for hit in holder.current.faq_index.scores(similar, "en", limit=3)]
    holder.apply(StaffDecisions([Decided("en", PARROT, "legal_eu_border")], (1, 1)))
    after = holder.current.faq_index.scores(similar, "en", limit=3)
    assert after[0].faq_id == "legal_eu_border" and before[:1] != ["legal_eu_border"]
    (content_dir / "faq" / "legal.yaml").write_text(
        (content_dir / "faq" / "legal.yaml").read_text(encoding="utf-8") + "\n# touched\n", encoding="utf-8")
    holder.reload()  # a new version of the files keeps the editors' decisions on top
    assert holder.current.staff.find(PARROT) is not None
    assert holder.current.faq_index.scores(similar, "en", limit=1)[0].faq_id == "legal_eu_border"


def test_a_decision_made_on_one_worker_is_followed_by_another(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", content_dir=REPO_ROOT / "content")

    async def check() -> None:
        async with runtime(settings, watch_content=False) as first:
            async with runtime(settings, watch_content=False) as second:
                user = ChatUser(second.engine, "1", platform_language="en")
                assert "did not find an answer" in " ".join(r.text for r in await user.say(EGGS))
                store = first.store
                assert isinstance(store, DeskStore)
                await store.decide_question("keti", "en", EGGS, normalise_question(EGGS), "legal_eu_border")
                assert await load_decisions(second.store, second.content)  # what follow_decisions does
                assert not await load_decisions(second.store, second.content), "unchanged: nothing reloaded"
                await user.say(EGGS)
                assert "q:y:legal_eu_border" in [b.data for b in user.buttons]

    asyncio.run(check())
