"""Checks on the content that need more than one field or file: ids, menu references, a text in every
language, platform limits, sources and review dates, the length of an answer's first screen, and examples that
another entry answers better. Each finding is an `Issue` with file and line, an error or a warning.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.i18n import LANGUAGES, fallback_chain
from bot.knowledge.schema import (
    KNOWN_PLACEHOLDERS,
    PLACEHOLDER,
    Action,
    CentresFile,
    FaqEntry,
    FaqFile,
    MenuFile,
    MenuNode,
    Sourced,
)
from bot.knowledge.search import RANKED, FaqIndex
from bot.knowledge.yamlread import Issue, YamlDoc

__all__ = ["FIRST_SCREEN", "LIMITS", "REVIEW_EVERY", "CrossChecker"]

LIMITS = {
    "telegram_message": 4096,
    "telegram_callback_bytes": 64,
    "viber_message": 7000,
    "viber_button_text": 250,
    "button_label": 60,
}
FIRST_SCREEN = 500  # characters of an answer's first screen: what a phone shows without scrolling much
REVIEW_EVERY = timedelta(days=365)  # facts read against their source longer ago than this are due again


class CrossChecker:
    """Checks that need more than one field: ids, references, translations, platform limits."""

    def __init__(self, issues: list[Issue], today: date) -> None:
        self.issues = issues
        self.today = today

    def _error(self, doc: YamlDoc, loc: tuple[str | int, ...], message: str) -> None:
        self.issues.append(doc.issue(loc, message))

    def _warn(self, doc: YamlDoc, loc: tuple[str | int, ...], message: str) -> None:
        self.issues.append(doc.issue(loc, message, "warning"))

    def texts(self, doc: YamlDoc, loc: tuple[str | int, ...], local: dict[str, str] | None, kind: str) -> None:
        if local is None:
            return
        for lang in LANGUAGES:
            if lang not in local:
                used = next((c for c in fallback_chain(lang) if c in local), next(iter(local)))
                self._warn(doc, loc, f"no {lang} translation; the {used} text will be shown")
        for lang, text in local.items():
            for name in PLACEHOLDER.findall(text):
                if name not in KNOWN_PLACEHOLDERS:
                    self._error(doc, (*loc, lang), f"unknown placeholder {{{name}}}; known: {{hotline}}")
            if kind == "label" and len(text) > LIMITS["button_label"]:
                self._error(
                    doc, (*loc, lang), f"button text is {len(text)} characters; keep it under {LIMITS['button_label']}"
                )
            if kind == "message":
                if len(text) > LIMITS["viber_message"]:
                    self._error(
                        doc, (*loc, lang), f"{len(text)} characters: over Viber's {LIMITS['viber_message']} limit"
                    )
                elif len(text) > LIMITS["telegram_message"]:
                    self._warn(
                        doc,
                        (*loc, lang),
                        f"{len(text)} characters: over Telegram's {LIMITS['telegram_message']}, sent as two messages",
                    )

    def sourced(self, doc: YamlDoc, loc: tuple[str | int, ...], item: Sourced, what: str) -> None:
        """Every fact needs a source, and a person who read it against the source within a year."""
        if not item.sources:
            self._warn(doc, loc, f"{what}: no `sources:` (a URL or \"seed\", with the date it was checked)")
        if item.reviewed is None:
            self._warn(doc, loc, f"{what}: no `reviewed:` date")
        elif self.today - item.reviewed > REVIEW_EVERY:
            self._warn(doc, (*loc, "reviewed"), f"{what}: last reviewed {item.reviewed}, more than a year ago")
        elif item.reviewed > self.today:
            self._warn(doc, (*loc, "reviewed"), f"{what}: reviewed date {item.reviewed} is in the future")

    def first_screen(self, doc: YamlDoc, loc: tuple[str | int, ...], entry: FaqEntry) -> None:
        for lang, text in entry.answer.items():
            length = len(entry.question.get(lang, "")) + len(text)
            if length > FIRST_SCREEN:
                self._warn(doc, (*loc, "answer", lang), f"first screen is {length} characters; keep it under "
                                                        f"{FIRST_SCREEN} and move the rest to `more:`")

    def examples(self, index: FaqIndex, faqs: dict[str, FaqEntry],
                 where: dict[str, tuple[YamlDoc, int]]) -> None:
        """An example that, left out, the search would answer outright with another entry is likely filed under the
        wrong one, unless the entry names that one in `told_apart_from`: then the example teaches the boundary
        between them. One that no entry matches well without itself, or that its own entry still runs close to,
        brings words the entries lack (dialect, loanwords): that is its use."""
        for fid, (doc, position) in where.items():
            entry = faqs[fid]
            for lang, examples in entry.examples.items():
                for number, example in enumerate(examples):
                    hits = index.scores(example, lang, limit=RANKED, leave_out=True)
                    if hits and hits[0].faq_id != fid and hits[0].faq_id in faqs \
                            and index.tuning.confident(hits, lang) and hits[0].faq_id not in entry.told_apart_from:
                        self._warn(doc, ("entries", position, "examples", lang, number),
                                   f"example {example!r} matches {hits[0].faq_id!r} better than {fid!r} (if it "
                                   f"teaches the two apart on purpose, add {hits[0].faq_id} to told_apart_from)")

    def nodes(self, doc: YamlDoc, menu: MenuFile) -> dict[str, MenuNode]:
        nodes: dict[str, MenuNode] = {}
        for index, node in enumerate(menu.nodes):
            if node.id in nodes:
                self._error(doc, ("nodes", index, "id"), f"duplicate menu id {node.id!r}")
            nodes[node.id] = node
            self.texts(doc, ("nodes", index, "title"), node.title, "label")
            self.texts(doc, ("nodes", index, "text"), node.text, "message")
        return nodes

    def faqs(
        self, files: list[tuple[YamlDoc, FaqFile | None]]
    ) -> tuple[dict[str, FaqEntry], dict[str, tuple[YamlDoc, int]]]:
        faqs: dict[str, FaqEntry] = {}
        where: dict[str, tuple[YamlDoc, int]] = {}
        for doc, parsed in files:
            if parsed is None:
                continue
            for index, entry in enumerate(parsed.entries):
                if entry.id in faqs:
                    first = where[entry.id]
                    self._error(
                        doc,
                        ("entries", index, "id"),
                        f"duplicate FAQ id {entry.id!r} (first in {first[0].path}:"
                        f"{first[0].line_of(('entries', first[1], 'id'))})",
                    )
                    continue
                faqs[entry.id] = entry
                where[entry.id] = (doc, index)
                self.texts(doc, ("entries", index, "question"), entry.question, "label_long")
                self.texts(doc, ("entries", index, "answer"), entry.answer, "message")
                self.texts(doc, ("entries", index, "more"), entry.more, "message")
                self.first_screen(doc, ("entries", index), entry)
                self.sourced(doc, ("entries", index, "id"), entry, f"FAQ {entry.id!r}")
                callback = f"f:{entry.id}".encode()
                if len(callback) > LIMITS["telegram_callback_bytes"]:
                    self._error(doc, ("entries", index, "id"), "id too long for a button's callback data")
        for fid, (doc, index) in where.items():
            for number, other in enumerate(faqs[fid].told_apart_from):
                if other not in faqs or other == fid:
                    self._error(doc, ("entries", index, "told_apart_from", number),
                                f"{other!r} is not another FAQ entry")
        return faqs, where

    def references(self, doc: YamlDoc, menu: MenuFile, nodes: dict[str, MenuNode], faqs: dict[str, FaqEntry]) -> None:
        if menu.root not in nodes:
            self._error(doc, ("root",), f"root menu {menu.root!r} does not exist")
        reachable: set[str] = set()
        stack = [menu.root]
        while stack:
            current = stack.pop()
            if current in reachable or current not in nodes:
                continue
            reachable.add(current)
            stack.extend(item.menu for item in nodes[current].items if item.menu)
        for n_index, node in enumerate(menu.nodes):
            for i_index, item in enumerate(node.items):
                loc = ("nodes", n_index, "items", i_index)
                if item.menu and item.menu not in nodes:
                    self._error(doc, (*loc, "menu"), f"menu {item.menu!r} does not exist")
                if item.faq and item.faq not in faqs:
                    self._error(doc, (*loc, "faq"), f"FAQ {item.faq!r} does not exist")
            if node.id not in reachable and node.id in nodes and menu.root in nodes:
                self._warn(doc, ("nodes", n_index, "id"), f"menu {node.id!r} is not reachable from {menu.root!r}")
        if Action.LANGUAGE not in {i.action for n in menu.nodes for i in n.items}:
            self._warn(doc, ("nodes",), "no menu offers the language switch (action: language)")

    def centres(self, doc: YamlDoc, parsed: CentresFile) -> None:
        self.texts(doc, ("hotline", "hours"), parsed.hotline.hours, "message")
        self.sourced(doc, ("hotline",), parsed.hotline, "hotline")
        seen: set[str] = set()
        for index, centre in enumerate(parsed.centres):
            if centre.id in seen:
                self._error(doc, ("centres", index, "id"), f"duplicate centre id {centre.id!r}")
            seen.add(centre.id)
            for name in ("name", "address", "hours"):
                self.texts(doc, ("centres", index, name), getattr(centre, name), "message")
            self.sourced(doc, ("centres", index, "id"), centre, f"centre {centre.id!r}")
        if not parsed.centres:
            self._error(doc, ("centres",), "at least one centre is needed")
