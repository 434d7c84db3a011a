"""Where the cluster is: its Region and zone names, and the dates it names."""
from __future__ import annotations

import datetime as dt
import difflib
from typing import Any, Iterator

from ...errors import SpecIssue
from .zones import known_regions, region_zone_prefix, zone_in_region
from .registry import REGISTRY, SpecContext

# The dates a plan may name. Not an AWS limit: a planning window wide enough for any real cluster
# (terms run at most 240 months) that keeps date arithmetic (term ends, month-by-month costs) bounded.
PLANNING_WINDOW = (dt.date(2000, 1, 1), dt.date(2100, 12, 31))
WINDOW_HINT = "a real plan's dates fall well inside it; check the year"


@REGISTRY.spec("spec.region.known", source="planner/catalog/regions.yaml (EC2 DescribeRegions)")
def region_known(ctx: SpecContext) -> Iterator[SpecIssue]:
    """The cluster's `region` is a Region ultraplan's catalog knows; an unknown name gets the
    closest known names as suggestions."""
    regions = known_regions()
    if ctx.spec.region not in regions:
        close = difflib.get_close_matches(ctx.spec.region, list(regions), n=2)
        yield ctx.issue(("region",), f"unknown region '{ctx.spec.region}'",
                        f"did you mean {' or '.join(close)}?" if close else "e.g. us-east-1")


@REGISTRY.spec("spec.region.zone", source="EC2 User Guide, Regions and Zones (zone names and zone IDs)")
def zone_of_region(ctx: SpecContext) -> Iterator[SpecIssue]:
    """The cluster's `availability_zone` is in its Region: a zone name starting with the Region's
    name (us-east-1a) or a zone ID starting with the Region's prefix (use1-az4)."""
    spec = ctx.spec
    if spec.region in known_regions() and not zone_in_region(spec.availability_zone, spec.region):
        yield ctx.issue(("availability_zone",), f"zone '{spec.availability_zone}' is not in region {spec.region}",
                        f"a zone name starting with '{spec.region}' (e.g. {spec.region}a) or a zone ID starting "
                        f"with '{region_zone_prefix(spec.region)}-'")


@REGISTRY.spec("spec.region.zone-known", source="planner/catalog/zones.yaml (EC2 DescribeAvailabilityZones)")
def zone_known(ctx: SpecContext) -> Iterator[SpecIssue]:
    """Every Availability Zone the spec names (cluster, pools, network.region_zone) is one of its
    Region's zones in the catalog, by name or by zone ID; Local Zones are checked against
    local_zones.yaml instead. AWS rejects an unknown zone only at deploy time."""
    from ...catalog import is_local_zone
    from ...catalog.zones import region_zones

    spec = ctx.spec
    if spec.region not in known_regions() or not zone_in_region(spec.availability_zone, spec.region):
        return  # spec.region.known / spec.region.zone say what is wrong
    known = region_zones(spec.region)
    if known is None:
        return
    paths = [(spec.availability_zone, ("availability_zone",))]
    paths += [(p.availability_zone, ("compute", i, "availability_zone")) for i, p in enumerate(spec.compute)
              if p.availability_zone]
    if spec.network and spec.network.region_zone:
        paths.append((spec.network.region_zone, ("network", "region_zone")))
    for zone, path in paths:
        if is_local_zone(zone) or not zone_in_region(zone, spec.region) or known.knows(zone):
            continue
        close = known.close_to(zone)
        listed = known.zone_ids if "-az" in zone else known.zones
        yield ctx.issue(path, f"zone '{zone}' is not an Availability Zone of {spec.region} "
                              f"({spec.region} has {', '.join(listed)}: planner/catalog/zones.yaml)",
                        f"did you mean {' or '.join(close)}?")


def _dates(spec: Any) -> Iterator[tuple[tuple[Any, ...], dt.date]]:
    """Every date the spec names, with its field path."""
    for i, pool in enumerate(spec.compute):
        for key in ("start", "end"):
            if getattr(pool, key) is not None:
                yield ("compute", i, key), getattr(pool, key)
            if getattr(pool.capacity, key) is not None:
                yield ("compute", i, "capacity", key), getattr(pool.capacity, key)
    if spec.budget and spec.budget.start is not None:
        yield ("budget", "start"), spec.budget.start


@REGISTRY.spec("spec.dates.planning-window", source="ultraplan (a planning bound, not an AWS limit)")
def planning_window(ctx: SpecContext) -> Iterator[SpecIssue]:
    """Every date the spec names (pool and capacity start and end, budget start) falls between
    2000-01-01 and 2100-12-31. Not an AWS limit: a window wide enough for any real cluster that keeps
    date arithmetic (term ends, month-by-month costs) bounded."""
    low, high = PLANNING_WINDOW
    for path, day in _dates(ctx.spec):
        if not low <= day <= high:
            yield ctx.issue(path, f"{day} is outside the planning window ({low} to {high})", WINDOW_HINT)
