"""Strip personal data from questions kept for the staff gaps report, and key them for counting.

Redaction errs on the side of removing too much: a question is only useful to staff for its topic, never for
who asked it. Placeholders keep the shape of the question readable ("my number is <phone>").

Names are caught after an introduction ("my name is", "меня зовут", "მე მქვია", and the weaker "I am", "я",
"მე ვარ" when the next word looks like a name), by their shape (Georgian surnames in -ძე/-შვილი in any script,
common Georgian given names), and, given the content's vocabulary (`known`, bot/knowledge/vocabulary.py), as
any capitalised word that is neither a word the content uses nor a place. Street addresses and profile links
(t.me/...) go too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from bot.knowledge.spoken_numbers import spoken_runs
from bot.knowledge.textnorm import STOPWORDS, stem_ka

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


def _spoken_numbers(text: str) -> str:
    """A number written out in words ("five nine nine, one two...") goes as typed digits do."""
    for start, end, digits in reversed(spoken_runs(text)):
        text = text[:start] + ("<phone>" if len(digits) in _PHONE_DIGITS else "<number>") + text[end:]
    return text


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
_PROFILE_LINK = re.compile(
    r"(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog|wa\.me|viber\.click|invite\.viber\.com|"
    r"vk\.com|facebook\.com|fb\.com|instagram\.com|ok\.ru)/[^\s,;!?()]+",
    re.IGNORECASE,
)

# Street addresses: a street word with the name or number beside it ("Chavchavadze street 12", "ул. Руставели,
# д. 5", "ჭავჭავაძის ქუჩა 12", "flat 3"). A bare street word ("which street?") stays.
_STREET = (r"(?i:street|str|st|avenue|ave|road|rd|lane|blvd|boulevard|square|sq|flat|apt|apartment|building|"
           r"улица|ул|проспект|просп|пр-т|переулок|пер|бульвар|площадь|квартира|кв|дом|д|корпус|корп|"
           r"quCha|qucha|kucha|gamziri|shesakhvevi|bina|korpusi|"
           r"ქუჩა|ქუჩაზე|ქუჩაში|ქ|გამზირი|გამზირზე|გამზ|შესახვევი|ჩიხი|მოედანი|ბინა|კორპუსი|კორპ)")
_HOUSE_NUMBER = r"(?:№|#|N|n)?\s*\d+[\w/-]*"
_NOT_STREET_NAMES = "|".join(sorted(STOPWORDS["en"] | STOPWORDS["ru"], key=len, reverse=True))
_STREET_NAME = rf"(?:(?!(?i:{_NOT_STREET_NAMES})\b)[A-ZА-ЯЁ][\w'’-]+|[ა-ჰ]+(?:ის|ს)|\d+[\w/-]*)"
_ADDRESS = re.compile(
    rf"(?<![\w<])(?:{_STREET_NAME}\s+(?:{_STREET_NAME}\s+)?{_STREET}\b\.?(?:\s*,?\s*{_HOUSE_NUMBER})?"
    rf"|{_STREET}\b\.?\s*(?:{_STREET_NAME}(?:\s*,?\s*(?:{_STREET}\b\.?\s*)?{_HOUSE_NUMBER})?"
    rf"|{_HOUSE_NUMBER}))(?![\w>])"
)

# Common Georgian given names, in Georgian, Latin and Cyrillic letters; matched whole, as typed or inflected.
_GIVEN_NAMES_KA = frozenset("""
    გიორგი გოგა გიგა გიო დავით დათო ლევან ნიკა ნიკოლოზ ლუკა ლაშა ირაკლი ზურაბ ბექა თორნიკე ვახტანგ შოთა ზვიად
    მამუკა ნუგზარ ალექსანდრე ოთარ ტარიელ ნინო მარიამ ეკატერინე თამარ თამუნა ნათია ნათელა ხათუნა ქეთევან ქეთი
    ქეთო სალომე მანანა ლელა მაია ნესტან ელენე სოფო სოფიო ლიკა ლალი ციალა მზია ნანული ინგა
""".split())
_GIVEN_NAME_STEMS = frozenset(stem_ka(n) for n in _GIVEN_NAMES_KA)
_GIVEN_NAMES = frozenset("""
    giorgi gio davit dato levan nika nikoloz luka lasha irakli zurab beka tornike vakhtang vaxtang shota zviad
    mamuka nugzar aleksandre otar tariel nino mariam ekaterine tamar tamuna natia natela khatuna xatuna ketevan
    keti keto salome manana lela maia nestan elene sopo sopio mzia
    гиорги георгий давит дато леван ника николоз лука лаша ираклий зураб бека торнике вахтанг шота звиад мамука
    нугзар нино мариам екатерине тамар тамуна натия натела хатуна кетеван кети кето саломе манана лела майя
""".split())
_SURNAME_ENDINGS = ("dze", "dzis", "dzem", "shvili", "shvilis", "svili", "дзе", "швили")
_GEORGIAN = re.compile(r"[\u10a0-\u10ff]")
_UPPER_START = re.compile(r"[A-ZА-ЯЁ]")
_TOKEN = re.compile(r"<\w+>|[^\W\d_][\w'’-]*")
# After these a following word that looks like a name is one: "I am Giorgi", "я Зураб", "მე ვარ ნინო".
_WEAK_OPENERS = frozenset({
    ("i", "am"), ("i'm",), ("i’m",), ("this", "is"), ("it", "is"), ("it's",), ("it’s",), ("я",), ("это",),
    ("меня",), ("მე", "ვარ"), ("ეს", "არის"), ("me", "var"), ("es", "aris"),
})
_SENTENCE_END = re.compile(r"(?:^|[.!?\n])\s*$")


# Kinship words end like surnames (-შვილი "child"): a daughter, a grandchild or a cousin is not a name.
_KIN_KA = frozenset({"შვილ", "ქალიშვილ", "შვილიშვილ", "ვაჟიშვილ", "დისშვილ", "ძმისშვილ", "ბიძაშვილ",
                     "დეიდაშვილ", "მამიდაშვილ"})
_KIN_LATIN = re.compile(r"(?:qal[iy]|kal[iy]|vaj[iy]|vazh[iy]|dis|dzmis|bidza|deida|mamida|s?h?vili)?s?h?vil[a-z]{0,4}")


def _georgian_name(word: str) -> bool:
    lowered = word.lower()
    base = stem_ka(lowered)
    return lowered in _GIVEN_NAMES_KA or base in _GIVEN_NAME_STEMS or (
        len(base) >= 4 and base.endswith(("ძ", "შვილ")) and base not in _KIN_KA)


def _given_name(word: str, capital: bool) -> bool:
    """A common Georgian given name; capitalised, also with a case ending ("Вахтанга", "Giorgis")."""
    lowered = word.lower()
    if lowered in _GIVEN_NAMES or word in _GIVEN_NAMES_KA:
        return True
    return capital and any(lowered[:-n] in _GIVEN_NAMES for n in (1, 2) if len(lowered) - n >= 3)


def _shaped_like_name(word: str) -> bool:
    """A name by its form alone: a common Georgian given name or a Georgian surname, in any script."""
    if _GEORGIAN.search(word):
        return _georgian_name(word)
    lowered = word.lower()
    return lowered in _GIVEN_NAMES or (len(lowered) >= 6 and lowered.endswith(_SURNAME_ENDINGS)
                                       and not _KIN_LATIN.fullmatch(lowered))


def _replace_names(text: str, known: Callable[[str], bool] | None) -> str:
    """The token pass: names by shape, after a weak opener, and (given `known`) capitalised unknown words."""
    tokens = list(_TOKEN.finditer(text))
    names: list[bool] = []
    for i, match in enumerate(tokens):
        word = match.group()
        if word.startswith("<"):
            names.append(False)
            continue
        is_known = known is not None and known(word)
        capital = bool(_UPPER_START.match(word)) and not (word.isupper() and len(word) <= 5)
        opened = any(tuple(t.group().lower() for t in tokens[max(0, i - n):i]) in _WEAK_OPENERS for n in (1, 2))
        if _given_name(word, capital) or _shaped_like_name(word):
            name = True  # a given name or a surname wins over a village or a word of the same spelling
        elif is_known:
            name = False
        elif opened or (names and names[-1] and capital):  # after an opener, or a name's second word
            name = capital or (known is not None and bool(_GEORGIAN.search(word)))
        elif capital and known is not None:
            at_start = bool(_SENTENCE_END.search(text[: match.start()]))
            following = tokens[i + 1].group() if i + 1 < len(tokens) else ""
            name = not at_start or bool(_UPPER_START.match(following) and not known(following))
        else:
            name = False
        names.append(name)
    if not any(names):
        return text
    parts, last = [], 0
    for match, name in zip(tokens, names, strict=True):
        if name:
            parts.append(text[last : match.start()])
            parts.append("<name>")
            last = match.end()
    parts.append(text[last:])
    return _REPEATED_NAME.sub("<name>", "".join(parts))


_REPEATED_NAME = re.compile(r"<name>(?:[\s,]+<name>)+")


def redact(text: str, known: Callable[[str], bool] | None = None) -> str:
    """`text` with e-mails, phone numbers, long numbers, addresses, profile links and names replaced by
    placeholders. `known` tells words the content uses (and places) from others; without it only names that
    are introduced or shaped like one are caught."""
    text = _EMAIL.sub("<email>", text)
    text = _PROFILE_LINK.sub("<name>", text)
    text = _HANDLE.sub("<name>", text)
    text = _ADDRESS.sub("<address>", text)
    text = _DIGIT_RUN.sub(_replace_digits, text)
    text = _spoken_numbers(text)
    text = _NAME_AFTER.sub(_replace_name_after, text)
    text = _NAME_BEFORE.sub(_replace_name_before, text)
    return _replace_names(text, known)


_PLACEHOLDER_OR_WORD = re.compile(r"<(?:phone|email|number|name|address)>|[^\W_]+")


def normalise_question(text: str) -> str:
    """A key under which the same question typed differently is counted once."""
    text = unicodedata.normalize("NFKC", text).lower().replace("ё", "е")
    return " ".join(_PLACEHOLDER_OR_WORD.findall(text))
