"""Hand-written Plans for the policy tests (docs/plan-format.md): one that passes every rule, and
`mutate(...)` to make the failing copies. Imported by the other tests as `test_policy_fixtures`."""
from __future__ import annotations

import copy
import json
from typing import Any, Callable

from planner.plan.model import Plan

SPEC = "examples/demo.yaml"
TAGS = {"team": "ml", "ultraplan:cluster": "demo"}


def _ref(name: str, attr: str = "id") -> dict[str, str]:
    return {"$ref": name, "attr": attr}


def _res(type_: str, name: str, inputs: dict[str, Any], line: int, pool: str | None = None,
         tags: bool = True) -> dict[str, Any]:
    if tags:
        inputs = {**inputs, "tags": dict(TAGS)}
    data = {"type": type_, "name": name, "inputs": inputs, "depends_on": [], "source": {"file": SPEC, "line": line}}
    if pool:
        data["pool"] = pool
    return data


def _interfaces(n_efa: int, cards: tuple[int, ...] | None = None) -> list[dict[str, Any]]:
    """The primary ENA interface and `n_efa` efa-only ones: on cards 0 (device 1), 1, 2, ... or, where
    card 0 is ENA-only (p6e-gb200), on the given cards at device 0."""
    nis = [{"networkCardIndex": 0, "deviceIndex": 0, "interfaceType": "interface"}]
    cards = cards or tuple(range(n_efa))
    nis += [{"networkCardIndex": c, "deviceIndex": 1 if c == 0 else 0, "interfaceType": "efa-only"}
            for c in cards[:n_efa]]
    for ni in nis:
        # No IP setting on a multi-interface launch: an efa-only interface takes none (launch-rules).
        ni.update({"deleteOnTermination": "true",
                   "securityGroups": [_ref("efa-sg")], "subnetId": _ref("subnet-use1-az1")})
    return nis


def _launch_template(name: str, instance_type: str, line: int, pool: str, n_efa: int,
                     cards: tuple[int, ...] | None = None, **extra: Any) -> dict[str, Any]:
    inputs = {
        "imageId": "ami-0123456789abcdef0", "instanceType": instance_type,
        "metadataOptions": {"httpTokens": "required", "httpEndpoint": "enabled", "httpPutResponseHopLimit": 2},
        "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 200, "volumeType": "gp3",
                                                                    "encrypted": "true", "deleteOnTermination": "true"}}],
        "networkInterfaces": _interfaces(n_efa, cards),
        "iamInstanceProfile": {"arn": _ref("node-profile", "arn")},
        **extra,
    }
    return _res("aws:ec2/launchTemplate:LaunchTemplate", name, inputs, line, pool)


def _asg(name: str, lt: str, size: int, line: int, pool: str, pg: str | None = None) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "minSize": size, "maxSize": size, "desiredCapacity": size,
        "vpcZoneIdentifiers": [_ref("subnet-use1-az1")],
        "launchTemplate": {"id": _ref(lt), "version": _ref(lt, "latestVersion")},
        "tags": [{"key": k, "value": v, "propagateAtLaunch": True} for k, v in TAGS.items()],
    }
    if pg:
        inputs["placementGroup"] = _ref(pg)
    return _res("aws:autoscaling/group:Group", name, inputs, line, pool, tags=False)


def _lustre_rules() -> list[dict[str, Any]]:
    """TCP 988 and 1018-1023 both ways between the node group and the file system's group, and the
    file system's group with itself (FSx for Lustre User Guide, limit-access-security-groups)."""
    out = []
    for group, peer in (("lustre-sg", "efa-sg"), ("lustre-sg", "lustre-sg"), ("efa-sg", "lustre-sg")):
        for low, high in ((988, 988), (1018, 1023)):
            for kind in ("Ingress", "Egress"):
                out.append(_res(f"aws:vpc/securityGroup{kind}Rule:SecurityGroup{kind}Rule",
                                f"{group}-{kind.lower()}-{low}-{peer}",
                                {"securityGroupId": _ref(group), "referencedSecurityGroupId": _ref(peer),
                                 "ipProtocol": "tcp", "fromPort": low, "toPort": high}, 30))
    return out


def _block_group(name: str, lt: str, size: int, line: int, pool: str) -> list[dict[str, Any]]:
    """A capacity-block group: starts at zero, scheduled out at the block's start and back to zero 75
    minutes before its end (2026-12-01 to 2026-12-15), and a termination hook."""
    group = _asg(name, lt, size, line, pool)
    del group["inputs"]["desiredCapacity"]
    group["inputs"]["minSize"] = 0
    on = {"autoscalingGroupName": _ref(name, "name")}
    return [
        group,
        _res("aws:autoscaling/lifecycleHook:LifecycleHook", f"{name}-drain", {
            **on, "name": "checkpoint", "lifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
            "heartbeatTimeout": 600, "defaultResult": "CONTINUE"}, line, pool, tags=False),
        _res("aws:autoscaling/schedule:Schedule", f"{name}-start", {
            **on, "scheduledActionName": "block-start", "startTime": "2026-12-01T11:30:00Z",
            "minSize": size, "maxSize": size, "desiredCapacity": size}, line, pool, tags=False),
        _res("aws:autoscaling/schedule:Schedule", f"{name}-end", {
            **on, "scheduledActionName": "block-end", "startTime": "2026-12-15T10:15:00Z",
            "minSize": 0, "maxSize": 0, "desiredCapacity": 0}, line, pool, tags=False),
    ]


def good_plan_json() -> dict[str, Any]:
    """A Plan with an on-demand EFA pool (p5, placement group), an UltraServer capacity-block pool
    (2 × u-p6e-gb200x72) and a Lustre file system: every rule passes."""
    network = [
        _res("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16", "enableDnsSupport": True,
                                        "enableDnsHostnames": True}, 3),
        _res("aws:ec2/subnet:Subnet", "subnet-use1-az1", {"vpcId": _ref("vpc"), "cidrBlock": "10.0.0.0/20",
                                                          "availabilityZone": "us-east-1a",
                                                          "mapPublicIpOnLaunch": False}, 4),
        _res("aws:ec2/securityGroup:SecurityGroup", "efa-sg", {"vpcId": _ref("vpc"), "description": "EFA"}, 5),
        _res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "efa-sg-ingress-self",
             {"securityGroupId": _ref("efa-sg"), "referencedSecurityGroupId": _ref("efa-sg"), "ipProtocol": "-1"}, 5),
        _res("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "efa-sg-egress-self",
             {"securityGroupId": _ref("efa-sg"), "referencedSecurityGroupId": _ref("efa-sg"), "ipProtocol": "-1"}, 5),
        _res("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "efa-sg-egress-https",
             {"securityGroupId": _ref("efa-sg"), "cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp",
              "fromPort": 443, "toPort": 443}, 5),
        _res("aws:iam/role:Role", "node-role", {"assumeRolePolicy": json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "ec2.amazonaws.com"}}]})}, 2),
        _res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "node-role-ssm",
             {"role": _ref("node-role", "name"),
              "policyArn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"}, 2, tags=False),
        _res("aws:iam/instanceProfile:InstanceProfile", "node-profile", {"role": _ref("node-role", "name")}, 2),
    ]
    network[0]["options"] = {"protect": True}
    storage = [
        _res("aws:ec2/securityGroup:SecurityGroup", "lustre-sg", {"vpcId": _ref("vpc")}, 30),
        *_lustre_rules(),
        _res("aws:fsx/lustreFileSystem:LustreFileSystem", "lustre", {
            "storageCapacity": 2400, "deploymentType": "PERSISTENT_2", "perUnitStorageThroughput": 250,
            "subnetIds": [_ref("subnet-use1-az1")], "securityGroupIds": [_ref("lustre-sg")]}, 30),
    ]
    next(r for r in storage if r["name"] == "lustre")["options"] = {"protect": True, "retainOnDelete": True}
    compute = [
        _res("aws:ec2/placementGroup:PlacementGroup", "pg-train", {"strategy": "cluster"}, 10, "train"),
        _launch_template("lt-train", "p5.48xlarge", 10, "train", 4),
        _asg("asg-train", "lt-train", 4, 10, "train", pg="pg-train"),
        _launch_template("lt-gb", "p6e-gb200.36xlarge", 20, "gb", 4, cards=(1, 5, 9, 13),
                         instanceMarketOptions={"marketType": "capacity-block"},
                         capacityReservationSpecification={"capacityReservationTarget": {
                             "capacityReservationResourceGroupArn":
                                 "arn:aws:resource-groups:us-east-1:123456789012:group/gb-blocks"}}),
        *_block_group("asg-gb-u0001", "lt-gb", 18, 20, "gb"),
        *_block_group("asg-gb-u0002", "lt-gb", 18, 20, "gb"),
    ]
    pools = [
        {"name": "train", "kind": "instance", "instance_type": "p5.48xlarge", "ultraserver_type": None,
         "count": 4, "instances": 4, "instances_per_ultraserver": None, "efa": True,
         "availability_zone": "us-east-1a", "subnet": "subnet-use1-az1",
         "capacity": {"type": "on-demand", "reservation_id": None, "resource_group_arn": None},
         "placement_group": "pg-train", "launch_template": "lt-train", "groups": ["asg-train"],
         "source": {"file": SPEC, "line": 10}},
        {"name": "gb", "kind": "ultraserver", "instance_type": "p6e-gb200.36xlarge",
         "ultraserver_type": "u-p6e-gb200x72", "count": 2, "instances": 36, "instances_per_ultraserver": 18,
         "efa": True, "availability_zone": "us-east-1a", "subnet": "subnet-use1-az1",
         "capacity": {"type": "capacity-block", "reservation_id": None, "start": "2026-12-01", "end": "2026-12-15",
                      "resource_group_arn": "arn:aws:resource-groups:us-east-1:123456789012:group/gb-blocks"},
         "placement_group": None, "launch_template": "lt-gb", "groups": ["asg-gb-u0001", "asg-gb-u0002"],
         "source": {"file": SPEC, "line": 20}},
    ]
    return {
        "version": 1, "name": "demo", "region": "us-east-1", "spec_file": SPEC, "tags": dict(TAGS),
        "summary": {}, "network": {}, "storage": None, "pools": pools, "budget": None,
        "policies": {"config": {}, "skip": {}, "lines": {"policies": 40}},
        "catalog": {}, "stacks": [{"name": "network", "resources": network},
                                  {"name": "storage", "resources": storage},
                                  {"name": "compute-1", "resources": compute}],
    }


def resource(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for s in data["stacks"] for r in s["resources"] if r["name"] == name)


def remove(data: dict[str, Any], name: str) -> None:
    for s in data["stacks"]:
        s["resources"] = [r for r in s["resources"] if r["name"] != name]


def mutate(change: Callable[[dict[str, Any]], Any]) -> Plan:
    data = copy.deepcopy(good_plan_json())
    change(data)
    return Plan.from_json(data)


def good_plan() -> Plan:
    return Plan.from_json(good_plan_json())


def test_fixture_round_trips():
    plan = good_plan()
    assert Plan.from_json(plan.to_json()).to_json() == plan.to_json()
    assert len({r.name for r in plan.resources()}) == len(list(plan.resources()))
