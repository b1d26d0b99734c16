"""Danger told in words no phrase lists, learned from messages staff mark as danger or calm (content/danger.yaml).

Phrases and hints catch danger said the way someone already wrote it; each new way of telling it ("they took our
shoes", "the door is locked again") started 20-30 points below them. A logistic regression over character
n-grams (ngrams.py) carries over to new wording far better, in both Georgian scripts, Russian and English,
because it weighs the pieces of words, endings and typos included. It is trained when the content loads (about a
second; the content cache keeps it).
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sklearn.linear_model import LogisticRegression

from bot.i18n import LANGUAGES
from bot.knowledge.ngrams import CharNgrams
from bot.knowledge.textnorm import PHONE

__all__ = ["DANGER_AT", "MIN_WORDS", "SURE_AT", "C", "DangerFile", "DangerModel"]

C = 4.0  # the regularisation that separated best on the tuning sets' held-apart thirds
# The probability from which a message counts as danger. On the dev14 set nobody tuned on, 0.6 caught 23 of the 29
# dangers the phrases missed for 2 more needless 112 lines in 50 calm look-alikes. On the sets written since (dev14
# to dev19, none in danger.yaml), 0.5 caught 10 more of 460 dangers than 0.6 for 12 more needless 112 lines in
# 1,450 calm messages (each still followed by its answer). 0.45 caught 5 more, but alarmed people who introduce
# themselves ("my name is ..., can I take my parrot on the ferry?" 0.45-0.48) and short answers to the pre-check
# ("незаконно, больше года", 0.48).
DANGER_AT = 0.5
# A word that cancels danger phrases ("last year") does not outweigh the model from here: a story of a sister
# who came back last year and is now locked in a room in Brussels scored 0.93. Of all the tuning sets' messages
# with such a word and no danger phrase left, none of the calm ones scored 0.85 or more.
SURE_AT = 0.9
# An off-topic word that does not explain a long message ("they make the neighbours' boy beg in the metro") leaves
# it to the model from here. Of the tuning sets' messages this reading changes, the calm ones (a film about a
# kidnapping, a football defeat, an old mother's case) scored 0.58-0.70; the begging boy 0.88.
OFF_TOPIC_AT = 0.75
# Two words are too little to read danger from pieces of words ("borjomidan var", I am from Borjomi, scored 0.61);
# no danger the tuning sets tell in two words was left to the model alone.
MIN_WORDS = 3
# Words typed with no spaces between them ("სასწრაფოდგამოგზავნეთვინმეჩემიდაიკოგაიტაცეს...", typed in a panic) are as
# many words as their letters make: a run of more than WORD_RUN letters counts one word per WORD_LETTERS of them.
WORD_RUN = 24
WORD_LETTERS = 8


class DangerFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    danger: dict[str, list[str]] = Field(default_factory=dict)
    calm: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _both(self) -> DangerFile:
        for name in ("danger", "calm"):
            texts = getattr(self, name)
            unknown = sorted(set(texts) - set(LANGUAGES))
            if unknown:
                raise ValueError(f"{name}: unknown language code(s) {', '.join(unknown)}")
            if not any(texts.values()):
                raise ValueError(f"{name}: no messages; the model needs both danger and calm ones")
        return self


class DangerModel:
    """Built once per content version; `probability` runs on every typed message."""

    def __init__(self, spec: DangerFile) -> None:
        danger = [t for texts in spec.danger.values() for t in texts]
        calm = [t for texts in spec.calm.values() for t in texts]
        self._features, matrix = CharNgrams.fit(danger + calm, min_df=2)  # a piece seen once is a name or a typo
        fitted = LogisticRegression(C=C, class_weight="balanced", max_iter=2000).fit(
            matrix, [1] * len(danger) + [0] * len(calm))
        self._coef = np.ascontiguousarray(fitted.coef_[0], dtype=np.float64)
        self._intercept = float(fitted.intercept_[0])

    def says(self, text: str, at: float = DANGER_AT) -> bool:
        return _words(text) >= MIN_WORDS and self.probability(text) >= at

    def probability(self, text: str) -> float:
        indices, values = self._features.vector(PHONE.sub(" ", text))  # as it learned: danger.yaml has no numbers
        z = self._intercept + float(self._coef[indices] @ values)
        return 1.0 / (1.0 + math.exp(-z))


def _words(text: str) -> int:
    return sum(len(word) // WORD_LETTERS if len(word) > WORD_RUN else 1 for word in text.split())
