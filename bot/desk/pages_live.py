"""The "Live" tab: people waiting to write with a consultant, the chats being held, and one chat's page.

Pages learn of changes by waiting (`/live/waiting`, `/live/{id}/wait`: answered as soon as the store signals a
change in any worker, or after a few poll periods); a chat's wait answers with the chat's changing part itself.
A server that stops waits for these answers, so the wait is kept short. Take, reply and close go through
`bot.live.relay.Relay`; only the caseworker who took a chat writes in it, and the taker or a supervisor closes
it. The person's name and phone are never asked for here: the transcript is what they chose to write.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.desk.accounts import can
from bot.desk.live_stats import live_days
from bot.desk.pages_auth import expired_post
from bot.desk.stats import Period
from bot.desk.web import Desk, Visit, page
from bot.i18n import LANGUAGE_NAMES, N_
from bot.staff.queue import LOCAL_TZ
from bot.store.live import LIVE_OPEN, LiveConversation, LiveMessage, LiveStore

__all__ = ["OUTCOMES", "live_routes"]

WAITS_PER_POLL = 4  # a page's wait lasts this many of the desk's poll periods (20 s by default)
OUTCOMES = {
    "advised": N_("Advice given"),
    "referred": N_("Referred to a resource centre"),
    "callback": N_("Callback arranged"),
    "left": N_("The person stopped writing"),
    "other": N_("Other"),
}
_OUTCOME_CODE = re.compile(r"^\[(\w+)\] ?")
KINDS = {
    "photo": N_("📷 Photo"),
    "document": N_("📄 Document"),
    "voice": N_("🎤 Voice message"),
    "audio": N_("🎵 Audio"),
    "video": N_("🎬 Video"),
    "video_note": N_("🎬 Video"),
    "location": N_("📍 Location"),
    "contact": N_("👤 Contact"),
    "other": N_("Something the bot cannot pass on (a sticker or similar)"),
}
STATUS_NAMES = {"waiting": N_("Waiting"), "taken": N_("In conversation"), "closed": N_("Closed"),
                "missed": N_("Nobody took it in time")}
ACTIONS = {"asked": N_("asked for a consultant"), "taken": N_("took the chat"), "closed": N_("ended the chat"),
           "missed": N_("nobody took it in time"), "rated": N_("rated the chat"),
           "forgotten": N_("deleted their data")}
FILE_TYPES = frozenset({"photo"})  # shown in the page; other files are downloaded
IMAGE_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"GIF8", "image/gif"))
OUTCOME_MAX = 200
RECENT = 20  # ended chats listed under the open ones
WITHIN_MINUTES = 5  # the statistics' "taken within N minutes", unless the page asks for another N


def _store(desk: Desk) -> LiveStore:
    store = desk.rt.store
    assert isinstance(store, LiveStore)
    return store


def _topic(desk: Desk, visit: Visit, topic: str) -> str:
    """Where the person was in the menu, in the caseworker's language."""
    content = desk.rt.content.current
    prefix, _, target = topic.partition(":")
    if prefix == "m" and target in content.nodes:
        return content.text(content.nodes[target].title, visit.t.lang)
    if prefix == "f" and target in content.faqs:
        return content.text(content.faqs[target].question, visit.t.lang)
    return ""


def _minutes(since: datetime | None, until: datetime | None = None) -> int:
    if since is None:
        return 0
    return max(0, int(((until or datetime.now(UTC)) - since).total_seconds() // 60))


def _row(desk: Desk, visit: Visit, conversation: LiveConversation, first: str = "") -> dict[str, object]:
    return {
        "c": conversation, "topic": _topic(desk, visit, conversation.topic), "first": first,
        "language": LANGUAGE_NAMES.get(conversation.language, conversation.language).split(" ", 1)[-1],
        "waited": _minutes(conversation.created_at, conversation.taken_at),
        "status_name": visit.t.gettext(STATUS_NAMES.get(conversation.status, conversation.status)),
    }


def _line(visit: Visit, message: LiveMessage) -> dict[str, object]:
    label = visit.t.gettext(KINDS[message.kind]) if message.kind in KINDS else ""
    return {"m": message, "label": label, "file": bool(message.file_ref) and message.kind in FILE_TYPES,
            "link": bool(message.file_ref) and message.kind not in FILE_TYPES}


def _outcome(visit: Visit, text: str) -> str:
    """A closing outcome as stored ("[advised] the note") in the caseworker's language."""
    found = _OUTCOME_CODE.match(text)
    if found is None or found.group(1) not in OUTCOMES:
        return text
    return " ".join(p for p in (visit.t.gettext(OUTCOMES[found.group(1)]), text[found.end():]) if p)


def _mine(visit: Visit, conversation: LiveConversation) -> bool:
    return visit.account is not None and conversation.status == "taken" and conversation.taken_by == visit.account.name


def _may_close(visit: Visit, conversation: LiveConversation) -> bool:
    if visit.account is None or not conversation.open:
        return False
    return _mine(visit, conversation) or can(visit.account, "act_for_others")


async def show_chat(visit: Visit, conversation_id: int, status_code: int = 200, draft: str = "",
                    partial: bool = False) -> Response:
    desk, t = visit.desk, visit.t
    store = _store(desk)
    conversation = await store.live(conversation_id)
    if conversation is None:
        return visit.render("error.html", 404, title=t.gettext("No such chat"),
                            message=t.gettext("This chat is not kept any more: the person deleted their data, or "
                                              "it is past the retention period."))
    messages = await store.live_messages(conversation_id)
    values = {
        **_row(desk, visit, conversation), "lines": [_line(visit, m) for m in messages],
        "last": messages[-1].id if messages else 0, "mine": _mine(visit, conversation),
        "may_close": _may_close(visit, conversation), "draft": draft,
        "message_max": desk.settings.live.message_max, "outcome_max": OUTCOME_MAX,
        "outcomes": [(k, t.gettext(v)) for k, v in OUTCOMES.items()],
        "outcome_text": _outcome(visit, conversation.outcome or ""),
        "trail": [{"at": entry.at, "actor": t.gettext("Person") if entry.actor == "person" else entry.actor,
                   "action": t.gettext(ACTIONS[entry.action]) if entry.action in ACTIONS else entry.action,
                   "note": _outcome(visit, entry.note)}
                  for entry in await store.live_audit(conversation_id)],
    }
    partial = partial or visit.request.query_params.get("partial") == "1"
    return visit.render("live_chat_part.html" if partial else "live_chat.html", status_code, **values)


def live_routes(desk: Desk) -> list[Route]:
    @page(desk, "queue")
    async def list_page(visit: Visit) -> Response:
        store = _store(desk)
        waiting, held, ended = [], [], []
        for conversation in await store.list_live(LIVE_OPEN):
            messages = await store.live_messages(conversation.id) if conversation.status == "waiting" else []
            first = next((m.body for m in messages if m.direction == "in" and m.kind == "text"), "")
            row = _row(desk, visit, conversation, first[:300])
            (waiting if conversation.status == "waiting" else held).append(row)
        for conversation in await store.list_live(("closed", "missed"), limit=RECENT, newest_first=True):
            ended.append(_row(desk, visit, conversation))
        values = {"waiting": waiting, "held": held, "ended": ended}
        partial = visit.request.query_params.get("partial") == "1"
        return visit.render("live_list_part.html" if partial else "live_list.html", **values)

    @page(desk, "queue")
    async def waiting_count(visit: Visit) -> Response:
        """How many people wait, answered once it differs from what the page shows (or after a while)."""
        store = _store(desk)
        seen = visit.request.query_params.get("seen", "")

        async def count() -> int:
            return len(await store.list_live(("waiting",)))

        async def changed() -> bool:
            return str(await count()) != seen

        if not await changed():
            await store.wait_live(0, _wait_seconds(desk), changed)
        return visit.respond(JSONResponse({"waiting": await count()}))

    @page(desk, "queue")
    async def chat_page(visit: Visit) -> Response:
        return await show_chat(visit, _id(visit))

    @page(desk, "queue")
    async def chat_wait(visit: Visit) -> Response:
        """Answers when the chat has a message after `after`, a message's delivery changed, or its status moved."""
        store, conversation_id = _store(desk), _id(visit)
        params = visit.request.query_params
        after, status, state = _int(params.get("after", "")), params.get("status", ""), params.get("state", "")

        async def changed() -> bool:
            conversation = await store.live(conversation_id)
            if conversation is None or conversation.status != status:
                return True
            messages = await store.live_messages(conversation_id)
            return _state(messages) != state or bool(messages and messages[-1].id > after)

        if await changed() or await store.wait_live(conversation_id, _wait_seconds(desk), changed):
            return await show_chat(visit, conversation_id, partial=True)  # the new part, without another request
        return visit.respond(Response(status_code=204))

    @page(desk, "queue", on_expired=expired_post)
    async def act(visit: Visit) -> Response:
        t, account, relay = visit.t, visit.account, desk.rt.relay
        assert account is not None
        conversation_id, action = _id(visit), visit.request.path_params["action"]
        conversation = await _store(desk).live(conversation_id)
        if conversation is None:
            return await show_chat(visit, conversation_id)
        if action == "take":
            if not await relay.take(conversation_id, account.name):
                now = await _store(desk).live(conversation_id)
                visit.tell("error", t.gettext("Someone else has taken this chat: {name}.").format(
                    name=now.taken_by if now else "") if now and now.taken_by else
                    t.gettext("This chat is not waiting any more."))
            return visit.redirect(f"/live/{conversation_id}")
        if action == "reply":
            text = visit.value("text", 100_000).strip()
            if not text or len(text) > desk.settings.live.message_max:
                visit.flash.append(("error", t.gettext("Write a message of at most {n} characters.").format(
                    n=desk.settings.live.message_max)))
                return await show_chat(visit, conversation_id, 400, draft=text[: desk.settings.live.message_max])
            if await relay.reply(conversation_id, account.name, text) is None:
                visit.flash.append(("error", t.gettext("The message was not sent: this chat is not yours, or it "
                                                       "has ended.")))
                return await show_chat(visit, conversation_id, 409, draft=text)
            return visit.redirect(f"/live/{conversation_id}#reply")
        if action == "close":
            code = visit.value("outcome", 40)
            note = visit.value("note", OUTCOME_MAX).strip()
            outcome = " ".join(p for p in (f"[{code}]" if code in OUTCOMES else "", note) if p)
            supervisor = can(account, "act_for_others")
            if await relay.close(conversation_id, account.name, outcome, supervisor=supervisor):
                visit.tell("ok", t.gettext("The chat is closed. The person is back with the bot."))
                return visit.redirect("/live")
            visit.tell("error", t.gettext("Only the consultant who took the chat, or a supervisor, can close it."))
            return visit.redirect(f"/live/{conversation_id}")
        raise HTTPException(404)

    @page(desk, "queue")
    async def chat_file(visit: Visit) -> Response:
        store, conversation_id = _store(desk), _id(visit)
        message_id = _int(visit.request.path_params["message"])
        conversation = await store.live(conversation_id)
        found = [m for m in await store.live_messages(conversation_id, message_id - 1) if m.id == message_id]
        if conversation is None or not found:
            raise HTTPException(404)
        body = await desk.rt.relay.file(conversation, found[0])
        if body is None:
            raise HTTPException(404)
        kind = _image_type(body) if found[0].kind in FILE_TYPES else None
        headers = {} if kind else {"Content-Disposition": "attachment"}
        return visit.respond(Response(body, media_type=kind or "application/octet-stream", headers=headers))

    @page(desk, "statistics")
    async def stats_page(visit: Visit) -> Response:
        params = visit.request.query_params
        period = Period.parse(params.get("from", ""), params.get("to", ""), datetime.now(LOCAL_TZ).date())
        within = max(1, min(_int(params.get("within", "")) or WITHIN_MINUTES, 24 * 60))
        rows = await _store(desk).live_stats(*period.bounds())
        days, total = live_days(rows, period.days, within)
        return visit.render("live_stats.html", period=period, days=days, total=total, within=within)

    return [
        Route("/live/stats", stats_page),
        Route("/live", list_page),
        Route("/live/waiting", waiting_count),
        Route("/live/{id:int}", chat_page),
        Route("/live/{id:int}/wait", chat_wait),
        Route("/live/{id:int}/file/{message:int}", chat_file),
        Route("/live/{id:int}/{action:str}", act, methods=["POST"]),
    ]


def _image_type(body: bytes) -> str | None:
    """An image type read from the bytes themselves: what a platform calls a photo is shown only if it is one."""
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in IMAGE_MAGIC if body.startswith(magic)), None)


def _wait_seconds(desk: Desk) -> float:
    return float(max(2, desk.settings.desk.poll_seconds * WAITS_PER_POLL))


def _state(messages: list[LiveMessage]) -> str:
    """The delivery state of a chat's replies, so a page sees a message turn from sending to sent or failed."""
    return "".join(m.status[0] for m in messages if m.direction == "out")


def _id(visit: Visit) -> int:
    return int(visit.request.path_params["id"])


def _int(value: str | int) -> int:
    try:
        return int(value)
    except ValueError:
        return 0
