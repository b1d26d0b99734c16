"""The language of a first message, so that it is answered at once instead of after a language menu.

Georgian letters mean Georgian and Cyrillic letters Russian. Latin letters are English or Georgian typed in Latin
letters, told apart by which language's words the message uses more of: English words, or words that, read as
Georgian, are words of the Georgian content.
"""

from __future__ import annotations

from bot.i18n import DEFAULT_LANGUAGE
from bot.knowledge.loader import Content
from bot.knowledge.textnorm import STOPWORDS, phrase_tokens, stem, tokenize
from bot.knowledge.translit import has_cyrillic, has_georgian

__all__ = ["guess_language"]

_EN_STOP = STOPWORDS["en"]
_KA_STOP = frozenset(term for word in STOPWORDS["ka"] for _, term in phrase_tokens(word, "ka"))


def guess_language(content: Content, text: str, preferred: str | None) -> str:
    """"ka", "en" or "ru" for `text`; `preferred` (the platform's language) when the words do not tell."""
    match = content.intents.match(text)
    for code in ("ka", "en", "ru"):
        if f"language_{code}" in match:
            return code
    if has_georgian(text):
        return "ka"
    if has_cyrillic(text):
        return "ru"
    words = tokenize(text)
    if not words:
        return preferred or DEFAULT_LANGUAGE
    english = content.faq_index.vocabulary("en")
    georgian = content.faq_index.vocabulary("ka")
    en = sum(1 for w in words if w in _EN_STOP or stem(w, "en") in english)
    ka = sum(1 for _, term in phrase_tokens(text, "ka") if term in georgian or term in _KA_STOP)
    if ka > en:
        return "ka"
    if en > ka:
        return "en"
    return preferred or DEFAULT_LANGUAGE
