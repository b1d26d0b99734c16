"""Lookup: exact, inflected and misspelt names in typed text, and the choice among the places they name."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.knowledge.geo import CentrePoint, haversine_km
from bot.knowledge.places.index import (
    _ALTERNATE,
    _PRIMARY,
    _add_abroad,
    _add_content_areas,
    _add_content_places,
    _add_georgia,
    _Index,
)
from bot.knowledge.places.schema import _COUNTRY_ID, _GEO_ID, MAX_CANDIDATES, Place, PlacesFile, Resolution
from bot.knowledge.places.tokens import (
    _SHORT_ANSWER,
    _VILLAGE_MARKERS,
    _WHERE_WORDS,
    _cued,
    _named_place,
    _Token,
    _tokens,
)

_MAX_WINDOW = 3
_MAX_FUZZY_QUERIES = 12
_SAME_PLACE_KM = 30.0  # a region or municipality and its same-name seat, or two records of one town
_QUALIFIER_KM = 50.0  # "Akhaldaba, Borjomi": the namesake this close to another named place wins
_DOMINANCE = 10  # a namesake this many times bigger wins outright

_EXACT, _EXACT_ALT, _INFLECTED, _FUZZY = 4, 3, 2, 1  # match qualities, best first

_SETTLEMENT_KINDS = frozenset({"city", "town", "village"})
_SPECIFICITY = {"village": 3, "town": 3, "city": 3, "municipality": 2, "region": 1, "country": 0}
_RANK_POPULATION = {"country": 10_000_000, "region": 300_000, "municipality": 30_000}


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    quality: int
    places: tuple[tuple[str, int], ...]  # (place id, name tier)
    raw: tuple[str, ...]  # the window as typed, with and without an ending


class Gazetteer:
    """Every place name indexed once; `resolve` turns typed text into a `Resolution`."""

    def __init__(self, index: _Index, centres: list[CentrePoint]) -> None:
        self._places = index.places
        # Tuples take a third of the memory of the lists and sets used while filling.
        self._names: dict[str, tuple[tuple[str, int], ...]] = {k: tuple(v.items()) for k, v in index.names.items()}
        self._precise: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in index.precise.items()}
        self._centres = list(centres)
        stems: dict[str, list[tuple[str, int]]] = {}
        for key, entries in self._names.items():
            if len(key) >= 3 and key[-1] in "aeiou":
                stems.setdefault(key[:-1], []).extend(entries)
        self._stems = {k: tuple(v) for k, v in stems.items()}
        # Typos are forgiven for places in Georgia only: a foreign place is named exactly or not at all, so an
        # unknown village never turns into a foreign city one letter away ("Chkaduashi" is not Kaduna).
        # Georgian names by first letter and length, so a misspelt word in a sentence is compared only with names
        # of about its length; `_fuzzy_rank` keeps the order they were indexed in, the order equally near ones come.
        self._fuzzy_georgia: dict[tuple[str, int], list[str]] = {}
        self._fuzzy_rank: dict[str, int] = {}
        self._fuzzy_all: dict[int, list[str]] = {}
        for key, entries in self._names.items():
            if len(key) >= 4 and any(not self._places[pid].abroad for pid, _ in entries):
                self._fuzzy_georgia.setdefault((key[0], len(key)), []).append(key)
                self._fuzzy_rank[key] = len(self._fuzzy_rank)
                self._fuzzy_all.setdefault(len(key), []).append(key)

    @classmethod
    def build(cls, extra: PlacesFile | None, centres: list[CentrePoint]) -> Gazetteer:
        """Built-in places plus content/places.yaml (`extra`), every name indexed once, for `centres`."""
        extra = extra or PlacesFile()
        index = _Index({c.id for c in centres})
        _add_content_areas(index, extra)
        _add_georgia(index, extra)
        _add_abroad(index)
        _add_content_places(index, extra)
        return cls(index, centres)

    @property
    def centres(self) -> list[CentrePoint]:
        return list(self._centres)

    def __len__(self) -> int:
        return len(self._places)

    def regions(self) -> list[Place]:
        """The regions of Georgia from content, for "choose your region" when a place is unknown."""
        return [p for p in self._places.values() if p.kind == "region" and p.region_id == p.id and not p.abroad]

    def place(self, place_id: str) -> Place | None:
        """The place behind an id (as sent back by a candidate button)."""
        return self._places.get(place_id)

    def resolve(self, text: str) -> Resolution:
        """The place meant by `text` (a name, or a sentence naming one), in any script, typos allowed."""
        tokens = _tokens(text)
        if not tokens:
            return Resolution("none")
        sentence = len(tokens) > 1
        hits = self._exact_hits(tokens, sentence) or self._fuzzy_hits(tokens, sentence)
        if not hits:
            return Resolution("none")
        return self._decide(hits, village=any(t.key in _VILLAGE_MARKERS for t in tokens))

    def names_only(self, text: str) -> bool:
        """Whether `text` names places and says nothing else than where one is ("Gori", "ქობულეთიდან ვარ", "я в
        Кутаиси"): a short message with another word in it ("ამინდი ბათუმში", "билет Тбилиси Мюнхен") asks
        something about the place."""
        tokens = _tokens(text)
        sentence = len(tokens) > 1
        hits = self._exact_hits(tokens, sentence) or self._fuzzy_hits(tokens, sentence)
        covered = {i for hit in hits for i in range(hit.start, hit.end)}
        return bool(hits) and all(t.key in _WHERE_WORDS for i, t in enumerate(tokens) if i not in covered)

    # -- matching -----------------------------------------------------------------------------------------------

    def _exact_hits(self, tokens: list[_Token], sentence: bool) -> list[_Hit]:
        """Exact and inflected names, longest window first; a word belongs to one hit at most."""
        hits: list[_Hit] = []
        covered = [False] * len(tokens)
        for size in range(min(_MAX_WINDOW, len(tokens)), 0, -1):
            for start in range(len(tokens) - size + 1):
                window = tokens[start : start + size]
                common = size == 1 and sentence and window[0].stop and not _named_place(tokens, start)
                if any(covered[start : start + size]) or common:
                    continue
                if sentence and size > 1 and all(t.stop for t in window):
                    continue  # "as an" is not Asano, "and a" not Anda
                hit = self._window_hit(start, window, exact_only=size == 1 and window[0].stop)
                if hit is not None and len(tokens) > _SHORT_ANSWER and not _cued(tokens, start, size):
                    hit = self._without_villages(hit)
                if hit is not None and not (sentence and self._doubtful(hit)):
                    hits.append(hit)
                    covered[start : start + size] = [True] * size
        return hits

    def _window_hit(self, start: int, window: list[_Token], exact_only: bool) -> _Hit | None:
        last = window[-1]
        prefix = "".join(t.key for t in window[:-1])
        raw_prefix = "".join(t.raw for t in window[:-1])
        raw = (raw_prefix + last.raw, *(raw_prefix + v for v in last.raw_variants))
        key = prefix + last.key
        short_ok = len(window) == 1 and (last.upper or last.script == "ka")
        entries = self._names.get(key) if len(key) >= 3 or short_ok else None
        if entries:
            quality = _EXACT if any(tier == _PRIMARY for _, tier in entries) else _EXACT_ALT
            return _Hit(start, start + len(window), quality, entries, raw)
        if exact_only:
            return None
        minimum = 2 if last.script == "ka" else 3
        found: list[tuple[str, int]] = list(self._stems.get(key, ()))
        for variant in (prefix + v for v in last.variants):
            if len(variant) >= minimum:
                found += self._names.get(variant, ())
                found += self._stems.get(variant, ())
        if not found:
            return None
        return _Hit(start, start + len(window), _INFLECTED, tuple(dict.fromkeys(found)), raw)

    def _without_villages(self, hit: _Hit) -> _Hit | None:
        """The hit without its built-in villages (names that may well be ordinary words), None if nothing is left."""
        kept = tuple(
            (pid, tier) for pid, tier in hit.places
            if not (self._places[pid].kind == "village" and _is_builtin(self._places[pid]))
        )  # fmt: skip
        if len(kept) == len(hit.places):
            return hit
        return _Hit(hit.start, hit.end, hit.quality, kept, hit.raw) if kept else None

    def _doubtful(self, hit: _Hit) -> bool:
        """Inside a sentence, a foreign place named only by one of geonames' exonyms is more likely a word."""
        return all(tier == _ALTERNATE and self._places[pid].abroad for pid, tier in hit.places)

    def _fuzzy_hits(self, tokens: list[_Token], sentence: bool) -> list[_Hit]:
        """The windows of one or two words nearest to some name, by edit distance relative to length."""
        min_len = 5 if sentence else 4
        queries = 0
        best: list[_Hit] = []
        best_score = 1.0
        for size in (1, 2):
            for start in range(len(tokens) - size + 1):
                window = tokens[start : start + size]
                if any(t.stop for t in window):
                    continue
                prefix = "".join(t.key for t in window[:-1])
                for key in dict.fromkeys((prefix + window[-1].key, *(prefix + v for v in window[-1].variants[:1]))):
                    if len(key) < min_len or queries >= _MAX_FUZZY_QUERIES:
                        continue
                    queries += 1
                    matches, distance = self._fuzzy(key, sentence)
                    if not matches:
                        continue
                    places = tuple(dict.fromkeys(e for m in matches for e in self._names[m]))
                    hit = _Hit(start, start + size, _FUZZY, places, ("".join(t.raw for t in window),))
                    # A misspelt village inside a sentence needs a cue word, and capitals where the script has them.
                    named = window[0].capital or window[0].script == "ka"
                    if sentence and not (named and _cued(tokens, start, size, endings=False)):
                        hit = self._without_villages(hit)
                    if hit is None:
                        continue
                    score = distance / len(key)
                    if score < best_score - 1e-9:
                        best, best_score = [hit], score
                    elif abs(score - best_score) <= 1e-9:
                        best.append(hit)
        return best

    def _fuzzy(self, key: str, sentence: bool) -> tuple[list[str], int]:
        """The indexed names nearest to `key` within the allowed edit distance, and that distance."""
        n = len(key)
        if sentence:
            limit = 1 if n <= 7 else 2
            pool = [k for size in range(n - limit, n + limit + 1) for k in self._fuzzy_georgia.get((key[0], size), ())]
        else:
            limit = 1 if n <= 5 else 2 if n <= 10 else 3
            pool = [k for size in range(n - limit, n + limit + 1) for k in self._fuzzy_all.get(size, ())]
        found = process.extract(key, pool, scorer=OSA.distance, score_cutoff=limit, limit=None)
        if not found:
            return [], 0
        lowest = min(int(d) for _, d, _ in found)
        nearest = [k for k, d, _ in found if int(d) == lowest]
        return sorted(nearest, key=self._fuzzy_rank.__getitem__) if sentence else nearest, lowest

    # -- choosing -----------------------------------------------------------------------------------------------

    def _decide(self, hits: list[_Hit], village: bool) -> Resolution:
        """Best-quality hits naming the most specific kind of place; the other hits only qualify them."""
        top_quality = max(h.quality for h in hits)
        groups = [self._candidates(h) for h in hits]
        primary = [g for h, g in zip(hits, groups, strict=True) if h.quality == top_quality and g]
        if not primary:
            return Resolution("none")
        specificity = max(_SPECIFICITY[p.kind] for g in primary for p in g)
        primary = [g for g in primary if any(_SPECIFICITY[p.kind] == specificity for p in g)]
        qualifiers = [p for g in groups for p in g]
        narrowed = [_narrow(g, qualifiers, village) for g in primary]
        leaders = list(dict.fromkeys(g[0] for g in narrowed))
        if len(leaders) == 1:
            return _result(narrowed[0])
        if all(haversine_km(a.lat, a.lon, b.lat, b.lon) <= _QUALIFIER_KM for a in leaders for b in leaders):
            # "a village near Kutaisi": the smaller place is the one meant; the bigger one only locates it.
            return _result([min(leaders, key=_rank_population)])
        leaders.sort(key=lambda p: p.abroad)
        return Resolution("ambiguous", leaders[:MAX_CANDIDATES])

    def _candidates(self, hit: _Hit) -> list[Place]:
        """The hit's places, best first: exact spelling, own names over alternates, Georgia over abroad,
        and one per location (a municipality gives way to its same-name seat)."""
        tiers: dict[str, int] = {}
        for pid, tier in hit.places:
            tiers[pid] = min(tier, tiers.get(pid, tier))
        if len(tiers) > 1:
            precise = {pid for form in hit.raw for pid in self._precise.get(form, ()) if pid in tiers}
            tiers = {pid: t for pid, t in tiers.items() if pid in precise} or tiers
        if any(t == _PRIMARY for t in tiers.values()):
            tiers = {pid: t for pid, t in tiers.items() if t == _PRIMARY}
        places = [self._places[pid] for pid in tiers]
        places = [p for p in places if not p.abroad] or places
        # Staff entries (content/places.yaml) win over a built-in place of the same name at the same spot.
        places.sort(key=lambda p: (-_SPECIFICITY[p.kind], _is_builtin(p), -_rank_population(p), p.id))
        kept: list[Place] = []
        for place in places:
            if not any(haversine_km(place.lat, place.lon, k.lat, k.lon) <= _SAME_PLACE_KM for k in kept):
                kept.append(place)
        return kept


def _is_builtin(place: Place) -> bool:
    return bool(_GEO_ID.match(place.id) or _COUNTRY_ID.match(place.id))


def _narrow(group: list[Place], qualifiers: list[Place], village: bool) -> list[Place]:
    """Namesakes: keep those the text qualifies, villages if it says "village", and a dominant one alone."""
    if len(group) > 1:
        others = [q for q in qualifiers if q not in group]
        group = [p for p in group if any(_qualifies(p, q) for q in others)] or group
    if len(group) > 1 and village:
        group = [p for p in group if p.kind == "village"] or group
    group = sorted(group, key=lambda p: -_rank_population(p))
    if len(group) > 1 and (
        all(p.abroad for p in group) or _rank_population(group[0]) >= _DOMINANCE * max(1, _rank_population(group[1]))
    ):
        group = group[:1]
    return group[:MAX_CANDIDATES]


def _rank_population(place: Place) -> int:
    return max(place.population, _RANK_POPULATION.get(place.kind, 0))


def _qualifies(place: Place, qualifier: Place) -> bool:
    if qualifier.id in (place.region_id, place.municipality_id):
        return True
    return qualifier.kind in _SETTLEMENT_KINDS and (
        haversine_km(place.lat, place.lon, qualifier.lat, qualifier.lon) <= _QUALIFIER_KM
    )


def _result(group: list[Place]) -> Resolution:
    if len(group) == 1:
        return Resolution("abroad" if group[0].abroad else "found", group)
    return Resolution("ambiguous", group[:MAX_CANDIDATES])

