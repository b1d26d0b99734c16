"""Runs labelled messages through the engine as new users and counts what each person would see.

Each message is sent by a fresh user who chose the message's language first. What the user sees is read back
from the replies (never from the matcher's internals):
- answered: an FAQ answer on screen (its question heads the reply, with the "helpful?" buttons);
- suggested: "did you mean" buttons (f:<id>);
- urgent: the first reply names 112 and the hotline;
- an action: the callback form started (or an open request shown), the hotline screen, a centre card or the
  place question, the language switched, the privacy screens, a greeting;
- declined: "I did not find an answer" / "I can't help with that here", with the hotline.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from bot.core.engine import Engine
from bot.core.events import Event, Kind, Reply, SessionKey

__all__ = ["Report", "Seen", "evaluate", "evaluate_conversations", "load_messages", "seen"]

_ids = itertools.count(10_000_000)


@dataclass(frozen=True)
class Seen:
    kind: str  # answered | suggested | action | declined | other
    target: str = ""  # the FAQ id answered, or the action (@callback, @human, @centre, @lang_xx, ...)
    suggested: tuple[str, ...] = ()
    urgent: bool = False
    # The 112 line itself came first, not an answer whose text names 112 (a passport kept, a suspicious offer):
    # what a calm person should not get.
    alarm: bool = False


def _buttons(replies: list[Reply]) -> list[str]:
    return [b.data for r in replies for row in r.buttons for b in row if b.data]


def seen(replies: list[Reply], state: str, lang_before: str, lang_after: str, hotline: str,
         human_marker: str, language_marker: str) -> Seen:
    """What a person sees, classified from the replies and where the conversation now stands."""
    shown = _classify(replies, state, lang_before, lang_after, hotline, human_marker, language_marker)
    answer_first = bool(replies) and any(b.data.startswith("q:y:") for row in replies[0].buttons for b in row)
    return replace(shown, alarm=shown.urgent and not answer_first)


def _classify(replies: list[Reply], state: str, lang_before: str, lang_after: str, hotline: str,
              human_marker: str, language_marker: str) -> Seen:
    data = _buttons(replies)
    first = replies[0].text if replies else ""
    urgent = "112" in first and hotline in first
    answered = [d.split(":", 2)[2] for d in data if d.startswith("q:y:")]
    suggested = tuple(d[2:] for d in data if d.startswith("f:") and not d.endswith(":more"))
    if lang_after != lang_before or any(language_marker in r.text for r in replies):
        return Seen("action", f"@lang_{lang_after}", urgent=urgent)
    if state.startswith("cb:") or any(d == "cb:s" for d in data):
        return Seen("action", "@callback", urgent=urgent)
    if state == "p:forget":
        return Seen("action", "@forget", urgent=urgent)
    if answered:
        return Seen("answered", answered[0], suggested, urgent)
    if any(r.venue for r in replies) or state == "c:ask" or any(d.startswith("c:p:") for d in data):
        return Seen("action", "@centre", urgent=urgent)
    if any(human_marker in r.text for r in replies):
        return Seen("action", "@human", urgent=urgent)
    if any(d.startswith("p:") for d in data):
        return Seen("action", "@mydata", urgent=urgent)
    if suggested:
        return Seen("suggested", "", suggested, urgent)
    if "n:home" in data and "a:callback" in data and len(data) <= 3:
        return Seen("declined", urgent=urgent)
    if any(d.startswith("m:") for d in data):
        return Seen("action", "@menu", urgent=urgent)
    return Seen("other", urgent=urgent)


def load_messages(path: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["messages"])


GREETING = {"@greeting", "@thanks"}
# A centre card for "the address of your office in Batumi" serves the person as the centres FAQ would.
EQUIVALENT = {"centres_where": {"@centre"}}


@dataclass
class Report:
    rows: list[tuple[dict[str, Any], Seen]] = field(default_factory=list)

    def group(self, message: dict[str, Any]) -> str:
        if message["lang"] == "ka":
            return f"ka-{message.get('script', 'geo')}"
        return str(message["lang"])

    def verdict(self, message: dict[str, Any], s: Seen) -> str:
        """right | offered | wrong | declined | urgent-missed (for @urgent) for one message."""
        expect = str(message["expect"])
        if expect == "@urgent":
            return "right" if s.urgent else "wrong"
        if expect == "none":
            if s.kind in ("answered", "action") and s.target not in GREETING | {"@menu"}:
                return "wrong"
            return "right" if s.kind == "declined" else "offered"
        ok = {expect} | EQUIVALENT.get(expect, set())
        if expect in GREETING:
            ok = {"@menu"}
        if s.target in ok:
            return "right"
        if expect in s.suggested:
            return "offered"
        if s.kind in ("answered", "action"):
            return "wrong"
        return "declined"

    def table(self) -> str:
        by_group: dict[str, Counter[str]] = defaultdict(Counter)
        by_kind: dict[str, Counter[str]] = defaultdict(Counter)
        for message, s in self.rows:
            expect = str(message["expect"])
            verdict = self.verdict(message, s)
            kind = "in-scope FAQ" if not expect.startswith("@") and expect != "none" else (
                "out of scope" if expect == "none" else expect)
            by_kind[kind][verdict] += 1
            if kind == "in-scope FAQ":
                by_group[self.group(message)][verdict] += 1
        lines = ["| set | n | answered right | right answered or offered | confidently wrong | declined |",
                 "|---|---|---|---|---|---|"]
        for name, counts in [*sorted(by_group.items()), ("in-scope FAQ, all", self.total(by_group))]:
            n = sum(counts.values())
            lines.append(f"| {name} | {n} | {pct(counts['right'], n)} | "
                         f"{pct(counts['right'] + counts['offered'], n)} | {pct(counts['wrong'], n)} | "
                         f"{pct(counts['declined'], n)} |")
        lines += ["", "| kind | n | right | offered | wrong | declined |", "|---|---|---|---|---|---|"]
        for name, counts in sorted(by_kind.items()):
            n = sum(counts.values())
            lines.append(f"| {name} | {n} | {pct(counts['right'], n)} | {pct(counts['offered'], n)} | "
                         f"{pct(counts['wrong'], n)} | {pct(counts['declined'], n)} |")
        return "\n".join(lines)

    @staticmethod
    def total(groups: dict[str, Counter[str]]) -> Counter[str]:
        total: Counter[str] = Counter()
        for counts in groups.values():
            total.update(counts)
        return total

    def share(self, verdicts: set[str], expect: str | None = None, faq_only: bool = False,
              group: str | None = None) -> float:
        chosen = [(m, s) for m, s in self.rows
                  if (expect is None or m["expect"] == expect)
                  and (not faq_only or (not str(m["expect"]).startswith("@") and m["expect"] != "none"))
                  and (group is None or self.group(m) == group)]
        if not chosen:
            return 0.0
        return sum(self.verdict(m, s) in verdicts for m, s in chosen) / len(chosen)


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "–"


async def evaluate(engine: Engine, messages: list[dict[str, Any]]) -> Report:
    report = Report()
    for message in messages:
        [shown] = await _conversation(engine, str(message["lang"]), [str(message["text"])])
        report.rows.append((message, shown))
    return report


async def evaluate_conversations(engine: Engine, conversations: list[dict[str, Any]]) -> list[list[Seen]]:
    """What a person sees after each of their messages, typed one after another (`messages:` of each item)."""
    return [await _conversation(engine, str(c["lang"]), [str(m) for m in c["messages"]]) for c in conversations]


async def _conversation(engine: Engine, lang: str, texts: list[str]) -> list[Seen]:
    """A new user who chose `lang` types `texts` one by one."""
    hotline = engine.content.current.hotline.display
    key = SessionKey("eval", f"u{next(_ids)}")
    human = engine.catalogues.translator(lang).gettext(
        "You can talk to a hotline consultant. The consultation is free.")
    await engine.handle(Event(key=key, kind=Kind.BUTTON, data=f"l:{lang}", update_id=str(next(_ids))))
    shown = []
    for text in texts:
        replies = await engine.handle(Event(key=key, kind=Kind.TEXT, text=text, update_id=str(next(_ids))))
        session = await engine.store.load_session(key) or {}
        after = str(session.get("lang") or lang)
        switched = engine.catalogues.translator(after).gettext(
            "Language set: English. You can change it any time with /language.")
        shown.append(seen(replies, str(session.get("state") or ""), lang, after, hotline, human, switched))
        lang = after
    return shown
