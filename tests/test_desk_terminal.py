"""`hotline run --desk` without a token: the terminal chat and the desk in one process, on the same data."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bot.config import REPO_ROOT, Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_hotline_run_serves_the_desk_beside_the_terminal_chat(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "HOTLINE_DATA_DIR": str(tmp_path / "data"), "HOTLINE_LOG_LEVEL": "WARNING",
           "PYTHONUNBUFFERED": "1"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env.pop("HOTLINE_CONFIG", None)
    process = subprocess.Popen([sys.executable, "-m", "bot", "run", "--desk", "--port", str(port)], cwd=REPO_ROOT,
                               env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, encoding="utf-8")
    try:
        assert process.stdout is not None and process.stdin is not None
        deadline = time.monotonic() + 60
        seen = ""
        while "/desk" not in seen and time.monotonic() < deadline:
            seen += process.stdout.readline()
        assert f"http://127.0.0.1:{port}/desk" in seen
        login = None
        while time.monotonic() < deadline:
            try:
                login = httpx.get(f"http://127.0.0.1:{port}/desk/login", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert login is not None and login.status_code == 200
        assert '<meta charset="utf-8">' in login.text and 'name="csrf"' in login.text
        assert "HttpOnly" in login.headers["set-cookie"] and "SameSite=lax" in login.headers["set-cookie"]
        process.stdin.write("/quit\n")
        process.stdin.flush()
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def test_the_webhook_app_serves_the_desk_only_when_enabled(settings: Settings) -> None:
    from bot.channels.webhooks import build_app

    assert "/desk" not in [getattr(route, "path", "") for route in build_app(settings).routes]
    settings.desk.enabled = True
    assert "/desk" in [getattr(route, "path", "") for route in build_app(settings).routes]


def test_a_page_looking_for_changes_does_not_keep_the_session_alive(tmp_path: Path) -> None:
    """The poll is answered without a new cookie, so the idle time runs from the caseworker's last action."""
    import asyncio

    from starlette.applications import Starlette

    from bot.app import runtime
    from bot.config import DeskSettings
    from bot.desk.app import desk_mount
    from bot.desk.sessions import COOKIE

    settings = Settings(data_dir=tmp_path / "data", content_dir=REPO_ROOT / "content",
                        desk=DeskSettings(enabled=True, secret_key="k"))

    async def check() -> None:
        async with runtime(settings, watch_content=False) as rt:
            mounted = desk_mount(settings)
            assert mounted is not None
            mounted[1].attach(rt)
            transport = httpx.ASGITransport(app=Starlette(routes=[mounted[0]]))
            async with httpx.AsyncClient(transport=transport, base_url="http://desk.test") as client:
                assert COOKIE in (await client.get("/desk/login")).headers.get("set-cookie", "")
                polled = await client.get("/desk/login", headers={"X-Desk-Poll": "1"})
                assert polled.status_code == 200 and "set-cookie" not in polled.headers

    asyncio.run(check())
