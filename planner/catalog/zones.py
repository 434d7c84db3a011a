"""Each Region's Availability Zones (names and zone IDs) from zones.yaml, and which accelerated
types each zone ID offers. Local Zones are in local_zones.yaml and are not listed here."""
from __future__ import annotations

import difflib
import functools
import os
from dataclasses import dataclass

from . import HERE, read_bundled_yaml


@dataclass(frozen=True)
class RegionZones:
    region: str
    zones: tuple[str, ...]  # zone names (us-east-1a); which ID a name is differs per account
    zone_ids: tuple[str, ...]  # zone IDs (use1-az4), the same in every account
    accelerated: dict[str, tuple[str, ...]]  # instance type -> zone IDs that offer it
    source: str
    as_of: str

    def knows(self, zone: str) -> bool:
        return zone in self.zones or zone in self.zone_ids

    def close_to(self, zone: str) -> list[str]:
        """Did-you-mean candidates: names for a name, IDs for an ID; a bad letter lists the letters."""
        pool = self.zone_ids if "-az" in zone else self.zones
        close = difflib.get_close_matches(zone, pool, n=3, cutoff=0.6)
        return close or list(pool)


@functools.lru_cache(maxsize=1)
def _data() -> dict:
    return read_bundled_yaml(os.path.join(HERE, "zones.yaml"))


def region_zones(region: str) -> RegionZones | None:
    """The zones the catalog knows for `region`, or None when it has no list for it."""
    data = _data()
    entry = (data.get("regions") or {}).get(region)
    if not entry:
        return None
    return RegionZones(region, tuple(entry["zones"]), tuple(entry["zone_ids"]),
                       {t: tuple(z) for t, z in (entry.get("accelerated") or {}).items()},
                       data["source"], str(data["as_of"]))


def regions_selling(instance_type: str) -> list[str]:
    """The Regions with a zone that offers `instance_type`, by the catalog's offerings snapshot."""
    return sorted(r for r, e in (_data().get("regions") or {}).items() if instance_type in (e.get("accelerated") or {}))
