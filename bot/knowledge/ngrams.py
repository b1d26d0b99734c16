"""TF-IDF over character n-grams, as scikit-learn's vectorizer computes it, for one message at a time.

The learned readers (danger.py, faq_model.py) are fitted on the matrix scikit-learn builds; a typed message is
then turned into its few non-zero features here, in Python, which costs a tenth of a millisecond where a call
into the vectorizer for one row costs ten times that.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["NGRAMS", "CharNgrams"]

# Pieces of two to five letters within a word: endings, stems and typos of all three languages and both Georgian
# scripts meet without a stemmer.
NGRAMS = (2, 5)


class CharNgrams:
    """Built by `fit`, which also returns the training matrix; only what scores a message is kept (and cached)."""

    def __init__(self, index: dict[str, int], idf: NDArray[np.float64]) -> None:
        self._index = index
        self._idf = idf

    @classmethod
    def fit(cls, texts: Sequence[str], min_df: int = 1) -> tuple[CharNgrams, csr_matrix]:
        vectorizer = _vectorizer(min_df)
        try:
            matrix = vectorizer.fit_transform(texts)
        except ValueError:  # a handful of texts share no piece twice: keep every piece
            vectorizer.set_params(min_df=1)
            matrix = vectorizer.fit_transform(texts)
        index = {gram: int(i) for gram, i in vectorizer.vocabulary_.items()}
        return cls(index, np.asarray(vectorizer.idf_, dtype=np.float64)), matrix

    def vector(self, text: str) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """The message's feature indices and values: sublinear TF times IDF, L2-normalised."""
        get = self._index.get
        found = [(i, count) for gram, count in _pieces(text).items() if (i := get(gram)) is not None]
        if not found:
            return np.zeros(0, dtype=np.intp), np.zeros(0)
        indices = np.fromiter((i for i, _ in found), dtype=np.intp, count=len(found))
        counts = np.fromiter((c for _, c in found), dtype=np.float64, count=len(found))
        values = (1.0 + np.log(counts)) * self._idf[indices]
        return indices, values / np.sqrt(values @ values)


def _vectorizer(min_df: int) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS, sublinear_tf=True, min_df=min_df)


_ANALYZE: Callable[[str], list[str]] = _vectorizer(1).build_analyzer()


@lru_cache(maxsize=16)
def _pieces(text: str) -> Counter[str]:
    """Every reader cuts a message the same way (the vectorizer's settings are shared); the danger model and the
    FAQ reader read the same message one after the other, so it is cut once."""
    return Counter(_ANALYZE(text))
