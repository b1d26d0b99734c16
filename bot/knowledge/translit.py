"""Georgian, Latin and Cyrillic spellings of the same words, brought together.

People write Georgian in three scripts: Georgian itself, Latin (the official national romanisation, or the
informal "keyboard" habit where w = წ, x = ხ, y = ყ, q = ქ), and Russian Cyrillic. Three functions cover the
needs of search and place matching:

- `georgian_to_latin`: the national romanisation (2002), e.g. წყალტუბო -> tsqaltubo;
- `to_georgian`: one deterministic best guess at the Georgian spelling of Latin or Cyrillic text;
- `fold`: a lossy, script-insensitive skeleton where letters people confuse collapse into one, so
  "tskaltubo", "tsqaltubo", "წყალტუბო", "wyaltubo" and "Цхалтубо" all give "ckaltubo".

Every direction is a table; the tables are data, the functions only apply them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "CYRILLIC_TO_GEORGIAN",
    "CYRILLIC_TO_LATIN",
    "GEORGIAN_TO_LATIN",
    "LATIN_TO_GEORGIAN",
    "SKELETON_RULES",
    "fold",
    "georgian_to_latin",
    "has_cyrillic",
    "has_georgian",
    "to_georgian",
    "to_russian",
]

# National system of romanisation of Georgian (2002): ejectives are not marked, so კ/ქ -> k, ტ/თ -> t etc.
# The last eight letters are archaic and appear only in old names.
GEORGIAN_TO_LATIN: dict[str, str] = {
    "ა": "a", "ბ": "b", "გ": "g", "დ": "d", "ე": "e", "ვ": "v", "ზ": "z", "თ": "t", "ი": "i", "კ": "k",
    "ლ": "l", "მ": "m", "ნ": "n", "ო": "o", "პ": "p", "ჟ": "zh", "რ": "r", "ს": "s", "ტ": "t", "უ": "u",
    "ფ": "p", "ქ": "k", "ღ": "gh", "ყ": "q", "შ": "sh", "ჩ": "ch", "ც": "ts", "ძ": "dz", "წ": "ts", "ჭ": "ch",
    "ხ": "kh", "ჯ": "j", "ჰ": "h",
    "ჱ": "e", "ჲ": "i", "ჳ": "vi", "ჴ": "q", "ჵ": "o", "ჶ": "f", "ჷ": "e", "ჸ": "",
}  # fmt: skip

# Latin -> Georgian, longest spelling first. An apostrophe marks an ejective (scientific spelling); without
# one the commoner letter wins (t -> თ, k -> ქ, ch -> ჩ, ts -> ც). Clusters settle the frequent pairs:
# ts+q/k is წყ (tsqali, tskaltubo), ts+kh is ცხ (mtskheta).
LATIN_TO_GEORGIAN: dict[str, str] = {
    "ts'": "წ", "ch'": "ჭ", "tch": "ჩ", "tskh": "ცხ", "tsq": "წყ", "tsk": "წყ", "dzh": "ჯ",
    "k'": "კ", "p'": "პ", "t'": "ტ", "q'": "ყ", "c'": "წ",
    "kh": "ხ", "gh": "ღ", "zh": "ჟ", "sh": "შ", "ch": "ჩ", "ts": "ც", "tz": "ც", "dz": "ძ", "dj": "ჯ",
    "ph": "ფ", "th": "თ",
    "a": "ა", "b": "ბ", "g": "გ", "d": "დ", "e": "ე", "v": "ვ", "z": "ზ", "t": "თ", "i": "ი", "k": "ქ",
    "l": "ლ", "m": "მ", "n": "ნ", "o": "ო", "p": "პ", "r": "რ", "s": "ს", "u": "უ", "f": "ფ", "q": "ყ",
    "y": "ყ", "w": "წ", "x": "ხ", "c": "ც", "j": "ჯ", "h": "ჰ",
}  # fmt: skip

# People who type on a Georgian keyboard layout write q for ქ, and so k for კ; their text gives itself away
# with w, x or y, which the official romanisation never uses.
_KEYBOARD_HINT = re.compile(r"[wxy]")
_LATIN_TO_KA_KEYBOARD: dict[str, str] = {**LATIN_TO_GEORGIAN, "q": "ქ", "k": "კ"}

# Russian spellings of Georgian words. Russian has no ejectives or ღ/ყ, so one letter stands for several;
# the commoner one wins. Clusters: цк is წყ (Цкнети), дж is ჯ, дз is ძ.
CYRILLIC_TO_GEORGIAN: dict[str, str] = {
    "дж": "ჯ", "дз": "ძ", "цк": "წყ", "тк": "ტყ",
    "а": "ა", "б": "ბ", "в": "ვ", "г": "გ", "д": "დ", "е": "ე", "ё": "ო", "ж": "ჟ", "з": "ზ", "и": "ი",
    "й": "ი", "к": "ქ", "л": "ლ", "м": "მ", "н": "ნ", "о": "ო", "п": "პ", "р": "რ", "с": "ს", "т": "თ",
    "у": "უ", "ф": "ფ", "х": "ხ", "ц": "ც", "ч": "ჩ", "ш": "შ", "щ": "შ", "ъ": "", "ы": "ი", "ь": "",
    "э": "ე", "ю": "იუ", "я": "ია", "і": "ი", "ї": "ი", "є": "ე", "ґ": "გ", "ў": "უ",
}  # fmt: skip

# Russian typed in Latin letters, as on a phone without a Russian keyboard ("pomogite, muj b'et menya"): the
# informal spellings, longest first. j is ж (muj, pojaluista), 4 is ч (4to), w is ш, an apostrophe ь.
LATIN_TO_RUSSIAN: dict[str, str] = {
    "shch": "щ", "sch": "щ", "zh": "ж", "kh": "х", "ch": "ч", "sh": "ш", "ts": "ц", "tz": "ц", "ya": "я", "yu": "ю",
    "yo": "ё", "ye": "е", "'": "ь", "’": "ь",
    "a": "а", "b": "б", "v": "в", "g": "г", "d": "д", "e": "е", "j": "ж", "z": "з", "i": "и", "y": "ы", "k": "к",
    "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "r": "р", "s": "с", "t": "т", "u": "у", "f": "ф", "h": "х",
    "x": "х", "c": "ц", "w": "ш", "q": "к",
}  # fmt: skip
_START = r"(?<![a-z'’])"  # the start of a word; an apostrophe is a soft sign inside one (b'et, det'mi)
# Spellings that depend on the letters around them, applied before the table, in this order.
_RUSSIAN_CONTEXT: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p.replace("^", _START)), r) for p, r in (
    (r"^(?:4to|shto|chto)\b", "что"), (r"^(?:eshe|esche|ewe)\b", "ещё"), (r"^pomo(?:sh|w)", "помощ"),
    (r"^mi\b", "мы"), (r"^vi\b", "вы"), (r"^ti\b", "ты"), (r"^bil(?=[aio]?\b)", "был"),
    (r"^c\b", "с"),  # the preposition, typed with the Latin look-alike
    (r"^ju", "ю"), (r"ja\b", "я"), (r"^ots", "отс"), (r"ts(?:y?a|ia)\b", "тся"), (r"^et", "эт"),
    (r"(?<=[bcdfghjklmnpqrstvwxz])ye", "ые"), (r"yain\b", "яин"),  # hozyain: хозяин, never -яйн
    # й: i or y after a vowel before a consonant or the end (seichas, moy), j ending a word (moj), but not in
    # poisk, proizoshlo, stroitel, Ukraina, nor нож and муж
    (r"(?<!\bpo)(?<!\bpro)(?<!stro)(?<!ukra)(?<=[aeouy])[iy](?![aeiouy])", "й"),
    (r"(?<!\bno)(?<!\bmu)(?<=[oyie])j\b", "й"),
    (r"(?<=[a-z])4|4(?=[a-z])", "ч"),
    # the soft sign left out: bet / b'et / biut for бьёт, бьют; ishut for ищут (щ is often typed sh)
    (r"^b(?:['ijy]?(?:et|jot|yot)|['ijy]ot)\b", "бьет"), (r"^b['ijy]ut\b", "бьют"),
    (r"^ish(?=u\b|ut\b|et\b|ete\b|em\b)", "ищ"),
))

# Cyrillic -> Latin for folding (Russian, Ukrainian, and the letters Abkhaz and Ossetian names use in place
# data). Folding collapses the result further, so the exact choices here matter little.
CYRILLIC_TO_LATIN: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "i", "ь": "",
    "э": "e", "ю": "iu", "я": "ia", "і": "i", "ї": "i", "є": "e", "ґ": "g", "ў": "u", "ј": "i", "љ": "l",
    "њ": "n", "ћ": "ch", "ђ": "dj", "џ": "dzh", "ѕ": "dz",
    "ҭ": "t", "ҟ": "k", "қ": "k", "ҵ": "ts", "ҷ": "ch", "ҽ": "ch", "ә": "a", "ӡ": "dz", "ҩ": "o", "ԥ": "p",
    "ҳ": "kh", "ҕ": "gh", "ӷ": "gh", "ғ": "gh", "ұ": "u", "ү": "u", "ө": "o", "ң": "n", "җ": "j", "һ": "h",
    "ӏ": "", "æ": "ae",
}  # fmt: skip
# Russian writes ჯ and ძ with two letters; they fold as one sound.
_CYRILLIC_CLUSTERS = {"дж": "џ", "дз": "ѕ"}

# Latin letters NFKD does not take apart, and the scientific spellings of Georgian (č š ž ǯ ʒ ġ), which
# mean a digraph rather than a plain letter.
_LATIN_EXTRA: dict[str, str] = {
    "č": "ch", "š": "sh", "ž": "zh", "ǯ": "j", "ǰ": "j", "ʒ": "dz", "ġ": "gh", "ç": "ch", "ş": "sh",
    "ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ı": "i", "đ": "d", "ð": "d", "þ": "th", "ħ": "h",
}  # fmt: skip

# The skeleton of Latin text: each spelling on the left becomes the letters on the right, longest first.
# What collapses: ts/tz/c/ch/tch/w (წ ც ჭ ჩ), sh/s, zh/j/dzh/dj, kh/x, gh/g, k/q/y (ქ კ ყ), p/f/ph, t/th,
# dz/z. "tsh" is t + sh (ქობულეთში typed as "kobuletshi"), which ც + ჰ practically never is.
SKELETON_RULES: dict[str, str] = {
    "tsh": "ts", "tch": "c", "dzh": "j", "sch": "s", "dj": "j", "zh": "j", "kh": "x", "gh": "g", "ph": "p", "th": "t",
    "sh": "s", "ch": "c", "ts": "c", "tz": "c", "dz": "z", "ck": "k", "w": "c", "q": "k", "y": "k", "f": "p",
}  # fmt: skip

_APOSTROPHES = "'’ʼ`ʻ´‘"
# Phone keyboards without Georgian letters: 4 stands for ჩ ("4emi") and 7 for შ ("me7inia") inside a word.
_DIGIT_LETTERS = re.compile(r"(?<=[a-z])[47](?![0-9])|(?<![0-9])[47](?=[a-z])")
_DIGIT_SOUNDS = {"4": "ch", "7": "sh"}
_MARKS_OR_SPACE = re.compile(r"[^0-9a-z]+")
_DOUBLE = re.compile(r"(.)\1+")


def _alternation(keys: list[str] | dict[str, str]) -> re.Pattern[str]:
    ordered = sorted(keys, key=len, reverse=True)
    return re.compile("|".join(re.escape(k) for k in ordered))


_LATIN_TO_KA_RE = _alternation(LATIN_TO_GEORGIAN)
# At the end of a word "ts" is ტ + the ending ს (grants, pasports, bilets), hardly ever ც.
_FINAL_TS = re.compile(r"(?<=[a-z])ts\b")
_CYR_TO_KA_RE = _alternation(CYRILLIC_TO_GEORGIAN)
_LATIN_TO_RU_RE = _alternation(LATIN_TO_RUSSIAN)
_SKELETON_RE = _alternation(SKELETON_RULES)
_GEORGIAN_RE = re.compile(r"[\u10a0-\u10ff\u1c90-\u1cbf\u2d00-\u2d2f]")
_CYRILLIC_RE = re.compile(r"[\u0400-\u052f]")


def has_georgian(text: str) -> bool:
    """True when `text` has at least one Georgian letter."""
    return _GEORGIAN_RE.search(text) is not None


def has_cyrillic(text: str) -> bool:
    """True when `text` has at least one Cyrillic letter."""
    return _CYRILLIC_RE.search(text) is not None


def _lower(text: str) -> str:
    # NFKC then lower(): Mtavruli capitals (Ა) become Mkhedruli, full-width letters become plain ones.
    return unicodedata.normalize("NFKC", text).lower()


def georgian_to_latin(text: str) -> str:
    """Georgian letters in the national romanisation; everything else is kept (lower-cased)."""
    return "".join(GEORGIAN_TO_LATIN.get(ch, ch) for ch in _lower(text))


def _strip_marks(text: str) -> str:
    if text.isascii():
        return text
    text = "".join(_LATIN_EXTRA.get(ch, ch) for ch in text)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def to_georgian(text: str) -> str:
    """One best guess at `text` in Georgian script: Latin and Cyrillic letters are transliterated.

    Georgian letters, digits and punctuation pass through. Apostrophes mark ejectives (k' -> კ) and are used up.
    """
    text = _lower(text)
    for mark in _APOSTROPHES[1:]:
        text = text.replace(mark, "'")
    table = _LATIN_TO_KA_KEYBOARD if _KEYBOARD_HINT.search(text) else LATIN_TO_GEORGIAN
    text = _CYR_TO_KA_RE.sub(lambda m: CYRILLIC_TO_GEORGIAN[m.group()], text)
    text = _DIGIT_LETTERS.sub(lambda m: _DIGIT_SOUNDS[m.group()], _strip_marks(text))
    text = _LATIN_TO_KA_RE.sub(lambda m: table[m.group()], _FINAL_TS.sub("ტს", text))
    return text.replace("'", "")


@lru_cache(maxsize=4096)
def to_russian(text: str) -> str:
    """Russian typed in Latin letters, read in Cyrillic (see LATIN_TO_RUSSIAN); other letters pass through."""
    text = _lower(text).replace("ʼ", "'")
    for pattern, replacement in _RUSSIAN_CONTEXT:
        text = pattern.sub(replacement, text)
    return _LATIN_TO_RU_RE.sub(lambda m: LATIN_TO_RUSSIAN[m.group()], text)


def _latin_skeleton(word: str) -> str:
    word = _DIGIT_LETTERS.sub(lambda m: _DIGIT_SOUNDS[m.group()], _strip_marks(word))
    if len(word) > 3 and word.endswith("ts"):
        return _SKELETON_RE.sub(lambda m: SKELETON_RULES[m.group()], word[:-2]) + "ts"
    return _SKELETON_RE.sub(lambda m: SKELETON_RULES[m.group()], word)


# Georgian and Cyrillic letters fold one by one: their skeleton is the skeleton of their romanisation, so no
# digraph can form across two letters (კახეთში is t + sh, never ts + h).
_SCRIPT_SKELETON = str.maketrans(
    {ch: _latin_skeleton(lat) for ch, lat in {**GEORGIAN_TO_LATIN, **CYRILLIC_TO_LATIN}.items()}
)
_APOSTROPHE_RE = re.compile("[" + re.escape(_APOSTROPHES) + "]")
_WORD_RE = re.compile(r"[^\W_]+")


def _fold_word(word: str) -> str:
    if not word.isascii() and (has_georgian(word) or has_cyrillic(word)):
        for cluster, letter in _CYRILLIC_CLUSTERS.items():
            word = word.replace(cluster, letter)
        # Latin "dz" folds to "z" as ძ does; ხიდზე typed "khidze" or "хидзе" is read as ხიძე, so დზ folds the same.
        word = word.translate(_SCRIPT_SKELETON).replace("dz", "z")
    else:
        word = _latin_skeleton(word)
    # ცხ and წყ are both heard as "ts + k"; Russian writes Цхалтубо for წყალტუბო.
    word = _MARKS_OR_SPACE.sub("", word).replace("cx", "ck")
    return _DOUBLE.sub(r"\1", word)


@lru_cache(maxsize=16_384)
def fold(text: str) -> str:
    """Script-insensitive matching key: lower-case ASCII skeleton words separated by single spaces.

    Lossy on purpose: letters that informal spellings confuse collapse, doubled letters merge, punctuation
    and apostrophes go. Two spellings of one name fold to the same or a very close key.
    """
    words = _WORD_RE.findall(_APOSTROPHE_RE.sub("", _lower(text)))
    return " ".join(w for w in map(_fold_word, words) if w)
