"""TF-IDF over character n-grams, as scikit-learn's vectorizer computes it, for one message at a time.

The learned readers (danger.py, faq_model.py) are fitted on the matrix scikit-learn builds; a typed message is
then turned into its few non-zero features here, in Python, which costs a tenth of a millisecond where a call
into the vectorizer for one row costs ten times that.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence

from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["NGRAMS", "CharNgrams"]

# Pieces of two to five letters within a word: endings, stems and typos of all three languages and both Georgian
# scripts meet without a stemmer.
NGRAMS = (2, 5)


class CharNgrams:
    """Built by `fit`, which also returns the training matrix; only what scores a message is kept (and cached)."""

    def __init__(self, analyze: Callable[[str], list[str]], index: dict[str, int], idf: list[float]) -> None:
        self._analyze = analyze
        self._index = index
        self._idf = idf

    @classmethod
    def fit(cls, texts: Sequence[str], min_df: int = 1) -> tuple[CharNgrams, csr_matrix]:
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS, sublinear_tf=True, min_df=min_df)
        try:
            matrix = vectorizer.fit_transform(texts)
        except ValueError:  # a handful of texts share no piece twice: keep every piece
            vectorizer.set_params(min_df=1)
            matrix = vectorizer.fit_transform(texts)
        index = {gram: int(i) for gram, i in vectorizer.vocabulary_.items()}
        return cls(vectorizer.build_analyzer(), index, [float(x) for x in vectorizer.idf_]), matrix

    def vector(self, text: str) -> tuple[list[int], list[float]]:
        """The message's feature indices and values: sublinear TF times IDF, L2-normalised."""
        counts = Counter(i for gram in self._analyze(text) if (i := self._index.get(gram)) is not None)
        indices = list(counts)
        values = [(1.0 + math.log(counts[i])) * self._idf[i] for i in indices]
        norm = math.sqrt(sum(v * v for v in values))
        return indices, [v / norm for v in values] if norm else values
