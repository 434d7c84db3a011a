"""Local Zones: the parent Region, what a Local Zone offers, and where the services it lacks go
(planner/catalog/local_zones.yaml, each offer with its source)."""
from __future__ import annotations

from typing import Any, Iterator

from ...catalog import placement
from ...catalog import is_local_zone
from ...errors import SpecIssue
from .registry import REGISTRY, SpecContext
from .zones import region_zone_prefix, zone_in_region

LZ_SOURCE = "planner/catalog/local_zones.yaml (AWS Local Zones features page, per zone)"


def _zones(spec: Any) -> list[tuple[str, tuple[Any, ...]]]:
    """The cluster's zone and each pool's own zone, with their field paths."""
    return [(spec.availability_zone, ("availability_zone",))] + [
        (p.availability_zone, ("compute", i, "availability_zone")) for i, p in enumerate(spec.compute) if p.availability_zone]


def _pools_in(spec: Any, zone: str) -> list[Any]:
    return [p for p in spec.compute if (p.availability_zone or spec.availability_zone) == zone]


def uses_efa(pool: Any, catalog: Any) -> bool:
    """The pool's EFA setting, defaulting to on for EFA-capable types (as the compiler decides)."""
    if pool.efa is not None:
        return pool.efa
    ultra = catalog.ultraservers.get(pool.ultraserver or "")
    itype = catalog.instance_types.get(ultra.member if ultra else (pool.instance_type or ""))
    return bool(itype and itype.efa_supported)


@REGISTRY.spec("spec.local-zone.region-zone", source="ultraplan spec format; EC2 User Guide, Local Zones")
def region_zone(ctx: SpecContext) -> Iterator[SpecIssue]:
    """`network.region_zone` (where services a Local Zone lacks are placed) is an Availability Zone
    of the cluster's Region, and only applies to a new VPC."""
    spec, net = ctx.spec, ctx.spec.network
    if net.region_zone is not None and net.vpc_id:
        yield ctx.issue(("network", "region_zone"), "region_zone only applies to a new VPC (vpc_cidr)",
                        "remove region_zone: with an existing VPC and subnet the plan creates no NAT gateway or subnet")
    elif net.region_zone is not None:
        if is_local_zone(net.region_zone):
            yield ctx.issue(("network", "region_zone"), f"'{net.region_zone}' is a Local Zone",
                            f"give an Availability Zone of {spec.region} (e.g. {spec.region}a or a zone ID like "
                            f"{region_zone_prefix(spec.region)}-az1)")
        elif not zone_in_region(net.region_zone, spec.region):
            yield ctx.issue(("network", "region_zone"), f"zone '{net.region_zone}' is not in region {spec.region}")


@REGISTRY.spec("spec.local-zone.parent-region", source=LZ_SOURCE)
def parent_region(ctx: SpecContext) -> Iterator[SpecIssue]:
    """A Local Zone the cluster or a pool names belongs to the cluster's Region (its parent Region)."""
    for zone, path in _zones(ctx.spec):
        lz = ctx.catalog.local_zone(zone) if is_local_zone(zone) else None
        if lz and lz.parent_region != ctx.spec.region:
            yield ctx.issue(path, f"Local Zone {zone} belongs to {lz.parent_region}, not {ctx.spec.region}",
                            f"region: {lz.parent_region}")


@REGISTRY.spec("spec.local-zone.capacity-blocks", source=LZ_SOURCE, skippable=True)
def local_zone_blocks(ctx: SpecContext) -> Iterator[SpecIssue]:
    """No capacity-block pool sits in a Local Zone the catalog records as not selling Capacity
    Blocks. The offer is a catalog fact that may be out of date: skippable with a reason."""
    for zone, path in _zones(ctx.spec):
        lz = ctx.catalog.local_zone(zone) if is_local_zone(zone) else None
        if lz and lz.offers("capacity_blocks") == "no" and any(
                p.capacity.type == "capacity-block" for p in _pools_in(ctx.spec, zone)):
            yield ctx.issue(path, f"Local Zone {zone} does not sell Capacity Blocks ({lz.offer_source('capacity_blocks')})",
                            "buy the block in a zone that offers Capacity Blocks (describe-capacity-block-offerings)")


@REGISTRY.spec("spec.local-zone.efa", source=LZ_SOURCE, skippable=True)
def local_zone_efa(ctx: SpecContext) -> Iterator[SpecIssue]:
    """No EFA pool sits in a Local Zone the catalog records as not offering EFA. The offer is a
    catalog fact that may be out of date: skippable with a reason."""
    for zone, path in _zones(ctx.spec):
        lz = ctx.catalog.local_zone(zone) if is_local_zone(zone) else None
        if lz and lz.offers("ec2_efa") == "no" and any(uses_efa(p, ctx.catalog) for p in _pools_in(ctx.spec, zone)):
            yield ctx.issue(path, f"Local Zone {zone} does not offer EFA ({lz.offer_source('ec2_efa')})",
                            "put the EFA pools in a zone that offers EFA, or set efa: false")


def needed_services(ctx: SpecContext) -> dict[str, list[str]]:
    """Zonal services the compiler will create, by zone (none when the spec reuses a VPC)."""
    spec, net = ctx.spec, ctx.spec.network
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


@REGISTRY.spec("spec.local-zone.services", source=LZ_SOURCE)
def local_zone_services(ctx: SpecContext) -> Iterator[SpecIssue]:
    """Every zonal service the plan creates (NAT gateways, FSx for Lustre, interface endpoints) is
    offered in its zone, or `network.region_zone` names an Availability Zone to place it in. A
    service a Local Zone is not confirmed to offer counts as missing (fail closed)."""
    spec, net, doc = ctx.spec, ctx.spec.network, ctx.doc
    missing = []
    for zone, services in needed_services(ctx).items():
        for service in services:
            if placement.place(ctx.catalog, zone, service, placement.region_zone(spec)) is None:
                status, _ = placement.offered(ctx.catalog, zone, service)
                missing.append(f"{placement.service_name(ctx.catalog, service)} "
                               f"({status if status == 'no' else 'not confirmed'} in {zone})")
    if missing:
        path = ("network", "region_zone")
        yield SpecIssue("network.region_zone", "Local Zones of the plan lack services it needs: " + ", ".join(missing),
                        doc.line(*path) or doc.line("network") or doc.line("availability_zone"), doc.file,
                        f"set network.region_zone to an Availability Zone of {spec.region} (e.g. {spec.region}a): "
                        "ultraplan places those services there and notes the cross-zone traffic path")
