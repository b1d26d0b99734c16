"""The desk's plumbing: who is visiting (session, account, language), CSRF on every form, page rendering and the
headers every answer carries. Pages themselves live in pages_*.py and register their routes here."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel import Locale
from babel.dates import DateTimePattern, get_date_format, get_datetime_format, get_time_format, parse_pattern
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.app import Runtime
from bot.config import Settings
from bot.desk.accounts import Accounts, can
from bot.desk.queueview import AreaNames
from bot.desk.sessions import DeskSession, SessionCodec
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES, Catalogues, Translator
from bot.staff.queue import LOCAL_TZ, Queue
from bot.store.desk import DeskStore, StaffAccount

__all__ = ["Desk", "Visit", "moment", "page"]

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}
FORM_MAX_BYTES = 64 * 1024


@cache
def _moment_pattern(lang: str) -> tuple[Locale, DateTimePattern]:
    """The locale's medium date with a short time, parsed once: Babel's format_datetime parses its pattern on
    every call, which was a third of a queue page's time."""
    locale = Locale.parse(lang)
    joined = str(get_datetime_format("medium", locale=locale)).replace("'", "")
    pattern = joined.format(get_time_format("short", locale=locale).pattern,
                            get_date_format("medium", locale=locale).pattern)
    return locale, parse_pattern(pattern)


def moment(lang: str, value: datetime | None) -> str:
    """A time as the hotline's caseworkers read it: Tbilisi time, in the page's language."""
    if value is None:
        return ""
    locale, pattern = _moment_pattern(lang)
    return str(pattern.apply(value.astimezone(LOCAL_TZ), locale))


class Desk:
    """Everything the pages share; the runtime (store, content, settings) is attached when the app starts."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.codec = SessionCodec(settings)
        self.catalogues = Catalogues()
        self.areas = AreaNames()
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(),
                                     trim_blocks=True, lstrip_blocks=True, auto_reload=False)
        self._runtime: Runtime | None = None

    def attach(self, rt: Runtime) -> None:
        """Starts serving on the open runtime."""
        self._runtime = rt

    @property
    def rt(self) -> Runtime:
        if self._runtime is None:
            raise HTTPException(503)
        return self._runtime

    @property
    def store(self) -> DeskStore:
        store = self.rt.store
        assert isinstance(store, DeskStore)
        return store

    @property
    def accounts(self) -> Accounts:
        return Accounts(self.store, self.settings.desk)

    @property
    def queue(self) -> Queue:
        return Queue(self.rt.store, self.settings)

    def language(self, request: Request, session: DeskSession) -> str:
        chosen = session.data.get("l")
        if chosen in LANGUAGES:
            return str(chosen)
        header = request.headers.get("accept-language", "")
        for part in header.split(","):
            code = part.split(";")[0].strip().split("-")[0].lower()
            if code in LANGUAGES:
                return code
        return self.settings.default_language if self.settings.default_language in LANGUAGES else DEFAULT_LANGUAGE


@dataclass
class Visit:
    """One request to the desk: who asks, in which language, and the form they sent."""

    desk: Desk
    request: Request
    session: DeskSession
    account: StaffAccount | None
    t: Translator
    form: FormData | None = None
    cookies_ok: bool = True
    flash: list[tuple[str, str]] = field(default_factory=list)

    def render(self, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        flashes = self.session.data.pop("f", None) or []
        body = self.desk.templates.get_template(template).render(
            _=self.t.gettext, t=self.t, lang=self.t.lang, languages=LANGUAGE_NAMES, account=self.account,
            can=lambda permission: self.account is not None and can(self.account, permission),
            csrf=self.session.csrf, path=self.request.url.path, query=self.request.url.query,
            flashes=[*flashes, *self.flash],
            when=lambda value: moment(self.t.lang, value),
            url=lambda path, **params: "/desk" + path + ("?" + urlencode(params) if params else ""),
            poll_seconds=self.desk.settings.desk.poll_seconds, **values,
        )
        return self.respond(HTMLResponse(body, status_code=status_code))

    def redirect(self, path: str) -> Response:
        return self.respond(RedirectResponse("/desk" + path, status_code=303))

    def tell(self, kind: str, message: str) -> None:
        """A message for the next page shown (after a redirect), already translated."""
        self.session.data.setdefault("f", []).append((kind, message))

    def respond(self, response: Response) -> Response:
        """Signs the session again (the idle clock restarts), except for a page's own look for changes: an open
        page must not keep an idle caseworker signed in."""
        if "x-desk-poll" not in self.request.headers:
            self.desk.codec.write(self.request, response, self.session)
        response.headers.update(SECURITY_HEADERS)
        return response

    def value(self, name: str, limit: int = 200) -> str:
        raw = self.form.get(name, "") if self.form is not None else ""
        return raw[:limit] if isinstance(raw, str) else ""


Handler = Callable[[Visit], Awaitable[Response]]


def page(desk: Desk, permission: str | None = None, *, public: bool = False,
         on_expired: Handler | None = None) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Wraps a page: reads the session, signs out stale sessions, checks the role and, on POST, the CSRF token.

    `on_expired` answers a POST whose session ran out (the login page keeps what was typed)."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            session = desk.codec.read(request)
            t = desk.catalogues.translator(desk.language(request, session))
            account = await _signed_in(desk, session)
            visit = Visit(desk, request, session, account, t)
            if request.method == "POST":
                visit.form = await _read_form(request)
                if account is None and session.expired and on_expired is not None:
                    return await on_expired(visit)
                if not session.csrf_ok(visit.form.get("csrf")):
                    return visit.render("error.html", 403, title=t.gettext("This form is out of date"),
                                        message=t.gettext("Please open the page again and repeat what you did."))
            if public:
                return await handler(visit)
            if account is None:
                if session.expired:
                    visit.tell("warning", t.gettext("You were away for a while, so you were signed out. "
                                                    "Please sign in again."))
                next_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return visit.redirect("/login?" + urlencode({"next": next_path}))
            if account.must_change and request.url.path not in ("/desk/password", "/desk/logout"):
                return visit.redirect("/password")
            if permission is not None and not can(account, permission):
                return visit.render("error.html", 403, title=t.gettext("Not for your role"),
                                    message=t.gettext("Ask a supervisor if you need this page."))
            return await handler(visit)

        endpoint.__name__ = handler.__name__
        return endpoint

    return wrap


async def _signed_in(desk: Desk, session: DeskSession) -> StaffAccount | None:
    name = session.data.get("a")
    if not isinstance(name, str):
        return None
    account = await desk.store.get_account(name)
    if account is None or not account.active or account.session_version != session.data.get("v"):
        session.sign_out()
        return None
    return account


async def _read_form(request: Request) -> FormData:
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > FORM_MAX_BYTES):
        raise HTTPException(413)
    return await request.form(max_files=0, max_fields=50)
