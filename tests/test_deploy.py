"""The deployment files: the systemd unit passes `systemd-analyze verify` once pointed at this installation."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import REPO_ROOT

UNIT = REPO_ROOT / "deploy" / "hotline.service"
INSTALLED = "/opt/hotline/.venv/bin/hotline"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    here = Path(sys.executable).parent / "hotline"
    assert here.exists(), "the package's console script is installed beside this Python"
    unit = tmp_path / "hotline.service"
    unit.write_text(UNIT.read_text(encoding="utf-8").replace(INSTALLED, str(here)), encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "hotline.service" not in done.stderr, done.stderr

