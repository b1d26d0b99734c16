"""Supervisors manage accounts in the desk: add one (its one-time password is shown once), reset a password,
switch an account off or on, change a role; and read the desk's own audit trail."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from bot.desk.accounts import NAME_MAX, ROLES, AccountExists
from bot.desk.web import Desk, Visit, page
from bot.i18n import N_

__all__ = ["ROLE_NAMES", "staff_routes"]

ROLE_NAMES = {"caseworker": N_("Caseworker"), "editor": N_("Content editor"), "supervisor": N_("Supervisor")}


def staff_routes(desk: Desk) -> list[Route]:
    async def show(visit: Visit, status_code: int = 200, **values: object) -> Response:
        return visit.render("staff.html", status_code, accounts=await desk.store.list_accounts(),
                            events=await desk.store.desk_events(100),
                            roles=[(r, visit.t.gettext(ROLE_NAMES[r])) for r in ROLES], **values)

    @page(desk, "manage_accounts")
    async def staff(visit: Visit) -> Response:
        return await show(visit)

    @page(desk, "manage_accounts")
    async def add(visit: Visit) -> Response:
        t, me = visit.t, visit.account
        assert me is not None
        name, role, tg = visit.value("name", NAME_MAX * 4).strip(), visit.value("role", 20), visit.value("telegram")
        digits = tg.strip()
        telegram_id = int(digits) if digits.lstrip("-").isdigit() and len(digits) <= 16 else None  # Telegram ids fit
        try:
            account, password = await desk.accounts.add(name, role, me.name, telegram_id)
        except AccountExists:
            visit.flash.append(("error", t.gettext("There is already an account with this name.")))
            return await show(visit, 400)
        except ValueError:
            visit.flash.append(("error", t.gettext("Give a name of 1 to {n} characters, without brackets or slashes, "
                                                   "and a role.").format(n=NAME_MAX)))
            return await show(visit, 400)
        return await show(visit, one_time=(account.name, password))

    @page(desk, "manage_accounts")
    async def change(visit: Visit) -> Response:
        t, me = visit.t, visit.account
        assert me is not None
        name, what = visit.request.path_params["name"], visit.request.path_params["what"]
        if name == me.name and what in ("disable", "role"):
            visit.flash.append(("error", t.gettext("Ask another supervisor to change your own account.")))
            return await show(visit, 400)
        if what == "reset":
            password = await desk.accounts.reset_password(name, me.name)
            if password is not None:
                return await show(visit, one_time=(name, password))
        elif what in ("disable", "enable"):
            await desk.accounts.set_active(name, what == "enable", me.name)
        elif what == "role" and visit.value("role") in ROLES:
            await desk.accounts.set_role(name, visit.value("role"), me.name)
        visit.tell("ok", t.gettext("Saved."))
        return visit.redirect("/staff")

    return [
        Route("/staff", staff),
        Route("/staff/add", add, methods=["POST"]),
        Route("/staff/{name}/{what:str}", change, methods=["POST"]),
    ]
