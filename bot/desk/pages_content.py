"""What editors look at: the questions the content did not answer (with the entries they came closest to), and
the loaded content itself (version, the warnings `hotline content check` gives, sources and review dates, and
each answer as a phone shows it). Editing stays in the YAML files; the desk shows and checks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from starlette.responses import Response
from starlette.routing import Route

from bot.desk.web import Desk, Visit, page
from bot.i18n import LANGUAGES, N_
from bot.knowledge.loader import REVIEW_EVERY, Content
from bot.knowledge.schema import FaqEntry

__all__ = ["content_routes"]

KINDS = {"unanswered": N_("Not answered"), "unhelpful": N_("Marked not helpful")}
NEAREST = 3


def _due(entry: FaqEntry, today: date) -> bool:
    return entry.reviewed is None or today - entry.reviewed > REVIEW_EVERY


def _question(content: Content, faq_id: str, lang: str) -> str:
    entry = content.faqs.get(faq_id)
    return content.text(entry.question, lang) if entry else faq_id


def _relative(file: str, directory: Path) -> str:
    """A file as staff know it: content/faq/legal.yaml, not the server's full path."""
    path = Path(file)
    try:
        return str(Path(directory.name) / path.relative_to(directory))
    except ValueError:
        return path.name


def content_routes(desk: Desk) -> list[Route]:
    @page(desk, "content")
    async def gaps(visit: Visit) -> Response:
        t, content = visit.t, desk.rt.content.current
        params = visit.request.query_params
        days = 30 if params.get("days") not in ("7", "30", "90", "365") else int(params["days"])
        language = params.get("language", "") if params.get("language") in LANGUAGES else ""
        since = datetime.now(UTC) - timedelta(days=days)
        rows = []
        for row in await desk.rt.store.gaps(since=since, lang=language or None, limit=200):
            if row.kind == "unhelpful" and row.faq_id:
                near = [(row.faq_id, _question(content, row.faq_id, t.lang), None)]
            else:
                near = [(hit.faq_id, _question(content, hit.faq_id, t.lang), round(hit.score * 100))
                        for hit in content.faq_index.scores(row.text, row.lang, limit=NEAREST)]
            rows.append({"row": row, "kind": t.gettext(KINDS.get(row.kind, row.kind)), "near": near})
        return visit.render("gaps.html", rows=rows, days=days, language=language, languages_all=LANGUAGES)

    @page(desk, "content")
    async def content_page(visit: Visit) -> Response:
        holder = desk.rt.content
        content, today = holder.current, datetime.now(UTC).date()
        entries = sorted(content.faqs.values(), key=lambda e: (not _due(e, today), e.reviewed or date.min, e.id))
        listed = [{"e": e, "due": _due(e, today), "question": content.text(e.question, visit.t.lang),
                   "answers": [(lang, content.text(e.question, lang), content.text(e.answer, lang),
                                lang in e.answer) for lang in LANGUAGES]} for e in entries]
        issues = [(_relative(issue.file, holder.directory), issue.line, issue.severity, issue.message)
                  for issue in holder.last_issues]
        return visit.render("content.html", version=content.version, loaded_at=holder.loaded_at,
                            issues=issues, errors=sum(1 for i in issues if i[2] == "error"), entries=listed,
                            due_count=sum(1 for e in listed if e["due"]))

    return [Route("/gaps", gaps), Route("/content", content_page)]
