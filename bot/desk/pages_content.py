"""What editors look at: the loaded content (version, the warnings `hotline content check` gives, sources and
review dates, and each answer as a phone shows it). Editing stays in the YAML files; the desk shows and checks.
The questions the content did not answer are in pages_gaps.py."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from starlette.responses import Response
from starlette.routing import Route

from bot.desk.web import Desk, Visit, page
from bot.i18n import LANGUAGES
from bot.knowledge.loader import REVIEW_EVERY
from bot.knowledge.schema import FaqEntry

__all__ = ["content_routes"]



def _due(entry: FaqEntry, today: date) -> bool:
    return entry.reviewed is None or today - entry.reviewed > REVIEW_EVERY


def _relative(file: str, directory: Path) -> str:
    """A file as staff know it: content/faq/legal.yaml, not the server's full path."""
    path = Path(file)
    try:
        return str(Path(directory.name) / path.relative_to(directory))
    except ValueError:
        return path.name


def content_routes(desk: Desk) -> list[Route]:
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

    return [Route("/content", content_page)]
