"""The catalog: instance and UltraServer facts as bundled data, queried by small pure functions.

Facts come from two files: `instances_moto.yaml` (generated from the real DescribeInstanceTypes
snapshot moto ships; see tools/seed_catalog_from_moto.py) and `instances_manual.yaml` (EFA layouts,
types moto lacks, UltraServers). Every entry carries `source` and `as_of`; values no primary source
confirms are listed in `unconfirmed` and reported as such. Prices and quota codes live beside this
module in their own files and loaders.
"""
from __future__ import annotations

import difflib
import functools
import os
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

HERE = os.path.dirname(__file__)


@dataclass(frozen=True, slots=True)
class Accelerator:
    kind: str  # gpu | trainium
    model: str
    count: int
    memory_gib: int | None


@dataclass(frozen=True, slots=True)
class InstanceType:
    name: str
    vcpus: int
    memory_gib: int | None
    architecture: str
    network_cards: int
    max_network_interfaces: int | None
    efa_max_interfaces: int | None  # None = unknown; 0 = no EFA
    accelerator: Accelerator | None
    efa_supported: bool
    ena_only_cards: tuple[int, ...] = ()
    efa_cards: tuple[int, ...] = ()
    efa_only: bool = False
    efa_bandwidth_gbps: float | None = None
    source: str = ""
    as_of: str = ""
    unconfirmed: tuple[str, ...] = ()
    # How EC2 sells the type (SupportedUsageClasses) and the placement strategies it joins
    # (PlacementGroupInfo.SupportedStrategies); None = not known to the catalog.
    usage_classes: tuple[str, ...] | None = None
    placement_strategies: tuple[str, ...] | None = None
    ultraserver_only: bool = False  # sold only as whole UltraServers

    def sold_as(self, usage_class: str) -> bool | None:
        """Whether EC2 sells the type as `usage_class` (on-demand, spot, capacity-block); None = unknown."""
        return None if self.usage_classes is None else usage_class in self.usage_classes

    def joins(self, strategy: str) -> bool | None:
        """Whether the type can join a placement group of `strategy`; None = unknown."""
        return None if self.placement_strategies is None else strategy in self.placement_strategies

    @property
    def family(self) -> str:
        """`p5`, `p6-b200`, `p6e-gb200`, `trn2`, `m7i`: the part before the size."""
        return self.name.split(".")[0]

    @property
    def accelerators(self) -> int:
        return self.accelerator.count if self.accelerator else 0


@dataclass(frozen=True, slots=True)
class UltraServerType:
    name: str
    member: str
    instances: int
    accelerators_per_domain: int
    capacity_types: tuple[str, ...]
    zones: tuple[str, ...] | None
    source: str
    as_of: str
    unconfirmed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ServiceOffer:
    offered: str  # yes | no | unconfirmed
    source: str


@dataclass(frozen=True, slots=True)
class LocalZone:
    """A Local Zone: its parent Region, border group, opt-in group and the services it offers."""

    name: str
    zone_id: str | None
    parent_region: str
    network_border_group: str
    group_name: str
    services: dict[str, ServiceOffer]
    source: str
    as_of: str
    city: str = ""
    unconfirmed: tuple[str, ...] = ()

    def offers(self, service: str) -> str:
        """yes | no | unconfirmed (a service the data does not list is unconfirmed)."""
        offer = self.services.get(service)
        return offer.offered if offer else "unconfirmed"

    def offer_source(self, service: str) -> str:
        offer = self.services.get(service)
        return offer.source if offer else "not in the catalog's Local Zone data"


# Local Zone names add a location to the Region (us-east-1-dfw-2a); their IDs too (use1-dfw2-az1).
_LOCAL_ZONE_NAME = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d+-[a-z]+-\d+[a-z]$")
_LOCAL_ZONE_ID = re.compile(r"^[a-z]+\d+-[a-z]+\d+-az\d+$")


def is_local_zone(zone: str) -> bool:
    """Whether a zone name or ID names a Local Zone rather than an Availability Zone of the Region."""
    return bool(_LOCAL_ZONE_NAME.match(zone) or _LOCAL_ZONE_ID.match(zone))


@dataclass(frozen=True)
class Catalog:
    instance_types: dict[str, InstanceType]
    ultraservers: dict[str, UltraServerType]
    as_of: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    local_zones: dict[str, LocalZone] = field(default_factory=dict)
    service_names: dict[str, dict[str, Any]] = field(default_factory=dict)

    def local_zone(self, zone: str) -> LocalZone | None:
        """The Local Zone a zone name or zone ID names, when the catalog knows it."""
        if zone in self.local_zones:
            return self.local_zones[zone]
        return next((z for z in self.local_zones.values() if z.zone_id == zone), None)

    def instance(self, name: str) -> InstanceType:
        return self.instance_types[name]

    def ultraserver(self, name: str) -> UltraServerType:
        return self.ultraservers[name]

    def suggest_instance(self, name: str) -> list[str]:
        return difflib.get_close_matches(name, list(self.instance_types), n=3, cutoff=0.5)

    def suggest_ultraserver(self, name: str) -> list[str]:
        return difflib.get_close_matches(name, list(self.ultraservers), n=3, cutoff=0.5)


def _efa_cards(spec: Any, cards: int, ena_only: tuple[int, ...], efa_max: int | None) -> tuple[int, ...]:
    if spec == "all":
        chosen = [c for c in range(cards) if c not in ena_only]
    else:
        chosen = [int(c) for c in (spec or [])]
    if efa_max is not None:
        chosen = chosen[:efa_max]
    return tuple(chosen)


def _optional_tuple(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(str(v) for v in value)


def build_local_zones(data: dict[str, Any]) -> dict[str, LocalZone]:
    """Local Zone entries of local_zones.yaml (pure: tests pass tiny dicts)."""
    out = {}
    for name, z in (data.get("local_zones") or {}).items():
        services = {}
        for key, offer in (z.get("services") or {}).items():
            offered = str(offer.get("offered", "unconfirmed")).lower()
            if offered not in ("yes", "no", "unconfirmed"):
                raise ValueError(f"catalog: local zone {name} service {key}: offered must be yes, no or unconfirmed")
            if not offer.get("source"):
                raise ValueError(f"catalog: local zone {name} service {key} has no source")
            services[key] = ServiceOffer(offered, offer["source"])
        out[name] = LocalZone(
            name=name, zone_id=z.get("zone_id"), parent_region=z["parent_region"],
            network_border_group=z["network_border_group"], group_name=z.get("group_name") or z["network_border_group"],
            services=services, source=z["source"], as_of=str(z["as_of"]), city=z.get("city", ""),
            unconfirmed=tuple(z.get("unconfirmed") or ()),
        )
    return out


def build_catalog(moto_data: dict[str, Any], manual: dict[str, Any], local_zones: dict[str, Any] | None = None) -> Catalog:
    """Merge the two data files into a Catalog (pure: tests pass tiny hand-written dicts)."""
    raw: dict[str, dict[str, Any]] = {}
    for name, facts in (moto_data.get("instance_types") or {}).items():
        raw[name] = dict(facts)
    for name, facts in (manual.get("instance_types") or {}).items():
        raw.setdefault(name, {}).update(facts)
    layouts = manual.get("efa_layouts") or {}

    types: dict[str, InstanceType] = {}
    for name, f in raw.items():
        layout = layouts.get(name, {})
        cards = int(f.get("network_cards") or 1)
        efa_max = f.get("efa_max_interfaces")
        ena_only = tuple(layout.get("ena_only_cards") or ())
        acc = f.get("accelerator")
        unconfirmed = tuple(f.get("unconfirmed") or ()) + tuple(layout.get("unconfirmed") or ())
        efa_supported = bool(layout) or bool(efa_max)
        types[name] = InstanceType(
            name=name,
            vcpus=int(f["vcpus"]),
            memory_gib=f.get("memory_gib"),
            architecture=f.get("architecture", "x86_64"),
            network_cards=cards,
            max_network_interfaces=f.get("max_network_interfaces"),
            efa_max_interfaces=efa_max,
            accelerator=Accelerator(**acc) if acc else None,
            efa_supported=efa_supported,
            ena_only_cards=ena_only,
            efa_cards=_efa_cards(layout.get("efa_cards"), cards, ena_only, efa_max) if efa_supported else (),
            efa_only=bool(layout.get("efa_only", False)),
            efa_bandwidth_gbps=layout.get("efa_bandwidth_gbps"),
            source="; ".join(s for s in (f.get("source"), layout.get("source")) if s),
            as_of=str(max(str(f.get("as_of", "")), str(layout.get("as_of", "")))),
            unconfirmed=unconfirmed,
            usage_classes=_optional_tuple(f.get("usage_classes")),
            placement_strategies=_optional_tuple(f.get("placement_strategies")),
            ultraserver_only=bool(f.get("ultraserver_only", False)),
        )
    ultras = {
        name: UltraServerType(
            name=name,
            member=u["member"],
            instances=int(u["instances"]),
            accelerators_per_domain=int(u["accelerators_per_domain"]),
            capacity_types=tuple(u.get("capacity_types") or ()),
            zones=tuple(u["zones"]) if u.get("zones") else None,
            source=u["source"],
            as_of=str(u["as_of"]),
            unconfirmed=tuple(u.get("unconfirmed") or ()),
        )
        for name, u in (manual.get("ultraservers") or {}).items()
    }
    for u in ultras.values():
        if u.member not in types:
            raise ValueError(f"catalog: UltraServer {u.name} names unknown member type {u.member}")
    as_of = max([t.as_of for t in types.values()] + [u.as_of for u in ultras.values()] or [""])
    zones = build_local_zones(local_zones or {})
    return Catalog(types, ultras, as_of=as_of, local_zones=zones,
                   service_names=dict((local_zones or {}).get("services") or {}))


@functools.lru_cache(maxsize=1)
def default_images() -> dict[str, dict[str, dict[str, str]]]:
    """Default image per accelerator kind and architecture (amis.yaml): SSM public parameters."""
    return _read("amis.yaml")["defaults"]


def default_image(itype: InstanceType) -> dict[str, str] | None:
    kind = itype.accelerator.kind if itype.accelerator else "cpu"
    return default_images().get(kind, {}).get(itype.architecture)


# The bundled data files are ours and trusted: parse them with libyaml where PyYAML has it (about
# 10x faster than the pure-Python loader; same safe constructors and resolvers).
FAST_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_bundled_yaml(path: str) -> Any:
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=FAST_SAFE_LOADER)


def _read(name: str) -> dict[str, Any]:
    return read_bundled_yaml(os.path.join(HERE, name)) or {}


@functools.lru_cache(maxsize=None)
def bundled(name: str) -> dict[str, Any]:
    """A bundled catalog data file by name (`regions.yaml`, `replace_on_change.yaml`, ...), read once.
    The one door to planner/catalog/*.yaml for code outside this package (tests/test_one_door.py)."""
    if os.sep in name or "/" in name or not name.endswith(".yaml"):
        raise ValueError(f"not a bundled catalog file name: {name!r}")
    return _read(name)


def regions() -> dict[str, str]:
    """Region code -> name of every region the catalog knows (regions.yaml)."""
    return bundled("regions.yaml")["regions"]


def replace_on_change() -> dict[str, Any]:
    """Per type token, the inputs whose change makes Pulumi replace the resource (replace_on_change.yaml)."""
    return bundled("replace_on_change.yaml")


def savings_plan_facts() -> dict[str, Any]:
    """The published Savings Plans ranges, with their source (savings_plans.yaml)."""
    return bundled("savings_plans.yaml")


@functools.lru_cache(maxsize=1)
def capacity_block_facts() -> dict[str, Any]:
    """Start/end times, reclaim leads and drain bounds of Capacity Blocks (capacity_blocks.yaml)."""
    return _read("capacity_blocks.yaml")


@functools.lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """The bundled catalog, loaded once per process."""
    return build_catalog(_read("instances_moto.yaml"), _read("instances_manual.yaml"), _read("local_zones.yaml"))
