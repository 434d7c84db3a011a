"""Every capacity type compiled, its launch template's market options and its auto-scaling groups
asserted whole (EC2 Auto Scaling UG, "Target Capacity Reservations from your Auto Scaling group" and
"Use Capacity Blocks for machine learning workloads"; EC2 API LaunchTemplateInstanceMarketOptions):

- on-demand: no market options, no reservation target, a cluster placement group, fixed size.
- spot: `instanceMarketOptions.marketType: spot` (without it the pool launches On-Demand at about
  three times the price), no target, fixed size.
- capacity-reservation: no market options; the group targets the reservation
  (`capacity-reservations-only`), no placement group.
- capacity-block (bought): `marketType: capacity-block`; each UltraServer's group targets its own
  block; starts at 0 with room for one UltraServer, scheduled scale-out/in, a drain hook.
- capacity-block (planned): the market type, no target, a group at 0 with only the drain hook.
"""
from __future__ import annotations

import pytest

from conftest import BASE_SPEC
from planner import compile_plan
from planner.spec.load import parse_spec

LT = "aws:ec2/launchTemplate:LaunchTemplate"
ASG = "aws:autoscaling/group:Group"
SCHEDULE = "aws:autoscaling/schedule:Schedule"
HOOK = "aws:autoscaling/lifecycleHook:LifecycleHook"
ONLY = "capacity-reservations-only"


def compiled(capacity: str | None, count: int = 2, instance_type: str = "p5.48xlarge"):
    text = BASE_SPEC.replace("count: 2", f"count: {count}").replace("p5.48xlarge", instance_type)
    if capacity:
        text = text.replace(f"count: {count}", f"count: {count}\n    capacity: {capacity}")
    return compile_plan(parse_spec(text, "spec.yaml"))


def of_type(plan, type_token):
    return [r for r in plan.resources() if r.type == type_token]


def group_inputs(plan, name="asg-gpu"):
    inputs = dict(plan.by_name()[name].inputs)
    inputs.pop("tags")  # tags: test_compile
    return inputs


LT_REF = {"id": {"$ref": "lt-gpu", "attr": "id"}, "version": {"$ref": "lt-gpu", "attr": "latestVersion"}}
SUBNET = [{"$ref": "subnet-us-east-1a", "attr": "id"}]


@pytest.mark.parametrize("capacity, market", [
    (None, None),
    ("{type: on-demand}", None),
    ("{type: spot}", {"marketType": "spot"}),
    ("{type: capacity-reservation, reservation_id: cr-0123456789abcdef0}", None),
    ("{type: capacity-block, reservation_id: cr-0123456789abcdef0, start: 2026-12-01, days: 7}", {"marketType": "capacity-block"}),
    ("{type: capacity-block, planned: true, start: 2026-12-01, days: 7}", {"marketType": "capacity-block"}),
], ids=["default", "on-demand", "spot", "reservation", "block", "planned-block"])
def test_launch_template_market_options_per_capacity_type(capacity, market):
    plan = compiled(capacity)
    [lt] = of_type(plan, LT)
    assert lt.inputs.get("instanceMarketOptions") == market
    assert "capacityReservationSpecification" not in lt.inputs  # the group carries the target
    # Everything else of the template is the same whatever the capacity: only the market differs.
    base = {k: v for k, v in of_type(compiled(None), LT)[0].inputs.items()}
    assert {k: v for k, v in lt.inputs.items() if k != "instanceMarketOptions"} == base


@pytest.mark.parametrize("capacity", [None, "{type: on-demand}", "{type: spot}"], ids=["default", "on-demand", "spot"])
def test_on_demand_and_spot_groups_are_fixed_size_in_a_placement_group(capacity):
    plan = compiled(capacity)
    assert group_inputs(plan) == {
        "minSize": 2, "maxSize": 2, "desiredCapacity": 2, "vpcZoneIdentifiers": SUBNET, "launchTemplate": LT_REF,
        "waitForCapacityTimeout": "0", "placementGroup": {"$ref": "pg-gpu", "attr": "id"}}
    assert plan.by_name()["pg-gpu"].inputs["strategy"] == "cluster"
    assert of_type(plan, SCHEDULE) == [] and of_type(plan, HOOK) == []
    assert plan.pools[0]["capacity"]["type"] == (capacity or "{type: on-demand}")[7:-1]


def test_spot_pool_is_priced_as_spot_never_as_on_demand():
    """The market the template launches in is the market the cost uses: the catalog has no p5 spot
    price, so the spot group is unpriced, saying so, never priced at the on-demand rate."""
    from planner.cost import estimate

    spot, od = estimate(compiled("{type: spot}")), estimate(compiled(None))
    assert [line.resource for line in spot.lines if line.resource == "asg-gpu"] == []
    assert [(u.resource, "spot" in u.reason) for u in spot.unpriced] == [("asg-gpu", True)]
    assert [(line.market, line.quantity) for line in od.lines if line.resource == "asg-gpu"] == [("on-demand", 2.0)]


def test_reservation_group_targets_the_reservation_without_a_placement_group():
    plan = compiled("{type: capacity-reservation, reservation_id: cr-0123456789abcdef0}")
    assert group_inputs(plan) == {
        "minSize": 2, "maxSize": 2, "desiredCapacity": 2, "vpcZoneIdentifiers": SUBNET, "launchTemplate": LT_REF,
        "waitForCapacityTimeout": "0", "capacityReservationSpecification": {
            "capacityReservationPreference": ONLY,
            "capacityReservationTarget": {"capacityReservationIds": ["cr-0123456789abcdef0"]}}}
    assert "pg-gpu" not in plan.by_name()


def test_reservation_by_resource_group_targets_the_group():
    arn = "arn:aws:resource-groups:us-east-1:123456789012:group/cb-group"
    plan = compiled(f"{{type: capacity-reservation, resource_group_arn: '{arn}'}}")
    assert group_inputs(plan)["capacityReservationSpecification"] == {
        "capacityReservationPreference": ONLY, "capacityReservationTarget": {"capacityReservationResourceGroupArns": [arn]}}


def test_bought_block_group_starts_empty_and_follows_the_block():
    plan = compiled("{type: capacity-block, reservation_id: cr-0123456789abcdef0, start: 2026-12-01, days: 7}")
    assert group_inputs(plan) == {
        "minSize": 0, "maxSize": 2, "vpcZoneIdentifiers": SUBNET, "launchTemplate": LT_REF,
        "waitForCapacityTimeout": "0", "capacityReservationSpecification": {
            "capacityReservationPreference": ONLY,
            "capacityReservationTarget": {"capacityReservationIds": ["cr-0123456789abcdef0"]}}}
    assert "pg-gpu" not in plan.by_name()
    schedules = {r.name: r.inputs for r in of_type(plan, SCHEDULE)}
    assert set(schedules) == {"asg-gpu-start", "asg-gpu-end"}
    start, end = schedules["asg-gpu-start"], schedules["asg-gpu-end"]
    assert (start["scheduledActionName"], start["minSize"], start["maxSize"], start["desiredCapacity"]) == ("block-start", 2, 2, 2)
    assert (end["scheduledActionName"], end["minSize"], end["maxSize"], end["desiredCapacity"]) == ("block-end", 0, 0, 0)
    assert start["autoscalingGroupName"] == end["autoscalingGroupName"] == {"$ref": "asg-gpu", "attr": "name"}
    [hook] = of_type(plan, HOOK)
    assert hook.inputs == {"autoscalingGroupName": {"$ref": "asg-gpu", "attr": "name"},
                           "name": "checkpoint-before-block-ends", "lifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
                           "heartbeatTimeout": plan.pools[0]["capacity"]["drain_seconds"], "defaultResult": "CONTINUE"}


def test_planned_block_group_stays_empty_with_only_the_drain_hook():
    plan = compiled("{type: capacity-block, planned: true, start: 2026-12-01, days: 7}")
    assert group_inputs(plan) == {"minSize": 0, "maxSize": 2, "vpcZoneIdentifiers": SUBNET, "launchTemplate": LT_REF,
                                  "waitForCapacityTimeout": "0"}
    assert of_type(plan, SCHEDULE) == []
    assert [h.inputs["autoscalingGroupName"] for h in of_type(plan, HOOK)] == [{"$ref": "asg-gpu", "attr": "name"}]


def test_ultraserver_block_groups_each_target_their_own_block():
    text = """\
name: demo
region: us-east-1
availability_zone: us-east-1-dfw-2a
tags: {team: t, cost-center: "1"}
network: {vpc_cidr: 10.0.0.0/16, region_zone: use1-az4}
compute:
  - name: gpu
    ultraserver: u-p6e-gb200x72
    count: 2
    ami: ami-0123456789abcdef0
    capacity: {type: capacity-block, reservation_ids: [cr-0123456789abcdef0, cr-0123456789abcdef1], start: 2026-12-01, days: 7}
"""
    plan = compile_plan(parse_spec(text, "spec.yaml"))
    [lt] = of_type(plan, LT)
    assert lt.inputs["instanceMarketOptions"] == {"marketType": "capacity-block"}
    groups = {r.name: r.inputs for r in of_type(plan, ASG)}
    assert list(groups) == ["asg-gpu-u0001", "asg-gpu-u0002"]
    for i, (name, g) in enumerate(groups.items()):
        assert (g["minSize"], g["maxSize"], "desiredCapacity" in g) == (0, 18, False)
        assert g["capacityReservationSpecification"] == {
            "capacityReservationPreference": ONLY,
            "capacityReservationTarget": {"capacityReservationIds": [f"cr-0123456789abcdef{i}"]}}
        assert {"key": "ultraplan:nvlink-domain", "value": f"gpu-u{i + 1:04d}", "propagateAtLaunch": True} in g["tags"]
    assert sorted(r.name for r in of_type(plan, SCHEDULE)) == [
        "asg-gpu-u0001-end", "asg-gpu-u0001-start", "asg-gpu-u0002-end", "asg-gpu-u0002-start"]
    assert len(of_type(plan, HOOK)) == 2
