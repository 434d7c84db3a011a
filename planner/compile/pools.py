"""Resolve each spec pool against the catalog into the decisions every consumer reads (pool records)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..catalog import Catalog, InstanceType, UltraServerType, capacity_block_facts, default_image
from ..records import BlockWindow, CapacityRecord, InterfaceRecord, PoolRecord, ScheduleRecord, SourceRef, _utc
from ..spec.model import Pool
from ..spec.load import SpecDocument
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
    timing: Any = None  # a capacity block's BlockTiming at the planning clock (compile/blocks.py)

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
    from ..spec.model import ZONE_ID

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
        # A type that cannot join a cluster placement group gets none by default (an explicit
        # `placement_group: true` on it is a spec error).
        pg = pg and itype.joins("cluster") is not False
        out.append(ResolvedPool(
            index=i, spec=pool, itype=itype, ultra=ultra,
            zone=pool.availability_zone or doc.spec.availability_zone,
            efa=efa, interfaces=layout(itype, efa), line=doc.line("compute", i), placement_group=pg,
        ))
    return out


def _at(day: dt.date, hhmm: str) -> dt.datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.timezone.utc)


def block_end(cap: Any) -> dt.date | None:
    return cap.end or (cap.start + dt.timedelta(days=cap.days) if cap.start and cap.days else None)


def block_window(p: ResolvedPool) -> BlockWindow:
    """The block's start (the spec's date-time, else 11:30 UTC on its date) and end (11:30 UTC on
    its end date, as AWS fixes it), and how long before the end the pool must be at zero: 60 min
    for UltraServers, 30 min for instances, plus the drain and a margin."""
    facts = capacity_block_facts()
    cap = p.spec.capacity
    start_time = cap.start_time
    return BlockWindow(
        start=(dt.datetime.combine(cap.start, start_time) if start_time is not None
               else _at(cap.start, facts["start_time_utc"])),
        start_assumed=start_time is None,
        end=_at(block_end(cap), facts["end_time_utc"]),
        reclaim_minutes=int(facts["reclaim_minutes"]["ultraserver" if p.ultra else "instance"]),
        drain_seconds=cap.drain_seconds if cap.drain_seconds is not None else int(facts["drain_seconds"]["default"]),
        margin_minutes=int(facts["margin_minutes"]),
    )


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def record(p: ResolvedPool, doc: SpecDocument, resources: dict[str, Any]) -> PoolRecord:
    """The pool record written into the Plan (planner/records.py, docs/plan-format.md)."""
    cap = p.spec.capacity
    end = block_end(cap)
    itype = p.itype
    timing = p.timing
    window = timing.window if timing is not None else None
    # Only a block that has not opened yet scales out on a schedule; an open one is sized to run now.
    scheduled_out = window is not None and not timing.running
    return PoolRecord(
        name=p.name,
        kind="ultraserver" if p.ultra else "instance",
        instance_type=itype.name,
        ultraserver_type=p.ultra.name if p.ultra else None,
        count=p.spec.count,
        instances=p.instances,
        instances_per_ultraserver=p.ultra.instances if p.ultra else None,
        vcpus_per_instance=itype.vcpus,
        vcpus=itype.vcpus * p.instances,
        gpus_per_instance=itype.accelerators,
        gpus=itype.accelerators * p.instances,
        accelerator=itype.accelerator.model if itype.accelerator else None,
        family=itype.family,
        architecture=itype.architecture,
        nvlink_domains=(p.spec.count if p.ultra else (p.instances if itype.accelerator else 0)),
        efa=p.efa,
        efa_interfaces_per_instance=efa_interfaces(p.interfaces),
        interfaces_per_instance=len(p.interfaces),
        interfaces=[InterfaceRecord(card=i.card, device=i.device, type=i.type) for i in p.interfaces],
        ips_per_instance=ips_per_instance(p.interfaces),
        efa_bandwidth_gbps_per_instance=itype.efa_bandwidth_gbps if p.efa else 0,
        availability_zone=p.zone,
        availability_zone_is_id=zone_is_id(p.zone),
        subnet=p.subnet,
        existing_subnet_id=doc.spec.network.subnet_id,
        capacity=CapacityRecord(
            type=cap.type,
            reservation_id=cap.reservation_id,
            reservation_ids=list(cap.reservation_ids) if cap.reservation_ids else None,
            resource_group_arn=cap.resource_group_arn,
            start=_date(cap.start),
            days=cap.days if cap.days is not None else ((end - cap.start).days if cap.start and end else None),
            end=_date(end),
            planned=cap.planned,
            starts_at=window.scale_out_at if window else None,
            start_time_assumed=window.start_assumed if window else None,
            ends_at=_utc(window.end) if window else None,
            phase=timing.phase if timing is not None else None,
            scale_out_at=window.scale_out_at if scheduled_out else None,
            scale_in_at=window.scale_in_at if window else None,
            scale_in_lead_minutes=window.lead_minutes if window else None,
            drain_seconds=window.drain_seconds if window else None,
        ),
        schedule=(ScheduleRecord(start=_date(p.spec.start), end=_date(p.spec.end), months=p.spec.months)
                  if (p.spec.start or p.spec.end or p.spec.months) else None),
        placement_group=resources.get("placement_group"),
        launch_template=resources["launch_template"],
        groups=resources["groups"],
        root_volume_gib=p.spec.root_volume_gib,
        root_device_name=p.spec.root_device_name,
        ami=p.spec.ami,
        image=p.image,
        unconfirmed=sorted(set(itype.unconfirmed) | set(p.ultra.unconfirmed if p.ultra else ())),
        catalog_source=itype.source + (f"; {p.ultra.source}" if p.ultra else ""),
        source=SourceRef(file=doc.file, line=p.line),
    )
