"""A second reader of questions: a linear classifier over character n-grams learned from every entry's questions
and examples, in every language (ngrams.py).

The search ranks the right entry first far more often than it dares to answer: two entries close in score
become "did you mean" buttons. When this reader, which weighs pieces of words rather than whole ones, picks the
same first entry clearly, the answer is given outright; when it picks another entry than the search's confident
one, both are offered instead, so an answer given outright is one both readers chose. On four sets nobody tuned it
on, the first rule answered 10-23 points more questions right for 0-2.4 points more wrong ones (README,
"Measurements"). When the search finds too little to go on (dialect, loanwords), this reader's clear pick is
answered alone: on all tuning sets 23 more answers right, none more wrong, no out-of-scope question more answered.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from sklearn.svm import LinearSVC

from bot.knowledge.ngrams import CharNgrams
from bot.knowledge.translit import fold

__all__ = ["FaqModel", "reading"]

# Its first entry must lead the second by this much, and score at least FLOOR. Chosen on the tuning sets' FAQ
# and out-of-scope questions: lower, more out-of-scope questions were answered (pensions, military service, "how
# do cats sleep" as the housing entry); higher, fewer right ones, for no fewer wrong.
MARGIN = 0.2
FLOOR = -0.3
# When the search is sure of one entry and this reader's first pick is another, the person gets both as choices
# instead of an answer. With a margin of 0.3 for the reader, that turned 7 wrong answers and 6 out-of-scope ones
# into choices for 3 right answers, out of about 1,500 confident answers; with no margin, on the sets written
# since (dev14-dev18), half of the answers it stops were wrong (6 of 12), and on the older tuning sets a third.


def reading(text: str) -> str:
    """A text's script-blind skeleton (translit.fold): a question typed in Latin letters meets examples written
    in Georgian script, and the other way round. On every tuning set this answered about two points more questions
    right (Georgian script, dev24_ka_questions: 72 -> 78 %) for as many wrong answers; the text and its skeleton
    together did as well, at twice the cost."""
    return fold(text)


class FaqModel:
    """Built once per content version from (entry id, text) pairs."""

    def __init__(self, texts: Iterable[tuple[str, str]]) -> None:
        pairs = list(texts)
        # A piece seen once is a name or a typo; the same content gives the same reader.
        self._features, matrix = CharNgrams.fit([reading(text) for _, text in pairs], min_df=2)
        fitted = LinearSVC(C=1.0, tol=1e-2, random_state=0).fit(matrix, [faq_id for faq_id, _ in pairs])
        self._ids: list[str] = [str(c) for c in fitted.classes_]
        # Per n-gram, its weight for every entry: a message touches only the rows of its own few n-grams.
        self._coef = np.ascontiguousarray(fitted.coef_.T)
        self._intercept = fitted.intercept_.copy()
        self._last: tuple[str | None, list[float]] = (None, [])

    def scores(self, text: str) -> list[float]:
        """Kept for the last text: a search asks whether this reader agrees, then for its runner-up."""
        if text == self._last[0]:
            return self._last[1]
        indices, values = self._features.vector(reading(text))
        found = (values @ self._coef[indices] + self._intercept).tolist()
        self._last = (text, found)
        return found

    def _pick(self, text: str) -> tuple[str, float, float]:
        """The first entry, its score and its lead over the second."""
        scores = self.scores(text)
        order = sorted(range(len(scores)), key=scores.__getitem__, reverse=True)
        best, second = scores[order[0]], scores[order[1]] if len(order) > 1 else float("-inf")
        return self._ids[order[0]], best, best - second

    def clear_pick(self, text: str) -> str | None:
        """This reader's first entry when it leads clearly, else None."""
        pick, best, lead = self._pick(text)
        return pick if best >= FLOOR and lead >= MARGIN else None

    def agrees(self, text: str, faq_id: str) -> bool:
        """Whether this reader's clear first pick is `faq_id`."""
        return self.clear_pick(text) == faq_id

    def runner_up(self, text: str, faq_id: str) -> str:
        """This reader's best entry other than `faq_id`."""
        scores = self.scores(text)
        others = [i for i, entry in enumerate(self._ids) if entry != faq_id]
        return self._ids[max(others, key=scores.__getitem__)] if others else ""

    def disagrees(self, text: str, faq_id: str) -> str | None:
        """The entry this reader picks first instead of `faq_id`, if another."""
        pick, _, _ = self._pick(text)
        return pick if pick != faq_id else None
