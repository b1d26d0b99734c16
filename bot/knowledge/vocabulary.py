"""The words the content itself uses, and the places the gazetteer knows: what a question may mention that is
not a person's name. The gaps report's redactor (bot/knowledge/redact.py) takes a capitalised word it finds in
neither for a name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.knowledge.textnorm import LANGS, STOPWORDS, stem, tokenize
from bot.knowledge.translit import fold

if TYPE_CHECKING:
    from bot.knowledge.loader import Content

__all__ = ["known_words"]

_cache: tuple[Content, Callable[[str], bool]] | None = None


def _texts(content: Content) -> Iterable[str]:
    for faq in content.faqs.values():
        yield from faq.question.values()
        yield from faq.answer.values()
        for words in faq.keywords.values():
            yield from words
    for node in content.nodes.values():
        yield from node.title.values()
        yield from (node.text or {}).values()
    for centre in content.centres:
        for local in (centre.name, centre.address, centre.hours):
            yield from local.values()
    yield from content.hotline.hours.values()


def _forms(word: str) -> set[str]:
    return {word, *(stem(word, lang) for lang in LANGS)}


def known_words(content: Content) -> Callable[[str], bool]:
    """A test for one word (any case): used by the content, a common word, or a place's name. Built once per
    content version."""
    global _cache
    if _cache is not None and _cache[0] is content:
        return _cache[1]
    words: set[str] = set()
    for text in _texts(content):
        for token in tokenize(text):
            words |= _forms(token)
    for stopwords in STOPWORDS.values():
        words |= stopwords
    vocabulary = frozenset(words)
    gazetteer = content.gazetteer

    @lru_cache(maxsize=4096)
    def known(word: str) -> bool:
        lowered = word.lower().replace("ё", "е")
        if _forms(lowered) & vocabulary:
            return True
        found = gazetteer.resolve(word)
        if found.status == "none":
            return False
        key = fold(word)[:3]  # a place spelled alike, not a distant fuzzy match of a surname
        return any(fold(place.name(lang))[:3] == key for place in found.candidates for lang in LANGS)

    _cache = (content, known)
    return known
