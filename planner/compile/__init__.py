"""The compiler: a validated spec + the catalog -> a Plan (see docs/plan-format.md).

Resource count grows with pools and UltraServers, never with GPUs, so a 500,000-GPU spec compiles in
well under a second. Each pool's compute resources go into its own stacks, `compute-<pool>-<k>`, of at
most `shard_size` resources (docs/pulumi.md, "Stacks and their order"): a resource's stack depends only
on its own pool and position in it, so resizing one pool never moves another pool's resources.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from ..catalog import Catalog, default_image, load_catalog
from ..plan.model import Plan, Resource, Stack, ref
from ..plan.usage import plan_usage
from ..spec.load import SpecDocument
from ..catalog import placement
from . import addressing, blocks, compute, network, protection, storage
from .builder import Builder
from .pools import ResolvedPool, record, resolve

DEFAULT_SHARD_SIZE = 500


def shard(resources: list[Resource], size: int) -> list[Stack]:
    """`compute-<pool>-<k>` stacks: per pool (in spec order), consecutive slices of that pool's
    resources (placement group and launch template first, then its groups in UltraServer order), so
    growing or shrinking a pool adds or removes resources only at the end of its own last stack."""
    by_pool: dict[str, list[Resource]] = {}
    for r in resources:
        by_pool.setdefault(r.pool or "shared", []).append(r)
    stacks = []
    for pool, members in by_pool.items():
        stacks += [Stack(shard_name(pool, k + 1), chunk) for k, chunk in enumerate(_slices(members, size))]
    return stacks


# A capacity block's scheduled actions and lifecycle hook follow their group and stay in its stack,
# so no shard depends on another shard of its pool but the first (the launch template).
ATTACHED = {compute.SCHEDULE, compute.HOOK}


def _slices(members: list[Resource], size: int) -> list[list[Resource]]:
    units: list[list[Resource]] = []
    for r in members:
        if r.type in ATTACHED and units:
            units[-1].append(r)
        else:
            units.append([r])
    out: list[list[Resource]] = []
    current: list[Resource] = []
    for unit in units:
        if current and len(current) + len(unit) > size:
            out.append(current)
            current = []
        while len(unit) > size:  # a shard smaller than one group's unit: split it (tiny test sizes only)
            out.append(unit[:size])
            unit = unit[size:]
        current += unit
    if current:
        out.append(current)
    return out


def shard_name(pool: str, k: int) -> str:
    return f"compute-{pool}-{k}"


def _summary(pools: list[dict], stacks: list[Stack], net: dict) -> dict[str, Any]:
    bandwidth_known = all(p["efa_bandwidth_gbps_per_instance"] is not None for p in pools)
    return {
        "gpus": sum(p["gpus"] for p in pools),
        "instances": sum(p["instances"] for p in pools),
        "ultraservers": sum(p["count"] for p in pools if p["kind"] == "ultraserver"),
        "vcpus": sum(p["vcpus"] for p in pools),
        "resources": sum(len(s.resources) for s in stacks),
        "stacks": len(stacks),
        "nvlink_domains": sum(p["nvlink_domains"] for p in pools),
        "efa_interfaces": sum(p["efa_interfaces_per_instance"] * p["instances"] for p in pools),
        "efa_bandwidth_gbps": (sum((p["efa_bandwidth_gbps_per_instance"] or 0) * p["instances"] for p in pools)
                               if bandwidth_known else None),
        "efa_bandwidth_gbps_known": sum((p["efa_bandwidth_gbps_per_instance"] or 0) * p["instances"] for p in pools),
        "efa_bandwidth_unknown_pools": [p["name"] for p in pools if p["efa_bandwidth_gbps_per_instance"] is None],
        "subnets": [{"name": s["name"], "az": s["availability_zone"], "cidr": s["cidr"], "ips_used": s["ips_needed"],
                     "ips_total": s["ips_total"]} for s in net["subnets"]],
        # What the plan adds to the account's countable limits (preflight compares them with quotas).
        "account_limits": plan_usage((r for st in stacks for r in st.resources), pools),
    }


def _notes(doc: SpecDocument, pools: list[ResolvedPool]) -> list[dict]:
    notes = []
    for p in pools:
        src = {"file": doc.file, "line": p.line}
        unconfirmed = sorted(set(p.itype.unconfirmed) | set(p.ultra.unconfirmed if p.ultra else ()))
        if unconfirmed:
            what = p.ultra.name if p.ultra else p.itype.name
            notes.append({"level": "warning", "pool": p.name, "source": src,
                          "message": f"{what}: catalog facts not confirmed by a primary source: {', '.join(unconfirmed)}"})
        if not p.spec.ami:
            image = default_image(p.itype)
            notes.append({"level": "info", "pool": p.name, "source": src,
                          "message": f"no ami: launches the latest {image['image']} (SSM {image['parameter']}); "
                                     "pin an ami for a reproducible cluster"})
        notes += _capacity_notes(p, src)
        if p.spec.efa is False and p.itype.efa_supported:
            notes.append({"level": "info", "pool": p.name, "source": src,
                          "message": f"{p.itype.name} supports EFA but efa is off: collective traffic goes over ENA"})
        if p.ultra and p.itype.accelerator and p.itype.accelerator.kind == "gpu":
            notes.append({"level": "info", "pool": p.name, "source": src,
                          "message": "NVLink across the UltraServer's instances needs NVIDIA IMEX configured on the nodes (AMI or user data)"})
    return notes


def _capacity_notes(p: ResolvedPool, src: dict) -> list[dict]:
    cap, out = p.spec.capacity, []
    ids = "reservation_ids (one per UltraServer)" if p.ultra and p.spec.count > 1 else "reservation_id"
    if cap.planned:
        out.append({"level": "warning", "pool": p.name, "source": src,
                    "message": f"capacity block not bought yet: its groups target no reservation, stay at zero and get no "
                               f"scheduled scale-out until capacity.{ids} is set"})
    if p.ultra and cap.resource_group_arn:
        # EC2 UG (cb-group): a launch into a group matches any UltraServer block in it.
        out.append({"level": "warning", "pool": p.name, "source": src,
                    "message": "resource_group_arn: a group's launches match any UltraServer Capacity Block in the resource "
                               "group, so one auto-scaling group's instances can land on different UltraServers (NVLink "
                               "domains); list capacity.reservation_ids, one per UltraServer, to keep each group on one"})
    if p.ultra and cap.type == "capacity-reservation" and cap.reservation_id and p.spec.count > 1:
        out.append({"level": "info", "pool": p.name, "source": src,
                    "message": f"all {p.spec.count} UltraServer groups target {cap.reservation_id}: nothing in one "
                               "reservation ties a group to one UltraServer (NVLink domain); use capacity.reservation_ids "
                               "where AWS gives one reservation per UltraServer"})
    if cap.type == "capacity-block" and cap.start and not cap.planned and p.timing is not None:
        window = p.timing.window
        opens = f"{window.scale_out_at}" + (" (11:30 UTC assumed: give start as the reservation's StartDate date-time "
                                            "to be exact)" if window.start_assumed else "")
        if p.timing.running:
            what = (f"capacity block running since {window.scale_out_at}: its groups are sized to run it now (no "
                    f"scheduled scale-out in the past) and scale in to zero at {window.scale_in_at}")
        else:
            what = (f"capacity block lifecycle: groups start at zero, scale out at the block's start {opens} and back "
                    f"to zero at {window.scale_in_at}")
        out.append({"level": "info", "pool": p.name, "source": src,
                    "message": what + ", with a termination hook for checkpoints (docs/capacity.md)"})
    return out


def compile_plan(doc: SpecDocument, catalog: Catalog | None = None, *, shard_size: int = DEFAULT_SHARD_SIZE,
                 previous: Plan | None = None, now: dt.datetime | None = None,
                 pins: dict[str, int] | None = None) -> Plan:
    """Compile a validated spec. With `previous` (the Plan deployed now), existing subnets keep
    their CIDRs while their pools fit (compile/addressing.py). `now` is the planning clock
    (default: planner.clock): Capacity Blocks are compiled for that moment (compile/blocks.py).
    `pins` (auto-scaling group or pool name -> launch template version) pins those groups to that
    version instead of latestVersion (a rollout moves the pins wave by wave: planner/fleet/rollout.py)."""
    from .. import clock

    if shard_size < 1:
        raise ValueError("shard_size must be at least 1")
    catalog = catalog or load_catalog()
    spec = doc.spec
    pools = resolve(doc, catalog)
    moment, source = (clock.utc(now), "the now argument") if now is not None else clock.reading()
    blocks.time_blocks(doc, pools, moment, source)
    b = Builder(doc.file, spec.name, spec.tags)

    lustre = spec.storage.lustre if spec.storage else None
    reuse = spec.network.subnet_id is not None
    home_zone, place_notes = _home_zone(doc, catalog, lustre is not None)
    service_ips = (lustre.reserve_ips if lustre else 0) + (network.ENDPOINT_IPS if spec.network.egress == "none" else 0)
    subnets = addressing.plan_subnets(doc, pools, service_ips, previous.network if previous is not None else None,
                                      home_zone)
    if reuse:
        for p in pools:
            p.subnet = None
    home_name = next((s.name for s in subnets if s.extra_ips), subnets[0].name)
    net_resources, net_record, net_notes = network.build(doc, b, pools, [] if reuse else subnets, catalog, home_name)
    if reuse:
        net_record["subnets"] = [{"name": "existing", "availability_zone": spec.availability_zone, "cidr": None,
                                  "existing_subnet_id": spec.network.subnet_id, "ips_needed": sum(s.ips_needed for s in subnets),
                                  "ips_total": None, "reserved_ips": sum(s.extra_ips for s in subnets),
                                  "pools": [p.name for p in pools]}]
    subnet_of = {p.name: (spec.network.subnet_id if reuse else ref(p.subnet)) for p in pools}
    vpc_id = spec.network.vpc_id or ref("vpc")
    home = spec.network.subnet_id if reuse else ref(home_name)
    efa_families = [p.itype.family for p in pools if p.interfaces and any(i.type != "interface" for i in p.interfaces)]
    storage_resources, storage_record, storage_notes = storage.build(doc, b, home, vpc_id, efa_families)
    compute_resources, made = compute.build(doc, b, pools, subnet_of, pins or {})

    stacks = [Stack("network", net_resources)]
    if storage_resources:
        stacks.append(Stack("storage", storage_resources))
    stacks.extend(shard(compute_resources, shard_size))
    protection.apply(r for s in stacks for r in s.resources)
    pool_records = [record(p, doc, made[p.name]) for p in pools]
    budget = None
    if spec.budget:
        budget = {**spec.budget.model_dump(mode="json"), "source": {"file": doc.file, "line": doc.line("budget")}}
    policies = {**spec.policies.model_dump(mode="json"), "lines": _policy_lines(doc)}
    return Plan(
        name=spec.name, region=spec.region, spec_file=doc.file, stacks=stacks, pools=pool_records,
        network=net_record, storage=storage_record, tags=dict(spec.tags), budget=budget, policies=policies,
        summary=_summary(pool_records, stacks, net_record),
        catalog={"as_of": catalog.as_of},
        notes=_notes(doc, pools) + place_notes + net_notes + storage_notes + getattr(subnets, "notes", []),
        changes={"allow_replace": dict(spec.changes.allow_replace),
                 "lines": {name: doc.line("changes", "allow_replace", name) for name in spec.changes.allow_replace}},
    )


def _home_zone(doc: SpecDocument, catalog: Catalog, lustre: bool) -> tuple[str, list[dict]]:
    """The zone of the subnet that holds FSx for Lustre and the SSM endpoints: the cluster's zone, or
    network.region_zone when that zone is a Local Zone without one of them (planner/catalog/placement.py)."""
    spec = doc.spec
    services = ([placement.FSX_LUSTRE] if lustre else []) + (
        [placement.INTERFACE_ENDPOINTS] if spec.network.egress == "none" else [])
    if spec.network.vpc_id:
        return spec.availability_zone, []
    notes, zone = [], spec.availability_zone
    for service in services:
        where = placement.place(catalog, spec.availability_zone, service, placement.region_zone(spec))
        if where is not None and where.moved:
            zone = where.zone
            notes.append({"level": "warning", "source": {"file": doc.file, "line": doc.line("network", "region_zone")},
                          "message": f"{placement.service_name(catalog, service)}: {placement.traffic_note(catalog, service, where)}"})
    return zone, notes


def _policy_lines(doc: SpecDocument) -> dict[str, int]:
    """Lines policies point at: their settings, and `tags` (where a missing tag is fixed)."""
    lines = {}
    for path, line in doc.lines.items():
        if path == ("tags",) or (path and path[0] == "policies" and len(path) <= 3):
            lines[".".join(str(p) for p in path)] = line
    return lines
