"""What places look like: content/places.yaml's entries (validated by pydantic) and what a lookup returns."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from bot.i18n import LANGUAGES, fallback_chain

Kind = Literal["city", "town", "village", "municipality", "region", "country"]
Status = Literal["found", "ambiguous", "abroad", "none"]

MAX_CANDIDATES = 5

_GEO_ID = re.compile(r"^g\d+$")
_COUNTRY_ID = re.compile(r"^c_[a-z]{2}$")




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

