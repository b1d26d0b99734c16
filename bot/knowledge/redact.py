"""Strip personal data from questions kept for the staff gaps report, and key them for counting.

Redaction errs on the side of removing too much: a question is only useful to staff for its topic, never for
who asked it. Placeholders keep the shape of the question readable ("my number is <phone>").
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalise_question", "redact"]

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

# Digits with the separators people type in phone numbers and IDs: +995 599 12 34 56, (+995) 599-123-456,
# 8 (916) 123-45-67, 599.12.34.56, 4111 1111 1111 1111. Letters may touch them: Georgian endings are often
# written on (599123456ზე), and IDs carry letter prefixes (A1234567).
_DIGIT_RUN = re.compile(r"(?<![\d+])(?:\+|\(\+?)?\d(?:[\s\-().]{0,3}\d)*\)?(?!\d)")
_LONG_DIGITS = 5
_PHONE_DIGITS = range(7, 16)


def _is_phone(run: str, digits: str) -> bool:
    if len(digits) not in _PHONE_DIGITS:
        return False
    if "+" in run or digits.startswith(("00", "995")):
        return True
    if any(sep in run for sep in " -(."):
        return True
    # Unbroken runs: Georgian mobile/landline (9 digits, 5xx / 3xx / 4xx), national trunk 0 or Russian 8.
    return (
        (len(digits) == 9 and digits[0] in "345")
        or (len(digits) == 10 and digits[0] == "0")
        or (len(digits) == 11 and digits[0] in "78" and digits[1] == "9")
    )


def _replace_digits(match: re.Match[str]) -> str:
    run = match.group(0)
    digits = re.sub(r"\D", "", run)
    if _is_phone(run, digits):
        return "<phone>"
    if len(digits) >= _LONG_DIGITS:
        return "<number>"
    return run


# Names follow "my name is"-style openers in the three languages, including Georgian typed in Latin letters.
_OPENERS = [
    r"my\s+name\s+is",
    r"my\s+name['’]s",
    r"my\s+full\s+name\s+is",
    r"i\s+am\s+called",
    r"меня\s+зовут",
    r"зовут\s+меня",
    r"мо[её]\s+имя",
    r"моя\s+фамилия",
    r"с\s+вами\s+говорит",
    r"მე\s+მქვია",
    r"ჩემი\s+სახელი(?:\s+და\s+გვარი)?(?:\s+არის|ა)?",
    r"ჩემი\s+გვარი(?:\s+არის|ა)?",
    r"სახელად\s+მქვია",
    r"me\s+mqvia",
    r"chemi\s+(?:saxeli|sakheli|saheli)(?:\s+(?:da|and)\s+gvari)?(?:\s+aris|a)?",
    r"chemi\s+gvari(?:\s+aris|a)?",
]
_NAME_WORD = r"[^\W\d_][\w'’-]*"
_NAME_AFTER = re.compile(
    r"(?P<opener>(?<!\w)(?:" + "|".join(_OPENERS) + r"))(?P<sep>[\s:,\-–—]+)(?P<name>" + _NAME_WORD + r")"
    r"(?P<rest>(?:\s+" + _NAME_WORD + r"){0,2})",
    re.IGNORECASE,
)
# Georgian often puts the name before the verb: "მე გიორგი მქვია", "gio mqvia".
_NAME_BEFORE = re.compile(
    r"(?P<name>(?<![\w<])" + _NAME_WORD + r")(?P<sep>\s+)(?P<verb>მქვია|mqvia)(?!\w)", re.IGNORECASE
)
_NOT_NAMES = frozenset(
    """
    მე მეც სახელად და რომ მაგრამ me sakhelad saxelad da rom and but i not from a the я и но а не
    """.split()
)
# A second or third word is taken as part of the name only if it looks like one: capitalised, or a surname.
_SURNAME = re.compile(
    r"(?:ძე|შვილი|ია|ავა|ური|ანი|ული|ელი|dze|shvili|svili|ia|ava|uri|ani|uli|eli|ов|ова|ев|ева|ин|ина|ский|ская|"
    r"ко|ян)$",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"[A-ZА-ЯЁ]")


def _is_name_part(word: str) -> bool:
    if word.lower() in _NOT_NAMES:
        return False
    return bool(_CAPITALISED.match(word) or _SURNAME.search(word))


def _replace_name_after(match: re.Match[str]) -> str:
    if match.group("name").lower() in _NOT_NAMES:
        return match.group(0)
    words = match.group("rest").split()
    taken = 0
    while taken < len(words) and _is_name_part(words[taken]):
        taken += 1
    tail = "".join(f" {word}" for word in words[taken:])
    return f"{match.group('opener')}{match.group('sep')}<name>{tail}"


def _replace_name_before(match: re.Match[str]) -> str:
    if match.group("name").lower() in _NOT_NAMES:
        return match.group(0)
    return f"<name>{match.group('sep')}{match.group('verb')}"


_HANDLE = re.compile(r"(?<![\w@])@[A-Za-z]\w{3,}")  # Telegram/Viber-style @username


def redact(text: str) -> str:
    """`text` with e-mails, phone numbers, long numbers and introduced names replaced by placeholders."""
    text = _EMAIL.sub("<email>", text)
    text = _HANDLE.sub("<name>", text)
    text = _DIGIT_RUN.sub(_replace_digits, text)
    text = _NAME_AFTER.sub(_replace_name_after, text)
    return _NAME_BEFORE.sub(_replace_name_before, text)


_PLACEHOLDER_OR_WORD = re.compile(r"<(?:phone|email|number|name)>|[^\W_]+")


def normalise_question(text: str) -> str:
    """A key under which the same question typed differently is counted once."""
    text = unicodedata.normalize("NFKC", text).lower().replace("ё", "е")
    return " ".join(_PLACEHOLDER_OR_WORD.findall(text))
