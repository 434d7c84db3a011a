"""`plan --diff`: create, update (with the changed inputs), replace where an input forces it, delete."""
from __future__ import annotations

from conftest import BASE_SPEC
from planner import compile_plan
from planner.change.diff import counts, diff
from planner.plan.model import Plan
from planner.spec.load import parse_spec


def plan_of(text):
    return compile_plan(parse_spec(text, "spec.yaml"))


def test_same_plan_has_no_changes():
    assert diff(plan_of(BASE_SPEC), plan_of(BASE_SPEC)) == []


def test_count_change_is_an_in_place_update_with_the_input():
    changes = diff(plan_of(BASE_SPEC), plan_of(BASE_SPEC.replace("count: 2", "count: 3")))
    by = {c.name: c for c in changes}
    asg = by["asg-gpu"]
    assert asg.op == "update"
    assert {(i.path, i.old, i.new) for i in asg.inputs} >= {("desiredCapacity", 2, 3), ("maxSize", 2, 3)}


def test_cidr_change_forces_replacement():
    changes = diff(plan_of(BASE_SPEC), plan_of(BASE_SPEC.replace("10.0.0.0/16", "10.9.0.0/16")))
    by = {c.name: c for c in changes}
    assert by["vpc"].op == "replace"
    assert by["vpc"].inputs[0].forces_replace and by["vpc"].inputs[0].path == "cidrBlock"


def test_added_and_removed_pools_are_create_and_delete():
    two = BASE_SPEC + "  - name: head\n    instance_type: m7i.4xlarge\n    count: 1\n"
    added = counts(diff(plan_of(BASE_SPEC), plan_of(two)))
    removed = counts(diff(plan_of(two), plan_of(BASE_SPEC)))
    assert added["create"] == 2 and added["delete"] == 0
    assert removed["delete"] == 2 and removed["create"] == 0


def test_diff_survives_a_json_round_trip():
    old = Plan.from_json(__import__("json").loads(plan_of(BASE_SPEC).dumps()))
    assert diff(old, plan_of(BASE_SPEC)) == []
