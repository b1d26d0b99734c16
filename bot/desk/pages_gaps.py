"""Content gaps: the questions the content did not answer (with the entries they came closest to), and what an
editor does about one: add it as an example to an entry, or mark it out of scope. A decision is stored and
served at once (bot/knowledge/decisions.py); `hotline content export-examples` later writes the decisions into
the YAML files for review. Every decision is audited; editors and supervisors only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import Route

from bot.desk.web import Desk, Visit, page
from bot.i18n import LANGUAGES, N_
from bot.jobs import load_decisions
from bot.knowledge.loader import Content
from bot.knowledge.redact import normalise_question
from bot.store.base import storable_text

__all__ = ["MAX_EXAMPLE", "gap_routes"]

KINDS = {"unanswered": N_("Not answered"), "unhelpful": N_("Marked not helpful")}
NEAREST = 3
MAX_EXAMPLE = 300  # characters: an example is one question as people type it
DECISIONS_SHOWN = 50


def _question(content: Content, faq_id: str, lang: str) -> str:
    entry = content.faqs.get(faq_id)
    return content.text(entry.question, lang) if entry else faq_id


def _nearest(content: Content, text: str, lang: str, shown_in: str) -> list[tuple[str, str, int]]:
    return [(hit.faq_id, _question(content, hit.faq_id, shown_in), round(hit.score * 100))
            for hit in content.faq_index.scores(text, lang, limit=NEAREST)]


def gap_routes(desk: Desk) -> list[Route]:
    @page(desk, "content")
    async def gaps(visit: Visit) -> Response:
        t, content = visit.t, desk.rt.content.current
        params = visit.request.query_params
        days = 30 if params.get("days") not in ("7", "30", "90", "365") else int(params["days"])
        language = params.get("language", "") if params.get("language") in LANGUAGES else ""
        since = datetime.now(UTC) - timedelta(days=days)
        rows = []
        for row in await desk.rt.store.gaps(since=since, lang=language or None, limit=200):
            if content.staff.find(row.text) is not None:
                continue  # decided: listed below with who decided it
            if row.kind == "unhelpful" and row.faq_id:
                near = [(row.faq_id, _question(content, row.faq_id, t.lang), None)]
            else:
                near = _nearest(content, row.text, row.lang, t.lang)
            rows.append({"row": row, "kind": t.gettext(KINDS.get(row.kind, row.kind)), "near": near,
                         "choose": "/desk/gaps/choose?" + urlencode({"text": row.text, "lang": row.lang})})
        decided = [(d, _question(content, d.faq_id, t.lang) if d.faq_id else "")
                   for d in reversed(await desk.store.content_decisions())][:DECISIONS_SHOWN]
        return visit.render("gaps.html", rows=rows, days=days, language=language, languages_all=LANGUAGES,
                            decided=decided, back=visit.request.url.query)

    @page(desk, "content")
    async def choose(visit: Visit) -> Response:
        """Any entry for a question, with the closest first; the text can be tidied before it is added."""
        content, t = desk.rt.content.current, visit.t
        text = storable_text(visit.request.query_params.get("text", "")).strip()[:MAX_EXAMPLE]
        lang = visit.request.query_params.get("lang", "")
        if not text or lang not in LANGUAGES:
            return visit.render("error.html", 404, title=t.gettext("No such question"), message="")
        near = _nearest(content, text, lang, t.lang)
        listed = {faq_id for faq_id, _, _ in near}
        others = sorted(((e.id, content.text(e.question, t.lang)) for e in content.faqs.values()
                         if e.id not in listed), key=lambda item: item[1].casefold())
        return visit.render("gap_choose.html", text=text, qlang=lang, near=near, others=others,
                            max_example=MAX_EXAMPLE)

    async def decide(visit: Visit, out_of_scope: bool) -> Response:
        t, content = visit.t, desk.rt.content.current
        text = storable_text(visit.value("text", MAX_EXAMPLE + 1)).strip()
        lang, faq_id = visit.value("lang", 8), "" if out_of_scope else visit.value("faq", 100)
        back = "/gaps?" + visit.value("back", 200)
        if not text or len(text) > MAX_EXAMPLE or lang not in LANGUAGES or not normalise_question(text):
            visit.tell("error", t.gettext("The question must be 1 to {n} characters.").format(n=MAX_EXAMPLE))
            return visit.redirect(back)
        if not out_of_scope and faq_id not in content.faqs:
            visit.tell("error", t.gettext("No such entry."))
            return visit.redirect(back)
        assert visit.account is not None
        decision = await desk.store.decide_question(visit.account.name, lang, text, normalise_question(text), faq_id)
        await desk.store.record_desk_event(visit.account.name, "gap_out_of_scope" if out_of_scope else "gap_example",
                                           faq_id or str(decision.id), f"[{lang}] {text}")
        await load_decisions(desk.rt.store, desk.rt.content)
        if out_of_scope:
            visit.tell("ok", t.gettext("Marked out of scope: the bot now declines this question."))
        else:
            visit.tell("ok", t.gettext("Added as an example to “{entry}”: the bot now answers this question "
                                       "with it.").format(entry=_question(content, faq_id, t.lang)))
        return visit.redirect(back)

    @page(desk, "content")
    async def add_example(visit: Visit) -> Response:
        return await decide(visit, out_of_scope=False)

    @page(desk, "content")
    async def mark_out_of_scope(visit: Visit) -> Response:
        return await decide(visit, out_of_scope=True)

    @page(desk, "content")
    async def undo(visit: Visit) -> Response:
        raw = visit.value("decision", 20)
        undone = await desk.store.undo_decision(int(raw)) if raw.isdigit() else None
        if undone is not None:
            assert visit.account is not None
            await desk.store.record_desk_event(visit.account.name, "gap_undo", undone.faq_id or str(undone.id),
                                               f"[{undone.lang}] {undone.text}")
            await load_decisions(desk.rt.store, desk.rt.content)
            visit.tell("ok", visit.t.gettext("Decision undone: the question is a gap again."))
        return visit.redirect("/gaps?" + visit.value("back", 200))

    return [Route("/gaps", gaps), Route("/gaps/choose", choose),
            Route("/gaps/example", add_example, methods=["POST"]),
            Route("/gaps/out-of-scope", mark_out_of_scope, methods=["POST"]),
            Route("/gaps/undo", undo, methods=["POST"])]
