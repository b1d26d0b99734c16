"""Phone numbers written out in words: "five nine nine, two one, four four...", "пять девять девять, двенадцать,
тридцать четыре", "ხუთი ცხრა ცხრა ოცდაერთი", "xuti cxra cxra ocdaerti".

People who dictate to their phone, or who were told "write it in words", leave numbers so. Read as digits, such a
number is a callback request like any other, is refused nowhere in the callback form, and is redacted from what
staff see as typed digits are. Only a run of number words holding at least `MIN_DIGITS` digits counts: "two
kids", "тридцать лет", "ოცდაათი წლის" stay words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.knowledge.translit import to_georgian

__all__ = ["spoken_digits", "spoken_runs"]

MIN_DIGITS = 7

_EN_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
             "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_EN_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_RU_UNITS = ["ноль", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять", "десять",
             "одиннадцать", "двенадцать", "тринадцать", "четырнадцать", "пятнадцать", "шестнадцать", "семнадцать",
             "восемнадцать", "девятнадцать"]
_RU_TENS = ["двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят", "восемьдесят", "девяносто"]
_RU_HUNDREDS = ["сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот", "восемьсот", "девятьсот"]
_KA_UNITS = ["ნული", "ერთი", "ორი", "სამი", "ოთხი", "ხუთი", "ექვსი", "შვიდი", "რვა", "ცხრა", "ათი", "თერთმეტი",
             "თორმეტი", "ცამეტი", "თოთხმეტი", "თხუთმეტი", "თექვსმეტი", "ჩვიდმეტი", "თვრამეტი", "ცხრამეტი"]
# Georgian counts in twenties: 21 is ოცდაერთი (twenty-and-one), 90 ოთხმოცდაათი (four-twenties-and-ten).
_KA_SCORES = {"ოც": 20, "ორმოც": 40, "სამოც": 60, "ოთხმოც": 80}
_KA_HUNDREDS = {"ას": 1, "ორას": 2, "სამას": 3, "ოთხას": 4, "ხუთას": 5, "ექვსას": 6, "შვიდას": 7, "რვაას": 8,
                "ცხრაას": 9}


@dataclass(frozen=True)
class _Word:
    value: int
    kind: str  # "unit" (0-19), "tens" (20-90, takes a unit after it), "hundred" (takes tens or units), "whole"


def _table() -> dict[str, _Word]:
    words: dict[str, _Word] = {"oh": _Word(0, "unit"), "нуль": _Word(0, "unit"), "одна": _Word(1, "unit"),
                               "две": _Word(2, "unit"), "ნოლი": _Word(0, "unit"), "hundred": _Word(100, "times")}
    for units, tens in ((_EN_UNITS, _EN_TENS), (_RU_UNITS, _RU_TENS)):
        words.update({word: _Word(value, "unit") for value, word in enumerate(units)})
        words.update({word: _Word(20 + 10 * i, "tens") for i, word in enumerate(tens)})
    words.update({word: _Word(100 * (i + 1), "hundred") for i, word in enumerate(_RU_HUNDREDS)})
    words.update({word: _Word(value, "whole") for value, word in enumerate(_KA_UNITS)})
    for stem, score in _KA_SCORES.items():
        words[stem + "ი"] = _Word(score, "whole")
        words.update({f"{stem}და{word}": _Word(score + value, "whole")
                      for value, word in enumerate(_KA_UNITS) if value})
    for stem, times in _KA_HUNDREDS.items():
        words[stem + "ი"] = _Word(100 * times, "whole")
        words[stem] = _Word(100 * times, "hundred")  # ხუთას ოთხმოცდაცხრამეტი: 599
    return words


_WORDS = _table()
_TOKEN = re.compile(r"[^\W\d_]+")
_JOINERS = re.compile(r"[\s,.;:\-–—/()+]*(?:and|и|და)?[\s,.;:\-–—/()+]*", re.IGNORECASE)


@lru_cache(maxsize=8192)
def _word(token: str) -> _Word | None:
    lowered = token.lower()
    found = _WORDS.get(lowered)
    if found is None and lowered.isascii():
        found = _WORDS.get(to_georgian(lowered))  # Georgian typed in Latin letters
    return found


def _digits(words: list[_Word]) -> str:
    """The digits a run of number words says: each group (a number said as one, like "thirty four") in turn."""
    groups: list[int] = []
    open_for = 0  # the largest value the last group can still take in: 99 after a hundred, 9 after tens
    for word in words:
        if word.kind == "times" and groups and groups[-1] < 10:
            groups[-1] *= 100
            open_for = 99
        elif word.kind != "times" and groups and word.value <= open_for and word.kind in ("unit", "tens", "whole"):
            groups[-1] += word.value
            open_for = 9 if word.kind == "tens" else 0
        else:
            groups.append(word.value)
            open_for = {"hundred": 99, "tens": 9}.get(word.kind, 0)
    return "".join(str(group) for group in groups)


def spoken_runs(text: str) -> list[tuple[int, int, str]]:
    """(start, end, digits) of each run of number words that says a number of at least MIN_DIGITS digits."""
    runs: list[tuple[int, int, str]] = []
    run: list[tuple[int, int, _Word]] = []

    def close() -> None:
        if run:
            digits = _digits([word for _, _, word in run])
            if len(digits) >= MIN_DIGITS:
                runs.append((run[0][0], run[-1][1], digits))
            run.clear()

    for match in _TOKEN.finditer(text):
        word = _word(match.group())
        if word is None:
            close()
            continue
        if run and not _JOINERS.fullmatch(text, run[-1][1], match.start()):
            close()
        run.append((match.start(), match.end(), word))
    close()
    return runs


def spoken_digits(text: str) -> str | None:
    """`text` with each spelled-out number written in digits, or None when it holds none."""
    runs = spoken_runs(text)
    if not runs:
        return None
    parts: list[str] = []
    last = 0
    for start, end, digits in runs:
        parts += [text[last:start], digits]
        last = end
    return "".join([*parts, text[last:]])
