"""What a flow step sees: the event, the user's session, the content snapshot, a translator and the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.config import Settings
from bot.core.events import Button, Event, Reply
from bot.i18n import DEFAULT_LANGUAGE, Catalogues, Translator
from bot.knowledge.loader import Content
from bot.records import StateMatch
from bot.store.base import Store

__all__ = ["DRAFT_STATES", "HISTORY_LIMIT", "Ctx", "Session"]

HISTORY_LIMIT = 20
# States whose session may hold a name and phone typed but never confirmed: the callback form, and /forget's
# question while a form is parked aside. The store purges these sooner than other idle sessions.
DRAFT_STATES = StateMatch(names=("p:forget",), prefixes=("cb:",))


@dataclass
class Session:
    """A user's conversation state, stored as JSON between events."""

    lang: str | None = None
    state: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    draft: dict[str, Any] | None = None  # an unfinished callback form put aside by /start, /menu or /language
    day: str = ""  # the last day (ISO) this person was counted in the statistics: only the date, for counting
    keyboard: bool = False  # a share-location or share-phone keyboard is on the person's screen

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> Session:
        if not raw:
            return cls()
        return cls(
            lang=raw.get("lang") if isinstance(raw.get("lang"), str) else None,
            state=str(raw.get("state") or ""),
            data=dict(raw.get("data") or {}),
            history=[str(h) for h in raw.get("history") or []][-HISTORY_LIMIT:],
            draft=raw["draft"] if isinstance(raw.get("draft"), dict) else None,
            day=raw["day"] if isinstance(raw.get("day"), str) else "",
            keyboard=raw.get("keyboard") is True,
        )

    def to_dict(self) -> dict[str, Any]:
        raw = {"lang": self.lang, "state": self.state, "data": self.data, "history": self.history[-HISTORY_LIMIT:]}
        if self.draft:
            raw["draft"] = self.draft
        if self.day:
            raw["day"] = self.day
        if self.keyboard:
            raw["keyboard"] = True
        return raw

    def park(self) -> None:
        """Puts a callback form with answers in it aside, so that jumping to the menu loses nothing typed."""
        if self.state.startswith("cb:") and self.data.get("form") and not self.data.get("ref"):
            self.draft = {"state": self.state, "data": self.data}

    def enter(self, state: str, **data: Any) -> None:
        """Starts a flow step, dropping the data of any other flow."""
        self.state = state
        self.data = data

    def leave(self) -> None:
        self.state = ""
        self.data = {}

    def visit(self, screen: str) -> None:
        """Remembers a screen for "back"; revisiting one trims the path back to it."""
        if screen in self.history:
            del self.history[self.history.index(screen) + 1 :]
        else:
            self.history.append(screen)
            del self.history[:-HISTORY_LIMIT]


@dataclass
class Ctx:
    event: Event
    session: Session
    content: Content
    catalogues: Catalogues
    store: Store
    settings: Settings
    outcome: str = ""  # what became of a typed message (questions.OUTCOMES), for the metrics
    faq_shown: str = ""  # the FAQ entry this step showed, for the statistics

    @property
    def lang(self) -> str:
        return self.session.lang or self.settings.default_language or DEFAULT_LANGUAGE

    @property
    def t(self) -> Translator:
        return self.catalogues.translator(self.lang)

    def _(self, message: str) -> str:
        return self.t.gettext(message)

    def text(self, local: dict[str, str] | None) -> str:
        return self.content.text(local, self.lang)

    def nav_row(self, back: bool = True) -> tuple[Button, ...]:
        """Back, main menu and a person: the way out offered under every answer."""
        row = [Button(self._("⬅️ Back"), "n:back")] if back else []
        row.append(Button(self._("🏠 Menu"), "n:home"))
        row.append(Button(self._("👤 Talk to a person"), "n:human"))
        return tuple(row)

    def hotline_line(self) -> str:
        return self._("IOM hotline: {phone}").format(phone=self.content.hotline.display)

    def with_nav(self, text: str, rows: list[tuple[Button, ...]] | None = None, back: bool = True,
                 edit: bool = False) -> Reply:
        return Reply(text=text, buttons=(*(rows or []), self.nav_row(back)), edit=edit)
