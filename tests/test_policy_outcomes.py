"""Policy branches that had no failing case, and for every policy whose only passing case was the
untouched baseline Plan, a passing case that exercises the rule: the Plan is changed in a way the
rule looks at (a resource of its type, a different shape, a config) and still passes, so a rule that
stopped looking at that shape would fail here. tests/outcome_recorder.py asserts at the end of a
full run that every policy was seen failing and seen passing on something else than the baseline.
"""
from __future__ import annotations

import pytest
from test_policy_fixtures import _ref, _res, mutate, remove, resource
from test_policy_rules import add, configure, lt_nis

from policies.runner import NOT_APPLICABLE, PASSED, VIOLATED, run_policies

INSTANCE = "aws:ec2/instance:Instance"


def outcome(plan, policy_id, **kwargs):
    return run_policies(plan, **kwargs).outcome(policy_id)


def pool(data, name):
    return next(p for p in data["pools"] if p["name"] == name)


def plain_instance(**extra):
    def change(d):
        add(d, "compute-1", _res(INSTANCE, "head", {
            "instanceType": "m7i.large", "metadataOptions": {"httpTokens": "required"},
            "subnetId": _ref("subnet-use1-az1"), **extra}, 50))
    return change


# -- failing branches ----------------------------------------------------------------------------
def efa_pool_in_two_zones(d):
    pool(d, "train")["availability_zone"] = ["us-east-1a", "us-east-1b"]


def block_pool_without_launch_template(d):
    remove(d, "lt-gb")
    pool(d, "gb")["launch_template"] = None


def block_pool_template_on_demand_untargeted(d):
    lt = resource(d, "lt-gb")["inputs"]
    del lt["instanceMarketOptions"]
    del lt["capacityReservationSpecification"]


def ultra_pool_without_size(d):
    pool(d, "gb")["instances_per_ultraserver"] = None


def ultra_groups_short(d):
    pool(d, "gb")["groups"] = ["asg-gb-u0001"]


def unprotected_volume(d):
    add(d, "storage", _res("aws:ebs/volume:Volume", "scratch", {"availabilityZone": "us-east-1a", "size": 100,
                                                                "encrypted": True}, 31))


def efa_groups_on_the_template_without_self_rules(d):
    """The EFA interfaces name no group, so they take the template's vpcSecurityGroupIds: that group
    is the EFA group, and it lacks the self rules."""
    remove(d, "efa-sg-egress-self")
    remove(d, "efa-sg-ingress-self")
    for ni in lt_nis(d):
        ni.pop("securityGroups", None)
    resource(d, "lt-train")["inputs"]["vpcSecurityGroupIds"] = [_ref("efa-sg")]


def ultra_group_min_size_half_an_ultraserver(d):
    resource(d, "asg-gb-u0001")["inputs"]["minSize"] = 9


FAILING = [
    pytest.param("ebs-encrypted", plain_instance(rootBlockDevice={"volumeSize": 50, "encrypted": False}),
                 "rootBlockDevice is not encrypted", id="instance-root-unencrypted"),
    pytest.param("ebs-encrypted", plain_instance(), "rootBlockDevice is not encrypted", id="instance-root-undeclared"),
    pytest.param("ebs-encrypted", plain_instance(rootBlockDevice={"encrypted": True},
                                                 ebsBlockDevices=[{"deviceName": "/dev/sdf", "encrypted": False}]),
                 "volume /dev/sdf is not encrypted", id="instance-data-volume-unencrypted"),
    pytest.param("efa-pool-single-az", efa_pool_in_two_zones, "EFA pool train lists several zones", id="efa-pool-two-zones"),
    pytest.param("capacity-block-market-type", block_pool_without_launch_template,
                 "capacity-block pool gb has no launch template in the plan", id="block-pool-no-template"),
    pytest.param("capacity-block-market-type", block_pool_template_on_demand_untargeted,
                 "capacity-block pool gb: launch template lt-gb targets no reservation", id="block-pool-untargeted"),
    pytest.param("ultraserver-whole", ultra_pool_without_size, "UltraServer pool gb has no instances_per_ultraserver",
                 id="ultra-no-size"),
    pytest.param("ultraserver-whole", ultra_groups_short, "UltraServer pool gb: groups launch 18 instances, the pool needs 36",
                 id="ultra-groups-short"),
    pytest.param("stateful-resources-protected", unprotected_volume, "scratch is not protected", id="volume-unprotected"),
    pytest.param("ultraserver-whole", ultra_group_min_size_half_an_ultraserver,
                 "auto-scaling group asg-gb-u0001: minSize 9 is not a whole number of", id="ultra-group-min-size"),
    pytest.param("efa-sg-self-rules", efa_groups_on_the_template_without_self_rules,
                 "no all-traffic ingress or egress rule referencing itself (used by lt-train, lt-gb)",
                 id="efa-sg-from-template-groups"),
]


@pytest.mark.parametrize("policy_id, change, expected", FAILING)
def test_policy_fails_on_the_branch(policy_id, change, expected):
    result = outcome(mutate(change), policy_id)
    assert result.status == VIOLATED
    assert any(expected in f.message for f in result.violations), [f.message for f in result.violations]


# -- passing cases that exercise the rule ------------------------------------------------------------
def ingress_from_the_vpc_only(d):
    for port in (22, 443):
        add(d, "network", _res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", f"in-{port}", {
            "securityGroupId": _ref("efa-sg"), "cidrIpv4": "10.0.0.0/16", "ipProtocol": "tcp",
            "fromPort": port, "toPort": port}, 6))
    resource(d, "lustre-sg")["inputs"]["ingress"] = [
        {"protocol": "tcp", "fromPort": 988, "toPort": 988, "cidrBlocks": ["10.0.0.0/16"]}]


def vpc_dns_support_by_default(d):
    del resource(d, "vpc")["inputs"]["enableDnsSupport"]  # EC2's default is true


def encrypted_instance_and_volume(d):
    plain_instance(rootBlockDevice={"encrypted": True},
                   ebsBlockDevices=[{"deviceName": "/dev/sdf", "encrypted": "true"}])(d)
    add(d, "storage", _res("aws:ebs/volume:Volume", "scratch", {"availabilityZone": "us-east-1a", "size": 100,
                                                                "encrypted": True}, 31))
    resource(d, "scratch")["options"] = {"protect": True, "retainOnDelete": True}


def second_group_same_subnet(d):
    """A second group on the EFA template, in the same subnet as the first and as the interfaces."""
    import copy

    second = copy.deepcopy(resource(d, "asg-train"))
    second["name"] = "asg-train-2"
    add(d, "compute-1", second)
    pool(d, "train")["groups"].append("asg-train-2")


def train_on_a_reservation_without_placement_group(d):
    remove(d, "pg-train")
    asg = resource(d, "asg-train")["inputs"]
    del asg["placementGroup"]
    asg["capacityReservationSpecification"] = {"capacityReservationPreference": "capacity-reservations-only",
                                               "capacityReservationTarget": {"capacityReservationIds": ["cr-0123456789abcdef0"]}}
    p = pool(d, "train")
    p["capacity"] = {"type": "capacity-reservation", "reservation_id": "cr-0123456789abcdef0", "resource_group_arn": None}
    p["placement_group"] = None


def ultra_on_reservations_sized_whole(d):
    for g in ("asg-gb-u0001", "asg-gb-u0002"):
        resource(d, g)["inputs"].update(minSize=18, maxSize=18, desiredCapacity=18)


def placement_on_the_template(d):
    del resource(d, "asg-train")["inputs"]["placementGroup"]
    resource(d, "lt-train")["inputs"]["placement"] = {"groupName": _ref("pg-train", "name")}


def allow_p5_and_gb200(d):
    configure(d, "instance-type-allowlist", allowedTypes=["p5.*", "p6e-gb200.36xlarge"])


PASSING = [
    pytest.param("no-open-ingress", ingress_from_the_vpc_only, id="ingress-from-the-vpc-cidr"),
    pytest.param("vpc-dns-enabled", vpc_dns_support_by_default, id="dns-support-default-true"),
    pytest.param("ebs-encrypted", encrypted_instance_and_volume, id="instance-and-volume-encrypted"),
    pytest.param("efa-pool-single-az", second_group_same_subnet, id="two-groups-one-subnet"),
    pytest.param("no-placement-group-with-reservation", train_on_a_reservation_without_placement_group,
                 id="reservation-pool-without-group"),
    pytest.param("ultraserver-whole", ultra_on_reservations_sized_whole, id="groups-of-whole-ultraservers"),
    pytest.param("efa-placement-group", placement_on_the_template, id="placement-on-the-template"),
    pytest.param("stateful-resources-protected", encrypted_instance_and_volume, id="volume-protected-and-retained"),
    pytest.param("instance-type-allowlist", allow_p5_and_gb200, id="glob-allowlist"),
]


@pytest.mark.parametrize("policy_id, change", PASSING)
def test_policy_passes_on_a_case_it_looks_at(policy_id, change):
    plan = mutate(change)
    assert plan.to_json() != mutate(lambda d: None).to_json(), "the case must differ from the baseline"
    result = outcome(plan, policy_id)
    assert result.status == PASSED, [f.message for f in result.violations]


# -- max-monthly-cost: observed, not "two test functions exist" ---------------------------------------
def ceiling(usd):
    return lambda d: configure(d, "max-monthly-cost", maxMonthlyUsd=usd)


def test_max_monthly_cost_passes_at_the_ceiling_and_fails_one_dollar_over():
    at = outcome(mutate(ceiling(1000)), "max-monthly-cost", monthly_cost=lambda p: 1000.0)
    over = outcome(mutate(ceiling(1000)), "max-monthly-cost", monthly_cost=lambda p: 1001.0)
    assert at.status == PASSED
    assert over.status == VIOLATED
    assert [f.message for f in over.violations] == ["estimated 1,001 USD/month exceeds maxMonthlyUsd 1,000"]


def test_max_monthly_cost_fails_closed_when_the_estimate_raises():
    def broken(plan):
        raise ValueError("no price for p5.48xlarge")

    result = outcome(mutate(ceiling(1000)), "max-monthly-cost", monthly_cost=broken)
    assert result.status == VIOLATED
    assert [f.message for f in result.violations] == [
        "cannot check the 1,000 USD/month ceiling: cost estimate failed (no price for p5.48xlarge)"]


def test_max_monthly_cost_reads_the_plan_it_is_given():
    """The estimate is computed from the Plan under check (a bigger pool costs more)."""
    seen = []
    result = outcome(mutate(ceiling(10)), "max-monthly-cost",
                     monthly_cost=lambda p: seen.append(p.name) or 5.0)
    assert result.status == PASSED and seen == ["demo"]
    assert outcome(mutate(lambda d: None), "max-monthly-cost", monthly_cost=lambda p: 1e12).status == NOT_APPLICABLE


# -- found by bench/mutation.py --------------------------------------------------------------------
def _planned(d):
    from test_policy_rules import planned_block

    planned_block(d)


@pytest.mark.parametrize("size", ["minSize", "desiredCapacity"])
def test_planned_block_group_that_can_launch_one_instance_is_a_violation(size):
    def change(d):
        _planned(d)
        resource(d, "asg-gb-u0002")["inputs"][size] = 1
    result = outcome(mutate(change), "capacity-block-market-type")
    assert result.status == VIOLATED
    assert [f.message for f in result.violations] == [
        "launch template lt-gb uses market type capacity-block without a capacityReservationTarget on it or its "
        "groups (groups asg-gb-u0002 can launch)"]


def test_planned_block_group_raised_by_a_schedule_is_a_violation():
    def change(d):
        _planned(d)
        add(d, "compute-1", _res("aws:autoscaling/schedule:Schedule", "asg-gb-u0001-start", {
            "autoscalingGroupName": _ref("asg-gb-u0001", "name"), "scheduledActionName": "block-start",
            "startTime": "2026-12-01T11:30:00Z", "minSize": 0, "maxSize": 18, "desiredCapacity": 1}, 20, "gb", tags=False))
    assert outcome(mutate(change), "capacity-block-market-type").status == VIOLATED


def test_planned_block_group_with_only_zero_schedules_launches_nothing():
    def change(d):
        _planned(d)
        add(d, "compute-1", _res("aws:autoscaling/schedule:Schedule", "asg-gb-u0001-end", {
            "autoscalingGroupName": _ref("asg-gb-u0001", "name"), "scheduledActionName": "block-end",
            "startTime": "2026-12-15T10:15:00Z", "minSize": 0, "maxSize": 0, "desiredCapacity": 0}, 20, "gb", tags=False))
    assert outcome(mutate(change), "capacity-block-market-type").status == PASSED


def test_placement_rule_does_not_apply_without_reserved_capacity():
    def on_demand_only(d):
        remove(d, "lt-gb")
        for name in ("asg-gb-u0001", "asg-gb-u0002"):
            for suffix in ("", "-start", "-end", "-drain"):
                remove(d, name + suffix)
        d["pools"] = [p for p in d["pools"] if p["name"] != "gb"]
    result = outcome(mutate(on_demand_only), "no-placement-group-with-reservation")
    assert result.status == NOT_APPLICABLE


def test_node_subnets_all_reused_leave_node_subnet_private_to_preflight():
    """Nodes launched into subnets the Plan reuses (ids, not resources of the Plan) are preflight's to
    check (preflight.subnet.public-ip): the policy says it does not apply, it does not pass them."""
    reused = "subnet-0123456789abcdef0"

    def into_reused_subnets(d):
        for lt in ("lt-train", "lt-gb"):
            for ni in lt_nis(d, lt):
                ni["subnetId"] = reused
        for group in ("asg-train", "asg-gb-u0001", "asg-gb-u0002"):
            resource(d, group)["inputs"]["vpcZoneIdentifiers"] = [reused]
    result = outcome(mutate(into_reused_subnets), "node-subnet-private")
    assert (result.status, result.reason) == (
        NOT_APPLICABLE, "no GPU or multi-interface node launches into a subnet of the plan")


def test_a_template_that_leaves_the_subnet_to_its_group_is_judged_by_the_groups_subnet():
    """Interfaces without a subnetId (the group's vpcZoneIdentifiers place the nodes) are read
    through the group: a public subnet there is named with the group that launches into it."""
    def subnet_from_the_group_only(d):
        for lt in ("lt-train", "lt-gb"):
            for ni in lt_nis(d, lt):
                del ni["subnetId"]
        resource(d, "subnet-use1-az1")["inputs"]["mapPublicIpOnLaunch"] = True
    result = outcome(mutate(subnet_from_the_group_only), "node-subnet-private")
    assert [f.message for f in result.violations] == [
        "subnet subnet-use1-az1 (used by asg-train) maps public IPs on launch"]


def test_a_plan_without_nodes_is_not_judged_on_reaching_aws_services():
    """Only network and storage (no launch template with a security group yet): nothing runs the
    SSM agent, so nodes-reach-aws-services does not apply (and says why) rather than passing."""
    def no_nodes(d):
        d["stacks"] = [s for s in d["stacks"] if s["name"] != "compute-1"]
        d["pools"] = []
    result = outcome(mutate(no_nodes), "nodes-reach-aws-services")
    assert (result.status, result.reason) == (NOT_APPLICABLE, "no launch template with a security group")
