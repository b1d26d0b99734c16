"""The terminal chat as a real subprocess on a fresh SQLite file, with no config and no token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.config import REPO_ROOT
from bot.knowledge.loader import load_content


def run_chat(tmp_path: Path, lines: list[str], *args: str) -> str:
    env = {**os.environ, "HOTLINE_DATA_DIR": str(tmp_path / "data"), "PYTHONIOENCODING": "utf-8"}
    for var in ("HOTLINE_CONFIG", "HOTLINE_DATABASE_URL", "TELEGRAM_BOT_TOKEN", "VIBER_AUTH_TOKEN"):
        env.pop(var, None)
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_chat_walks_menu_answer_location_and_language(tmp_path: Path) -> None:
    content = load_content(REPO_ROOT / "content").content
    assert content is not None
    legal_first_faq = content.items("legal")
    first_faq = next(i.faq for i in legal_first_faq if i.faq)
    assert first_faq is not None
    items = content.items(content.root)
    legal_number = [i.menu for i in items].index("legal") + 1
    faq_number = [i.faq for i in content.items("legal")].index(first_faq) + 1
    out = run_chat(tmp_path, [str(legal_number), str(faq_number), "loc 42.27 42.70", "/language", "3", "/quit"],
                   "chat", "--lang", "en")
    assert content.text(content.nodes["legal"].title, "en") in out
    assert content.text(content.faqs[first_faq].answer, "en").splitlines()[0] in out
    assert "(+995 431) 24 44 43" in out
    assert content.text(content.nodes["legal"].title, "ru") in out
    assert (tmp_path / "data" / "hotline.sqlite3").exists()


def test_run_without_token_falls_back_to_terminal_chat(tmp_path: Path) -> None:
    out = run_chat(tmp_path, ["/quit"], "run")
    assert "[1] 🇬🇪 ქართული" in out
    assert "Choose your language" in out


def test_garbage_input_never_crashes(tmp_path: Path) -> None:
    out = run_chat(tmp_path, ["\x00\x1b[31m", "99", "loc 999 999", "phone abc", "/" , "x" * 5000, "/quit"],
                   "chat", "--lang", "ka")
    assert "Traceback" not in out
    assert REPO_ROOT.exists()
