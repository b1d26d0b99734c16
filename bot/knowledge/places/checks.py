"""`hotline content check` for content/places.yaml: references, duplicates, borders, aliases."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.knowledge.geo import in_georgia
from bot.knowledge.places.schema import PlacesFile, _Entry
from bot.knowledge.places.sources import _builtin_ids
from bot.knowledge.places.tokens import _key


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

