"""`hotline config check`: effective settings with secrets masked, and what each mode still needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main

TOKEN = "123456:SECRET-token-value"
PASSWORD = "pg-Pa55word"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("HOTLINE_CONFIG", "HOTLINE_DATABASE_URL", "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET",
                "VIBER_AUTH_TOKEN", "HOTLINE_MONITOR_PORT", "TELEGRAM_BASE_URL"):
        monkeypatch.setenv(var, "")  # recorded, so a value `--config` sets is undone after the test
        monkeypatch.delenv(var)
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "data"))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["config", "check", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_secrets_are_masked_and_every_mode_says_what_it_needs(monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "webhook-secret-value")
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"postgresql://hotline:{PASSWORD}@db.internal:5432/hotline")
    monkeypatch.setenv("TELEGRAM_BASE_URL", f"http://127.0.0.1:8081/bot{TOKEN}")
    code, out = run(capsys)
    assert code == 0
    for secret in (TOKEN, "webhook-secret-value", PASSWORD):
        assert secret not in out
    assert "postgresql://hotline:***@db.internal:5432/hotline" in out and "token: '***'" in out
    assert "base_url: http://127.0.0.1:8081/bot***" in out
    assert "polling: ready" in out and "webhook: ready" in out
    assert "viber: missing VIBER_AUTH_TOKEN" in out
    assert "staff-group: missing telegram.staff_chat_id" in out
    assert "desk: missing desk.enabled" in out and "HOTLINE_DESK_SECRET" in out


def test_the_desk_secret_is_masked(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HOTLINE_DESK", "1")
    monkeypatch.setenv("HOTLINE_DESK_SECRET", "desk-signing-key-value")
    code, out = run(capsys, "--mode", "desk")
    assert code == 0 and "desk-signing-key-value" not in out and "desk: ready" in out


def test_a_mode_that_misses_something_fails_and_one_that_has_it_passes(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--mode", "polling")
    assert code == 1 and "polling: missing TELEGRAM_BOT_TOKEN" in out
    config = tmp_path / "config.yaml"
    config.write_text("telegram:\n  staff_chat_id: -100123\n  staff_user_ids: [42]\n", encoding="utf-8")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    code = main(["--config", str(config), "config", "check", "--mode", "staff-group"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"settings: {config}" in out and "staff-group: ready" in out


def test_a_file_that_does_not_validate_names_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("telegram:\n  staff_chat_id: the group\n", encoding="utf-8")
    assert main(["--config", str(config), "config", "check"]) == 2
    assert "telegram.staff_chat_id" in capsys.readouterr().err


def test_a_missing_content_directory_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HOTLINE_CONTENT_DIR", str(tmp_path / "nowhere"))
    code, out = run(capsys)
    assert code == 1 and "problem: content_dir" in out
