"""Compute rules: launch templates, auto-scaling groups and pools (EFA placement, capacity, UltraServers).

Facts: ../shared/reference/aws-gpu-facts.md ("EFA rules", "Capacity Blocks for ML", "UltraServers")
and ../shared/reference/peer-checks.md (what ParallelCluster 3.16 validates).
"""
from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

from planner.records import pool_of

from planner import tokens as T

from ..context import (
    ASG, EBS_VOLUME, INSTANCE, LAUNCH_TEMPLATE, StackContext, as_list, dig, efa_interfaces, inputs,
    is_true, market_type, ref_name, reservation_target, target_key,
)
from ..registry import ADVISORY, MANDATORY, REGISTRY, NotApplicable, Violation

SCHEDULE = T.SCHEDULED_ACTION
HOOK = T.LIFECYCLE_HOOK


@REGISTRY.resource(
    "imdsv2-required", level=MANDATORY, severity="high", tags=("security",),
    types=(LAUNCH_TEMPLATE, INSTANCE),
    description="Instances require IMDSv2 session tokens (metadataOptions.httpTokens = required).",
    remediation="Set metadataOptions {httpTokens: required, httpPutResponseHopLimit: 2 for containers}.",
)
def imdsv2_required(resource: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    """IMDSv1 answers any GET from the instance, so a server-side request forgery in one process can
    read the node role's credentials; IMDSv2 needs a session token from a PUT first. The metadata
    service switched off entirely (httpEndpoint disabled) also passes."""
    options = inputs(resource).get("metadataOptions")
    if dig(options, "httpEndpoint") == "disabled":
        return
    tokens = dig(options, "httpTokens")
    if tokens != "required":
        yield f"metadataOptions.httpTokens is {tokens!r}, not 'required'" if tokens else \
            "metadataOptions.httpTokens is not set (IMDSv1 stays enabled)"


def _unencrypted_mappings(mappings: Any) -> Iterable[str]:
    for m in as_list(mappings):
        if isinstance(m, Mapping) and isinstance(m.get("ebs"), Mapping) and not is_true(m["ebs"].get("encrypted")):
            yield f"volume {m.get('deviceName', '?')} is not encrypted"


@REGISTRY.resource(
    "ebs-encrypted", level=MANDATORY, severity="high", tags=("security", "storage"),
    types=(LAUNCH_TEMPLATE, INSTANCE, EBS_VOLUME),
    description="Root and data EBS volumes are encrypted.",
    remediation="Set ebs.encrypted to \"true\" on every block device mapping (optionally with kmsKeyId).",
)
def ebs_encrypted(resource: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    """Every EBS volume a node boots from or writes to is encrypted at rest, declared in the template
    rather than left to the account's default-encryption setting (which can be off in another
    account or region). A launch template without any block device mapping takes the AMI's root
    volume as it is, so it fails too."""
    i = inputs(resource)
    if resource["type"] == LAUNCH_TEMPLATE:
        mappings = as_list(i.get("blockDeviceMappings"))
        if not mappings:
            yield "no blockDeviceMappings: the root volume takes the AMI's settings; declare it with encrypted \"true\""
        yield from _unencrypted_mappings(mappings)
    elif resource["type"] == INSTANCE:
        root = i.get("rootBlockDevice")
        if not isinstance(root, Mapping) or not is_true(root.get("encrypted")):
            yield "rootBlockDevice is not encrypted"
        for dev in as_list(i.get("ebsBlockDevices")):
            if isinstance(dev, Mapping) and not is_true(dev.get("encrypted")):
                yield f"volume {dev.get('deviceName', '?')} is not encrypted"
    elif not is_true(i.get("encrypted")):
        yield "volume is not encrypted"


@REGISTRY.resource(
    "instance-type-allowlist", level=MANDATORY, severity="medium", tags=("cost", "governance"),
    types=(LAUNCH_TEMPLATE, INSTANCE),
    description="Instances use only instance types on the allowlist (config allowedTypes, glob patterns).",
    remediation="Use an allowed instance type, or add the type to allowedTypes in policies.config.",
    config={"properties": {"allowedTypes": {
        "type": "array", "items": {"type": "string"}, "default": ["*"],
        "description": "Glob patterns of allowed instance types, e.g. [\"p5*.48xlarge\", \"m7i.*\"].",
    }}},
)
def instance_type_allowlist(resource: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    """An organisation decides which instance types a cluster may launch (a 72-GPU UltraServer is not
    something to order by accident). Patterns are shell globs; the default allows every type."""
    instance_type = inputs(resource).get("instanceType")
    allowed = list(config.get("allowedTypes", ["*"]))
    if isinstance(instance_type, str) and not any(fnmatch.fnmatchcase(instance_type, p) for p in allowed):
        yield f"instance type {instance_type} is not in allowedTypes {allowed}"


def _launch_template_of(ctx: StackContext, asg: Mapping[str, Any]) -> Mapping[str, Any] | None:
    spec = inputs(asg).get("launchTemplate")
    value = spec.get("id") or spec.get("name") if isinstance(spec, Mapping) else None
    return ctx.resolve(value)


def _groups_using(ctx: StackContext, lt: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return ctx.groups_using(lt["name"])  # an index built once per context: linear in groups, not templates x groups


def group_target(asg: Mapping[str, Any]) -> Any:
    """The reservation ids or resource-group ARNs an auto-scaling group targets itself (its
    capacityReservationSpecification overrides the template's: EC2 Auto Scaling UG,
    capacity-reservation-create-asg-procedure), or None."""
    target = dig(inputs(asg), "capacityReservationSpecification", "capacityReservationTarget")
    if not isinstance(target, Mapping):
        return None
    return as_list(target.get("capacityReservationIds")) or as_list(target.get("capacityReservationResourceGroupArns")) or None


def _targets_reservation(ctx: StackContext, lt: Mapping[str, Any]) -> bool:
    """The template, or any group launching from it, targets reserved capacity."""
    return reservation_target(lt) is not None or any(group_target(g) for g in _groups_using(ctx, lt))


def _by_group(ctx: StackContext, token: str) -> dict[str, list[Mapping[str, Any]]]:
    """Resources of `token` (schedules, lifecycle hooks) by the group they name, indexed once per
    context so a plan of thousands of groups is checked in linear time."""
    cache = ctx.__dict__.setdefault("_by_group_cache", {})
    if token not in cache:
        index: dict[str, list[Mapping[str, Any]]] = {}
        for r in ctx.of_type(token):
            name = ref_name(inputs(r).get("autoscalingGroupName"))
            if name:
                index.setdefault(name, []).append(r)
        cache[token] = index
    return cache[token]


def _schedules_of(ctx: StackContext, asg: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return _by_group(ctx, SCHEDULE).get(asg["name"], [])


def _launches_nothing(ctx: StackContext, asg: Mapping[str, Any]) -> bool:
    """A group that can never start an instance: min and desired zero, and no scheduled action
    raises it (a capacity block not bought yet)."""
    i = inputs(asg)
    if (_size(asg, "minSize") or 0) > 0 or (_size(asg, "desiredCapacity") or 0) > 0:
        return False
    return all((_size(s, "minSize") or 0) == 0 and (_size(s, "desiredCapacity") or 0) == 0
               for s in _schedules_of(ctx, asg)) and not i.get("mixedInstancesPolicy")


@REGISTRY.stack(
    "efa-pool-single-az", level=MANDATORY, severity="high", tags=("efa", "network"),
    description="Every EFA pool launches into exactly one subnet (so one Availability Zone).",
    remediation="Give the pool's auto-scaling groups a single vpcZoneIdentifier and every EFA interface "
                "the same subnetId; split a multi-AZ pool into one pool per AZ.",
)
def efa_pool_single_az(ctx: StackContext, config: Mapping[str, Any]) -> Iterable[Violation]:
    """EFA traffic is not routable: it cannot cross subnets, Availability Zones or VPCs, so an EFA pool
    spread over two subnets splits into islands that cannot talk over EFA (ParallelCluster: "EFA
    across Availability Zones" is an error). Checked from the resources: every auto-scaling group
    whose launch template has an EFA interface has one subnet, the same one as the template's
    interfaces and as every other group on that template; offline, the pool records too."""
    seen = False
    for lt in ctx.of_type(LAUNCH_TEMPLATE):
        if not efa_interfaces(lt):
            continue
        seen = True
        subnets: dict[str, str] = {}
        for ni in as_list(inputs(lt).get("networkInterfaces")):
            key = target_key(ni.get("subnetId")) if isinstance(ni, Mapping) else None
            if key:
                subnets.setdefault(key, f"interface on card {ni.get('networkCardIndex', 0)}")
        for asg in _groups_using(ctx, lt):
            zones = as_list(inputs(asg).get("vpcZoneIdentifiers"))
            if len(zones) > 1:
                yield Violation(f"auto-scaling group {asg['name']} spans {len(zones)} subnets with EFA "
                                f"launch template {lt['name']}", resource=asg["name"], pool=asg.get("pool"))
            for z in zones:
                key = target_key(z)
                if key:
                    subnets.setdefault(key, f"group {asg['name']}")
        if len(subnets) > 1:
            where = ", ".join(f"{k.removeprefix('$ref:')} ({v})" for k, v in subnets.items())
            yield Violation(f"EFA launch template {lt['name']} launches into more than one subnet: {where}",
                            resource=lt["name"], pool=lt.get("pool"))
    for pool in ctx.pools:
        if pool.get("efa") and isinstance(pool.get("availability_zone"), (list, tuple)):
            seen = True
            yield Violation(f"EFA pool {pool['name']} lists several zones", pool=pool["name"])
    if not seen:
        raise NotApplicable("no EFA launch template")


@REGISTRY.stack(
    "no-placement-group-with-reservation", level=MANDATORY, severity="high", tags=("capacity",),
    description="No managed placement group on a pool that launches into a capacity reservation or capacity block.",
    remediation="Drop the placement group (placement.groupName on the template, placementGroup on the "
                "group): reserved capacity is already placed.",
)
def no_placement_group_with_reservation(ctx: StackContext, config: Mapping[str, Any]) -> Iterable[Violation]:
    """Capacity blocks and capacity reservations are already placed by AWS; asking for a cluster
    placement group on top makes launches fail with InsufficientInstanceCapacity whenever the group
    does not match the reservation's own placement (EC2 User Guide, capacity blocks; ParallelCluster
    warns for blocks and errors for a mismatched reservation group)."""
    seen = False
    for lt in ctx.of_type(LAUNCH_TEMPLATE):
        if not _targets_reservation(ctx, lt) and market_type(lt) != "capacity-block":
            continue
        seen = True
        if dig(inputs(lt), "placement", "groupName"):
            yield Violation(f"launch template {lt['name']} targets reserved capacity and sets placement.groupName",
                            resource=lt["name"], pool=lt.get("pool"))
        for asg in _groups_using(ctx, lt):
            if inputs(asg).get("placementGroup"):
                yield Violation(f"auto-scaling group {asg['name']} sets a placement group although its launch "
                                f"template {lt['name']} targets reserved capacity",
                                resource=asg["name"], pool=asg.get("pool"))
    for pool in ctx.pools:
        if pool_of(pool).capacity.reserved:
            seen = True
            if pool.get("placement_group"):
                yield Violation(f"pool {pool['name']} ({pool_of(pool).capacity.type}) has placement group "
                                f"{pool['placement_group']}", resource=pool["placement_group"], pool=pool["name"])
    if not seen:
        raise NotApplicable("no pool targets a reservation or capacity block")


def _pool_launch_template(ctx: StackContext, pool: Mapping[str, Any]) -> Mapping[str, Any] | None:
    return ctx.by_name(pool["launch_template"]) if pool.get("launch_template") else None


def _capacity_block_group(asg: Mapping[str, Any]) -> Iterable[Violation]:
    """What Auto Scaling refuses or mishandles on a capacity block (EC2 User Guide, capacity-blocks-launch)."""
    i = inputs(asg)
    where = dict(resource=asg["name"], pool=asg.get("pool"))
    if i.get("mixedInstancesPolicy"):
        yield Violation(f"auto-scaling group {asg['name']} has a mixed-instances policy on a capacity block", **where)
    if i.get("warmPool"):
        yield Violation(f"auto-scaling group {asg['name']} has a warm pool on a capacity block", **where)
    version = dig(i, "launchTemplate", "version")
    if version in ("$Latest", "$Default"):
        yield Violation(f"auto-scaling group {asg['name']} uses launch template version {version} on a capacity "
                        f"block; pin a version number", **where)


@REGISTRY.stack(
    "capacity-block-market-type", level=MANDATORY, severity="high", tags=("capacity",),
    description="Capacity-block pools launch with market type capacity-block and a reservation target "
                "(on the launch template or on each auto-scaling group).",
    remediation="Set instanceMarketOptions.marketType = capacity-block on the pool's launch template and a "
                "capacityReservationTarget (reservation id or resource group ARN) on it or on each group "
                "(one id per UltraServer group); a block not bought yet keeps its groups at zero; no "
                "mixed-instances policy or warm pool on its groups, and a pinned template version.",
)
def capacity_block_market_type(ctx: StackContext, config: Mapping[str, Any]) -> Iterable[Violation]:
    """A Capacity Block is only used by a launch that says `MarketType = capacity-block` and targets the
    block's reservation (or, for UltraServer blocks, the resource group of blocks); without either,
    EC2 launches on-demand, or not at all, and the paid-for block sits idle. The target may sit on the
    launch template or on each auto-scaling group (a group's target overrides the template's: EC2
    Auto Scaling UG, "Target Capacity Reservations from your Auto Scaling group"); a group with
    neither passes only if it can launch nothing (min and desired 0, no scheduled scale-out: a block
    not bought yet). Auto Scaling takes one block per group, no mixed-instances policy and no warm
    pool, and the group should pin the template version (EC2 User Guide, capacity-blocks-launch)."""
    seen = False
    for lt in ctx.of_type(LAUNCH_TEMPLATE):
        if market_type(lt) != "capacity-block":
            continue
        seen = True
        groups = _groups_using(ctx, lt)
        if reservation_target(lt) is None:
            # The target may sit on each group instead; a group with neither must launch nothing
            # (a block not bought yet: it stays at zero until the spec names its reservation).
            blind = [g for g in groups if not group_target(g) and not _launches_nothing(ctx, g)]
            if not groups or blind:
                what = f" (groups {', '.join(g['name'] for g in blind)} can launch)" if blind else ""
                yield Violation(f"launch template {lt['name']} uses market type capacity-block without a "
                                f"capacityReservationTarget on it or its groups{what}",
                                resource=lt["name"], pool=lt.get("pool"))
        for asg in groups:
            yield from _capacity_block_group(asg)
    for pool in ctx.pools:
        if not pool_of(pool).capacity.block:
            continue
        seen = True
        lt = _pool_launch_template(ctx, pool)
        if lt is None:
            yield Violation(f"capacity-block pool {pool['name']} has no launch template in the plan", pool=pool["name"])
            continue
        if market_type(lt) == "capacity-block":
            continue  # the template itself was checked above
        yield Violation(f"capacity-block pool {pool['name']}: launch template {lt['name']} has market type "
                        f"{market_type(lt)!r}, not 'capacity-block'", resource=lt["name"], pool=pool["name"])
        if not _targets_reservation(ctx, lt) and not pool_of(pool).capacity.planned:
            yield Violation(f"capacity-block pool {pool['name']}: launch template {lt['name']} targets no "
                            f"reservation", resource=lt["name"], pool=pool["name"])
    if not seen:
        raise NotApplicable("no capacity-block pool")


def _block_end(pool: Mapping[str, Any] | None) -> datetime | None:
    from planner.catalog import capacity_block_facts

    end = pool_of(pool).capacity.end if pool else None
    if not end:
        return None
    hour, minute = (int(x) for x in capacity_block_facts()["end_time_utc"].split(":"))
    day = date.fromisoformat(str(end)[:10])
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.utc)


def _reclaim_minutes(pool: Mapping[str, Any] | None) -> int:
    from planner.catalog import capacity_block_facts

    kind = "ultraserver" if (pool or {}).get("kind") == "ultraserver" else "instance"
    return int(capacity_block_facts()["reclaim_minutes"][kind])


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _block_running(pool: Mapping[str, Any] | None, ups: list, downs: list) -> bool:
    """The block had opened when the Plan was made: the pool record says so offline; without one (the
    engine, an older Plan) a group with a scheduled scale-in and no scheduled scale-out is read as one."""
    phase = pool_of(pool).capacity.phase if pool else None
    if phase:
        return phase == "running"
    return not ups and bool(downs)


def _block_group_lifecycle(ctx: StackContext, asg: Mapping[str, Any], pool: Mapping[str, Any] | None) -> Iterable[Violation]:
    where = dict(resource=asg["name"], pool=asg.get("pool"))
    schedules = _schedules_of(ctx, asg)
    ups = [s for s in schedules if (_size(s, "desiredCapacity") or 0) > 0]
    downs = [s for s in schedules if _size(s, "desiredCapacity") == 0 and _size(s, "maxSize") in (0, None)]
    running = _block_running(pool, ups, downs)
    sized = (_size(asg, "minSize") or 0) > 0 or (_size(asg, "desiredCapacity") or 0) > 0
    if running and not sized and ctx.complete:
        yield Violation(f"auto-scaling group {asg['name']} is at minSize {_size(asg, 'minSize')} on a capacity block that "
                        "has opened, with no scale-out ahead: the paid block stays idle; size the group to the block",
                        **where)
    if not running and sized:
        yield Violation(f"auto-scaling group {asg['name']} starts at minSize {_size(asg, 'minSize')} / desiredCapacity "
                        f"{_size(asg, 'desiredCapacity')} on a capacity block: launches fail until the block opens; start at 0 "
                        "and scale out on a schedule", **where)
    if ctx.complete:
        if not ups and not running:
            yield Violation(f"auto-scaling group {asg['name']} has no scheduled scale-out at the block's start", **where)
        if not downs:
            yield Violation(f"auto-scaling group {asg['name']} has no scheduled scale-in to zero before the block ends: "
                            "it keeps replacing instances EC2 reclaims", **where)
        end, lead = _block_end(pool), _reclaim_minutes(pool)
        for s in downs:
            at = _when(inputs(s).get("startTime"))
            if end and at and at > end - timedelta(minutes=lead):
                yield Violation(f"scheduled action {s['name']} scales {asg['name']} to zero at {inputs(s).get('startTime')}, "
                                f"less than {lead} minutes before the block ends ({end:%Y-%m-%dT%H:%MZ})", resource=s["name"],
                                pool=asg.get("pool"))
        hooks = [h for h in _by_group(ctx, HOOK).get(asg["name"], [])
                 if inputs(h).get("lifecycleTransition") == "autoscaling:EC2_INSTANCE_TERMINATING"]
        if not hooks:
            yield Violation(f"auto-scaling group {asg['name']} has no termination lifecycle hook: jobs get no time to "
                            "checkpoint before the block ends", **where)


@REGISTRY.stack(
    "capacity-block-lifecycle", level=MANDATORY, severity="high", tags=("capacity",),
    description="Capacity-block groups start at zero and scale out on a schedule at the block's start (or, planned "
                "once the block has opened, are sized to run it), scale in to zero before EC2 reclaims the block, "
                "and hold terminating nodes with a lifecycle hook.",
    remediation="Before the block opens give each group minSize 0 (no desiredCapacity) and an "
                "aws:autoscaling/schedule:Schedule at the block's start; once it has opened, minSize = desiredCapacity = "
                "its size; always one schedule to zero at least 30 min (60 min for UltraServers) before its end, and an "
                "autoscaling:EC2_INSTANCE_TERMINATING lifecycle hook.",
)
def capacity_block_lifecycle(ctx: StackContext, config: Mapping[str, Any]) -> Iterable[Violation]:
    """A group sized N before its Capacity Block opens keeps failing launches, and one left at N after
    the end keeps replacing the instances EC2 reclaims (from 30 minutes before the end, 60 for
    UltraServers). AWS recommends scheduled scaling out at the start and in before the end, and a
    lifecycle hook for a graceful shutdown (EC2 Auto Scaling UG, "Use Capacity Blocks for machine
    learning workloads"; EC2 UG, Capacity Blocks for ML). A Plan made after the block opened has no
    scale-out (Auto Scaling refuses an action in the past): its groups run the block at their own
    size and keep the scale-in; one left at zero would leave the paid block idle. Offline the pool
    record says which (capacity.phase); in the engine (one stack at a time, no pool records) a group
    sized N with a scheduled scale-in and no scheduled scale-out is one of a running block. Groups of
    a block not bought yet (no target, launching nothing) are exempt. Offline the schedule times are
    checked against the pool's block end."""
    seen = False
    pools = {p["name"]: p for p in ctx.pools}
    for lt in ctx.of_type(LAUNCH_TEMPLATE):
        if market_type(lt) != "capacity-block":
            continue
        for asg in _groups_using(ctx, lt):
            if not (group_target(asg) or reservation_target(lt)):
                continue  # planned: capacity-block-market-type checks that it launches nothing
            seen = True
            yield from _block_group_lifecycle(ctx, asg, pools.get(asg.get("pool") or ""))
    if not seen:
        raise NotApplicable("no capacity-block group with a reservation")


def _size(asg: Mapping[str, Any], key: str) -> int | None:
    value = inputs(asg).get(key)
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the engine hands numbers over as protobuf doubles (18.0)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@REGISTRY.stack(
    "ultraserver-whole", level=MANDATORY, severity="high", tags=("capacity", "ultraserver"),
    description="UltraServer pools launch whole UltraServers: every group size a multiple of the UltraServer size.",
    remediation="Count UltraServer pools in UltraServers (count × instances per UltraServer) and size "
                "each auto-scaling group to whole UltraServers.",
)
def ultraserver_whole(ctx: StackContext, config: Mapping[str, Any]) -> Iterable[Violation]:
    """An UltraServer (e.g. u-p6e-gb200x72 = 18 × p6e-gb200.36xlarge) is one NVLink domain sold and
    launched whole; a pool sized to a fraction of one leaves GPUs outside the NVLink domain and does
    not match the block (counted in `UltraserverCount`). Needs the Plan's pool records, so it runs
    offline (`ultraplan policy`); in `pulumi preview` it reports not applicable."""
    pools = [p for p in ctx.pools if p.get("kind") == "ultraserver"]
    if not pools:
        raise NotApplicable("no UltraServer pool" if ctx.complete else "needs the Plan's pool records (offline runner)")
    for pool in pools:
        size = pool.get("instances_per_ultraserver")
        name = pool["name"]
        if not isinstance(size, int) or size < 1:
            yield Violation(f"UltraServer pool {name} has no instances_per_ultraserver", pool=name)
            continue
        if pool.get("instances") != pool.get("count", 0) * size:
            yield Violation(f"UltraServer pool {name}: {pool.get('instances')} instances is not "
                            f"{pool.get('count')} × {size}", pool=name)
        groups = [ctx.by_name(g) for g in pool.get("groups", [])]
        total = 0
        for asg in (g for g in groups if g is not None):
            for key in ("desiredCapacity", "maxSize", "minSize"):
                n = _size(asg, key)
                if n is not None and n % size:
                    yield Violation(f"auto-scaling group {asg['name']}: {key} {n} is not a whole number of "
                                    f"{size}-instance UltraServers", resource=asg["name"], pool=name)
            # A capacity-block group has no desiredCapacity (its schedule sets it): its maxSize counts.
            total += _size(asg, "desiredCapacity") if _size(asg, "desiredCapacity") is not None else (_size(asg, "maxSize") or 0)
        if groups and total != pool.get("instances"):
            yield Violation(f"UltraServer pool {name}: groups launch {total} instances, the pool needs "
                            f"{pool.get('instances')}", pool=name)


@REGISTRY.stack(
    "efa-placement-group", level=ADVISORY, severity="medium", tags=("efa", "performance"),
    description="On-demand and spot EFA pools use a cluster placement group.",
    remediation="Add a cluster placement group (strategy: cluster) to the pool's auto-scaling group.",
)
def efa_placement_group(ctx: StackContext, config: Mapping[str, Any]) -> Iterable[Violation]:
    """Without a cluster placement group, on-demand EFA instances can land far apart in the AZ's
    network, and collective bandwidth drops (EC2 User Guide, efa-start; ParallelCluster asks for an
    explicit choice). Pools on reservations or blocks are skipped: that capacity is already placed."""
    seen = False
    for lt in ctx.of_type(LAUNCH_TEMPLATE):
        if not efa_interfaces(lt) or _targets_reservation(ctx, lt) or market_type(lt) == "capacity-block":
            continue
        seen = True
        if dig(inputs(lt), "placement", "groupName"):
            continue
        for asg in _groups_using(ctx, lt):
            if not inputs(asg).get("placementGroup"):
                yield Violation(f"EFA auto-scaling group {asg['name']} has no placement group",
                                resource=asg["name"], pool=asg.get("pool"))
    if not seen:
        raise NotApplicable("no on-demand or spot EFA pool")
