"""Signing in and out, changing one's password, choosing the desk's language."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.responses import Response
from starlette.routing import Route

from bot.desk.accounts import NAME_MAX
from bot.desk.passwords import MIN_LENGTH
from bot.desk.web import Desk, Visit, page
from bot.i18n import LANGUAGES

__all__ = ["auth_routes", "expired_post", "safe_next"]


def safe_next(value: str) -> str:
    """Only a path inside the desk: a login link must not send anyone elsewhere."""
    if value.startswith("/desk/") and not value.startswith("/desk//") and "\\" not in value:
        return value.removeprefix("/desk")
    return "/queue"


async def login_form(visit: Visit, status_code: int = 200, name: str = "", draft: dict[str, str] | None = None,
                     next_path: str = "") -> Response:
    return visit.render("login.html", status_code, name=name, draft=draft or {},
                        next=next_path or visit.request.query_params.get("next", ""))


async def expired_post(visit: Visit) -> Response:
    """A form sent after the session ran out: sign in again, and a note being written is kept."""
    visit.flash.append(("warning", visit.t.gettext("You were away for a while, so you were signed out. "
                                                   "Please sign in again.")))
    parts = visit.request.url.path.split("/")
    draft = {}
    if len(parts) == 5 and parts[2] == "r" and parts[4] == "note":
        draft = {"ref": parts[3], "note": visit.value("note", 20_000)}
    return await login_form(visit, 401, draft=draft, next_path=visit.request.url.path.rsplit("/", 1)[0])


def auth_routes(desk: Desk) -> list[Route]:
    @page(desk, public=True)
    async def login(visit: Visit) -> Response:
        t = visit.t
        if visit.request.method == "GET":
            if visit.account is not None:
                return visit.redirect(safe_next(visit.request.query_params.get("next", "")))
            return await login_form(visit)
        name, password = visit.value("name", NAME_MAX * 4).strip(), visit.value("password", 1000)
        next_path = visit.value("next", 2000)
        draft = {"ref": visit.value("draft_ref", 20), "note": visit.value("draft_note", 20_000)}
        address = visit.request.client.host if visit.request.client else "unknown"
        result = await desk.accounts.login(name, password, address)
        if result.reason != "ok" or result.account is None:
            if result.reason == "locked" and result.until is not None:
                minutes = max(1, round((result.until - datetime.now(UTC)).total_seconds() / 60))
                visit.flash.append(("error", t.gettext("Too many wrong passwords. Try again in {minutes} min.")
                                    .format(minutes=minutes)))
            elif result.reason == "disabled":
                visit.flash.append(("error", t.gettext("This account is switched off. Ask a supervisor.")))
            else:
                visit.flash.append(("error", t.gettext("Wrong name or password.")))
            return await login_form(visit, 401 if result.reason != "locked" else 429, name, draft, next_path)
        visit.session.sign_in(result.account.name, result.account.session_version)
        visit.account = result.account
        if result.account.must_change:
            return visit.redirect("/password")
        if draft["ref"] and draft["note"]:
            from bot.desk.pages_queue import show_request

            visit.flash.append(("warning", t.gettext("Your note was kept. Check it and press Add note.")))
            return await show_request(visit, draft["ref"], draft_note=draft["note"])
        return visit.redirect(safe_next(next_path))

    @page(desk, public=True)
    async def logout(visit: Visit) -> Response:
        if visit.request.method == "POST" and visit.account is not None:
            await desk.store.record_desk_event(visit.account.name, "logout")
        visit.session.sign_out()
        return visit.redirect("/login")

    @page(desk)
    async def password(visit: Visit) -> Response:
        t, account = visit.t, visit.account
        assert account is not None
        if visit.request.method == "GET":
            return visit.render("password.html", min_length=MIN_LENGTH)
        from bot.desk.passwords import verify_password

        current, new, again = (visit.value(n, 1000) for n in ("current", "new", "again"))
        problem = ""
        if not await verify_password(account.password_hash, current):
            problem = t.gettext("The current password is not right.")
        elif len(new) < MIN_LENGTH:
            problem = t.gettext("The new password needs at least {n} characters.").format(n=MIN_LENGTH)
        elif new != again:
            problem = t.gettext("The two new passwords differ.")
        elif new == current:
            problem = t.gettext("Choose a password different from the current one.")
        if problem:
            visit.flash.append(("error", problem))
            return visit.render("password.html", 400, min_length=MIN_LENGTH)
        changed = await desk.accounts.set_password(account, new)
        if changed is not None:
            visit.session.sign_in(changed.name, changed.session_version)
        visit.tell("ok", t.gettext("Your password is changed."))
        return visit.redirect("/queue" if changed and changed.role != "editor" else "/stats")

    @page(desk, public=True)
    async def language(visit: Visit) -> Response:
        chosen = visit.request.query_params.get("set", "")
        if chosen in LANGUAGES:
            visit.session.data["l"] = chosen
        return visit.redirect(safe_next(visit.request.query_params.get("next", "")))

    @page(desk, public=True)
    async def home(visit: Visit) -> Response:
        if visit.account is None:
            return visit.redirect("/login")
        return visit.redirect("/stats" if visit.account.role == "editor" else "/queue")

    return [
        Route("/", home), Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]), Route("/password", password, methods=["GET", "POST"]),
        Route("/language", language),
    ]
