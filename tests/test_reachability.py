"""planner.plan.reachability: security groups evaluated the way AWS does, and the compiled Plans proved.

Part 1 asks the model small questions on hand-written rules (each form pulumi-aws has). Part 2 is
the issue's "done when": every example and a p5 + FSx spec compile to Plans whose nodes reach Lustre
(both ways, 988 and 1018-1023), each other (all traffic) and SSM/S3 (443); the policies prove it; and
removing any one security-group rule from a Plan JSON makes `ultraplan policy --plan` exit 1 naming
the flow.
"""
from __future__ import annotations

import copy
import glob
import json
import os
import subprocess
import sys

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_spec_property import CAT, valid_spec

from conftest import BASE_SPEC, ROOT
from planner import compile_plan, compile_spec
from planner.plan.model import Plan
from planner.plan.reachability import (
    ALL_TRAFFIC, INTERNET, SG_EGRESS, SG_INGRESS, SG_RULE, SECURITY_GROUP, SecurityModel, endpoint, tcp,
)
from planner.spec.load import parse_spec
from policies.runner import run_policies

REACH = ("nodes-reach-each-other", "nodes-reach-lustre", "nodes-reach-aws-services")


def ref(name, attr="id"):
    return {"$ref": name, "attr": attr}


def sg(name, **inline):
    return {"type": SECURITY_GROUP, "name": name, "inputs": {"vpcId": "vpc-1", **inline}}


def rule(kind, name, group, **i):
    return {"type": SG_INGRESS if kind == "ingress" else SG_EGRESS, "name": name,
            "inputs": {"securityGroupId": ref(group), **i}}


A, B = endpoint("a", [ref("a")], ["10.0.1.0/24"]), endpoint("b", [ref("b")], ["10.0.2.0/24"])


def model(*resources):
    return SecurityModel.from_resources([sg("a"), sg("b"), *resources])


# -- the model -------------------------------------------------------------------------------------
def test_a_new_group_allows_nothing_out_because_the_provider_removes_the_default_egress():
    m = model(rule("ingress", "b-in", "b", referencedSecurityGroupId=ref("a"), ipProtocol="tcp", fromPort=988, toPort=988))
    answer = m.can_reach(A, B, tcp(988))
    assert answer.allowed is False and answer.side == "egress"
    assert answer.reason == "no egress rule on a allows tcp/988 to b"


def test_both_sides_needed_and_replies_are_free():
    out = rule("egress", "a-out", "a", referencedSecurityGroupId=ref("b"), ipProtocol="tcp", fromPort=988, toPort=988)
    inn = rule("ingress", "b-in", "b", referencedSecurityGroupId=ref("a"), ipProtocol="tcp", fromPort=988, toPort=988)
    assert model(out).can_reach(A, B, tcp(988)).side == "ingress"
    assert model(out, inn).can_reach(A, B, tcp(988))
    # Stateful: b answering a needs nothing, but b opening a connection to a does.
    assert not model(out, inn).can_reach(B, A, tcp(988))


@pytest.mark.parametrize("peer, allowed", [
    ({"cidrIpv4": "10.0.0.0/16"}, True),
    ({"cidrIpv4": "10.0.2.0/25"}, False),  # b's subnet is a /24: some of its addresses are outside
    ({"cidrIpv4": "0.0.0.0/0"}, True),
    ({"referencedSecurityGroupId": ref("a")}, False),
])
def test_cidr_peers_must_hold_every_address_of_the_other_side(peer, allowed):
    m = model(rule("egress", "a-out", "a", ipProtocol="-1", **peer),
              rule("ingress", "b-in", "b", referencedSecurityGroupId=ref("a"), ipProtocol="-1"))
    assert bool(m.can_reach(A, B, tcp(443))) is allowed


@pytest.mark.parametrize("rules, flow, allowed", [
    ([("tcp", 1018, 1023)], tcp(1018, 1023), True),
    ([("tcp", 1018, 1022)], tcp(1018, 1023), False),
    ([("tcp", 1018, 1020), ("tcp", 1021, 1023)], tcp(1018, 1023), True),
    ([("tcp", 1018, 1019), ("tcp", 1021, 1023)], tcp(1018, 1023), False),  # 1020 missing
    ([("6", 988, 988)], tcp(988), True),  # protocol number
    ([("udp", 0, 65535)], tcp(988), False),
    ([("-1", None, None)], tcp(988), True),
    ([("tcp", 0, 65535)], ALL_TRAFFIC, False),  # all traffic needs -1, not every TCP port
    ([("all", None, None)], ALL_TRAFFIC, True),
])
def test_protocols_and_port_ranges_add_up(rules, flow, allowed):
    rs = [rule("egress", f"a-out-{i}", "a", referencedSecurityGroupId=ref("b"), ipProtocol=p, fromPort=lo, toPort=hi)
          for i, (p, lo, hi) in enumerate(rules)]
    m = model(*rs, rule("ingress", "b-in", "b", referencedSecurityGroupId=ref("a"), ipProtocol="-1"))
    assert bool(m.can_reach(A, B, flow)) is allowed


def test_inline_rules_on_the_group_count():
    m = SecurityModel.from_resources([
        sg("a", egress=[{"protocol": "tcp", "fromPort": 988, "toPort": 988, "securityGroups": [ref("b")]}]),
        sg("b", ingress=[{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["10.0.1.0/24"]}]),
    ])
    assert m.can_reach(A, B, tcp(988))
    assert not m.can_reach(A, B, tcp(989))


def test_inline_self_and_legacy_rule_resources_count():
    m = SecurityModel.from_resources([
        sg("a", ingress=[{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}]),
        {"type": SG_RULE, "name": "a-out", "inputs": {"type": "egress", "securityGroupId": ref("a"), "protocol": "-1",
                                                      "fromPort": 0, "toPort": 0, "self": True}},
    ])
    assert m.can_reach(A, A, ALL_TRAFFIC)


def test_rules_of_every_attached_group_add_up():
    both = endpoint("a+c", [ref("a"), ref("c")])
    m = SecurityModel.from_resources([sg("a"), sg("b"), sg("c"),
                                      rule("egress", "c-out", "c", referencedSecurityGroupId=ref("b"), ipProtocol="-1"),
                                      rule("ingress", "b-in", "b", referencedSecurityGroupId=ref("a"), ipProtocol="-1")])
    assert m.can_reach(both, B, tcp(22))  # egress from c, ingress matched through membership in a


def test_prefix_list_peers_and_the_internet():
    s3 = endpoint("S3", cidrs=["0.0.0.0/0"], prefix_lists=[ref("s3-endpoint", "prefixListId")])
    m = model(rule("egress", "a-s3", "a", prefixListId=ref("s3-endpoint", "prefixListId"), ipProtocol="tcp",
                   fromPort=443, toPort=443))
    assert m.can_reach(A, s3, tcp(443))
    assert not m.can_reach(A, INTERNET, tcp(443))


def test_a_group_outside_the_plan_cannot_be_answered():
    outside = endpoint("sg-0abc", ["sg-0abc"])
    answer = model().can_reach(outside, B, tcp(988))
    assert answer.allowed is None and "sg-0abc is not in the plan" in answer.reason


# -- compiled Plans ---------------------------------------------------------------------------------
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "*.yaml")))
P5_FSX = BASE_SPEC.replace("count: 2", "count: 8") + (
    "storage:\n  lustre: {capacity_tib: 2.34375, deployment: PERSISTENT_2, throughput_per_tib: 125}\n")
EGRESS_NONE = P5_FSX.replace("vpc_cidr: 10.0.0.0/16", "vpc_cidr: 10.0.0.0/16\n  egress: none")


def _compiled():
    plans = {os.path.basename(p): compile_spec(os.path.relpath(p, ROOT)) for p in EXAMPLES
             if os.path.basename(p) != "frontier.yaml"}  # frontier: the same rules, 7,000 groups; checked once below
    plans["p5-fsx"] = compile_plan(parse_spec(P5_FSX, "p5.yaml"))
    plans["p5-fsx-egress-none"] = compile_plan(parse_spec(EGRESS_NONE, "p5-none.yaml"))
    return plans


PLANS = _compiled()


def _model_and_groups(plan: Plan):
    resources = [{"type": r.type, "name": r.name, "inputs": r.inputs} for r in plan.resources()]
    return SecurityModel.from_resources(resources)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_nodes_reach_lustre_each_other_and_https_in_every_compiled_plan(name):
    plan = PLANS[name]
    m = _model_and_groups(plan)
    nodes, fs = endpoint("efa-sg", [ref("efa-sg")]), endpoint("lustre-sg", [ref("lustre-sg")])
    assert m.can_reach(nodes, nodes, ALL_TRAFFIC)
    if plan.storage:
        for flow in (tcp(988), tcp(1018, 1023)):
            assert m.can_reach(nodes, fs, flow) and m.can_reach(fs, nodes, flow) and m.can_reach(fs, fs, flow)
    if plan.network["egress"] == "nat":
        assert m.can_reach(nodes, INTERNET, tcp(443))
    else:
        assert m.can_reach(nodes, endpoint("ssm endpoint", [ref("endpoints-sg")]), tcp(443))
        names = plan.by_name()
        for service in ("ssm", "ssmmessages", "ec2messages"):
            e = names[f"{service}-endpoint"].inputs
            assert e["vpcEndpointType"] == "Interface" and e["privateDnsEnabled"] is True
        assert not m.can_reach(nodes, INTERNET, tcp(443)), "egress: none opens nothing to the internet"
    result = run_policies(plan, monthly_cost=lambda p: 0.0)
    for policy_id in REACH:
        assert result.outcome(policy_id).status in ("passed", "not-applicable"), (policy_id, result.outcome(policy_id).violations)


def _sg_rules(plan: Plan) -> list[str]:
    return [r.name for r in plan.resources() if r.type in (SG_INGRESS, SG_EGRESS)]


REMOVALS = [(name, rule_name) for name, plan in sorted(PLANS.items()) for rule_name in _sg_rules(plan)]


@pytest.mark.parametrize("name, rule_name", REMOVALS, ids=[f"{n}-{r}" for n, r in REMOVALS])
def test_removing_any_rule_fails_a_reachability_policy_naming_the_flow(name, rule_name):
    data = copy.deepcopy(PLANS[name].to_json())
    for s in data["stacks"]:
        s["resources"] = [r for r in s["resources"] if r["name"] != rule_name]
    result = run_policies(Plan.from_json(data), monthly_cost=lambda p: 0.0)
    found = [f for f in result.mandatory_violations if f.check_id in REACH]
    assert found, f"removing {rule_name} breaks no proved flow"
    assert all(" reach " in f.message and " on " in f.message for f in found), [f.message for f in found]


@pytest.mark.parametrize("rule_name, flow", [
    ("efa-sg-egress-988-lustre-sg", "efa-sg cannot reach lustre-sg on tcp/988: no egress rule on efa-sg"),
    ("lustre-sg-ingress-1018-efa-sg", "efa-sg cannot reach lustre-sg on tcp/1018-1023: no ingress rule on lustre-sg"),
    ("efa-sg-egress-self", "efa-sg cannot reach efa-sg on all traffic"),
    ("efa-sg-egress-https", "efa-sg cannot reach SSM (ssm) on tcp/443"),
])
def test_policy_cli_exits_1_naming_the_flow(tmp_path, rule_name, flow):
    data = PLANS["p5-fsx"].to_json()
    for s in data["stacks"]:
        s["resources"] = [r for r in s["resources"] if r["name"] != rule_name]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    done = subprocess.run([sys.executable, "-m", "planner", "policy", "--plan", str(path), "--format", "json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 1, done.stderr
    messages = [v["message"] for v in json.loads(done.stdout)["violations"]]
    assert any(flow in m for m in messages), messages


def test_frontier_plan_proves_the_same_flows():
    plan = compile_spec("examples/frontier.yaml")
    result = run_policies(plan, monthly_cost=lambda p: 0.0)
    assert [o.status for o in map(result.outcome, REACH)] == ["passed"] * 3


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_spec)
def test_every_generated_plan_proves_the_flows(data):
    plan = compile_plan(parse_spec(yaml.safe_dump(data, sort_keys=False), "gen.yaml"), CAT)  # valid: no rejection passes
    result = run_policies(plan, monthly_cost=lambda p: 0.0)
    for policy_id in REACH:
        outcome = result.outcome(policy_id)
        assert outcome.status in ("passed", "not-applicable"), [f.message for f in outcome.violations]


def test_ask_answers_by_group_name_over_a_compiled_plan():
    from planner.plan.reachability import ask

    resources = list(PLANS["p5-fsx"].resources())
    assert ask(resources, "efa-sg", "lustre-sg", "tcp", 988)
    assert ask(resources, "lustre-sg", "efa-sg", "tcp", 1018, 1023)
    assert ask(resources, "efa-sg", "internet", "tcp", 443)
    answer = ask(resources, "efa-sg", "internet", "tcp", 22)
    assert answer.allowed is False and answer.reason == "no egress rule on efa-sg allows tcp/22 to the internet (0.0.0.0/0)"
    assert not ask(resources, "lustre-sg", "internet", "tcp", 443)


# -- inside the Pulumi engine (one stack at a time) ---------------------------------------------------
def test_engine_proves_node_to_node_in_one_stack_and_stays_quiet_about_other_stacks():
    from pulumi_policy import PolicyResource, StackValidationArgs
    from pulumi_policy.proxy import unknown_checking_proxy
    from test_policy_registry import _engine_policies, _stack_args

    from pulumi_policy.policy import _NotApplicableError

    def validate(policy_id, args):
        reported = []
        try:
            _engine_policies()[policy_id].validate(args, lambda message, urn=None: reported.append(message))
        except _NotApplicableError:
            pass  # e.g. no file system in this stack
        return reported

    assert validate("nodes-reach-each-other", _stack_args(True)) == []
    [message] = validate("nodes-reach-each-other", _stack_args(False))
    assert message.startswith("efa-sg cannot reach efa-sg on all traffic: no egress rule on efa-sg")
    # A compute stack: the group arrives through a StackReference as a plain id; flows through it are
    # proved offline, never reported as broken here.
    lt = PolicyResource("aws:ec2/launchTemplate:LaunchTemplate", unknown_checking_proxy({"networkInterfaces": [
        {"networkCardIndex": 0, "deviceIndex": 0, "interfaceType": "efa", "securityGroups": ["sg-0123456789abcdef0"],
         "subnetId": "subnet-0123456789abcdef0"}]}), "urn:pulumi:dev::c::aws:ec2/launchTemplate:LaunchTemplate::lt",
        "lt", None, None, None, [], {})
    compute = StackValidationArgs([lt], {})
    for policy_id in REACH:
        assert validate(policy_id, compute) == [], policy_id


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_spec, st.data())
def test_removing_a_rule_from_a_generated_plan_fails_naming_the_flow(spec, data):
    plan = compile_plan(parse_spec(yaml.safe_dump(spec, sort_keys=False), "gen.yaml"), CAT)  # valid: no rejection passes
    rule_name = data.draw(st.sampled_from(_sg_rules(plan)))
    doc = plan.to_json()
    for s in doc["stacks"]:
        s["resources"] = [r for r in s["resources"] if r["name"] != rule_name]
    found = [f for f in run_policies(Plan.from_json(doc), monthly_cost=lambda p: 0.0).mandatory_violations
             if f.check_id in REACH]
    assert found and all(" reach " in f.message for f in found), (rule_name, [f.message for f in found])
