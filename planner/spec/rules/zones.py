"""Region and zone names: which Regions the catalog knows and whether a zone belongs to a Region."""
from __future__ import annotations

import functools

from ...catalog import regions as catalog_regions
from ..model import ZONE_ID

DIRECTIONS = {"east": "e", "west": "w", "north": "n", "south": "s", "central": "c",
              "northeast": "ne", "southeast": "se", "northwest": "nw", "southwest": "sw"}


@functools.lru_cache(maxsize=1)
def known_regions() -> dict[str, str]:
    return catalog_regions()


def region_zone_prefix(region: str) -> str:
    """`us-east-1` -> `use1`: the prefix AWS uses for zone IDs (use1-az4, use1-dfw2-az1)."""
    parts = region.split("-")
    return parts[0] + "".join(DIRECTIONS.get(p, p[:1]) for p in parts[1:-1]) + parts[-1]


def zone_in_region(zone: str, region: str) -> bool:
    if ZONE_ID.match(zone):
        return zone.split("-")[0] == region_zone_prefix(region)
    return zone.startswith(region) and len(zone) > len(region)
