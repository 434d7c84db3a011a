"""Resolve each spec pool against the catalog into the decisions every consumer reads (pool records)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..catalog import Catalog, InstanceType, UltraServerType, default_image
from ..spec import Pool
from ..validate import SpecDocument
from .interfaces import Interface, efa_interfaces, ips_per_instance, layout


@dataclass
class ResolvedPool:
    index: int
    spec: Pool
    itype: InstanceType
    ultra: UltraServerType | None
    zone: str
    efa: bool
    interfaces: tuple[Interface, ...]
    line: int | None
    placement_group: bool
    subnet: str | None = None  # Plan resource name, set by the network step

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def instances(self) -> int:
        return self.spec.count * (self.ultra.instances if self.ultra else 1)

    @property
    def image(self) -> str:
        """The AMI id, or EC2's resolve:ssm: form of the catalog's default parameter."""
        if self.spec.ami:
            return self.spec.ami
        return "resolve:ssm:" + default_image(self.itype)["parameter"]

    @property
    def ips(self) -> int:
        return self.instances * ips_per_instance(self.interfaces)


def zone_is_id(zone: str) -> bool:
    from ..spec import ZONE_ID

    return bool(ZONE_ID.match(zone))


def resolve(doc: SpecDocument, catalog: Catalog) -> list[ResolvedPool]:
    out = []
    for i, pool in enumerate(doc.spec.compute):
        ultra = catalog.ultraserver(pool.ultraserver) if pool.ultraserver else None
        itype = catalog.instance(ultra.member if ultra else pool.instance_type)
        efa = itype.efa_supported if pool.efa is None else pool.efa
        reserved = pool.capacity.type in ("capacity-reservation", "capacity-block")
        # A managed placement group on reserved capacity causes insufficient-capacity errors:
        # the capacity is already placed (aws-gpu-facts.md, EFA rules).
        pg = (efa and not reserved) if pool.placement_group is None else (pool.placement_group and not reserved)
        out.append(ResolvedPool(
            index=i, spec=pool, itype=itype, ultra=ultra,
            zone=pool.availability_zone or doc.spec.availability_zone,
            efa=efa, interfaces=layout(itype, efa), line=doc.line("compute", i), placement_group=pg,
        ))
    return out


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def record(p: ResolvedPool, doc: SpecDocument, resources: dict[str, Any]) -> dict[str, Any]:
    """The pool record written into the Plan (docs/plan-format.md)."""
    cap = p.spec.capacity
    end = cap.end or (cap.start + dt.timedelta(days=cap.days) if cap.start and cap.days else None)
    itype = p.itype
    return {
        "name": p.name,
        "kind": "ultraserver" if p.ultra else "instance",
        "instance_type": itype.name,
        "ultraserver_type": p.ultra.name if p.ultra else None,
        "count": p.spec.count,
        "instances": p.instances,
        "instances_per_ultraserver": p.ultra.instances if p.ultra else None,
        "vcpus_per_instance": itype.vcpus,
        "vcpus": itype.vcpus * p.instances,
        "gpus_per_instance": itype.accelerators,
        "gpus": itype.accelerators * p.instances,
        "accelerator": itype.accelerator.model if itype.accelerator else None,
        "family": itype.family,
        "architecture": itype.architecture,
        "nvlink_domains": (p.spec.count if p.ultra else (p.instances if itype.accelerator else 0)),
        "efa": p.efa,
        "efa_interfaces_per_instance": efa_interfaces(p.interfaces),
        "interfaces_per_instance": len(p.interfaces),
        "interfaces": [{"card": i.card, "device": i.device, "type": i.type} for i in p.interfaces],
        "ips_per_instance": ips_per_instance(p.interfaces),
        "efa_bandwidth_gbps_per_instance": itype.efa_bandwidth_gbps if p.efa else 0,
        "availability_zone": p.zone,
        "availability_zone_is_id": zone_is_id(p.zone),
        "subnet": p.subnet,
        "existing_subnet_id": doc.spec.network.subnet_id,
        "capacity": {
            "type": cap.type,
            "reservation_id": cap.reservation_id,
            "resource_group_arn": cap.resource_group_arn,
            "start": _date(cap.start),
            "days": cap.days if cap.days is not None else ((end - cap.start).days if cap.start and end else None),
            "end": _date(end),
            "planned": cap.planned,
        },
        "schedule": ({"start": _date(p.spec.start), "end": _date(p.spec.end), "months": p.spec.months}
                     if (p.spec.start or p.spec.end or p.spec.months) else None),
        "placement_group": resources.get("placement_group"),
        "launch_template": resources["launch_template"],
        "groups": resources["groups"],
        "root_volume_gib": p.spec.root_volume_gib,
        "ami": p.spec.ami,
        "image": p.image,
        "unconfirmed": sorted(set(itype.unconfirmed) | set(p.ultra.unconfirmed if p.ultra else ())),
        "catalog_source": itype.source + (f"; {p.ultra.source}" if p.ultra else ""),
        "source": {"file": doc.file, "line": p.line},
    }
