"""The compiler: EFA layouts from catalog data, secure defaults, capacity targeting, subnet sizing, sharding."""
from __future__ import annotations

import os

import pytest

from conftest import BASE_SPEC, ROOT
from planner import compile_plan
from planner.catalog import build_catalog, load_catalog
from planner.compile.interfaces import layout
from planner.errors import SpecError
from planner.plan.model import iter_refs
from planner.spec.load import parse_spec


# The Dallas Local Zone: NAT gateways are not confirmed there, so network.region_zone takes them.
DFW_SPEC = BASE_SPEC.replace("us-east-1a", "us-east-1-dfw-2a").replace(
    "vpc_cidr: 10.0.0.0/16", "vpc_cidr: 10.0.0.0/16\n  region_zone: use1-az4")


def plan_of(text: str, **kw):
    return compile_plan(parse_spec(text, "spec.yaml"), **kw)


def lt(plan, pool="gpu"):
    return plan.by_name()[f"lt-{pool}"].inputs


@pytest.mark.parametrize("itype,expected", [
    # p5: card 0 carries EFA, so device 1 of card 0 is efa-only; 31 more cards at device 0.
    ("p5.48xlarge", [(0, 0, "interface"), (0, 1, "efa-only")] + [(c, 0, "efa-only") for c in range(1, 32)]),
    ("p6-b200.48xlarge", [(0, 0, "interface"), (0, 1, "efa-only")] + [(c, 0, "efa-only") for c in range(1, 8)]),
    # p6-b300: card 0 is ENA-only; EFA on the other 16 cards.
    ("p6-b300.48xlarge", [(0, 0, "interface")] + [(c, 0, "efa-only") for c in range(1, 17)]),
    # p6e-gb200: card 0 ENA-only; recommended EFA cards 1, 5, 9, 13.
    ("p6e-gb200.36xlarge", [(0, 0, "interface"), (1, 0, "efa-only"), (5, 0, "efa-only"), (9, 0, "efa-only"), (13, 0, "efa-only")]),
    # p4d: efa-only not confirmed, so full efa interfaces, card 0's is the primary.
    ("p4d.24xlarge", [(c, 0, "efa") for c in range(4)]),
])
def test_efa_layout_follows_catalog(itype, expected):
    got = [(i.card, i.device, i.type) for i in layout(load_catalog().instance(itype), efa=True)]
    assert got == expected


def test_layout_is_data_driven_from_a_tiny_catalog():
    cat = build_catalog({"instance_types": {"x.big": {"vcpus": 8, "network_cards": 3, "efa_max_interfaces": 2}}},
                        {"efa_layouts": {"x.big": {"ena_only_cards": [0], "efa_cards": "all", "efa_only": True}}})
    got = [(i.card, i.device, i.type) for i in layout(cat.instance("x.big"), efa=True)]
    assert got == [(0, 0, "interface"), (1, 0, "efa-only"), (2, 0, "efa-only")]


def test_without_efa_only_an_ena_only_card_0_still_carries_the_primary_interface():
    # Full `efa` interfaces on the EFA cards, and the instance's primary (its one routable IP) at card
    # 0 / device 0 first: without it the launch template has no primary interface.
    cat = build_catalog({"instance_types": {"x.big": {"vcpus": 8, "network_cards": 3, "efa_max_interfaces": 2}}},
                        {"efa_layouts": {"x.big": {"ena_only_cards": [0], "efa_cards": "all", "efa_only": False}}})
    got = [(i.card, i.device, i.type) for i in layout(cat.instance("x.big"), efa=True)]
    assert got == [(0, 0, "interface"), (1, 0, "efa"), (2, 0, "efa")]


def test_launch_template_is_secure_by_default():
    inputs = lt(plan_of(BASE_SPEC))
    assert inputs["metadataOptions"]["httpTokens"] == "required"
    ebs = inputs["blockDeviceMappings"][0]["ebs"]
    assert ebs == {"volumeSize": 200, "volumeType": "gp3", "encrypted": "true", "deleteOnTermination": "true"}
    # 33 interfaces: no public-IP flag on any (EC2 assigns none to a multi-interface launch), and
    # never one on an efa-only interface, where even "false" fails every launch (launch-rules).
    assert [n.get("associatePublicIpAddress") for n in inputs["networkInterfaces"]] == [None] * 33
    first = {k: v for k, v in inputs["networkInterfaces"][0].items() if k != "interfaceType"}  # pinned above
    assert first == {
        "networkCardIndex": 0, "deviceIndex": 0, "deleteOnTermination": "true",
        "securityGroups": [{"$ref": "efa-sg", "attr": "id"}], "subnetId": {"$ref": "subnet-us-east-1a", "attr": "id"}}
    assert len(inputs["networkInterfaces"]) == 33


def test_single_interface_launch_template_says_no_public_ip():
    spec = BASE_SPEC + "  - name: head\n    instance_type: m7i.4xlarge\n    count: 1\n"
    [ni] = lt(plan_of(spec), "head")["networkInterfaces"]
    assert (ni["interfaceType"], ni["associatePublicIpAddress"]) == ("interface", "false")


def test_efa_security_group_allows_itself_both_directions():
    by = plan_of(BASE_SPEC).by_name()
    for name in ("efa-sg-ingress-self", "efa-sg-egress-self"):
        rule = by[name].inputs
        assert rule["ipProtocol"] == "-1"
        assert rule["securityGroupId"] == rule["referencedSecurityGroupId"] == {"$ref": "efa-sg", "attr": "id"}
    ingress = [r for r in by.values() if r.type.endswith("SecurityGroupIngressRule")]
    assert all("cidrIpv4" not in r.inputs for r in ingress)


def test_iam_is_ssm_core_and_the_node_runtime_only():
    by = plan_of(BASE_SPEC).by_name()
    policies = [r for r in by.values() if r.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment"]
    assert [p.inputs["policyArn"] for p in policies] == ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]
    # The boot program's policy (tests/test_runtime_iam.py checks what it allows).
    assert [r.name for r in by.values() if r.type == "aws:iam/rolePolicy:RolePolicy"] == ["node-role-runtime"]


def test_block_nodes_may_finish_their_own_drain_and_nothing_more():
    import json
    spec = _ultra_spec(f"{{type: capacity-block, reservation_ids: {IDS3}, start: 2027-01-04, days: 7}}")
    by = plan_of(spec).by_name()
    hooks = [r for r in by.values() if r.type == "aws:autoscaling/lifecycleHook:LifecycleHook"]
    assert len(hooks) == 3
    inline = [r for r in by.values() if r.type == "aws:iam/rolePolicy:RolePolicy" and r.name != "node-role-runtime"]
    assert [r.name for r in inline] == ["node-role-drain"]
    assert inline[0].inputs["role"] == {"$ref": "node-role", "attr": "name"}
    (statement,) = json.loads(inline[0].inputs["policy"])["Statement"]
    assert sorted(statement["Action"]) == ["autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"]
    assert statement["Resource"].startswith("arn:aws:autoscaling:us-east-1:*:autoScalingGroup:")
    # Scoped to this cluster's groups by the tag every group carries.
    cluster = statement["Condition"]["StringEquals"]["autoscaling:ResourceTag/ultraplan:cluster"]
    groups = [r for r in by.values() if r.type == "aws:autoscaling/group:Group"]
    assert groups and all({"key": "ultraplan:cluster", "value": cluster, "propagateAtLaunch": False} in g.inputs["tags"]
                          for g in groups)


def test_on_demand_efa_pool_gets_a_cluster_placement_group():
    plan = plan_of(BASE_SPEC)
    assert plan.by_name()["pg-gpu"].inputs["strategy"] == "cluster"
    assert plan.by_name()["asg-gpu"].inputs["placementGroup"] == {"$ref": "pg-gpu", "attr": "id"}


def test_placement_group_false_keeps_an_on_demand_efa_pool_out_of_any_placement_group():
    """`placement_group: false` is the user's choice to spread an EFA pool (e.g. after
    insufficient-capacity errors in one cluster group): no group is made and none is referenced."""
    plan = plan_of(BASE_SPEC.replace("count: 2", "count: 2\n    placement_group: false"))
    assert "pg-gpu" not in plan.by_name()
    assert "placementGroup" not in plan.by_name()["asg-gpu"].inputs
    assert plan.pools[0]["placement_group"] is None


@pytest.mark.parametrize("capacity,market", [
    ("{type: capacity-block, reservation_id: cr-0123456789abcdef0, start: 2026-12-01, days: 7}", "capacity-block"),
    ("{type: capacity-reservation, reservation_id: cr-0123456789abcdef0}", None),
])
def test_reserved_pools_target_the_reservation_and_get_no_placement_group(capacity, market):
    plan = plan_of(BASE_SPEC.replace("count: 2", f"count: 2\n    capacity: {capacity}"))
    inputs = lt(plan)
    # The group carries the target (EC2 Auto Scaling UG: a group's target overrides the template's),
    # the template the market type.
    assert "capacityReservationSpecification" not in inputs
    assert plan.by_name()["asg-gpu"].inputs["capacityReservationSpecification"] == {
        "capacityReservationPreference": "capacity-reservations-only",
        "capacityReservationTarget": {"capacityReservationIds": ["cr-0123456789abcdef0"]}}
    assert inputs.get("instanceMarketOptions", {}).get("marketType") == market
    assert "pg-gpu" not in plan.by_name()
    assert plan.pools[0]["placement_group"] is None


IDS3 = "[cr-0123456789abcdef0, cr-0123456789abcdef1, cr-0123456789abcdef2]"


def _ultra_spec(capacity: str, count: int = 3) -> str:
    return DFW_SPEC.replace(
        "instance_type: p5.48xlarge", "ultraserver: u-p6e-gb200x36\n    ami: ami-0123456789abcdef0").replace(
        "count: 2", f"count: {count}\n    capacity: {capacity}")


def test_ultraserver_pool_gets_one_group_per_ultraserver():
    plan = plan_of(_ultra_spec("{type: capacity-reservation, reservation_id: cr-0123456789abcdef0}"))
    groups = [r for r in plan.resources() if r.type == "aws:autoscaling/group:Group"]
    assert [g.name for g in groups] == ["asg-gpu-u0001", "asg-gpu-u0002", "asg-gpu-u0003"]
    assert {(g.inputs["minSize"], g.inputs["maxSize"], g.inputs["desiredCapacity"]) for g in groups} == {(9, 9, 9)}
    pool = plan.pools[0]
    assert (pool["instances"], pool["gpus"], pool["nvlink_domains"]) == (27, 108, 3)
    assert plan.summary["ultraservers"] == 3


def test_a_new_subnet_is_sized_with_headroom():
    # 2 p5 (1 IP each with efa-only): at least a /24, so ordinary growth does not re-size it.
    plan = plan_of(BASE_SPEC)
    assert plan.network["subnets"][0]["cidr"] == "10.0.0.0/24"
    # 200 instances: twice that (400) + 5 reserved needs a /23 (507 usable).
    subnet = plan_of(BASE_SPEC.replace("count: 2", "count: 200")).network["subnets"][0]
    assert (subnet["cidr"], subnet["ips_needed"], subnet["ips_total"]) == ("10.0.0.0/23", 200, 507)


def test_a_vpc_too_small_for_headroom_gets_exact_subnets_and_a_note():
    # A /24 VPC: 100 instances with headroom would take the whole /24 and leave no room for the
    # NAT's public /28, so the subnet is sized exactly (a /25) and the plan says so.
    plan = plan_of(BASE_SPEC.replace("10.0.0.0/16", "10.0.0.0/24").replace("count: 2", "count: 100"))
    assert plan.network["subnets"][0]["cidr"] == "10.0.0.0/25"
    assert any("sized exactly" in n["message"] and n["source"]["line"] == 6 for n in plan.notes)


def test_efa_interfaces_without_efa_only_take_one_ip_each():
    plan = plan_of(BASE_SPEC.replace("p5.48xlarge", "p4d.24xlarge").replace("count: 2", "count: 10"))
    assert plan.pools[0]["ips_per_instance"] == 4
    assert plan.network["subnets"][0]["ips_needed"] == 40


def test_too_small_vpc_for_the_ip_budget_names_the_cidr():
    with pytest.raises(SpecError) as info:
        plan_of(BASE_SPEC.replace("10.0.0.0/16", "10.0.0.0/24").replace("count: 2", "count: 300"))
    issue = info.value.issues[0]
    assert issue.path == "network.vpc_cidr" and issue.line == 6
    assert "secondary_cidrs" in issue.hint


def test_a_pool_larger_than_one_subnet_is_rejected():
    text = BASE_SPEC.replace("count: 2", "count: 70000")
    with pytest.raises(SpecError) as info:
        plan_of(text)
    issue = info.value.issues[0]
    assert issue.path == "compute[0].count" and "65,531" in issue.message


def test_pools_in_other_zones_get_their_own_subnet():
    text = BASE_SPEC + "  - name: b\n    instance_type: p6-b200.48xlarge\n    count: 1\n    availability_zone: us-east-1c\n"
    plan = plan_of(text)
    zones = {s["availability_zone"]: s["pools"] for s in plan.network["subnets"]}
    assert zones == {"us-east-1a": ["gpu"], "us-east-1c": ["b"]}


def test_existing_vpc_and_subnet_are_reused_not_created():
    text = BASE_SPEC.replace("vpc_cidr: 10.0.0.0/16", "vpc_id: vpc-0123456789abcdef0\n  subnet_id: subnet-0123456789abcdef0")
    plan = plan_of(text)
    types = {r.type for r in plan.resources()}
    assert "aws:ec2/vpc:Vpc" not in types and "aws:ec2/subnet:Subnet" not in types
    assert plan.by_name()["efa-sg"].inputs["vpcId"] == "vpc-0123456789abcdef0"
    assert lt(plan)["networkInterfaces"][0]["subnetId"] == "subnet-0123456789abcdef0"
    assert plan.pools[0]["existing_subnet_id"] == "subnet-0123456789abcdef0"


def test_every_resource_records_its_spec_line_and_refs_resolve():
    plan = plan_of(BASE_SPEC + "storage:\n  lustre: {capacity_tib: 2.34375, deployment: PERSISTENT_2, throughput_per_tib: 250}\n")
    names = plan.by_name()
    assert len(names) == sum(1 for _ in plan.resources())
    for r in plan.resources():
        assert r.source.file == "spec.yaml" and isinstance(r.source.line, int), r.name
        for ref in iter_refs(r.inputs):
            assert ref["$ref"] in names, (r.name, ref)
        assert all(d in names for d in r.depends_on)
    assert names["lustre"].source.line == 12


def test_compute_is_sharded_by_size():
    plan = plan_of(DFW_SPEC.replace("instance_type: p5.48xlarge", "ultraserver: u-p6e-gb200x72\n    ami: ami-0123456789abcdef0").replace(
        "count: 2", "count: 25\n    capacity: {type: capacity-reservation, reservation_id: cr-0123456789abcdef0}"), shard_size=10)
    compute = [s for s in plan.stacks if s.name.startswith("compute-")]
    assert [len(s.resources) for s in compute] == [10, 10, 6]
    assert [s.name for s in plan.stacks][:1] == ["network"]


def test_lustre_capacity_is_passed_exactly_in_gib():
    plan = plan_of(BASE_SPEC + "storage:\n  lustre: {capacity_gib: 247200, deployment: PERSISTENT_2, throughput_per_tib: 250}\n")
    assert plan.by_name()["lustre"].inputs["storageCapacity"] == 247200
    assert plan.storage["lustre"]["capacity_gib"] == 247200


def test_unconfirmed_catalog_facts_are_reported():
    text = BASE_SPEC.replace("instance_type: p5.48xlarge", "ultraserver: u-p6e-gb300x72\n    ami: ami-0123456789abcdef0").replace(
        "count: 2", "count: 1\n    capacity: {type: capacity-reservation, reservation_id: cr-0123456789abcdef0}")
    plan = plan_of(text)
    assert any("not confirmed" in n["message"] and n["level"] == "warning" for n in plan.notes)
    assert plan.summary["efa_bandwidth_gbps"] is None


def test_pools_without_ami_use_the_catalog_default_image():
    plan = plan_of(BASE_SPEC + "  - name: head\n    instance_type: m7i.4xlarge\n    count: 1\n")
    assert lt(plan, "gpu")["imageId"] == "resolve:ssm:/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-amazon-linux-2023/latest/ami-id"
    assert lt(plan, "head")["imageId"] == "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    assert any("pin an ami" in n["message"] for n in plan.notes)


GB200_NO_AMI = DFW_SPEC.replace("instance_type: p5.48xlarge", "ultraserver: u-p6e-gb200x72").replace(
    "count: 2", "count: 1\n    capacity: {type: capacity-reservation, reservation_id: cr-0123456789abcdef0}")


@pytest.mark.parametrize("text, pool_type, parameter", [
    (GB200_NO_AMI, "p6e-gb200", "/aws/service/deeplearning/ami/arm64/base-oss-nvidia-driver-gpu-amazon-linux-2023/latest/ami-id"),
    (GB200_NO_AMI.replace("u-p6e-gb200x72", "u-p6e-gb300x72"), "p6e-gb300",
     "/aws/service/deeplearning/ami/arm64/base-oss-nvidia-driver-gpu-amazon-linux-2023/latest/ami-id"),
    (BASE_SPEC.replace("p5.48xlarge", "trn2.48xlarge"), "trn2",
     "/aws/service/neuron/dlami/multi-framework/amazon-linux-2023/latest/image_id"),
], ids=["gb200-arm64-dlami", "gb300-arm64-dlami", "trn2-neuron-dlami"])
def test_grace_blackwell_and_trainium_pools_default_to_their_dlami(text, pool_type, parameter):
    plan = plan_of(text)
    template = next(r.inputs for r in plan.resources() if r.type == "aws:ec2/launchTemplate:LaunchTemplate")
    assert template["instanceType"].startswith(pool_type)
    assert template["imageId"] == "resolve:ssm:" + parameter
    assert template["blockDeviceMappings"][0]["deviceName"] == "/dev/xvda", "AL2023 images boot from /dev/xvda"


def test_accelerator_without_a_known_default_image_needs_an_ami(monkeypatch):
    import planner.spec.rules.pools as pool_rules

    monkeypatch.setattr(pool_rules, "default_image", lambda itype: None)  # a type the catalog has no image for
    with pytest.raises(SpecError) as info:
        plan_of(GB200_NO_AMI)
    issue = info.value.issues[0]
    assert issue.path == "compute[0].ami" and "no default image" in issue.message


def test_each_pool_has_its_own_stacks_with_its_template_first():
    text = DFW_SPEC.replace("instance_type: p5.48xlarge", "ultraserver: u-p6e-gb200x72\n    ami: ami-0123456789abcdef0").replace(
        "count: 2", "count: 30\n    capacity: {type: capacity-reservation, reservation_id: cr-0123456789abcdef0}") + \
        "  - name: b\n    ultraserver: u-p6e-gb200x72\n    ami: ami-0123456789abcdef0\n    count: 30\n    availability_zone: us-east-1-dfw-2a\n" \
        "    capacity: {type: capacity-reservation, reservation_id: cr-0123456789abcdef1}\n"
    plan = plan_of(text, shard_size=20)
    compute = [s for s in plan.stacks if s.name.startswith("compute-")]
    assert [(s.name, len(s.resources)) for s in compute] == [
        ("compute-gpu-1", 20), ("compute-gpu-2", 11), ("compute-b-1", 20), ("compute-b-2", 11)]
    assert plan.stack("compute-gpu-1").resources[0].name == "lt-gpu"
    assert all(r.pool == s.name.split("-")[1] for s in compute for r in s.resources)
    stack_of = plan.stack_of()
    for stack in compute:
        for r in stack.resources:
            for ref in iter_refs(r.inputs):
                assert stack_of[ref["$ref"]] in ("network", f"compute-{r.pool}-1"), (r.name, ref)


# -- one Capacity Block per UltraServer, and the block's lifecycle --------------------------------------
def _of(plan, type_):
    return [r for r in plan.resources() if r.type == type_]


def test_each_ultraserver_group_targets_its_own_block_and_starts_at_zero():
    plan = plan_of(_ultra_spec(f"{{type: capacity-block, reservation_ids: {IDS3}, start: 2026-12-01, days: 14}}"))
    groups = _of(plan, "aws:autoscaling/group:Group")
    targets = [g.inputs["capacityReservationSpecification"]["capacityReservationTarget"]["capacityReservationIds"]
               for g in groups]
    assert targets == [["cr-0123456789abcdef0"], ["cr-0123456789abcdef1"], ["cr-0123456789abcdef2"]]
    assert {(g.inputs["minSize"], g.inputs["maxSize"], "desiredCapacity" in g.inputs) for g in groups} == {(0, 9, False)}
    assert "capacityReservationSpecification" not in lt(plan)
    assert lt(plan)["instanceMarketOptions"] == {"marketType": "capacity-block"}
    assert plan.pools[0]["capacity"]["reservation_ids"] == ["cr-0123456789abcdef0", "cr-0123456789abcdef1",
                                                             "cr-0123456789abcdef2"]


@pytest.mark.parametrize("dates, drain, scale_in, lead", [
    pytest.param("start: 2026-12-01, days: 14", "", "2026-12-15T10:15:00Z", 75, id="days-default-drain"),
    pytest.param("start: 2026-12-01, end: 2026-12-08", "", "2026-12-08T10:15:00Z", 75, id="end-date"),
    pytest.param("start: 2026-12-01, days: 7", ", drain_seconds: 1800", "2026-12-08T09:55:00Z", 95, id="long-drain"),
])
def test_block_schedules_scale_out_at_start_and_in_before_the_end(dates, drain, scale_in, lead):
    plan = plan_of(_ultra_spec(f"{{type: capacity-block, reservation_ids: {IDS3}, {dates}{drain}}}"))
    start, end = plan.by_name()["asg-gpu-u0002-start"].inputs, plan.by_name()["asg-gpu-u0002-end"].inputs
    assert start["startTime"] == "2026-12-01T11:30:00Z"
    assert (start["minSize"], start["maxSize"], start["desiredCapacity"]) == (9, 9, 9)
    assert end["startTime"] == scale_in and (end["minSize"], end["maxSize"], end["desiredCapacity"]) == (0, 0, 0)
    assert start["autoscalingGroupName"] == {"$ref": "asg-gpu-u0002", "attr": "name"}
    hook = plan.by_name()["asg-gpu-u0002-drain"].inputs
    assert hook["lifecycleTransition"] == "autoscaling:EC2_INSTANCE_TERMINATING"
    assert hook["heartbeatTimeout"] == (1800 if drain else 600) and hook["defaultResult"] == "CONTINUE"
    assert plan.pools[0]["capacity"]["scale_in_lead_minutes"] == lead >= 60


def test_instance_block_scales_in_at_least_30_minutes_before_the_end():
    plan = plan_of(BASE_SPEC.replace("count: 2", "count: 2\n    capacity: {type: capacity-block, reservation_id: "
                                                 "cr-0123456789abcdef0, start: 2026-12-01, days: 7}"))
    assert plan.by_name()["asg-gpu-end"].inputs["startTime"] == "2026-12-08T10:45:00Z"  # 30 + 10 + 5 minutes


def test_planned_block_has_hook_but_no_target_and_no_scale_out():
    plan = plan_of(_ultra_spec("{type: capacity-block, planned: true, start: 2026-12-01, days: 14}"))
    groups = _of(plan, "aws:autoscaling/group:Group")
    assert all("capacityReservationSpecification" not in g.inputs and g.inputs["minSize"] == 0 for g in groups)
    assert _of(plan, "aws:autoscaling/schedule:Schedule") == []
    assert len(_of(plan, "aws:autoscaling/lifecycleHook:LifecycleHook")) == 3


def test_resource_group_target_states_the_nvlink_caveat():
    arn = "arn:aws:resource-groups:us-east-1:123456789012:group/gb"
    plan = plan_of(_ultra_spec(f"{{type: capacity-block, resource_group_arn: '{arn}', start: 2026-12-01, days: 14}}"))
    target = plan.by_name()["asg-gpu-u0001"].inputs["capacityReservationSpecification"]["capacityReservationTarget"]
    assert target == {"capacityReservationResourceGroupArns": [arn]}
    assert any("different UltraServers (NVLink domains)" in n["message"] for n in plan.notes)


def test_summary_counts_account_limits():
    plan = plan_of(_ultra_spec(f"{{type: capacity-block, reservation_ids: {IDS3}, start: 2026-12-01, days: 14}}"))
    limits = plan.summary["account_limits"]
    assert limits["auto_scaling_groups"] == 3 and limits["launch_templates"] == 1
    assert limits["scheduled_actions"] == 6 and limits["lifecycle_hooks"] == 3
    assert limits["network_interfaces"] == plan.pools[0]["instances"] * plan.pools[0]["interfaces_per_instance"] + \
        limits["nat_gateways"]


def test_block_schedules_and_hooks_stay_in_their_groups_stack():
    ids = "[" + ", ".join(f"cr-{i:017x}" for i in range(12)) + "]"
    plan = plan_of(_ultra_spec(f"{{type: capacity-block, reservation_ids: {ids}, start: 2026-12-01, days: 14}}", count=12),
                   shard_size=10)
    compute = [s for s in plan.stacks if s.name.startswith("compute-gpu-")]
    assert all(len(s.resources) <= 10 for s in compute) and len(compute) > 4
    stack_of = plan.stack_of()
    for s in compute:
        for r in s.resources:
            for ref in iter_refs(r.inputs):
                assert stack_of[ref["$ref"]] in ("network", "compute-gpu-1", s.name), (r.name, ref)


# -- FSx for Lustre: version, metadata configuration, EFA (catalog/fsx_lustre_features.yaml) ----------
def _lustre_of(text):
    plan = plan_of(text)
    return plan.by_name()["lustre"].inputs, plan


@pytest.mark.parametrize("example", sorted(f for f in os.listdir(os.path.join(ROOT, "examples")) if f.endswith(".yaml")))
def test_every_lustre_file_system_is_2_15(example):
    plan = compile_plan(parse_spec(open(os.path.join(ROOT, "examples", example)).read(), example))
    lustre = [r.inputs for r in plan.resources() if r.type == "aws:fsx/lustreFileSystem:LustreFileSystem"]
    assert lustre, f"{example} has a file system"
    for inputs in lustre:
        assert inputs["fileSystemTypeVersion"] == "2.15"
        assert inputs["metadataConfiguration"] == {"mode": "AUTOMATIC"}


P5_LUSTRE = BASE_SPEC + "storage:\n  lustre: {capacity_gib: %d, deployment: PERSISTENT_2, throughput_per_tib: 500%s}\n"


def test_lustre_is_efa_enabled_for_p5_clients_when_the_capacity_fits_its_steps():
    inputs, plan = _lustre_of(P5_LUSTRE % (19200, ""))
    assert inputs["efaEnabled"] is True and plan.storage["lustre"]["efa"] is True
    rules = {r.name: r.inputs for r in plan.resources() if r.name.startswith(("lustre-sg-", "efa-sg-")) and "lustre" in r.name}
    assert {i["ipProtocol"] for i in rules.values()} == {"-1"} and len(rules) == 6, "all traffic, both ways, and self"


@pytest.mark.parametrize("text, why", [
    (P5_LUSTRE % (4800, ""), "sized in steps of 9,600 GiB; 4,800 GiB is not one"),
    (P5_LUSTRE.replace("p5.48xlarge", "trn2.48xlarge") % (19200, ""), "trn2 cannot be EFA clients"),
], ids=["capacity-off-step", "trn2-excluded"])
def test_lustre_without_efa_says_why(text, why):
    inputs, plan = _lustre_of(text)
    assert "efaEnabled" not in inputs and plan.storage["lustre"]["efa"] is False
    assert any(n["message"].startswith("FSx for Lustre without EFA") and why in n["message"] for n in plan.notes)
    ports = {(r.inputs.get("fromPort"), r.inputs["ipProtocol"]) for r in plan.resources() if r.name.startswith("lustre-sg-ingress")}
    assert ports == {(988, "tcp"), (1018, "tcp")}


def test_efa_true_on_a_file_system_aws_cannot_make_efa_enabled_is_refused():
    with pytest.raises(SpecError) as info:
        plan_of(P5_LUSTRE % (4800, ", efa: true"))
    [issue] = [i for i in info.value.issues if i.path == "storage.lustre.efa"]
    assert "sized in steps of 9,600 GiB" in issue.message
    inputs, _ = _lustre_of(P5_LUSTRE % (19200, ", efa: false"))
    assert "efaEnabled" not in inputs


def test_a_root_device_the_default_image_does_not_boot_from_is_a_spec_error():
    with pytest.raises(SpecError) as info:
        plan_of(BASE_SPEC + "    root_device_name: /dev/sda1\n")
    [issue] = info.value.issues
    assert issue.path == "compute[0].root_device_name" and "boots from /dev/xvda" in issue.message
    assert issue.hint == "root_device_name: /dev/xvda, or give an ami"
    plan_of(BASE_SPEC + "    ami: ami-0123456789abcdef0\n    root_device_name: /dev/sda1\n")  # an own image: preflight checks it
