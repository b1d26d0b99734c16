"""What editors decided in the desk about questions the content did not answer: "this is an example of entry X"
or "this is out of scope". Applied on top of a content snapshot, so the matcher uses them at once, until
`hotline content export-examples` has written them into the YAML files for review.

A decided question (or one typed almost the same way) is answered by its entry or declined outright: the editor
has looked at exactly this question. As an example it also joins the entry's examples in the search, so that
similar questions find the entry too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.knowledge.redact import normalise_question

__all__ = ["NEAR_IDENTICAL", "Decided", "StaffDecisions"]

NEAR_IDENTICAL = 90.0  # similarity (0..100) of normalised texts: a typo or two, never another question
SHORTEST = 12  # characters: shorter questions must match exactly ("visa usa" is not "visa uae")


@dataclass(frozen=True)
class Decided:
    """One decision as the matcher sees it: no one's name, only the question and what to do with it."""

    lang: str
    text: str
    faq_id: str = ""  # empty: out of scope

    @property
    def out_of_scope(self) -> bool:
        return not self.faq_id


class StaffDecisions:
    """Decisions keyed by the normalised question; the latest decision on a question wins."""

    def __init__(self, decided: Iterable[Decided] = (), stamp: tuple[int, int] = (0, 0)) -> None:
        self.stamp = stamp
        self._by_key: dict[str, Decided] = {}
        for item in decided:
            key = normalise_question(item.text)
            if key:
                self._by_key[key] = item
        self._keys = list(self._by_key)

    def __len__(self) -> int:
        return len(self._by_key)

    def __iter__(self) -> Iterator[Decided]:
        return iter(self._by_key.values())

    def find(self, text: str) -> Decided | None:
        """The decision on this question, or on one typed nearly the same way."""
        if not self._keys:
            return None
        key = normalise_question(text)
        found = self._by_key.get(key)
        if found is not None or len(key) < SHORTEST:
            return found
        best = process.extractOne(key, self._keys, scorer=fuzz.ratio, score_cutoff=NEAR_IDENTICAL)
        return self._by_key[best[0]] if best else None

    def examples(self) -> list[Decided]:
        return [item for item in self._by_key.values() if not item.out_of_scope]
