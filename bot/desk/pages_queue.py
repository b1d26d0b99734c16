"""The queue: lists by status with counts, one request's page, and what a caseworker does with it.

Every change goes through `bot.staff.queue.Queue`, the same rules and audit trail as the Telegram group and the
CLI. A caseworker sees a request's name, phone, town as typed and notes only once it is theirs; a supervisor
sees them always.
"""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from bot.desk.accounts import actor_for, can
from bot.desk.pages_auth import expired_post
from bot.desk.queueview import CHANNELS, STATUS_TABS, QueueQuery, now_utc, overdue_cutoff
from bot.desk.web import Desk, Visit, moment, page
from bot.i18n import LANGUAGE_NAMES, LANGUAGES, N_
from bot.requests import TOPICS, format_phone, month_label, topic_label, window_label
from bot.staff.queue import Outcome, display_name
from bot.store.base import OPEN_STATUSES, AuditEntry, CallbackRequest

__all__ = ["OUTCOMES", "queue_routes", "show_request"]

REF = re.compile(r"^CB-[2-9A-HJKMNP-Z]{4}$")
STATUS_NAMES = {
    "new": N_("New"),
    "assigned": N_("Taken"),
    "done": N_("Done"),
    "unreachable": N_("Unreachable"),
    "cancelled": N_("Cancelled"),
    "deleted": N_("Deleted by the person"),
}
OUTCOMES = {
    "advised": N_("Advice given"),
    "referred": N_("Referred to a resource centre"),
    "registered": N_("Registered for reintegration support"),
    "callback_later": N_("Will call again"),
    "no_answer": N_("No answer"),
    "wrong_number": N_("Wrong number"),
    "other": N_("Other"),
}
_OUTCOME_NOTE = re.compile(r"^\[(\w+)\] ?")


def _may_see_details(visit: Visit, request: CallbackRequest) -> bool:
    account = visit.account
    if account is None:
        return False
    if can(account, "see_all_details"):
        return True
    return bool(request.assigned_to) and request.status != "new" and actor_for(account).owns(request.assigned_to)


def _audit_rows(visit: Visit, trail: list[AuditEntry], details: bool) -> list[dict[str, str]]:
    t = visit.t
    rows = []
    for entry in trail:
        note, outcome = entry.note, ""
        found = _OUTCOME_NOTE.match(note)
        if found and found.group(1) in OUTCOMES:
            outcome, note = t.gettext(OUTCOMES[found.group(1)]), note[found.end():]
        if entry.from_status == entry.to_status:
            change = t.gettext("note")
        elif not entry.from_status:
            change = t.gettext("request made")
        else:
            change = f"{t.gettext(STATUS_NAMES.get(entry.from_status, entry.from_status))} → " \
                     f"{t.gettext(STATUS_NAMES.get(entry.to_status, entry.to_status))}"
        rows.append({"when": moment(t.lang, entry.at), "who": display_name(entry.actor),
                     "change": change, "outcome": outcome,
                     "note": note if details else ("…" if note else "")})
    return rows


async def show_request(visit: Visit, ref: str, status_code: int = 200, draft_note: str = "") -> Response:
    """The request page; also what a sign-in shows when it brings back a note being written."""
    desk, t = visit.desk, visit.t
    ref = ref.strip().upper()
    request = await desk.queue.get(ref) if REF.match(ref) else None
    if request is None:
        return visit.render("error.html", 404, title=t.gettext("No such request"),
                            message=t.gettext("{ref} is not in the queue: it may have been deleted at the "
                                              "person's wish or after the retention period.").format(ref=ref[:20]))
    content = desk.rt.content.current
    details = _may_see_details(visit, request)
    trail = await desk.queue.history(ref)
    actor = actor_for(visit.account) if visit.account is not None else None
    mine = request.status == "assigned" and actor is not None and actor.owns(request.assigned_to)
    values = {
        "r": request, "details": details, "mine": mine,
        "may_close": actor is not None and desk.queue.may_close(actor, request),
        "overdue": desk.queue.overdue(request), "due": desk.queue.due(request),
        "taker": display_name(request.assigned_to), "status_name": t.gettext(STATUS_NAMES[request.status]),
        "topic": topic_label(content, t, request.topic) if request.topic else "",
        "area": desk.areas.label(content, t, request.town), "window": window_label(t, request.time_window),
        "language_name": LANGUAGE_NAMES.get(request.language, request.language).split(" ", 1)[-1],
        "phone": format_phone(request.phone) if details and request.phone else "",
        "returned": " ".join(x for x in (request.return_country, month_label(t, request.return_month)) if x),
        "trail": _audit_rows(visit, trail, details), "outcomes": [(k, t.gettext(v)) for k, v in OUTCOMES.items()],
        "draft_note": draft_note, "note_max": desk.settings.desk.note_max,
    }
    partial = visit.request.query_params.get("partial") == "1"
    return visit.render("request_live.html" if partial else "request.html", status_code, **values)


def queue_routes(desk: Desk) -> list[Route]:
    @page(desk, "queue")
    async def queue_page(visit: Visit) -> Response:
        t, content = visit.t, desk.rt.content.current
        query = QueueQuery.parse(visit.request.query_params)
        cutoff = overdue_cutoff(desk.queue, now_utc())
        towns: tuple[str, ...] | None = None
        known_towns = await desk.store.request_towns(OPEN_STATUSES)
        area_names = sorted({desk.areas.label(content, t, town) for town in known_towns})
        if query.area:
            towns = tuple(town for town in (await desk.store.request_towns(STATUS_TABS))
                          if desk.areas.label(content, t, town) == query.area)
        size = desk.settings.desk.page_size
        found = await desk.store.find_requests(query.filter(cutoff, size + 1, towns))
        counts = await desk.store.count_requests(query.counting(cutoff, towns))
        rows = [{
            "r": r, "topic": topic_label(content, t, r.topic) if r.topic else "",
            "area": desk.areas.label(content, t, r.town), "window": window_label(t, r.time_window),
            "overdue": r.status == "new" and r.created_at is not None and r.created_at < cutoff,
            "taker": display_name(r.assigned_to) if r.status != "new" else "", "when": moment(t.lang, r.created_at),
        } for r in found[:size]]
        values = {
            "q": query, "rows": rows, "counts": counts, "more": len(found) > size,
            "tabs": [(s, t.gettext(STATUS_NAMES[s])) for s in STATUS_TABS],
            "topics": [(k, topic_label(content, t, k)) for k in TOPICS], "areas": area_names,
            "language_names": [(k, LANGUAGE_NAMES[k].split(" ", 1)[-1]) for k in LANGUAGES], "channels": CHANNELS,
        }
        partial = visit.request.query_params.get("partial") == "1"
        return visit.render("queue_live.html" if partial else "queue.html", **values)

    @page(desk, "queue")
    async def request_page(visit: Visit) -> Response:
        return await show_request(visit, visit.request.path_params["ref"])

    @page(desk, "queue", on_expired=expired_post)
    async def act(visit: Visit) -> Response:
        t, account = visit.t, visit.account
        assert account is not None
        ref, action = visit.request.path_params["ref"].upper(), visit.request.path_params["action"]
        if not REF.match(ref):
            raise HTTPException(404)
        request = await desk.queue.get(ref)
        if request is None:
            return await show_request(visit, ref)
        actor = actor_for(account)
        note = visit.value("note", 100_000).strip()
        if len(note) > desk.settings.desk.note_max:
            visit.flash.append(("error", t.gettext("The note is too long: at most {n} characters.")
                                .format(n=desk.settings.desk.note_max)))
            return await show_request(visit, ref, 400, draft_note=note)
        if action == "take":
            outcome = await desk.queue.act("take", ref, actor)
        elif action == "note":
            outcome = await desk.queue.note(ref, actor, note)
        elif request.status != "assigned":
            outcome = Outcome("closed", request)  # at the desk a request is taken before it is closed
        else:
            if action == "release":
                outcome = await desk.queue.release(ref, actor, note)
            else:
                code = visit.value("outcome", 40)
                if code in OUTCOMES:
                    note = f"[{code}] {note}".strip()
                outcome = await desk.queue.act(action, ref, actor, note)
            if outcome.reason == "taken":  # the queue's rule: only its taker or a supervisor
                outcome = Outcome("not_yours", outcome.request)
        _tell(visit, action, outcome)
        if outcome.reason == "empty":
            return await show_request(visit, ref, 400)
        return visit.redirect(f"/r/{ref}")

    return [
        Route("/queue", queue_page),
        Route("/r/{ref}", request_page),
        Route("/r/{ref}/{action:str}", act, methods=["POST"]),
    ]


def _tell(visit: Visit, action: str, outcome: Outcome) -> None:
    t = visit.t
    taker = display_name(outcome.request.assigned_to) if outcome.request else ""
    messages = {
        "ok": {"take": t.gettext("It is yours now. Call the person."), "note": t.gettext("Note added."),
               "done": t.gettext("Closed as done."), "unreachable": t.gettext("Closed as unreachable."),
               "release": t.gettext("Back in the queue for someone else.")}.get(action, ""),
        "already": t.gettext("You have it already."),
        "taken": t.gettext("{name} took it first.").format(name=taker),
        "closed": t.gettext("This request is no longer open."),
        "not_yours": t.gettext("Only {name} or a supervisor can do that.").format(name=taker),
        "not_allowed": t.gettext("Your account may not do that."),
        "empty": t.gettext("Write the note first."),
        "not_found": t.gettext("No such request"),
    }
    kind = "ok" if outcome.ok else "error"
    message = messages.get(outcome.reason, "")
    if outcome.reason == "empty":
        visit.flash.append((kind, message))
    elif message:
        visit.tell(kind, message)
