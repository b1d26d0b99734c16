"""`hotline content export-examples` on a copy of the content: the editors' decisions land in the right lists with
every other line of the files untouched, the content check passes, and the exported files alone make the bot
answer and decline as the editors decided."""

from __future__ import annotations

import asyncio
import difflib
import shutil
from pathlib import Path

import pytest
import yaml

from bot.app import runtime
from bot.cli import main
from bot.config import REPO_ROOT, Settings
from bot.knowledge.loader import load_content
from bot.store import open_store
from bot.store.desk import DeskStore
from tests.helpers import ChatUser

EXAMPLE = "Can I take my parrot on the plane to Spain in a cage?"
DECLINED = "Какого цвета покрасить стены на кухне?"
CHEESE = "Is the moon made of green cheese, and can I work there?"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(REPO_ROOT / "content", copy)
    return copy


def _decide(url: str, decisions: list[tuple[str, str, str]]) -> None:
    from bot.knowledge.redact import normalise_question

    async def decide() -> None:
        store = await open_store(url)
        try:
            assert isinstance(store, DeskStore)
            for lang, text, faq_id in decisions:
                await store.decide_question("keti", lang, text, normalise_question(text), faq_id)
        finally:
            await store.close()

    asyncio.run(decide())


def _export(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, content: Path,
            capsys: pytest.CaptureFixture[str]) -> str:
    monkeypatch.delenv("HOTLINE_CONFIG", raising=False)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    assert main(["content", "export-examples", str(content)]) == 0
    return capsys.readouterr().out


def _only_added(before: str, after: str) -> list[str]:
    """The lines `after` adds to `before`; fails if any line was changed or removed."""
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    assert not [d for d in diff if d.startswith("- ")], "no line of the file was changed or removed"
    return [d[2:] for d in diff if d.startswith("+ ")]


def test_export_writes_examples_in_place_and_out_of_scope_questions_and_the_check_passes(
        tmp_path: Path, content: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'hotline.sqlite3'}"
    legal = (content / "faq" / "legal.yaml").read_text(encoding="utf-8")
    existing = load_content(content).content.faqs["legal_eu_border"].examples["en"][0]  # type: ignore[union-attr]
    _decide(url, [("en", EXAMPLE, "legal_eu_border"), ("ru", DECLINED, ""), ("en", existing, "legal_eu_border"),
                  ("en", "what about the entry that was removed", "no_such_entry")])
    out = _export(monkeypatch, tmp_path, url, content, capsys)
    assert "legal.yaml: 1 line(s) added" in out and "out_of_scope.yaml" in out
    assert "1 decision(s) were already in the files" in out and "OK: the content check passes" in out

    after = (content / "faq" / "legal.yaml").read_text(encoding="utf-8")
    assert _only_added(legal, after) == [f'        - "{EXAMPLE}"']
    loaded = load_content(content)
    assert loaded.content is not None and not loaded.errors
    assert loaded.content.faqs["legal_eu_border"].examples["en"][-1] == EXAMPLE
    assert [(d.lang, d.text) for d in loaded.content.out_of_scope] == [("ru", DECLINED)]
    declined = (content / "out_of_scope.yaml").read_text(encoding="utf-8")
    assert declined.startswith("# Questions the hotline does not answer") and f'    - "{DECLINED}"' in declined

    again = _export(monkeypatch, tmp_path, url, content, capsys)  # nothing new: the files stay as they are
    assert "line(s) added" not in again and (content / "faq" / "legal.yaml").read_text(encoding="utf-8") == after

    _decide(url, [("ru", "Где купить дешёвые билеты на футбол?", ""), ("en", CHEESE, "")])
    before = (content / "out_of_scope.yaml").read_text(encoding="utf-8")
    _export(monkeypatch, tmp_path, url, content, capsys)
    added = _only_added(before, (content / "out_of_scope.yaml").read_text(encoding="utf-8"))
    assert added == ['    - "Где купить дешёвые билеты на футбол?"', "  en:", f'    - "{CHEESE}"']
    assert load_content(content).content is not None


def test_the_exported_files_alone_answer_and_decline_as_decided(
        tmp_path: Path, content: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'decided.sqlite3'}"
    _decide(url, [("en", EXAMPLE, "legal_eu_border"), ("en", "What colour should I paint my kitchen walls?", "")])
    _export(monkeypatch, tmp_path, url, content, capsys)
    fresh = Settings(data_dir=tmp_path / "fresh", content_dir=content)  # a new database: only the files decide

    async def chat() -> tuple[str, str]:
        async with runtime(fresh, watch_content=False) as rt:
            user = ChatUser(rt.engine, "1", platform_language="en")
            await user.say(EXAMPLE)
            answered = " ".join(b.data for b in user.buttons)
            replies = await user.say("what color should I paint my kitchen walls")
            return answered, " ".join(r.text for r in replies)

    answered, declined = asyncio.run(chat())
    assert "q:y:legal_eu_border" in answered
    assert "I can't help with that here" in declined


def test_a_list_in_flow_style_is_left_alone_and_goes_to_the_review_file(
        tmp_path: Path, content: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    legal = content / "faq" / "legal.yaml"
    data = yaml.safe_load(legal.read_text(encoding="utf-8"))
    [entry] = [e for e in data["entries"] if e["id"] == "legal_eu_border"]
    lines = legal.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if "id: legal_eu_border" in line)
    examples = next(i for i in range(start, len(lines)) if lines[i].strip() == "examples:")
    en = next(i for i in range(examples, len(lines)) if lines[i].strip() == "en:")
    end = en + 1
    while lines[end].lstrip().startswith("- "):
        end += 1
    assert end - en - 1 == len(entry["examples"]["en"])
    indent = lines[en][: len(lines[en]) - len(lines[en].lstrip())]
    lines[en:end] = [indent + "en: [" + ", ".join(f'"{x}"' for x in entry["examples"]["en"]) + "]\n"]
    legal.write_text("".join(lines), encoding="utf-8")
    assert load_content(content).content is not None
    before = legal.read_text(encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'flow.sqlite3'}"
    _decide(url, [("en", EXAMPLE, "legal_eu_border")])
    out = _export(monkeypatch, tmp_path, url, content, capsys)
    assert legal.read_text(encoding="utf-8") == before
    assert "examples-review.yaml" in out
    review = yaml.safe_load((tmp_path / "examples-review.yaml").read_text(encoding="utf-8"))
    assert review == {"legal_eu_border": {"en": [EXAMPLE]}}
