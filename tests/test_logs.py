"""Log lines: JSON with the step's ids and no personal data; the terminal chat's screen stays the conversation's."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import Runtime
from bot.logs import make_handler
from tests.helpers import ChatUser
from tests.test_no_pii_in_logs import SECRETS, fill


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    handler = make_handler("json", stream=buffer)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_json_lines_carry_channel_update_and_step_and_no_personal_data(rt: Runtime,
                                                                           json_lines: io.StringIO) -> None:
    user = ChatUser(rt.engine, "json-log", platform_language="en")
    await fill(user)
    await user.tap("cb:ok")
    assert "Your reference" in user.text
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    [created] = [line for line in lines if line["message"].startswith("callback request ")
                 and "created" in line["message"]]
    assert created["channel"] == "test" and created["update_id"].isdigit() and len(created["step"]) == 12
    assert created["level"] == "INFO" and created["logger"] == "bot.requests.form"
    steps = {line.get("step") for line in lines if line.get("update_id") == created["update_id"]}
    assert steps == {created["step"]}, "one step id per handled update"
    for secret in SECRETS:
        assert secret not in json_lines.getvalue()


def test_the_terminal_chat_writes_its_log_to_the_data_directory_not_the_screen(tmp_path: Path) -> None:
    env = {**os.environ, "HOTLINE_DATA_DIR": str(tmp_path / "data"), "HOTLINE_LOG_LEVEL": "INFO",
           "PYTHONIOENCODING": "utf-8"}
    for var in ("HOTLINE_CONFIG", "HOTLINE_DATABASE_URL", "TELEGRAM_BOT_TOKEN", "VIBER_AUTH_TOKEN"):
        env.pop(var, None)
    done = subprocess.run([sys.executable, "-m", "bot", "chat", "--lang", "en"], input="/help\n/quit\n",
                          capture_output=True, text=True, encoding="utf-8", env=env, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Commands:" in done.stdout
    assert " INFO " not in done.stdout + done.stderr
    assert "content version" in (tmp_path / "data" / "hotline.log").read_text(encoding="utf-8")
