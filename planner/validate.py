"""Loading a spec: YAML with lines -> pydantic shape checks -> meaning checks against the catalog.

Every problem becomes a SpecIssue naming the field path, the YAML line, what is wrong and what
would be right; all of them are raised together in one SpecError (exit 2).
"""
from __future__ import annotations

import datetime as dt
import difflib
import functools
import ipaddress
import os
import re
from dataclasses import dataclass
from typing import Any, Iterator

import yaml
from pydantic import ValidationError

from . import placement
from .catalog import Catalog, default_image, fsx, is_local_zone, load_catalog
from .catalog import regions as catalog_regions
from .errors import SpecError, SpecIssue, locate
from .shape import about_placeholder, set_aside, shape_issues
from .spans import spans_of, syntax_issue
from .tags import MAX_USER_TAGS, combined_tag_count
from .spec import ZONE_ID, ClusterSpec, Pool
from .yamlload import Path, dotted, line_of, load

# Capacity Blocks: 1-14 days in 1-day steps, then 7-day steps up to 182 (aws-gpu-facts.md, EC2 User Guide).
BLOCK_DAYS_HINT = "1 to 14 days, or a multiple of 7 up to 182"

# The dates a plan may name. Not an AWS limit: a planning window wide enough for any real cluster
# (terms run at most 240 months) that keeps date arithmetic (term ends, month-by-month costs) bounded.
PLANNING_WINDOW = (dt.date(2000, 1, 1), dt.date(2100, 12, 31))
WINDOW_HINT = "a real plan's dates fall well inside it; check the year"


def block_length_ok(days: int) -> bool:
    """A Capacity Block length AWS sells: 1-14 days, or 7-day steps up to 182 (EC2 User Guide,
    ec2-capacity-blocks)."""
    return 1 <= days <= 14 or (days <= 182 and days % 7 == 0)

DIRECTIONS = {"east": "e", "west": "w", "north": "n", "south": "s", "central": "c",
              "northeast": "ne", "southeast": "se", "northwest": "nw", "southwest": "sw"}


@dataclass(frozen=True)
class SpecDocument:
    """A validated spec with the file it came from and the line of every field."""

    spec: ClusterSpec
    file: str | None
    lines: dict[Path, int]

    def line(self, *path: Any) -> int | None:
        return line_of(self.lines, tuple(path))


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


# The largest subnet AWS allows is a /16, less the 5 addresses AWS keeps in every subnet (VPC User
# Guide, subnet sizing); the compiler's network step uses the same figure.
MAX_SUBNET_IPS = 2 ** 16 - 5


# -- meaning errors -----------------------------------------------------------------------------
def _meaning_issues(doc: SpecDocument, catalog: Catalog) -> Iterator[SpecIssue]:
    spec, f = doc.spec, doc.file

    def issue(path: tuple[Any, ...], message: str, hint: str | None = None) -> SpecIssue:
        return SpecIssue(dotted(path), message, doc.line(*path), f, hint)

    regions = known_regions()
    if spec.region not in regions:
        close = difflib.get_close_matches(spec.region, list(regions), n=2)
        yield issue(("region",), f"unknown region '{spec.region}'", f"did you mean {' or '.join(close)}?" if close else "e.g. us-east-1")
    elif not zone_in_region(spec.availability_zone, spec.region):
        yield issue(("availability_zone",), f"zone '{spec.availability_zone}' is not in region {spec.region}",
                    f"a zone name starting with '{spec.region}' (e.g. {spec.region}a) or a zone ID starting with '{region_zone_prefix(spec.region)}-'")

    else:
        yield from _unknown_zone_issues(doc, issue)

    yield from _date_issues(spec, issue)
    yield from _network_issues(doc, issue)
    yield from _local_zone_issues(doc, catalog, issue)

    seen: dict[str, int] = {}
    for i, pool in enumerate(spec.compute):
        p = ("compute", i)
        if pool.name in seen:
            yield issue(p + ("name",), f"duplicate pool name '{pool.name}' (also compute[{seen[pool.name]}])", "pool names must be unique")
        seen.setdefault(pool.name, i)
        yield from _pool_issues(doc, pool, p, catalog, issue)
        if combined_tag_count(spec.tags, pool.tags) > MAX_USER_TAGS:  # both land on the pool's resources
            yield issue(p + ("tags",), f"with the cluster's tags the pool's resources get "
                        f"{combined_tag_count(spec.tags, pool.tags)} tags; at most {MAX_USER_TAGS} (EC2 User Guide, "
                        "Tag restrictions: 50 per resource, 5 kept for ultraplan's own)")

    yield from _shared_block_issues(doc, catalog, issue)

    if spec.storage and spec.storage.lustre:
        yield from _lustre_issues(spec.storage.lustre, ("storage", "lustre"), issue)
        yield from _lustre_gate_issues(spec, ("storage", "lustre"), issue)
        yield from _lustre_efa_issues(spec, catalog, ("storage", "lustre"), issue)

    yield from _name_collisions(spec, issue)
    yield from _user_data_issues(doc, catalog)

    if spec.budget:
        b = spec.budget
        if b.monthly_usd is None and b.total_usd is None:
            yield issue(("budget",), "a budget needs monthly_usd, total_usd or both", "e.g. monthly_usd: 2500000")

    for pid, reason in spec.policies.skip.items():
        if not str(reason).strip():
            yield issue(("policies", "skip", pid), f"skipping '{pid}' needs a reason", "policies.skip.<id>: <why it does not apply>")


def _dates(spec: ClusterSpec) -> Iterator[tuple[tuple[Any, ...], dt.date]]:
    """Every date the spec names, with its field path."""
    for i, pool in enumerate(spec.compute):
        for key in ("start", "end"):
            if getattr(pool, key) is not None:
                yield ("compute", i, key), getattr(pool, key)
            if getattr(pool.capacity, key) is not None:
                yield ("compute", i, "capacity", key), getattr(pool.capacity, key)
    if spec.budget and spec.budget.start is not None:
        yield ("budget", "start"), spec.budget.start


def _date_issues(spec: ClusterSpec, issue) -> Iterator[SpecIssue]:
    low, high = PLANNING_WINDOW
    for path, day in _dates(spec):
        if not low <= day <= high:
            yield issue(path, f"{day} is outside the planning window ({low} to {high})", WINDOW_HINT)


def _name_collisions(spec: ClusterSpec, issue) -> Iterator[SpecIssue]:
    """Generated resource names are `<kind>-<pool>` and, for UltraServer pools, `<kind>-<pool>-uNNNN`:
    pool `x` with UltraServers makes `asg-x-u0001`, which pool `x-u0001` makes too. Pools that
    would collide are named here, before the compiler meets the duplicate (one pass over the pools)."""
    owners = {pool.name: i for i, pool in enumerate(spec.compute)}
    for other, pool in enumerate(spec.compute):
        match = _ULTRA_SUFFIX.match(pool.name)
        if not match or pool.ultraserver:  # an UltraServer pool's groups get a -uNNNN suffix of their own
            continue
        base, n = match.group(1), int(match.group(2))
        i = owners.get(base)
        if i is None or not spec.compute[i].ultraserver or not 1 <= n <= spec.compute[i].count:
            continue
        yield issue(("compute", other, "name"),
                    f"pool '{pool.name}' collides with the names generated for UltraServer {n} of pool '{base}' "
                    f"(compute[{i}]): both would make asg-{pool.name}",
                    f"rename one of the two pools, e.g. '{pool.name}-pool'")


_ULTRA_SUFFIX = re.compile(r"^(.+)-u(\d{4,})$")


def _network_issues(doc: SpecDocument, issue) -> Iterator[SpecIssue]:
    net = doc.spec.network
    if net.vpc_id and net.vpc_cidr:
        yield issue(("network", "vpc_cidr"), "give either vpc_cidr (new VPC) or vpc_id + subnet_id (existing), not both")
    elif not net.vpc_id and not net.vpc_cidr:
        yield issue(("network",), "no VPC: give vpc_cidr for a new VPC or vpc_id + subnet_id to reuse one", "e.g. vpc_cidr: 10.0.0.0/16")
    if net.vpc_id and not net.subnet_id:
        yield issue(("network", "subnet_id"), "an existing VPC needs subnet_id: the private subnet the EFA pools launch into")
    if net.subnet_id and not net.vpc_id:
        yield issue(("network", "vpc_id"), "subnet_id needs the vpc_id it belongs to")
    if net.vpc_id and net.secondary_cidrs:
        yield issue(("network", "secondary_cidrs"), "secondary_cidrs only apply to a new VPC (vpc_cidr)")
    blocks = []
    for path, text in [(("network", "vpc_cidr"), net.vpc_cidr)] + [
            (("network", "secondary_cidrs", i), c) for i, c in enumerate(net.secondary_cidrs)]:
        if text is None:
            continue
        try:
            block = ipaddress.IPv4Network(text, strict=True)
        except ValueError as exc:
            yield issue(path, f"'{text}' is not a valid IPv4 CIDR ({exc})", "e.g. 10.0.0.0/16 (host bits zero)")
            continue
        if not 16 <= block.prefixlen <= 28:
            yield issue(path, f"'{text}': a VPC CIDR block must be between /16 and /28", "use a /16 and add secondary_cidrs for more")
            continue
        if not block.is_private:
            yield issue(path, f"'{text}' is not a private (RFC 1918) range", "e.g. 10.0.0.0/16")
        for other_path, other in blocks:
            if block.overlaps(other):
                yield issue(path, f"'{text}' overlaps {dotted(other_path)} ({other})", "VPC CIDR blocks must not overlap")
        blocks.append((path, block))


def _needed_services(doc: SpecDocument) -> dict[str, list[str]]:
    """Zonal services the compiler will create, by zone (none when the spec reuses a VPC)."""
    spec, net = doc.spec, doc.spec.network
    if net.vpc_id:
        return {}
    zones = {spec.availability_zone} | {p.availability_zone for p in spec.compute if p.availability_zone}
    needed: dict[str, list[str]] = {}
    for zone in sorted(zones):
        if net.egress == "nat":
            needed.setdefault(zone, []).append(placement.NAT_GATEWAY)
    home = needed.setdefault(spec.availability_zone, [])
    if spec.storage and spec.storage.lustre:
        home.append(placement.FSX_LUSTRE)
    if net.egress == "none":
        home.append(placement.INTERFACE_ENDPOINTS)
    return needed


def _uses_efa(pool: Pool, catalog: Catalog) -> bool:
    """The pool's EFA setting, defaulting to on for EFA-capable types (as the compiler decides)."""
    if pool.efa is not None:
        return pool.efa
    ultra = catalog.ultraservers.get(pool.ultraserver or "")
    itype = catalog.instance_types.get(ultra.member if ultra else (pool.instance_type or ""))
    return bool(itype and itype.efa_supported)


def _unknown_zone_issues(doc: SpecDocument, issue) -> Iterator[SpecIssue]:
    """Every Availability Zone the spec names (cluster, pools, network.region_zone) is one of its
    Region's zones in the catalog (planner/catalog/zones.yaml), by name or by zone ID; Local Zones are
    checked against local_zones.yaml instead. AWS rejects an unknown zone only at deploy time."""
    from .catalog.zones import region_zones

    spec = doc.spec
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
        yield issue(path, f"zone '{zone}' is not an Availability Zone of {spec.region} "
                          f"({spec.region} has {', '.join(listed)}: planner/catalog/zones.yaml)",
                    f"did you mean {' or '.join(close)}?")


def _local_zone_issues(doc: SpecDocument, catalog: Catalog, issue) -> Iterator[SpecIssue]:
    """Local Zones: the parent Region matches, EFA is offered, and every service a Local Zone does not
    offer (or is not confirmed to offer) has a network.region_zone to go to."""
    spec, net = doc.spec, doc.spec.network
    if net.region_zone is not None and net.vpc_id:
        yield issue(("network", "region_zone"), "region_zone only applies to a new VPC (vpc_cidr)",
                    "remove region_zone: with an existing VPC and subnet the plan creates no NAT gateway or subnet")
    elif net.region_zone is not None:
        if is_local_zone(net.region_zone):
            yield issue(("network", "region_zone"), f"'{net.region_zone}' is a Local Zone",
                        f"give an Availability Zone of {spec.region} (e.g. {spec.region}a or a zone ID like "
                        f"{region_zone_prefix(spec.region)}-az1)")
        elif not zone_in_region(net.region_zone, spec.region):
            yield issue(("network", "region_zone"), f"zone '{net.region_zone}' is not in region {spec.region}")
    zone_paths = [(spec.availability_zone, ("availability_zone",))] + [
        (p.availability_zone, ("compute", i, "availability_zone")) for i, p in enumerate(spec.compute) if p.availability_zone]
    for zone, path in zone_paths:
        lz = catalog.local_zone(zone) if is_local_zone(zone) else None
        if lz and lz.parent_region != spec.region:
            yield issue(path, f"Local Zone {zone} belongs to {lz.parent_region}, not {spec.region}", f"region: {lz.parent_region}")
        if lz and lz.offers("capacity_blocks") == "no" and any(
                p.capacity.type == "capacity-block" and (p.availability_zone or spec.availability_zone) == zone for p in spec.compute):
            yield issue(path, f"Local Zone {zone} does not sell Capacity Blocks ({lz.offer_source('capacity_blocks')})",
                        "buy the block in a zone that offers Capacity Blocks (describe-capacity-block-offerings)")
        if lz and lz.offers("ec2_efa") == "no" and any(
                _uses_efa(p, catalog) and (p.availability_zone or spec.availability_zone) == zone for p in spec.compute):
            yield issue(path, f"Local Zone {zone} does not offer EFA ({lz.offer_source('ec2_efa')})",
                        "put the EFA pools in a zone that offers EFA, or set efa: false")
    missing = []
    for zone, services in _needed_services(doc).items():
        for service in services:
            if placement.place(catalog, zone, service, placement.region_zone(spec)) is None:
                status, _ = placement.offered(catalog, zone, service)
                missing.append(f"{placement.service_name(catalog, service)} ({status if status == 'no' else 'not confirmed'} in {zone})")
    if missing:
        path = ("network", "region_zone")
        yield SpecIssue("network.region_zone", "Local Zones of the plan lack services it needs: " + ", ".join(missing),
                        doc.line(*path) or doc.line("network") or doc.line("availability_zone"), doc.file,
                        f"set network.region_zone to an Availability Zone of {spec.region} (e.g. {spec.region}a): "
                        "ultraplan places those services there and notes the cross-zone traffic path"
)


def _pool_issues(doc: SpecDocument, pool: Pool, p: tuple[Any, ...], catalog: Catalog, issue) -> Iterator[SpecIssue]:
    spec = doc.spec
    if bool(pool.instance_type) == bool(pool.ultraserver):
        yield issue(p, "give exactly one of instance_type (count in instances) or ultraserver (count in UltraServers)"
                    if not pool.instance_type else "give instance_type or ultraserver, not both",
                    "e.g. ultraserver: u-p6e-gb200x72 or instance_type: p5.48xlarge")
        return
    ultra = None
    if pool.ultraserver:
        ultra = catalog.ultraservers.get(pool.ultraserver)
        if ultra is None:
            close = catalog.suggest_ultraserver(pool.ultraserver)
            yield issue(p + ("ultraserver",), f"unknown UltraServer type '{pool.ultraserver}'",
                        f"did you mean {' or '.join(close)}?" if close else f"known: {', '.join(sorted(catalog.ultraservers))}")
            return
        itype = catalog.instance(ultra.member)
    else:
        itype = catalog.instance_types.get(pool.instance_type)
        if itype is None:
            close = catalog.suggest_instance(pool.instance_type)
            yield issue(p + ("instance_type",), f"unknown instance type '{pool.instance_type}'",
                        f"did you mean {' or '.join(close)}?" if close else "see the catalog: planner/catalog/instances_*.yaml")
            return
    if pool.ami is None and default_image(itype) is None:
        yield issue(p + ("ami",), f"{itype.name} ({itype.architecture}, {itype.accelerator.model if itype.accelerator else 'cpu'}) "
                    "has no default image ultraplan can vouch for", "give ami: ami-... (an image with the accelerator drivers and EFA)")
    elif pool.ami is None and default_image(itype).get("root_device_name") not in (None, pool.root_device_name):
        root = default_image(itype)["root_device_name"]
        yield issue(p + ("root_device_name",), f"{pool.root_device_name} is not the root device of the default image "
                    f"({default_image(itype)['image']} boots from {root}): the mapping would add a second volume and "
                    "leave the root with the image's size and encryption", f"root_device_name: {root}, or give an ami")
    if pool.efa and not itype.efa_supported:
        yield issue(p + ("efa",), f"{itype.name} does not support EFA", "remove efa or choose an EFA-capable type (p5, p6, trn2, ...)")

    zone = pool.availability_zone or spec.availability_zone
    if pool.availability_zone and not zone_in_region(pool.availability_zone, spec.region):
        yield issue(p + ("availability_zone",), f"zone '{pool.availability_zone}' is not in region {spec.region}")
    if spec.network.subnet_id and pool.availability_zone and pool.availability_zone != spec.availability_zone:
        yield issue(p + ("availability_zone",), "with an existing subnet every pool launches in that subnet's zone",
                    "remove the pool's availability_zone or use vpc_cidr")
    if ultra and ultra.zones and not ZONE_ID.match(zone) and zone not in ultra.zones:
        yield issue(p + ("availability_zone",) if pool.availability_zone else ("availability_zone",),
                    f"{ultra.name} is offered only in {', '.join(ultra.zones)}, not {zone}", f"set availability_zone: {ultra.zones[0]}")

    cap = pool.capacity
    # UltraServers are sold as capacity (blocks or reservations), never on demand.
    if ultra and cap.type not in ultra.capacity_types:
        yield issue(p + ("capacity", "type"), f"{ultra.name} cannot be bought as {cap.type}",
                    f"use one of: {', '.join(ultra.capacity_types)}")
    if cap.type in ("capacity-reservation", "capacity-block") and not (
            cap.reservation_id or cap.reservation_ids or cap.resource_group_arn or cap.planned):
        yield issue(p + ("capacity", "reservation_ids" if ultra and pool.count > 1 else "reservation_id"),
                    f"a {cap.type} pool needs " + ("reservation_ids (one cr-... per UltraServer)" if ultra and pool.count > 1
                                                  else "reservation_id (cr-...)") + " or resource_group_arn",
                    "if the block is not bought yet, set capacity.planned: true")
    yield from _reservation_ids_issues(pool, ultra, p, issue)
    yield from _purchase_issues(pool, itype, ultra, p, issue, catalog)
    if cap.type == "capacity-block":
        if cap.start is None:
            yield issue(p + ("capacity", "start"), "a capacity-block pool needs its start date", "e.g. start: 2026-12-01")
        if cap.days is None and cap.end is None:
            yield issue(p + ("capacity", "days"), "a capacity-block pool needs days (or end)", BLOCK_DAYS_HINT)
        if cap.days is not None and not block_length_ok(cap.days):
            yield issue(p + ("capacity", "days"), f"{cap.days} days is not a Capacity Block length", BLOCK_DAYS_HINT)
        elif cap.days is None and cap.start and cap.end and cap.end > cap.start \
                and not block_length_ok((cap.end - cap.start).days):
            yield issue(p + ("capacity", "end"), f"start {cap.start} to end {cap.end} is {(cap.end - cap.start).days} days, "
                        "not a Capacity Block length", BLOCK_DAYS_HINT)
    elif cap.type != "capacity-block" and (cap.days is not None):
        yield issue(p + ("capacity", "days"), "days applies only to capacity-block pools")
    if cap.type in ("on-demand", "spot") and (cap.reservation_id or cap.reservation_ids or cap.resource_group_arn):
        yield issue(p + ("capacity", "type"), f"a reservation is given but the pool buys {cap.type}",
                    "set type: capacity-reservation or capacity-block, or remove reservation_id")
    if cap.start and cap.end and cap.end <= cap.start:
        yield issue(p + ("capacity", "end"), f"end {cap.end} is not after start {cap.start}")
    if cap.start and cap.end and cap.days and (cap.end - cap.start).days != cap.days:
        yield issue(p + ("capacity", "days"), f"days {cap.days} disagrees with start {cap.start} to end {cap.end}", "give days or end, not both")

    if pool.end and pool.months:
        yield issue(p + ("months",), "give end or months, not both")
    if pool.start and pool.end and pool.end <= pool.start:
        yield issue(p + ("end",), f"end {pool.end} is not after start {pool.start}")
    if pool.placement_group and cap.type in ("capacity-reservation", "capacity-block"):
        yield issue(p + ("placement_group",), "a placement group on a pool that targets a reservation or block causes insufficient-capacity errors",
                    "remove placement_group: the reserved capacity is already placed")
    elif pool.placement_group and itype.joins("cluster") is False:
        yield issue(p + ("placement_group",), f"{itype.name} cannot join a cluster placement group "
                    f"(it supports {', '.join(itype.placement_strategies) or 'no placement strategy'}; DescribeInstanceTypes PlacementGroupInfo)",
                    "remove placement_group, or choose a type that supports the cluster strategy")
    if cap.drain_seconds is not None and cap.type != "capacity-block":
        yield issue(p + ("capacity", "drain_seconds"), "drain_seconds applies only to capacity-block pools (the hook before the block ends)",
                    "remove drain_seconds")


def _reservation_ids_issues(pool: Pool, ultra, p: tuple[Any, ...], issue) -> Iterator[SpecIssue]:
    """One UltraServer is one Capacity Block and one reservation (EC2 User Guide, Capacity Blocks for
    ML: "each UltraServer corresponds to one Capacity Block"), so an UltraServer block pool of N names
    N reservations, and a group bound to one of them launches only that UltraServer."""
    cap = pool.capacity
    path = p + ("capacity", "reservation_ids")
    if cap.reservation_ids is None:
        if ultra and cap.type == "capacity-block" and cap.reservation_id and pool.count > 1:
            yield issue(path, f"{pool.count} x {ultra.name} are {pool.count} Capacity Blocks, one reservation each; "
                        f"reservation_id names 1 for {pool.count} UltraServers",
                        f"list {pool.count} ids: reservation_ids: [cr-..., ...] (one per UltraServer), or target a "
                        "resource_group_arn of UltraServer blocks")
        return
    if cap.reservation_id:
        yield issue(path, "give reservation_id or reservation_ids, not both", "reservation_ids: one id per UltraServer")
    if cap.resource_group_arn:
        yield issue(path, "give reservation_ids or resource_group_arn, not both")
    if not ultra:
        yield issue(path, "reservation_ids lists one reservation per UltraServer; an instance pool takes reservation_id",
                    "reservation_id: cr-...")
        return
    if len(cap.reservation_ids) != pool.count:
        yield issue(path, f"{len(cap.reservation_ids)} reservation ids for {pool.count} UltraServers (count: {pool.count}): "
                    "each UltraServer is its own Capacity Block", f"list exactly {pool.count} ids, one per UltraServer")
    seen: dict[str, int] = {}
    for i, rid in enumerate(cap.reservation_ids):
        if rid in seen:
            yield issue(path + (i,), f"{rid} is listed twice (also item {seen[rid]}): one reservation holds one UltraServer",
                        "each UltraServer needs its own reservation id")
        seen.setdefault(rid, i)


def _shared_block_issues(doc: SpecDocument, catalog: Catalog, issue) -> Iterator[SpecIssue]:
    """An UltraServer Capacity Block reservation holds exactly one UltraServer, so the spec alone shows
    that two pools naming the same one overflow it (ParallelCluster sums every user of a
    reservation; ordinary reservations are summed by preflight, which knows their size)."""
    owner: dict[str, tuple[int, str]] = {}
    for i, pool in enumerate(doc.spec.compute):
        cap = pool.capacity
        if cap.type != "capacity-block" or not pool.ultraserver or pool.ultraserver not in catalog.ultraservers:
            continue
        ids = [(("reservation_ids", j), rid) for j, rid in enumerate(cap.reservation_ids or [])]
        ids += [(("reservation_id",), cap.reservation_id)] if cap.reservation_id else []
        for where, rid in ids:
            if rid in owner and owner[rid][0] != i:
                first, name = owner[rid]
                yield issue(("compute", i, "capacity") + where,
                            f"{rid} is also pool '{name}''s (compute[{first}], line {doc.line('compute', first)}): an "
                            "UltraServer Capacity Block holds one UltraServer, so two pools overflow it",
                            "give each UltraServer of each pool its own reservation id")
            owner.setdefault(rid, (i, pool.name))


def _purchase_issues(pool: Pool, itype, ultra, p: tuple[Any, ...], issue, catalog: Catalog) -> Iterator[SpecIssue]:
    """How EC2 sells the type (DescribeInstanceTypes SupportedUsageClasses; catalog `usage_classes`,
    `ultraserver_only`): an UltraServer-only type as a plain instance pool, spot or on-demand where the
    type is not sold so, and a capacity block for a type not sold as blocks."""
    cap = pool.capacity
    if not ultra and itype.ultraserver_only:
        kinds = sorted(u.name for u in catalog.ultraservers.values() if u.member == itype.name) or ["<type>"]
        yield issue(p + ("instance_type",), f"{itype.name} is sold only as whole UltraServers, not as single instances",
                    f"use ultraserver: {' or '.join(kinds)} (count in UltraServers) on capacity-block")
        return
    wanted = {"on-demand": "on-demand", "spot": "spot", "capacity-block": "capacity-block"}.get(cap.type)
    if wanted is None or (ultra and wanted != "capacity-block"):
        return  # reservations hold on-demand capacity; UltraServer purchase types are checked above
    if itype.sold_as(wanted) is False:
        how = ", ".join(itype.usage_classes) or "nothing"
        yield issue(p + ("capacity", "type"), f"{itype.name} is not sold as {wanted} (EC2 sells it as: {how}; "
                    "DescribeInstanceTypes SupportedUsageClasses)", f"use one of: {how}")


# Deployment types that encrypt data in transit (catalog fsx_lustre.yaml); the mandatory policy
# fsx-encrypted-in-vpc requires one.
IN_TRANSIT_ENCRYPTED = fsx.in_transit_encrypted()


def _policy_relaxed(spec: ClusterSpec, policy_id: str) -> bool:
    """The spec skips `policy_id` or sets it advisory/disabled, so a violation would not fail a gate."""
    if policy_id in spec.policies.skip:
        return True
    config = spec.policies.config
    for key in ("all", policy_id):
        value = config.get(key)
        level = value if isinstance(value, str) else (value.get("enforcementLevel") if isinstance(value, dict) else None)
        if level in ("advisory", "disabled") and (key == policy_id or policy_id not in config):
            return True
    return False


def _lustre_gate_issues(spec: ClusterSpec, p, issue) -> Iterator[SpecIssue]:
    """A spec ultraplan accepts can pass its own gates: SCRATCH_1 sends data in clear, which the
    mandatory fsx-encrypted-in-vpc policy always fails, so it is refused here unless that policy is
    skipped (with a reason) or made advisory."""
    lustre = spec.storage.lustre
    if lustre.deployment not in IN_TRANSIT_ENCRYPTED and not _policy_relaxed(spec, "fsx-encrypted-in-vpc"):
        yield issue(p + ("deployment",), f"{lustre.deployment} does not encrypt data in transit, so the mandatory "
                    "policy fsx-encrypted-in-vpc would always fail",
                    "use SCRATCH_2 or PERSISTENT_2, or skip the policy: policies.skip.fsx-encrypted-in-vpc: <why>")


def efa_families(spec: ClusterSpec, catalog: Catalog) -> list[str]:
    """Instance families of the pools that use EFA (the clients an EFA-enabled file system serves)."""
    out = []
    for pool in spec.compute:
        ultra = catalog.ultraservers.get(pool.ultraserver or "")
        itype = catalog.instance_types.get(ultra.member if ultra else (pool.instance_type or ""))
        if itype and _uses_efa(pool, catalog):
            out.append(itype.family)
    return out


def _lustre_efa_issues(spec: ClusterSpec, catalog: Catalog, p, issue) -> Iterator[SpecIssue]:
    """`efa: true` on a file system AWS cannot make EFA-enabled (FSx for Lustre UG, efa-file-systems)."""
    lustre = spec.storage.lustre
    if not lustre.efa:
        return
    _, problems = fsx.efa_decision(lustre, efa_families(spec, catalog))
    for problem in problems:
        yield issue(p + ("efa",), problem, "set efa: false, or change the deployment, capacity or pools as the message says")


def _lustre_issues(lustre, p, issue) -> Iterator[SpecIssue]:
    if lustre.reserve_ips < 1:
        yield issue(p + ("reserve_ips",), f"{lustre.reserve_ips}: the file system needs addresses in its subnet",
                    "at least 1; the default 64 is a planning margin (AWS publishes no count)")
    elif lustre.reserve_ips > MAX_SUBNET_IPS:
        yield issue(p + ("reserve_ips",), f"{lustre.reserve_ips:,} addresses do not fit one subnet "
                    f"(a /16, the largest AWS allows, has {MAX_SUBNET_IPS:,} usable)", "the default 64 is a planning margin")
    if (lustre.capacity_tib is None) == (lustre.capacity_gib is None):
        yield issue(p, "give capacity_tib or capacity_gib, exactly one" if lustre.capacity_tib else "no capacity given",
                    f"e.g. capacity_gib: 4800 ({fsx.describe(lustre.deployment)})")
    else:
        field = "capacity_gib" if lustre.capacity_gib is not None else "capacity_tib"
        gib = lustre.capacity_gib if lustre.capacity_gib is not None else lustre.capacity_tib * 1024
        if not fsx.valid_capacity(lustre.deployment, gib):
            below, above = fsx.neighbours(lustre.deployment, gib)
            options = [v for v in (below, above) if v is not None]
            shown = f"{lustre.capacity_tib:g} TiB = {gib:,.6g} GiB" if field == "capacity_tib" else f"{gib:,} GiB"
            yield issue(p + (field,), f"{shown} is not a {lustre.deployment} size ({fsx.describe(lustre.deployment)}; "
                        "Amazon FSx API Reference, CreateFileSystem StorageCapacity)",
                        "use " + " or ".join(f"capacity_gib: {v}" + (f" ({v / 1024:g} TiB)" if field == "capacity_tib" else "")
                                             for v in options))
    allowed = fsx.throughput_tiers(lustre.deployment)  # catalog fsx_lustre.yaml
    if allowed:
        if lustre.throughput_per_tib is None:
            yield issue(p + ("throughput_per_tib",), f"{lustre.deployment} needs throughput_per_tib", f"one of {allowed}")
        elif lustre.throughput_per_tib not in allowed:
            yield issue(p + ("throughput_per_tib",), f"{lustre.throughput_per_tib} is not a {lustre.deployment} tier", f"one of {allowed}")
    elif lustre.throughput_per_tib is not None:
        yield issue(p + ("throughput_per_tib",), f"{lustre.deployment} has no throughput tiers", "remove throughput_per_tib")


# -- entry points -------------------------------------------------------------------------------
def _unreadable_value(text: str, file: str | None, exc: Exception) -> SpecError:
    """A scalar YAML reads but Python cannot hold (2026-02-30, a 5,000-digit integer): find its line
    by constructing the scalars one by one, so the error names it like any other."""
    line, shown = None, None
    try:
        stack = [yaml.compose(text, Loader=yaml.SafeLoader)]
        constructor = yaml.SafeLoader("")
        while stack and line is None:
            node = stack.pop()
            if isinstance(node, yaml.ScalarNode):
                try:
                    constructor.construct_object(node, deep=True)
                except (ValueError, OverflowError):
                    line, shown = node.start_mark.line + 1, node.value[:40]
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(reversed(node.value))
            elif isinstance(node, yaml.MappingNode):
                stack.extend(v for kv in reversed(node.value) for v in reversed(kv))
    except (yaml.YAMLError, RecursionError, ValueError):
        pass
    what = f"'{shown}'" if shown is not None else "a value"
    reason = str(exc).splitlines()[0].split(": value has")[0].split("; use sys.")[0][:120]
    return SpecError([SpecIssue("", f"{what} cannot be read: {reason}", line, file,
                                "dates are real calendar days (YYYY-MM-DD); numbers have at most a few dozen digits")])


def _user_data_issues(doc: SpecDocument, catalog: Catalog) -> Iterator[SpecIssue]:
    """The spec's own user data (cluster and pools) can be read, is a part cloud-init knows, and fits
    EC2's 16 KB with the node runtime's part (the same code the compiler runs: planner/compile/userdata.py)."""
    from .compile.pools import resolve
    from .compile.userdata import user_data
    from .runtime.userdata import UserDataError, part_type, read_user_data

    base = os.path.dirname(doc.file) if doc.file else None
    wherever = [(("user_data",), doc.spec.user_data)] + [
        (("compute", i, "user_data"), pool.user_data) for i, pool in enumerate(doc.spec.compute)]
    bad = False
    for path, value in wherever:
        if value is None:
            continue
        try:
            part_type(read_user_data(value, base))
        except UserDataError as exc:
            bad = True
            yield SpecIssue(dotted(path), str(exc), doc.line(*path), doc.file, exc.hint)
    if bad or all(value is None for _, value in wherever):
        return  # without a spec part, ultraplan's own part fits (tests/test_runtime_userdata.py)
    try:
        pools = resolve(doc, catalog)
    except Exception:  # noqa: BLE001 - a pool the catalog cannot resolve is reported by its own check
        return
    seen = set()
    for pool in pools:
        try:
            user_data(doc, pool)
        except SpecError as exc:
            for i in exc.issues:
                if (i.path, i.message) not in seen:  # the cluster's part is in every pool's document
                    seen.add((i.path, i.message))
                    yield i


def parse_spec(text: str, file: str | None = None, catalog: Catalog | None = None) -> SpecDocument:
    """The validated spec, or one SpecError with every problem (shape and meaning), sorted by line,
    each with the spec line and a caret under the value."""
    try:
        data, lines = load(text, file)
    except (ValueError, OverflowError) as exc:  # an impossible date, an integer Python refuses to convert
        raise SpecError(locate(_unreadable_value(text, file, exc).issues, text, None)) from None
    except SpecError as exc:
        syntax = syntax_issue(text, file)  # the loader's verdict, worded and placed for a person
        issues = [syntax if syntax and i.message.startswith("YAML syntax error") else i for i in exc.issues]
        raise SpecError(locate(issues, text, spans_of(text))) from None
    from .inputs import not_a_spec

    if not isinstance(data, dict) or not_a_spec(data):
        raise SpecError(locate([SpecIssue("", not_a_spec(data) or "the spec must be a YAML mapping with name, region, "
                                          "availability_zone and compute (or the same as JSON); expected a spec or an "
                                          "ultraplan Plan (JSON starting with \"format\": \"ultraplan-plan\")", 1, file)],
                               text, None))
    return spec_document(data, lines, file, text, catalog or load_catalog())


def spec_document(data: dict[str, Any], lines: dict[Path, int], file: str | None, text: str | None,
                  catalog: Catalog) -> SpecDocument:
    """A spec from data already loaded (a spec file, or a fleet cell's spec): its shape and meaning
    checks, every problem in one SpecError at its line."""
    try:
        doc = SpecDocument(ClusterSpec.model_validate(data), file, lines)
        issues = list(_meaning_issues(doc, catalog))
    except ValidationError as exc:
        issues = shape_issues(exc.errors(), lines, file, known_regions) + _meaning_of_the_rest(data, exc, lines, file, catalog)
    if issues:
        raise SpecError(locate(issues, text, spans_of(text) if text else None))
    return doc


def _meaning_of_the_rest(data: dict[str, Any], exc: ValidationError, lines: dict[Path, int], file: str | None,
                         catalog: Catalog) -> list[SpecIssue]:
    """Meaning checks on what did parse, so shape errors never hide meaning errors; issues about the
    values set aside (or the stand-ins put in their place) are left out."""
    rest, touched = set_aside(data, exc.errors())
    try:
        spec = ClusterSpec.model_validate(rest)
    except ValidationError:
        return []  # what is left still does not parse: the shape issues are all we can say
    return [i for i in _meaning_issues(SpecDocument(spec, file, lines), catalog)
            if not about_placeholder(i.path, touched)]


def load_spec(path: str, catalog: Catalog | None = None) -> SpecDocument:
    from .inputs import read_spec_text

    return parse_spec(read_spec_text(path), path, catalog)  # bounded, UTF-8, not a Plan or snapshot
