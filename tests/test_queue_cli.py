"""`hotline queue ...` on the same settings file and SQLite database as the bot."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.config import REPO_ROOT, load_settings
from bot.records import CallbackRequest
from bot.store import open_store


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.yaml"
    monkeypatch.setenv("HOTLINE_CONFIG", str(path))  # `main --config` exports it; undone after the test
    path.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data"), "content_dir": str(REPO_ROOT / "content"),
                                    "log_level": "WARNING"}), encoding="utf-8")
    return path


def seed(config: Path, *requests: dict[str, str]) -> list[str]:
    async def work() -> list[str]:
        store = await open_store(load_settings(config).effective_database_url)
        try:
            refs = []
            for i, fields in enumerate(requests):
                values = {"name": "Nino", "phone": "+995555123456", "town": "Rustavi", "topic": "legal", **fields}
                refs.append((await store.create_request(CallbackRequest("test", f"user{i}", **values))).ref)
            return refs
        finally:
            await store.close()

    return asyncio.run(work())


def run(config: Path, *args: str) -> int:
    return main(["--config", str(config), "queue", *args])


def test_list_show_take_note_done(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = seed(config, {"name": "ნინო"}, {"name": "Tamar", "town": "Batumi"})
    assert run(config, "list") == 0
    out = capsys.readouterr().out
    assert first in out and second in out and "Batumi" in out
    assert "Tamar" not in out and "+995" not in out, "the list has no names or phones"

    assert run(config, "take", second.lower(), "--by", "Levan") == 0
    out = capsys.readouterr().out
    assert "assigned" in out and "Tamar" in out and "+995555123456" in out, "taking shows whom to call"
    assert run(config, "take", second, "--by", "Eka") == 1
    assert "already taken by Levan" in capsys.readouterr().err

    assert run(config, "note", second, "--by", "Levan", "no", "answer,", "try", "at", "6") == 0
    assert run(config, "done", second, "--by", "Levan", "--note", "spoke") == 0
    assert run(config, "show", second) == 0
    out = capsys.readouterr().out
    for expected in ("Status:", "done", "Levan: new -> assigned", "no answer, try at 6", "assigned -> done  spoke"):
        assert expected in out

    assert run(config, "list", "--status", "done") == 0
    out = capsys.readouterr().out
    assert second in out and first not in out
    assert run(config, "list", "--status", "new,done") == 0
    assert first in capsys.readouterr().out
    assert run(config, "list", "--overdue") == 0
    assert "no requests" in capsys.readouterr().out, "a request created just now is not overdue"


def test_refusals_and_bad_arguments(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (ref,) = seed(config, {})
    assert run(config, "show", "CB-2222") == 1
    assert run(config, "done", "CB-2222", "--by", "Levan") == 1
    assert "no request CB-2222" in capsys.readouterr().err
    assert run(config, "unreachable", ref, "--by", "Levan") == 0
    assert run(config, "done", ref, "--by", "Levan") == 1
    assert "unreachable; nothing changed" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        run(config, "take", ref)
    assert exited.value.code == 2, "--by is required"
    with pytest.raises(SystemExit):
        run(config, "list", "--status", "lost")
    with pytest.raises(SystemExit) as exited:
        run(config, "export", "--since", "yesterday")
    assert exited.value.code == 2


def test_export_to_file_and_purge(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed(config, {"name": "ლევან", "note": "=cmd|' /C calc'!A0"})
    target = tmp_path / "out.csv"
    assert run(config, "export", "--format", "csv", "--since", "2020-01-01", "--output", str(target)) == 0
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0]["name"] == "ლევან" and rows[0]["note"].startswith("'=")
    assert run(config, "export", "--since", "2999-01-01", "--output", str(target)) == 0
    assert len(target.read_bytes().decode("utf-8-sig").splitlines()) == 1
    assert run(config, "purge") == 0
    assert "purged 0 request(s) closed more than 90 days ago" in capsys.readouterr().out


def test_a_real_hotline_process_exports_to_stdout(config: Path) -> None:
    (ref,) = seed(config, {"town": "ქუთაისი"})
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([sys.executable, "-m", "bot", "--config", str(config), "queue", "export", "--format", "csv"],
                          capture_output=True, env=env, cwd=REPO_ROOT, timeout=60, check=True)
    assert done.stdout.startswith(b"\xef\xbb\xbf")
    text = done.stdout.decode("utf-8-sig")
    assert ref in text and "ქუთაისი" in text
