"""TF-IDF over character n-grams, as scikit-learn's vectorizer computes it, for one message at a time.

The learned readers (danger.py, faq_model.py) are fitted on the matrix scikit-learn builds; a typed message is
then turned into its few non-zero features here, in Python, which costs a tenth of a millisecond where a call
into the vectorizer for one row costs ten times that. The pieces never cross a space, so a message's counts are
the sum of its words': the words of the texts a reader learned from are cut once, when it is fitted, and only a
word it never saw is cut when it comes.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from itertools import chain

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["NGRAMS", "CharNgrams"]

# Pieces of two to five letters within a word: endings, stems and typos of all three languages and both Georgian
# scripts meet without a stemmer.
NGRAMS = (2, 5)


class CharNgrams:
    """Built by `fit`, which also returns the training matrix; only what scores a message is kept (and cached),
    with the features of every word of the texts it was fitted on."""

    def __init__(self, index: dict[str, int], idf: NDArray[np.float64], words: Iterable[str] = ()) -> None:
        self._index = index
        self._idf = idf
        self._words: dict[str, array[int]] = {word: self._features(word) for word in words}

    @classmethod
    def fit(cls, texts: Sequence[str], min_df: int = 1) -> tuple[CharNgrams, csr_matrix]:
        vectorizer = _vectorizer(min_df)
        try:
            matrix = vectorizer.fit_transform(texts)
        except ValueError:  # a handful of texts share no piece twice: keep every piece
            vectorizer.set_params(min_df=1)
            matrix = vectorizer.fit_transform(texts)
        index = {gram: int(i) for gram, i in vectorizer.vocabulary_.items()}
        words = {word for text in texts for word in _words(text)}
        return cls(index, np.asarray(vectorizer.idf_, dtype=np.float64), words), matrix

    def vector(self, text: str) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """The message's feature indices and values: sublinear TF times IDF, L2-normalised.

        Counted in the order the pieces come, as the vectorizer counts them, so the sums come out the same."""
        known = self._words
        counts = Counter(chain.from_iterable(
            found if (found := known.get(word)) is not None else self._features(word) for word in _words(text)))
        if not counts:
            return np.zeros(0, dtype=np.intp), np.zeros(0)
        indices = np.fromiter(counts, dtype=np.intp, count=len(counts))
        values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) \
            * self._idf[indices]
        return indices, values / np.sqrt(values @ values)

    def _features(self, word: str) -> array[int]:
        """The features of one word's pieces, in order, repeats included."""
        get = self._index.get
        return array("i", [i for gram in _CUT(word) if (i := get(gram)) is not None])


def _vectorizer(min_df: int) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS, sublinear_tf=True, min_df=min_df)


# The vectorizer's own cut of one word (its analyzer lower-cases the text, then cuts each word of `str.split`).
_CUT: Callable[[str], list[str]] = _vectorizer(1)._char_wb_ngrams


def _words(text: str) -> list[str]:
    return text.lower().split()
