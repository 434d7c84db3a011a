"""Compute rules: launch templates, auto-scaling groups and pools (EFA placement, capacity, UltraServers).

Facts: ../shared/reference/aws-gpu-facts.md ("EFA rules", "Capacity Blocks for ML", "UltraServers")
and ../shared/reference/peer-checks.md (what ParallelCluster 3.16 validates).
"""
from __future__ import annotations

import fnmatch
from typing import Any, Iterable, Mapping

from ..context import (
    ASG, EBS_VOLUME, INSTANCE, LAUNCH_TEMPLATE, StackContext, as_list, dig, efa_interfaces, inputs,
    is_true, market_type, reservation_target, target_key,
)
from ..registry import ADVISORY, MANDATORY, REGISTRY, NotApplicable, Violation

RESERVED = ("capacity-reservation", "capacity-block")


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
    return [g for g in ctx.of_type(ASG) if (_launch_template_of(ctx, g) or {}).get("name") == lt["name"]]


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
        if reservation_target(lt) is None and market_type(lt) != "capacity-block":
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
        if (pool.get("capacity") or {}).get("type") in RESERVED:
            seen = True
            if pool.get("placement_group"):
                yield Violation(f"pool {pool['name']} ({pool['capacity']['type']}) has placement group "
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
    description="Capacity-block pools launch with market type capacity-block and a reservation target.",
    remediation="Set instanceMarketOptions.marketType = capacity-block and "
                "capacityReservationSpecification.capacityReservationTarget (reservation id or resource "
                "group ARN) on the pool's launch template; no mixed-instances policy or warm pool on its "
                "groups, and a pinned template version.",
)
def capacity_block_market_type(ctx: StackContext, config: Mapping[str, Any]) -> Iterable[Violation]:
    """A Capacity Block is only used by a launch that says `MarketType = capacity-block` and targets the
    block's reservation (or, for UltraServer blocks, the resource group of blocks); without either,
    EC2 launches on-demand, or not at all, and the paid-for block sits idle. Auto Scaling takes
    one block per group, no mixed-instances policy and no warm pool, and the group should pin the
    template version (EC2 User Guide, capacity-blocks-launch)."""
    seen = False
    for lt in ctx.of_type(LAUNCH_TEMPLATE):
        if market_type(lt) != "capacity-block":
            continue
        seen = True
        if reservation_target(lt) is None:
            yield Violation(f"launch template {lt['name']} uses market type capacity-block without a "
                            f"capacityReservationTarget", resource=lt["name"], pool=lt.get("pool"))
        for asg in _groups_using(ctx, lt):
            yield from _capacity_block_group(asg)
    for pool in ctx.pools:
        if (pool.get("capacity") or {}).get("type") != "capacity-block":
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
        if reservation_target(lt) is None:
            yield Violation(f"capacity-block pool {pool['name']}: launch template {lt['name']} targets no "
                            f"reservation", resource=lt["name"], pool=pool["name"])
    if not seen:
        raise NotApplicable("no capacity-block pool")


def _size(asg: Mapping[str, Any], key: str) -> int | None:
    value = inputs(asg).get(key)
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
            total += _size(asg, "desiredCapacity") or 0
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
        if not efa_interfaces(lt) or reservation_target(lt) is not None or market_type(lt) == "capacity-block":
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
