"""Desk sessions in a signed cookie (itsdangerous): HttpOnly, SameSite=Lax, Secure over HTTPS, path /desk.

The cookie holds the account name, the account's session version (bumped to sign everyone out), the CSRF token
and the chosen language; nothing personal. It is signed again on every answer, so it expires after
`idle_minutes` without a request, not after a fixed time.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from bot.config import Settings

__all__ = ["COOKIE", "DeskSession", "SessionCodec", "secret_key"]

COOKIE = "hotline_desk"


def secret_key(settings: Settings) -> str:
    """The configured key, or one kept in the data directory (created once, readable by its owner only)."""
    if settings.desk.secret_key:
        return settings.desk.secret_key
    path = Path(settings.data_dir) / "desk-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@dataclass
class DeskSession:
    """`expired`: a signed-in session ran out of idle time on this request (the page says so)."""

    data: dict[str, Any] = field(default_factory=dict)
    expired: bool = False

    @property
    def csrf(self) -> str:
        token = self.data.get("c")
        if not isinstance(token, str):
            token = self.data["c"] = secrets.token_urlsafe(24)
        return token

    def csrf_ok(self, sent: object) -> bool:
        token = self.data.get("c")
        return isinstance(token, str) and isinstance(sent, str) and secrets.compare_digest(token, sent)

    def sign_in(self, name: str, version: int) -> None:
        """A fresh CSRF token at sign-in, so a token seen before the login is worth nothing after."""
        self.data = {"a": name, "v": version, "c": secrets.token_urlsafe(24), "l": self.data.get("l")}

    def sign_out(self) -> None:
        self.data = {"l": self.data.get("l")}


class SessionCodec:
    def __init__(self, settings: Settings) -> None:
        self.serializer = URLSafeTimedSerializer(secret_key(settings), salt="hotline-desk-session")
        self.max_age = settings.desk.idle_minutes * 60

    def read(self, request: Request) -> DeskSession:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return DeskSession()
        try:
            data = self.serializer.loads(raw, max_age=self.max_age)
        except SignatureExpired as exc:
            try:
                old = self.serializer.loads_unsafe(raw)[1] if exc.payload is not None else None
            except BadSignature:
                old = None
            language = old.get("l") if isinstance(old, dict) else None
            return DeskSession({"l": language}, expired=isinstance(old, dict) and "a" in old)
        except BadSignature:
            return DeskSession()
        return DeskSession(data if isinstance(data, dict) else {})

    def write(self, request: Request, response: Response, session: DeskSession) -> None:
        response.set_cookie(COOKIE, self.serializer.dumps(session.data), max_age=self.max_age, path="/desk",
                            httponly=True, samesite="lax", secure=request.url.scheme == "https")
