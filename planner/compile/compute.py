"""Compute: per pool a launch template (and a cluster placement group where it helps), and
auto-scaling groups sized in whole UltraServers: one group an UltraServer, so a group is one NVLink
domain, or one group for an instance pool. Each group targets its own reservation; groups on a
Capacity Block get the block's lifecycle (scheduled scale-out and scale-in, a termination hook).
"""
from __future__ import annotations

from typing import Any

from planner import tokens as T

from ..plan.model import Resource, ref
from ..spec.load import SpecDocument
from .builder import Builder
from .pools import ResolvedPool, block_window
from .userdata import user_data

ASG = T.AUTOSCALING_GROUP
SCHEDULE = T.SCHEDULED_ACTION
HOOK = T.LIFECYCLE_HOOK


def _network_interfaces(pool: ResolvedPool, subnet: Any) -> list[dict[str, Any]]:
    """The launch template's interfaces, with only the fields RunInstances accepts for each kind
    (planner/launchrules.py; docs/launch-templates.md). An `efa-only` interface has no IP, so it gets
    no IP setting at all: the provider sends any set string, "false" included, and EC2 then refuses
    every launch (EC2 UG, create-efa; Karpenter's launchtemplate.go leaves the same fields unset).
    The public-IP flag is set ("false", the secure default) only on a single-interface launch: with
    more than one interface EC2 never assigns a public IP, and the flag is left unset as Karpenter does."""
    single = len(pool.interfaces) == 1
    out = []
    for i in pool.interfaces:
        ni: dict[str, Any] = {"networkCardIndex": i.card, "deviceIndex": i.device, "interfaceType": i.type}
        if single and i.takes_ip:
            ni["associatePublicIpAddress"] = "false"
        ni.update({"deleteOnTermination": "true", "securityGroups": [ref("efa-sg")], "subnetId": subnet})
        out.append(ni)
    return out


def _market(pool: ResolvedPool) -> dict[str, Any]:
    """The launch template's market type. The reservation target lives on each auto-scaling group
    (`_group_target`), so one template serves every UltraServer of a pool."""
    cap = pool.spec.capacity
    inputs: dict[str, Any] = {}
    if cap.type == "capacity-block":
        inputs["instanceMarketOptions"] = {"marketType": "capacity-block"}
    elif cap.type == "spot":
        inputs["instanceMarketOptions"] = {"marketType": "spot"}
    return inputs


def _group_target(pool: ResolvedPool, g: int) -> dict[str, Any] | None:
    """The group's own Capacity Reservation target (EC2 Auto Scaling UG, "Target Capacity Reservations
    from your Auto Scaling group": a market type on the launch template alongside a target on the
    group consumes Capacity Blocks). UltraServer g of a pool targets reservation_ids[g]: one
    UltraServer is one Capacity Block and one reservation, so the group stays on one NVLink domain."""
    cap = pool.spec.capacity
    if cap.type not in ("capacity-reservation", "capacity-block"):
        return None
    if cap.reservation_ids:
        target: dict[str, Any] = {"capacityReservationIds": [cap.reservation_ids[g]]}
    elif cap.reservation_id:
        target = {"capacityReservationIds": [cap.reservation_id]}
    elif cap.resource_group_arn:
        target = {"capacityReservationResourceGroupArns": [cap.resource_group_arn]}
    else:
        return None  # a planned block: nothing to target yet, and the group launches nothing
    return {"capacityReservationPreference": "capacity-reservations-only", "capacityReservationTarget": target}


def _block_sizes(pool: ResolvedPool, size: int, bought: bool) -> dict[str, int]:
    """A block's group before the block opens starts empty (launches fail until then) with room for
    the scheduled size, and has no desiredCapacity, so a later `pulumi up` never resets what the
    schedule set. Once the block has opened (compile/blocks.py) the group itself runs the block:
    a scale-out scheduled now would be in the past, which Auto Scaling refuses."""
    timing = pool.timing
    if bought and timing is not None and timing.running:
        return {"minSize": size, "maxSize": size, "desiredCapacity": size}
    return {"minSize": 0, "maxSize": size}


def _block_lifecycle(b: Builder, out: list[Resource], pool: ResolvedPool, group: str, size: int,
                     bought: bool) -> None:
    """Scheduled scale-out at the block's start (only while it is still ahead: never an action in
    the past), scale-in to zero before EC2 reclaims it, and a termination hook that holds each node
    `drain_seconds` so jobs can checkpoint (EC2 Auto Scaling UG, "Use Capacity Blocks for machine
    learning workloads"). A block not bought yet gets the hook only: its group stays at zero until
    the spec names its reservation."""
    line, name = pool.line, pool.name
    window = pool.timing.window if pool.timing is not None else block_window(pool)
    b.add(out, HOOK, f"{group}-drain", {
        "autoscalingGroupName": ref(group, "name"),
        "name": "checkpoint-before-block-ends",
        "lifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
        "heartbeatTimeout": window.drain_seconds,
        # After the heartbeat the termination goes on: the block's end does not wait.
        "defaultResult": "CONTINUE",
    }, line=line, pool=name)
    if not bought:
        return
    actions = [("end", window.scale_in_at, 0)]
    if pool.timing is None or not pool.timing.running:
        actions.insert(0, ("start", window.scale_out_at, size))
    for action, at, n in actions:
        b.add(out, SCHEDULE, f"{group}-{action}", {
            "autoscalingGroupName": ref(group, "name"),
            "scheduledActionName": f"block-{action}",
            "startTime": at,
            "minSize": n, "maxSize": n, "desiredCapacity": n,
        }, line=line, pool=name)


def _version(pins: dict[str, int] | None, group: str, pool: str, lt: str) -> Any:
    pin = (pins or {}).get(group, (pins or {}).get(pool))
    return str(pin) if pin is not None else ref(lt, "latestVersion")


def build(doc: SpecDocument, b: Builder, pools: list[ResolvedPool], subnet_of: dict[str, Any],
          pins: dict[str, int] | None = None) -> tuple[list[Resource], dict[str, dict]]:
    """Every pool's placement group and launch template come before any auto-scaling group, so that
    they land in the first compute shard and the other shards deploy in parallel once it is up."""
    out: list[Resource] = []
    groups_out: list[Resource] = []
    made: dict[str, dict] = {}
    for pool in pools:
        name, line = pool.name, pool.line
        subnet = subnet_of[name]
        pool_tags = {**pool.spec.tags, "ultraplan:pool": name}
        resources: dict[str, Any] = {"groups": []}
        pg = None
        if pool.placement_group:
            pg = b.add(out, T.PLACEMENT_GROUP, f"pg-{name}", {"strategy": "cluster"},
                       line=line, pool=name, tags=pool_tags)
            resources["placement_group"] = pg
        instance_tags = {**b.base_tags, **pool_tags}
        lt_inputs: dict[str, Any] = {
            "instanceType": pool.itype.name,
            "metadataOptions": {"httpTokens": "required", "httpEndpoint": "enabled", "httpPutResponseHopLimit": 2},
            "blockDeviceMappings": [{"deviceName": pool.spec.root_device_name, "ebs": {
                "volumeSize": pool.spec.root_volume_gib, "volumeType": "gp3", "encrypted": "true", "deleteOnTermination": "true"}}],
            "networkInterfaces": _network_interfaces(pool, subnet),
            "iamInstanceProfile": {"arn": ref("node-profile", "arn")},
            **_market(pool),
            "tagSpecifications": [{"resourceType": kind, "tags": instance_tags} for kind in ("instance", "volume", "network-interface")],
            "updateDefaultVersion": True,
            # The node runtime (IMEX, Lustre, EFA check, hostname), then the spec's own user data.
            "userData": user_data(doc, pool),
        }
        lt_inputs = {"imageId": pool.image, **lt_inputs}
        lt = b.add(out, T.LAUNCH_TEMPLATE, f"lt-{name}", lt_inputs, line=line, pool=name, tags=pool_tags)
        resources["launch_template"] = lt

        per_group = pool.ultra.instances if pool.ultra else pool.instances
        groups = pool.spec.count if pool.ultra else 1
        base_tags = [{"key": k, "value": v, "propagateAtLaunch": False} for k, v in {**b.base_tags, **pool_tags}.items()]
        for g in range(groups):
            group = f"asg-{name}-u{g + 1:04d}" if pool.ultra else f"asg-{name}"
            tags = base_tags + ([{"key": "ultraplan:nvlink-domain", "value": f"{name}-u{g + 1:04d}", "propagateAtLaunch": True}]
                                if pool.ultra else []) + [{"key": "Name", "value": f"{b.cluster}-{group}", "propagateAtLaunch": True}]
            block = pool.spec.capacity.type == "capacity-block"
            target = _group_target(pool, g)
            sizes = _block_sizes(pool, per_group, target is not None) if block else {
                "minSize": per_group, "maxSize": per_group, "desiredCapacity": per_group}
            inputs: dict[str, Any] = {
                **sizes,
                "vpcZoneIdentifiers": [subnet],
                # Pin the template version: Auto Scaling with capacity blocks wants a fixed version. A
                # pin (group, else pool) holds the group on an explicit version while a rollout moves
                # groups over wave by wave (EC2 Auto Scaling API, LaunchTemplateSpecification.Version:
                # a version number, $Latest or $Default; a group launches new instances from it).
                "launchTemplate": {"id": ref(lt), "version": _version(pins, group, name, lt)},
                # Training capacity comes up in the background (blocks may start later); don't block `pulumi up`.
                "waitForCapacityTimeout": "0",
                "tags": tags,
            }
            if pg:
                inputs["placementGroup"] = ref(pg)
            if target:
                inputs["capacityReservationSpecification"] = target
            b.add(groups_out, ASG, group, inputs, line=line, pool=name)
            resources["groups"].append(group)
            if block:
                _block_lifecycle(b, groups_out, pool, group, per_group, bought=target is not None)
        made[name] = resources
    return out + groups_out, made
