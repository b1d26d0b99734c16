"""Interface strings: gettext catalogues in locales/, read from the .po files at start-up.

The .po files are parsed with Babel when the process starts (no compiled .mo step to forget): editing a
translation and restarting is enough. msgids are English. Fallback order: user's language, Georgian, English.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "N_",
    "Catalogues",
    "Translator",
    "fallback_chain",
    "pick_language",
]

LANGUAGES: tuple[str, ...] = ("ka", "en", "ru")
DEFAULT_LANGUAGE = "ka"
LANGUAGE_NAMES = {"ka": "🇬🇪 ქართული", "en": "🇬🇧 English", "ru": "🇷🇺 Русский"}
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "bot"


def N_(message: str) -> str:
    """Marks a module-level string for extraction; it is translated where it is shown."""
    return message


@cache
def fallback_chain(lang: str) -> tuple[str, ...]:
    chain = [lang, "ka", "en"]
    return tuple(dict.fromkeys(c for c in chain if c in LANGUAGES))


def pick_language(platform_code: str | None) -> str | None:
    """Maps a platform language code ("ru-RU", "ka") to a supported language, or None."""
    if not platform_code:
        return None
    base = platform_code.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


@dataclass(frozen=True)
class _Catalogue:
    singular: dict[str, str] = field(default_factory=dict)
    plural: dict[str, tuple[str, ...]] = field(default_factory=dict)


class Catalogues:
    """All languages' interface messages, loaded once."""

    def __init__(self, locales_dir: Path = LOCALES_DIR) -> None:
        self._catalogues: dict[str, _Catalogue] = {}
        for lang in LANGUAGES:
            po_path = locales_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
            self._catalogues[lang] = _load(po_path) if po_path.exists() else _Catalogue()
        self._translators = {lang: Translator(lang, self) for lang in LANGUAGES}

    def translator(self, lang: str) -> Translator:
        return self._translators.get(lang) or self._translators[DEFAULT_LANGUAGE]

    def lookup(self, lang: str, message: str) -> str | None:
        return self._catalogues[lang].singular.get(message) or None

    def lookup_plural(self, lang: str, singular: str) -> tuple[str, ...] | None:
        return self._catalogues[lang].plural.get(singular)


def _load(path: Path) -> _Catalogue:
    with path.open("rb") as fh:
        catalog = read_po(fh)
    singular: dict[str, str] = {}
    plural: dict[str, tuple[str, ...]] = {}
    for msg in catalog:
        if not msg.id or msg.fuzzy:
            continue
        if isinstance(msg.id, tuple):
            forms = tuple(msg.string) if isinstance(msg.string, tuple | list) else ()
            if forms and all(forms):
                plural[msg.id[0]] = forms
        elif msg.string:
            singular[msg.id] = str(msg.string)
    return _Catalogue(singular, plural)


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


@lru_cache(maxsize=4096, typed=True)
def _decimal(value: float, lang: str) -> str:
    """A rounded number as the language writes it. Babel takes about 20 µs a number, and the nearest centres
    show four distances: rounded to a kilometre (a tenth below ten), the values repeat."""
    return format_decimal(value, locale=_locale(lang))


class Translator:
    """One language's view: gettext, plurals and Babel formatting of numbers and dates."""

    def __init__(self, lang: str, catalogues: Catalogues) -> None:
        self.lang = lang
        self._catalogues = catalogues
        self._found: dict[str, str] = {}

    def gettext(self, message: str) -> str:
        found = self._found.get(message)
        if found is None:
            found = self._found[message] = self._lookup(message)
        return found

    def _lookup(self, message: str) -> str:
        for lang in fallback_chain(self.lang):
            if lang == "en":
                return message
            found = self._catalogues.lookup(lang, message)
            if found:
                return found
        return message

    _ = gettext

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        for lang in fallback_chain(self.lang):
            if lang == "en":
                return singular if n == 1 else plural
            forms = self._catalogues.lookup_plural(lang, singular)
            if forms:
                index = _locale(lang).plural_form(n)
                order = ("zero", "one", "two", "few", "many", "other")
                categories = [c for c in order if c in _locale(lang).plural_form.tags] + ["other"]
                position = min(categories.index(index) if index in categories else len(forms) - 1, len(forms) - 1)
                return forms[position]
        return singular if n == 1 else plural

    def number(self, value: float, digits: int = 1) -> str:
        return _decimal(round(value, digits), self.lang)

    def date(self, value: date) -> str:
        return format_date(value, format="medium", locale=_locale(self.lang))

    def datetime(self, value: datetime) -> str:
        return format_datetime(value, format="medium", locale=_locale(self.lang))
