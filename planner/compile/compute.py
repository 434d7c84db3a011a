"""Compute: per pool a launch template (and a cluster placement group where it helps), and
auto-scaling groups sized in whole UltraServers: one group an UltraServer, so a group is one NVLink
domain, or one group for an instance pool.
"""
from __future__ import annotations

from typing import Any

from ..plan import Resource, ref
from ..validate import SpecDocument
from .builder import Builder
from .pools import ResolvedPool

ASG = "aws:autoscaling/group:Group"


def _network_interfaces(pool: ResolvedPool, subnet: Any) -> list[dict[str, Any]]:
    return [{
        "networkCardIndex": i.card, "deviceIndex": i.device, "interfaceType": i.type,
        # More than one interface rules out a public IP; a GPU node never gets one (secure default).
        "associatePublicIpAddress": "false", "deleteOnTermination": "true",
        "securityGroups": [ref("efa-sg")], "subnetId": subnet,
    } for i in pool.interfaces]


def _market(pool: ResolvedPool) -> dict[str, Any]:
    cap = pool.spec.capacity
    inputs: dict[str, Any] = {}
    if cap.type in ("capacity-reservation", "capacity-block") and (cap.reservation_id or cap.resource_group_arn):
        target = ({"capacityReservationResourceGroupArn": cap.resource_group_arn} if cap.resource_group_arn
                  else {"capacityReservationId": cap.reservation_id})
        inputs["capacityReservationSpecification"] = {"capacityReservationTarget": target}
    if cap.type == "capacity-block":
        inputs["instanceMarketOptions"] = {"marketType": "capacity-block"}
    elif cap.type == "spot":
        inputs["instanceMarketOptions"] = {"marketType": "spot"}
    return inputs


def build(doc: SpecDocument, b: Builder, pools: list[ResolvedPool], subnet_of: dict[str, Any]) -> tuple[list[Resource], dict[str, dict]]:
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
            pg = b.add(out, "aws:ec2/placementGroup:PlacementGroup", f"pg-{name}", {"strategy": "cluster"},
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
        }
        lt_inputs = {"imageId": pool.image, **lt_inputs}
        lt = b.add(out, "aws:ec2/launchTemplate:LaunchTemplate", f"lt-{name}", lt_inputs, line=line, pool=name, tags=pool_tags)
        resources["launch_template"] = lt

        per_group = pool.ultra.instances if pool.ultra else pool.instances
        groups = pool.spec.count if pool.ultra else 1
        base_tags = [{"key": k, "value": v, "propagateAtLaunch": False} for k, v in {**b.base_tags, **pool_tags}.items()]
        for g in range(groups):
            group = f"asg-{name}-u{g + 1:04d}" if pool.ultra else f"asg-{name}"
            tags = base_tags + ([{"key": "ultraplan:nvlink-domain", "value": f"{name}-u{g + 1:04d}", "propagateAtLaunch": True}]
                                if pool.ultra else []) + [{"key": "Name", "value": f"{b.cluster}-{group}", "propagateAtLaunch": True}]
            inputs: dict[str, Any] = {
                "minSize": per_group, "maxSize": per_group, "desiredCapacity": per_group,
                "vpcZoneIdentifiers": [subnet],
                # Pin the template version: Auto Scaling with capacity blocks wants a fixed version.
                "launchTemplate": {"id": ref(lt), "version": ref(lt, "latestVersion")},
                # Training capacity comes up in the background (blocks may start later); don't block `pulumi up`.
                "waitForCapacityTimeout": "0",
                "tags": tags,
            }
            if pg:
                inputs["placementGroup"] = ref(pg)
            b.add(groups_out, ASG, group, inputs, line=line, pool=name)
            resources["groups"].append(group)
        made[name] = resources
    return out + groups_out, made
