"""Where a zonal service goes when the cluster sits in a Local Zone.

A Local Zone offers a subset of services, listed per zone on the "AWS Local Zones features" page
(planner/catalog/local_zones.yaml keeps each with its source). The rule: a service is placed in the
pool's zone only when the catalog says the zone offers it (`yes`); otherwise (`no`, `unconfirmed`, a
Local Zone the catalog does not know) it goes to `network.region_zone`, an Availability Zone of the
parent Region, and the Plan notes the traffic path; without a region_zone the spec is rejected with
what to do. Availability Zones of a Region offer all of them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import Catalog, is_local_zone

NAT_GATEWAY = "nat_gateway"
FSX_LUSTRE = "fsx_lustre"
INTERFACE_ENDPOINTS = "vpc_interface_endpoints"


@dataclass(frozen=True)
class Placement:
    zone: str  # where the service goes
    moved_from: str | None = None  # the Local Zone it could not go to
    offered: str = "yes"  # what the catalog says about moved_from: no | unconfirmed
    source: str = ""

    @property
    def moved(self) -> bool:
        return self.moved_from is not None


def service_name(catalog: Catalog, service: str) -> str:
    return (catalog.service_names.get(service) or {}).get("name", service.replace("_", " "))


def offered(catalog: Catalog, zone: str, service: str) -> tuple[str, str]:
    """(yes | no | unconfirmed, source) for a service in a zone; Region AZs offer everything."""
    if not is_local_zone(zone):
        return "yes", ""
    lz = catalog.local_zone(zone)
    if lz is None:
        return "unconfirmed", f"{zone} is a Local Zone the catalog does not describe"
    return lz.offers(service), lz.offer_source(service)


def region_zone(spec: Any) -> str | None:
    """The Region zone Region-only services go to for a pool in a Local Zone: `network.region_zone`,
    else the cluster's own `availability_zone` when that is a Region zone (a cluster in us-east-1a
    with one pool in the Dallas Local Zone puts that pool's NAT gateway in us-east-1a), else None."""
    if spec.network.region_zone is not None:
        return spec.network.region_zone
    return None if is_local_zone(spec.availability_zone) else spec.availability_zone


def place(catalog: Catalog, zone: str, service: str, region_zone: str | None) -> Placement | None:
    """Where `service` for a pool in `zone` goes; None when it must move and there is no region_zone."""
    status, source = offered(catalog, zone, service)
    if status == "yes":
        return Placement(zone)
    if region_zone is None:
        return None
    return Placement(region_zone, moved_from=zone, offered=status, source=source)


def border_group(catalog: Catalog, zone: str, region: str) -> str:
    """The network border group of a zone: the Local Zone's own, else the Region's name (Region AZs
    advertise their addresses from the Region's border group; describe_availability_zones
    NetworkBorderGroup)."""
    lz = catalog.local_zone(zone) if is_local_zone(zone) else None
    return lz.network_border_group if lz else region


def traffic_note(catalog: Catalog, service: str, p: Placement) -> str:
    name = service_name(catalog, service)
    why = "does not offer" if p.offered == "no" else "is not confirmed to offer"
    fallback = (catalog.service_names.get(service) or {}).get("fallback") or f"network.region_zone ({p.zone})"
    return (f"{p.moved_from} {why} {name} ({p.source}): placed in {p.zone} instead: {fallback}; "
            f"traffic between {p.moved_from} and {p.zone} crosses zones (cross-zone data charges, higher latency)")
