"""Building the index: every place and each of its spellings, by folded key, from all three sources."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz.distance import OSA

from bot.knowledge.geo import haversine_km
from bot.knowledge.places.schema import Kind, MunicipalityEntry, Place, PlacesFile, _Entry
from bot.knowledge.places.sources import (
    _countries,
    _foreign_records,
    _georgia_data,
    _georgian_records,
    _Record,
    _Settlement,
)
from bot.knowledge.places.tokens import _VOWELS, _key, _plain
from bot.knowledge.translit import has_cyrillic, has_georgian

_PRIMARY, _ALTERNATE = 0, 1  # name tiers: our own names and aliases beat geonames' alternate names


_NON_RUSSIAN = re.compile(r"[іїєґўјљњћђџѕҭҟқҵҷҽәӡҩԥҳҕӷғұүөңҗһӏæ]", re.IGNORECASE)


def _closest(candidates: Iterable[str], to: str, penalty: re.Pattern[str] | None = None) -> str | None:
    """The candidate spelt most like `to` (after folding), or None if none is recognisably the same name."""
    target = _key(to)
    best: tuple[float, bool, int, str] | None = None
    for cand in candidates:
        key = _key(cand)
        if key:
            rank = (
                OSA.normalized_distance(key, target),
                bool(penalty and penalty.search(cand)),
                abs(len(key) - len(target)),
                cand,
            )
            best = rank if best is None or rank < best else best
    return best[3] if best is not None and best[0] <= 0.45 else None


def _names(record: _Record, english: str) -> dict[str, str]:
    """Display names: the Georgian and Russian alternates that best match the English name."""
    georgian = [a for a in record.alternates if has_georgian(a)]
    russian = [a for a in record.alternates if has_cyrillic(a) and not has_georgian(a)]
    names = {"ka": _closest(georgian, record.name), "en": english, "ru": _closest(russian, record.name, _NON_RUSSIAN)}
    return {lang: name for lang, name in names.items() if name}


def _foreign_tier(name: str) -> int:
    # Russian and Georgian spellings of a foreign city are what our users type; the Latin alternates in
    # geonames are exonyms and transcriptions from every language ("Ofen", "rabota"), trusted only alone.
    if has_georgian(name) or (has_cyrillic(name) and not _NON_RUSSIAN.search(name)):
        return _PRIMARY
    return _ALTERNATE


def _kind_for(population: int) -> Kind:
    if population >= 20_000:
        return "city"
    return "town" if population >= 2_000 else "village"


_Spelling = tuple[str, str, int]  # (fold key, spelling as typed, tier)


def _spellings(pairs: Iterable[tuple[str, int]]) -> tuple[_Spelling, ...]:
    """Each name's keys, once; spellings that fold to nothing (other scripts) are dropped."""
    found: dict[tuple[str, str], int] = {}
    for text, tier in pairs:
        key = _key(text)
        if len(key) >= 2:
            plain = _plain(text)
            found[key, plain] = min(tier, found.get((key, plain), tier))
    return tuple((key, plain, tier) for (key, plain), tier in found.items())


@dataclass
class _Index:
    """Places and their names, filled while building; frozen into a `Gazetteer`."""

    centre_ids: set[str]
    places: dict[str, Place] = field(default_factory=dict)
    names: dict[str, dict[str, int]] = field(default_factory=dict)  # fold key -> {place id: best tier}
    precise: dict[str, set[str]] = field(default_factory=dict)  # spelling as typed (and stem) -> place ids

    def add(self, place: Place, spellings: Iterable[_Spelling]) -> None:
        self.places[place.id] = place
        for key, plain, tier in spellings:
            self.add_name(place.id, key, plain, tier)

    def add_name(self, place_id: str, key: str, plain: str, tier: int) -> None:
        for form in (plain, plain[:-1] if plain[-1:] in _VOWELS else ""):
            if form:
                self.precise.setdefault(form, set()).add(place_id)
        entries = self.names.setdefault(key, {})
        entries[place_id] = min(tier, entries.get(place_id, tier))

    def centre(self, *choices: str | None) -> str | None:
        """The first mapped centre that exists (place, then municipality, then region)."""
        return next((c for c in choices if c is not None and c in self.centre_ids), None)


def _own_spellings(entry: _Entry) -> tuple[_Spelling, ...]:
    return _spellings((n, _PRIMARY) for n in (*entry.names.values(), *entry.aliases))


@lru_cache(maxsize=1)
def _georgian_entries() -> tuple[tuple[_Settlement, tuple[_Spelling, ...]], ...]:
    """Built-in Georgian places with their spellings, worked out once for every rebuild.

    The display names are primary; a generated transliteration and the data's other spellings are alternates.
    """
    entries = []
    for record in _georgian_records():
        primary = [n for lang, n in record.names.items() if not (lang == "ka" and "k" in record.generated)]
        pairs = [(n, _PRIMARY) for n in primary] + [(a, _ALTERNATE) for a in record.alternates]
        if "k" in record.generated:
            pairs.append((record.names["ka"], _ALTERNATE))
        entries.append((record, _spellings(pairs)))
    return tuple(entries)


@lru_cache(maxsize=1)
def _foreign_entries() -> tuple[tuple[_Record, dict[str, str], tuple[_Spelling, ...]], ...]:
    entries = []
    for record in _foreign_records():
        names = _names(record, record.name)
        pairs = [(n, _PRIMARY) for n in names.values()]
        entries.append((record, names, _spellings(pairs + [(a, _foreign_tier(a)) for a in record.alternates])))
    return tuple(entries)


def _add_content_areas(index: _Index, extra: PlacesFile) -> None:
    regions = {r.id: r for r in extra.regions}
    for region in extra.regions:
        place = Place(
            region.id, dict(region.names), {}, "region", region.lat, region.lon,
            centre=index.centre(region.centre), region_id=region.id,
        )  # fmt: skip
        index.add(place, _own_spellings(region))
    for muni in extra.municipalities:
        parent = regions.get(muni.region)
        place = Place(
            muni.id, dict(muni.names), dict(parent.names) if parent else {}, "municipality", muni.lat, muni.lon,
            centre=index.centre(muni.centre, parent.centre if parent else None),
            region_id=muni.region, municipality_id=muni.id,
        )  # fmt: skip
        index.add(place, _own_spellings(muni))


def _add_georgia(index: _Index, extra: PlacesFile) -> None:
    region_by_admin1 = {r.admin1: r for r in extra.regions if r.admin1}
    rows = _georgia_data()[1]
    own_municipality = _municipality_matcher(extra.municipalities)
    for record, spellings in _georgian_entries():
        region = region_by_admin1.get(record.admin1)
        row = rows.get(record.municipality)
        muni = own_municipality(record.municipality, region.id if region else None)
        if muni is None and row is None:  # the data does not say: the nearest seat in the region
            muni = _nearest_municipality(record, region.id if region else None, extra.municipalities)
        label = dict(muni.names) if muni else dict(row.names) if row else {}
        place = Place(
            f"g{record.geonameid}", dict(record.names), dict(region.names) if region else {},
            _kind_for(record.population), record.lat, record.lon, "GE", record.population,
            index.centre(muni.centre if muni else None, region.centre if region else None),
            region.id if region else None, muni.id if muni else None, label,
        )  # fmt: skip
        index.add(place, spellings)


_MUNICIPALITY_WORD = re.compile(r"\s+(municipality|district)$", re.IGNORECASE)


def _municipality_matcher(
    municipalities: Iterable[MunicipalityEntry],
) -> Callable[[str, str | None], MunicipalityEntry | None]:
    """Content's municipality for the data's municipality name ("Zestafoni" -> m_zestaponi), by folded name."""
    by_key: dict[str, MunicipalityEntry] = {}
    for muni in municipalities:
        for name in (muni.names.get("en", ""), *muni.aliases):
            if name and not has_georgian(name) and not has_cyrillic(name):
                by_key.setdefault(_key(_MUNICIPALITY_WORD.sub("", name)), muni)

    @lru_cache(maxsize=256)
    def match(name: str, region_id: str | None) -> MunicipalityEntry | None:
        if not name:
            return None
        key = _key(name)
        found = by_key.get(key)
        if found is None:
            close = [(OSA.normalized_distance(key, k), m) for k, m in by_key.items() if m.region == region_id]
            found = min(close, key=lambda pair: pair[0], default=(1.0, None))[1] if close else None
            if found is not None and min(d for d, _ in close) > 0.25:
                found = None
        return found

    return match


def _add_abroad(index: _Index) -> None:
    country_names = {iso: name for iso, name, _ in _countries()}
    by_name: dict[tuple[str, str], _Record] = {}
    for record, names, spellings in _foreign_entries():
        by_name.setdefault((record.country, record.name), record)
        label = {"en": country_names[record.country]} if record.country in country_names else {}
        place = Place(
            f"g{record.geonameid}",
            dict(names),
            label,
            "city",
            record.lat,
            record.lon,
            record.country,
            record.population,
        )
        index.add(place, spellings)
    for iso, name, capital in _countries():
        seat = by_name.get((iso, capital))
        if seat is not None:
            country = Place(f"c_{iso.lower()}", {"en": name}, {}, "country", seat.lat, seat.lon, iso)
            index.add(country, _spellings([(name, _PRIMARY)]))


def _add_content_places(index: _Index, extra: PlacesFile) -> None:
    regions = {r.id: r for r in extra.regions}
    municipalities = {m.id: m for m in extra.municipalities}
    for entry in extra.places:
        region = regions.get(entry.region or "")
        muni = municipalities.get(entry.municipality or "")
        place = Place(
            entry.id, dict(entry.names), dict(region.names) if region else {}, entry.kind, entry.lat, entry.lon,
            entry.country, entry.population,
            index.centre(entry.centre, muni.centre if muni else None, region.centre if region else None),
            entry.region, entry.municipality,
        )  # fmt: skip
        index.add(place, _own_spellings(entry))
    for target, aliases in extra.aliases.items():
        if target in index.places:
            for key, plain, tier in _spellings((str(a), _PRIMARY) for a in aliases):
                index.add_name(target, key, plain, tier)


def _nearest_municipality(
    record: _Settlement, region_id: str | None, municipalities: Iterable[MunicipalityEntry]
) -> MunicipalityEntry | None:
    """A built-in place belongs to the municipality whose seat is nearest within its region."""
    in_region = [m for m in municipalities if region_id is not None and m.region == region_id]
    return min(in_region, key=lambda m: haversine_km(record.lat, record.lon, m.lat, m.lon), default=None)

