"""Free-text FAQ search: BM25F over question, keywords and answer, per language, with typo tolerance.

Each language has its own index and analyser, so inverse document frequencies are not skewed by the other
scripts. A query is run through every language's analyser (the Georgian one transliterates Latin and Cyrillic
typing first) and scored against that language's entries; the entry's best language wins, with the user's
language preferred. Scores are normalised to 0..1 (the share of the query's weight an entry explains), which is
what makes "confident", "several" and "none" decidable across languages and honest for unrelated questions.
"""

from __future__ import annotations

import heapq
import math
import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import pairwise
from operator import itemgetter
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.knowledge.faq_model import FaqModel
from bot.knowledge.textnorm import analyser, place_terms, russian_in_latin
from bot.knowledge.translit import has_cyrillic

__all__ = ["MAX_QUERY_CHARS", "FaqDoc", "FaqIndex", "Hit", "SearchResult", "Tuning"]


@dataclass(frozen=True)
class FaqDoc:
    """One FAQ entry in one language."""

    faq_id: str
    lang: str
    question: str
    answer: str
    keywords: tuple[str, ...]
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    faq_id: str
    score: float


@dataclass(frozen=True)
class SearchResult:
    """`hits`: for "confident", the answer and one more entry shown beside it (the search's close runner-up, else
    the second reader's next pick: most answers that miss had the right entry there); for "several", the
    choices."""

    status: Literal["confident", "several", "none"]
    hits: tuple[Hit, ...]


@dataclass(frozen=True)
class Tuning:
    """Scoring constants. Scores are shares (0..1) of the query's inverse-document-frequency weight.

    The thresholds were set on tests/data/faq_eval.yaml and on what users see on the two tuning sets,
    tests/data/understanding_dev.yaml and understanding_dev2.yaml (tests/test_understanding_eval.py); change them
    only with those figures in view.
    """

    k1: float = 1.2
    question_weight: float = 3.0
    keywords_weight: float = 3.0
    answer_weight: float = 0.4  # answers are long and mention neighbouring topics
    question_b: float = 0.5
    keywords_b: float = 0.3
    answer_b: float = 0.75
    phrase_weight: float = 1.0  # extra pseudo-frequency of a word pair from a title or keyword phrase
    place_weight: float = 0.3  # foreign countries and cities are details, not topics
    unknown_weight: float = 1.0  # a word no entry has counts as a rare word the entries do not explain
    unknown_short_weight: float = 0.5
    fuzzy_min_length: int = 6  # shorter words are too often another real word one edit away
    fuzzy_two_edits_length: int = 8
    fuzzy_penalty: float = 0.3  # per edit
    other_language: float = 0.95
    none_below: float = 0.12
    confident_at: float = 0.2
    # Georgian matches score lower for the same fit (case endings, guessed letters in Latin typing): on the tuning
    # sets its right first hits at 0.16-0.2 outnumber the wrong ones ten to one.
    confident_at_ka: float = 0.16
    confident_margin: float = 0.7  # the runner-up must score at most this share of the best
    several_share: float = 0.5  # "several" lists entries scoring at least this share of the best
    # All of an entry's examples in one field: a question that shares some words with one example and some with
    # another still adds up to that entry (the example index only sees the single closest example).
    pooled_weight: float = 0.5
    pooled_b: float = 0.3
    example_weight: float = 1.0  # a question close to one of an entry's examples counts like one close to its text

    def confident_line(self, lang: str) -> float:
        return self.confident_at_ka if lang == "ka" else self.confident_at

    def confident(self, ranked: list[Hit], lang: str) -> bool:
        """Whether the search alone answers the first of `ranked` outright: high enough, and well ahead."""
        second = ranked[1].score if len(ranked) > 1 else 0.0
        return bool(ranked) and ranked[0].score >= self.confident_line(lang) \
            and second <= ranked[0].score * self.confident_margin


_Postings = tuple["array[int]", "array[float]"]
RANKED = 3  # entries a search ranks: its answer or choices, and the one shown beside an answer
MAX_QUERY_CHARS = 1000  # a pasted letter is still searched, by its beginning, in bounded time
_LATIN = re.compile(r"[A-Za-z]")
NEAR_CACHE_SIZE = 4096  # typed words recur (the same typos, the other languages' words): fuzzy-match each once


def _pairs(terms: list[str]) -> list[str]:
    return [f"{a} {b}" for a, b in pairwise(terms) if a != b]


class _LangIndex:
    """BM25F postings for one language, with per-posting weights computed once at build time."""

    def __init__(
        self,
        docs: list[FaqDoc],
        analyse: Callable[[str], list[tuple[str, str]]],
        places: frozenset[str],
        tuning: Tuning,
    ) -> None:
        self.faq_ids = [doc.faq_id for doc in docs]
        self.texts = [doc.question for doc in docs]
        self.places = places
        self.analyse = analyse
        self.tuning = tuning
        surfaces: dict[str, str] = {}

        def terms_of(text: str) -> list[str]:
            pairs = analyse(text)
            surfaces.update(pairs)
            return [term for _, term in pairs]

        questions = [terms_of(d.question) for d in docs]
        keywords = [[terms_of(k) for k in d.keywords] for d in docs]
        fields = (
            (tuning.question_weight, tuning.question_b, questions),
            (tuning.keywords_weight, tuning.keywords_b, [[t for k in ks for t in k] for ks in keywords]),
            (tuning.answer_weight, tuning.answer_b, [terms_of(d.answer) for d in docs]),
            (tuning.pooled_weight, tuning.pooled_b,
             [[t for e in d.examples for t in terms_of(e)] for d in docs] if tuning.pooled_weight else []),
        )
        pseudo_tf: list[dict[str, float]] = [defaultdict(float) for _ in docs]
        for weight, b, texts in fields:
            if not weight:
                continue  # a field switched off counts in no word's document frequency either
            average = max(1.0, sum(map(len, texts)) / max(1, len(texts)))
            for doc_no, terms in enumerate(texts):
                norm = 1.0 - b + b * len(terms) / average
                for term, count in Counter(terms).items():
                    pseudo_tf[doc_no][term] += weight * count / norm
        # Word pairs from titles and keyword phrases ("work visa", "entry ban") tell close entries apart.
        if tuning.phrase_weight:
            for doc_no, (question, phrases) in enumerate(zip(questions, keywords, strict=True)):
                for terms in (question, *phrases):
                    for pair in _pairs(terms):
                        pseudo_tf[doc_no][pair] += tuning.phrase_weight
        df: Counter[str] = Counter()
        for tfs in pseudo_tf:
            df.update(tfs.keys())
        n = len(docs)
        self.idf = {t: math.log(1.0 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.unknown_idf = math.log(1.0 + (n - 0.5) / 1.5) if n else 1.0
        lists: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        k1 = tuning.k1
        for doc_no, tfs in enumerate(pseudo_tf):
            for term, tf in tfs.items():
                ids, weights = lists[term]
                ids.append(doc_no)
                weights.append(self.idf[term] * tf / (k1 + tf))
        self.postings: dict[str, _Postings] = {t: (array("i", i), array("d", w)) for t, (i, w) in lists.items()}
        self.surfaces = surfaces
        by_length: dict[int, list[str]] = defaultdict(list)
        for surface in surfaces:
            if not surface.isdigit():
                by_length[len(surface)].append(surface)
        self.by_length = dict(by_length)
        self._near_cache: dict[str, list[tuple[str, int]]] = {}

    def _near(self, surface: str) -> list[tuple[str, int]]:
        """Indexed terms whose typed form is within a few edits of `surface` (the closest ones only)."""
        found = self._near_cache.get(surface)
        if found is None:
            if len(self._near_cache) >= NEAR_CACHE_SIZE:
                self._near_cache.clear()
            found = self._near_cache[surface] = self._find_near(surface)
        return found

    def _find_near(self, surface: str) -> list[tuple[str, int]]:
        tuning = self.tuning
        if len(surface) < tuning.fuzzy_min_length:
            return []
        edits = 1 if len(surface) < tuning.fuzzy_two_edits_length else 2
        choices: list[str] = []
        for length in range(len(surface) - edits, len(surface) + edits + 1):
            choices.extend(self.by_length.get(length, ()))
        found = process.extract(surface, choices, scorer=OSA.distance, score_cutoff=edits, limit=5)
        if not found:
            return []
        best = min(dist for _, dist, _ in found)
        terms = dict.fromkeys(self.surfaces[cand] for cand, dist, _ in found if dist == best)
        return [(term, int(best)) for term in terms]

    def score(self, query: str, limit: int, leave_out: bool = False,
              analysed: list[tuple[str, str]] | None = None) -> list[tuple[str, float]]:
        """The `limit` best (FAQ id, share) pairs: matched query weight over total query weight.

        `leave_out` ignores documents whose text is the query itself: how an example fares without itself.
        `analysed`: the query as this index's analyser reads it, when already at hand (a language's entries and
        its examples share one analyser, and reading a query costs as much as scoring it).
        """
        if analysed is None:
            analysed = self.analyse(query)
        pairs: dict[str, str] = {}
        for surface, term in analysed:
            pairs.setdefault(term, surface)
        tuning = self.tuning
        totals: dict[int, float] = defaultdict(float)
        total_weight = 0.0
        for term, surface in pairs.items():
            weight = tuning.place_weight if term in self.places else 1.0
            postings = self.postings.get(term)
            if postings is not None:
                total_weight += self.idf[term] * weight
                self._add(totals, postings, weight)
                continue
            if term.isdigit():
                continue
            near = self._near(surface)
            if not near:
                short = len(surface) < 4
                unknown = tuning.unknown_short_weight if short else tuning.unknown_weight
                total_weight += self.unknown_idf * unknown * weight
                continue
            total_weight += max(self.idf[cand] for cand, _ in near) * weight
            for cand, dist in near:
                self._add(totals, self.postings[cand], (1.0 - tuning.fuzzy_penalty * dist) * weight)
        if tuning.phrase_weight:
            for pair in dict.fromkeys(_pairs([term for _, term in analysed])):
                postings = self.postings.get(pair)
                if postings is not None:
                    total_weight += self.idf[pair]
                    self._add(totals, postings, 1.0)
        if total_weight <= 0.0:
            return []
        if leave_out:
            for doc_no, text in enumerate(self.texts):
                if text == query:
                    totals.pop(doc_no, None)
        best = heapq.nlargest(limit, totals.items(), key=itemgetter(1))
        return [(self.faq_ids[doc_no], value / total_weight) for doc_no, value in best]

    @staticmethod
    def _add(totals: dict[int, float], postings: _Postings, factor: float) -> None:
        ids, weights = postings
        for doc_no, weight in zip(ids, weights, strict=True):
            totals[doc_no] += weight * factor


class FaqIndex:
    """All FAQ entries in all languages, built once per content snapshot and safe to share."""

    def __init__(self, indexes: dict[str, _LangIndex], examples: dict[str, _LangIndex], tuning: Tuning,
                 reader: FaqModel | None = None) -> None:
        self._indexes = indexes
        self._examples = examples
        self._tuning = tuning
        self._reader = reader
        self._vocabulary = {
            lang: frozenset(t for t in index.postings if " " not in t) for lang, index in indexes.items()
        }

    @classmethod
    def build(cls, docs: Iterable[FaqDoc], tuning: Tuning | None = None, learn: bool = False) -> FaqIndex:
        """`learn`: also fit the second reader (faq_model.py) on the entries' questions and examples."""
        tuning = tuning or Tuning()
        per_lang: dict[str, list[FaqDoc]] = defaultdict(list)
        docs = list(docs)
        for doc in docs:
            per_lang[doc.lang].append(doc)
        indexes = {
            lang: _LangIndex(items, analyser(lang), place_terms(lang), tuning) for lang, items in per_lang.items()
        }
        # Each example is a document of its own: a question close to one way people ask counts, however the
        # entry's own text is worded (a nearest-neighbour vote, not a bag of every example's words).
        examples = {}
        for lang, items in per_lang.items():
            shots = [FaqDoc(d.faq_id, lang, e, "", ()) for d in items for e in d.examples]
            if shots:
                examples[lang] = _LangIndex(shots, analyser(lang), place_terms(lang), tuning)
        # A reader needs two entries at least to tell apart.
        learnable = learn and len({d.faq_id for d in docs}) >= 2
        reader = FaqModel((d.faq_id, text) for d in docs for text in (d.question, *d.examples)) if learnable else None
        return cls(indexes, examples, tuning, reader)

    def with_examples(self, extra: Iterable[FaqDoc]) -> FaqIndex:
        """A copy that also knows these examples (one document each, like the content's own); only the example
        indexes of the languages given are built again, the entries' indexes are shared."""
        added: dict[str, list[FaqDoc]] = defaultdict(list)
        for doc in extra:
            if doc.lang in self._indexes:
                added[doc.lang].append(doc)
        examples = dict(self._examples)
        for lang, docs in added.items():
            kept = self._examples.get(lang)
            shots = [FaqDoc(fid, lang, text, "", ()) for fid, text in zip(kept.faq_ids, kept.texts, strict=True)] \
                if kept is not None else []
            shots += [FaqDoc(d.faq_id, lang, d.question, "", ()) for d in docs]
            examples[lang] = _LangIndex(shots, analyser(lang), place_terms(lang), self._tuning)
        return FaqIndex(self._indexes, examples, self._tuning, self._reader)

    @property
    def tuning(self) -> Tuning:
        return self._tuning

    def vocabulary(self, lang: str) -> frozenset[str]:
        """The terms `lang`'s entries use: what words of that language look like to the analyser."""
        return self._vocabulary.get(lang, frozenset())

    def scores(self, query: str, lang: str, limit: int = 10, leave_out: bool = False) -> list[Hit]:
        """The `limit` best entries, best first; the user's language is searched first and preferred.

        An entry's score is its best language's, from its text or its closest example; each language's top
        `limit` suffices for the overall top. `leave_out`: see `_LangIndex.score`.
        """
        query = query[:MAX_QUERY_CHARS]
        best: dict[str, float] = {}
        order = sorted(self._indexes, key=lambda code: code != lang)
        tuning = self._tuning
        scripts = {"en": _LATIN.search(query) is not None, "ru": has_cyrillic(query)}
        # Someone who chose Russian and types it in Latin letters is read in Cyrillic.
        russian = russian_in_latin(query, chosen=True) if lang == "ru" and not scripts["ru"] else None
        for code in order:
            text = russian if code == "ru" and russian is not None else query
            if not scripts.get(code, True) and text is query:
                continue  # English words need Latin letters, Russian ones Cyrillic; Georgian is read from any script
            factor = 1.0 if code == lang else tuning.other_language
            entries = self._indexes[code]
            analysed = entries.analyse(text)
            found = entries.score(text, limit, analysed=analysed)
            if code in self._examples:
                shots = self._examples[code].score(text, limit * 3, leave_out, analysed)
                found += [(faq_id, share * tuning.example_weight) for faq_id, share in shots]
            for faq_id, share in found:
                value = share * factor
                if value > best.get(faq_id, 0.0):
                    best[faq_id] = value
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))[:limit]
        return [Hit(faq_id, round(value, 4)) for faq_id, value in ranked]

    def _answer(self, ranked: list[Hit], read: str) -> SearchResult:
        """A confident answer, with one more choice: the search's runner-up when close (within the "several"
        share), else the second reader's next pick if the search ranks it too, else the search's runner-up (a pick
        that shares no words with the question looks unrelated to the person)."""
        top = ranked[0]
        if len(ranked) > 1 and ranked[1].score >= top.score * self._tuning.several_share:
            return SearchResult("confident", (top, ranked[1]))
        other = self._reader.runner_up(read, top.faq_id) if self._reader is not None else ""
        found = {hit.faq_id: hit for hit in ranked}
        if other and other not in found and len(ranked) > 1:
            other = ranked[1].faq_id
        return SearchResult("confident", (top, found.get(other, Hit(other, 0.0))) if other else (top,))

    def search(self, query: str, lang: str) -> SearchResult:
        """One confident entry, two or three close ones, or none when nothing explains the question well.

        A lone weak match is "none": with nothing to compare it to, offering it would be a guess.
        """
        tuning = self._tuning
        ranked = self.scores(query, lang, limit=RANKED)
        read = (russian_in_latin(query, chosen=True) if lang == "ru" else None) or query  # what the second reader reads
        if not ranked or ranked[0].score < tuning.none_below:
            # Too few of the words are ones the entries use (dialect, loanwords, a long story around the question):
            # the second reader, which weighs pieces of words, answers alone when its first pick leads clearly.
            pick = self._reader.clear_pick(read) if self._reader is not None else None
            if pick is None:
                return SearchResult("none", ())
            found = {hit.faq_id: hit for hit in ranked}
            return self._answer([found.get(pick, Hit(pick, 0.0)), *(h for h in ranked if h.faq_id != pick)], read)
        top = ranked[0]
        found = {hit.faq_id: hit for hit in ranked}
        if tuning.confident(ranked, lang):
            other = self._reader.disagrees(read, top.faq_id) if self._reader is not None else None
            if other is None:
                return self._answer(ranked, read)
            # Two readers sure of different entries: both are offered, the search's first.
            return SearchResult("several", (top, found.get(other, Hit(other, 0.0))))
        if self._reader is not None and self._reader.agrees(read, top.faq_id):
            return self._answer(ranked, read)  # two readers of different kinds pick the same entry
        if len(ranked) < 2:
            return SearchResult("none", ())
        close = [hit for hit in ranked if hit.score >= top.score * tuning.several_share]
        return SearchResult("several", tuple(close if len(close) >= 2 else ranked[:2]))
