"""Attacks on the staff side, kept as tests: who may close a taken request, and what staff input can do to a
caseworker's terminal.

A request someone has taken is closed only by them or a supervisor (from Telegram or the CLI); anyone else is
told who has it and nothing changes. Control characters typed as a note or a name (terminal escape sequences,
bidi overrides) are removed when stored, and anything printed by `hotline queue` is cleaned again on the way out.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from bot.config import Settings
from tests.e2e.fake_telegram import FakeTelegram
from tests.test_queue_cli import run, seed
from tests.test_staff_telegram import Desk, running, staff_settings

ESCAPES = ("\x1b", "\x07", "\u202e", "\x9b")
SUPERVISOR = 12


@pytest.fixture
async def desk(settings: Settings) -> AsyncIterator[Desk]:
    async with FakeTelegram() as fake:
        supervised = staff_settings(settings, fake)
        tg = supervised.telegram.model_copy(update={"staff_user_ids": [11, 12, 13],
                                                    "supervisor_user_ids": [SUPERVISOR]})
        async with running(supervised.model_copy(update={"telegram": tg}), fake) as staff:
            yield staff


async def test_only_the_taker_or_a_supervisor_closes_a_taken_request(desk: Desk) -> None:
    request = await desk.request(user="taken-1")
    await desk.announced(request.ref)
    nino, eka, levan = desk.member(11, "Nino"), desk.member(13, "Eka"), desk.member(SUPERVISOR, "Levan")
    await desk.push(desk.group_command(nino, f"/take {request.ref}"), method="sendMessage", expect=2)

    [refused] = await desk.push(desk.group_command(eka, f"/done {request.ref}"), method="sendMessage")
    assert "already taken by Nino" in refused.text
    stored = await desk.rt.store.get_request(request.ref)
    assert stored is not None and stored.status == "assigned"
    [answer] = await desk.push(eka.press(f"s:u:{request.ref}"))
    assert "already taken by Nino" in answer.params["text"]
    assert (await desk.rt.store.get_request(request.ref)).status == "assigned"  # type: ignore[union-attr]

    [closed] = await desk.push(desk.group_command(levan, f"/unreachable {request.ref}"), method="sendMessage")
    assert "marked unreachable" in closed.text
    assert (await desk.rt.store.get_request(request.ref)).status == "unreachable"  # type: ignore[union-attr]

    other = await desk.request(user="taken-2")
    await desk.announced(other.ref)
    await desk.push(desk.group_command(nino, f"/take {other.ref}"), method="sendMessage", expect=2)
    [done] = await desk.push(desk.group_command(nino, f"/done {other.ref}"), method="sendMessage")
    assert "is done" in done.text


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.yaml"
    monkeypatch.setenv("HOTLINE_CONFIG", str(path))
    path.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data"), "content_dir": "content",
                                    "log_level": "WARNING", "callback": {"supervisors": ["Tamar"]}}),
                    encoding="utf-8")
    return path


def test_the_cli_lets_only_the_taker_or_a_supervisor_close(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = seed(config, {}, {})
    assert run(config, "take", first, "--by", "Levan") == 0
    assert run(config, "done", first, "--by", "Eka") == 1
    assert "already taken by Levan; only they or a supervisor can close it" in capsys.readouterr().err
    assert run(config, "done", first, "--by", "Tamar") == 0
    assert run(config, "take", second, "--by", "Eka") == 0
    assert run(config, "unreachable", second, "--by", "Eka") == 0
    assert run(config, "done", "CB-ZZZZ", "--by", "Eka") == 1


def test_control_characters_never_reach_the_terminal(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    [ref] = seed(config, {"name": "Nino\x1b[2J\x1b]0;owned\x07", "note": "call\u202eevening\x9b31m"})
    assert run(config, "take", ref, "--by", "Eka\x1b[31m\x1b[2J") == 0
    assert run(config, "note", ref, "--by", "Eka", "line\x1b[Hone\x08\x08", "two") == 0
    capsys.readouterr()
    for args in (("show", ref), ("list",), ("take", ref, "--by", "Levan")):
        run(config, *args)
        captured = capsys.readouterr()
        printed = captured.out + captured.err
        assert not any(e in printed for e in ESCAPES), f"{args}: {printed!r}"
    run(config, "show", ref)
    shown = capsys.readouterr().out
    assert "Nino[2J]0;owned" in shown and "Eka[31m[2J" in shown and "line[Hone two" in shown
    assert "Phone:         +995555123456 (Georgia, mobile)" in shown

    data_dir = Path(yaml.safe_load(config.read_text())["data_dir"])
    with sqlite3.connect(data_dir / "hotline.sqlite3") as db:
        stored = " ".join(f"{actor} {note}" for actor, note in db.execute("SELECT actor, note FROM callback_audit"))
    assert "\x1b" not in stored and "\x08" not in stored, "staff input is cleaned before it is stored"
