"""Distances on the globe and a test for "is this point in Georgia".

Georgia here means its internationally recognised borders, Abkhazia and the Tskhinvali region included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["GEORGIA_BORDER", "CentrePoint", "haversine_km", "in_georgia", "nearest_centres"]

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True, slots=True)
class CentrePoint:
    """A resource centre reduced to what distance needs; the full record lives in content."""

    id: str
    lat: float
    lon: float


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres (mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def nearest_centres(
    lat: float, lon: float, centres: list[CentrePoint], serving: str | None = None
) -> list[tuple[CentrePoint, float]]:
    """Every centre with its straight-line distance from (lat, lon), nearest first; ties keep the given order.

    `serving` (a centre content maps the place to) comes first whatever its distance: the one ranking used for
    typed places and shared locations alike.
    """
    ranked = sorted(((c, haversine_km(lat, lon, c.lat, c.lon)) for c in centres), key=lambda pair: pair[1])
    if serving is not None:
        ranked.sort(key=lambda pair: pair[0].id != serving)
    return ranked


# (lat, lon) clockwise from the mouth of the Psou: the Greater Caucasus watershed with Russia, the Alazani and
# the Iori uplands with Azerbaijan, Javakheti with Armenia, the Turkish border to Sarpi, then out at sea along
# the coast. Simplified to a few kilometres, which is plenty for telling Georgia from its neighbours' towns.
GEORGIA_BORDER: tuple[tuple[float, float], ...] = (
    (43.385, 40.005), (43.52, 40.11), (43.58, 40.28), (43.57, 40.55), (43.53, 40.85), (43.50, 41.05),
    (43.38, 41.35), (43.27, 41.62), (43.22, 41.90), (43.17, 42.15), (43.21, 42.40), (43.13, 42.75),
    (43.05, 43.05), (42.90, 43.35), (42.80, 43.60), (42.72, 43.80), (42.70, 44.05), (42.76, 44.40),
    (42.75, 44.65), (42.75, 45.15), (42.60, 45.45), (42.50, 45.75), (42.30, 45.80), (42.15, 45.85),
    (41.98, 46.10), (41.92, 46.35), (41.83, 46.33), (41.79, 46.25), (41.72, 46.20), (41.60, 46.30),
    (41.47, 46.45), (41.35, 46.55), (41.20, 46.72), (41.08, 46.62), (41.15, 46.30), (41.30, 46.00),
    (41.35, 45.70), (41.45, 45.40), (41.33, 45.10), (41.30, 44.87), (41.29, 44.80), (41.245, 44.80),
    (41.22, 44.78), (41.24, 44.25), (41.21, 43.95), (41.17, 43.80), (41.12, 43.47), (41.56, 42.84), (41.50, 42.55),
    (41.49, 42.20), (41.50, 41.90), (41.515, 41.56), (41.52, 41.40), (42.10, 41.50), (42.40, 41.45),
    (42.70, 41.30), (42.95, 40.85), (43.20, 40.15), (43.30, 39.95),
)  # fmt: skip

_LATS = [p[0] for p in GEORGIA_BORDER]
_LONS = [p[1] for p in GEORGIA_BORDER]
_BOX = (min(_LATS), max(_LATS), min(_LONS), max(_LONS))


def in_georgia(lat: float, lon: float) -> bool:
    """Whether the point lies inside Georgia's borders (even-odd ray casting on `GEORGIA_BORDER`)."""
    if not (_BOX[0] <= lat <= _BOX[1] and _BOX[2] <= lon <= _BOX[3]):
        return False
    inside = False
    n = len(GEORGIA_BORDER)
    for i in range(n):
        (y1, x1), (y2, x2) = GEORGIA_BORDER[i], GEORGIA_BORDER[(i + 1) % n]
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside
