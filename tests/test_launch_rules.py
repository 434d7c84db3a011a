"""The launch-time rules (planner/launchrules.py, catalog/launch_rules.yaml) and the `launch-rules`
policy: every compiled Plan passes; each known-bad mutation of a compiled Plan fails naming the rule
and its AWS source; the same rule runs inside pulumi-policy (the CrossGuard host)."""
from __future__ import annotations

import base64
import copy
import functools
import glob
import json
import os

import pytest
import yaml
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from test_spec_property import CAT, valid_spec

from planner import compile_plan
from planner.errors import SpecError
from planner.launchrules import GROUP, TEMPLATE, checks, evaluate, rules
from planner.plan.model import Plan
from planner.spec.load import parse_spec
from policies.runner import NOT_APPLICABLE, PASSED, VIOLATED, run_policies

EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "*.yaml")))
LT = "aws:ec2/launchTemplate:LaunchTemplate"


@functools.lru_cache(maxsize=None)
def _compiled(example: str) -> dict:
    return compile_plan(parse_spec(open(os.path.join(ROOT, "examples", example)).read(), example)).to_json()


def _plan(example: str) -> dict:
    return copy.deepcopy(_compiled(example))


def _res(data: dict, name: str) -> dict:
    return next(r for s in data["stacks"] for r in s["resources"] if r["name"] == name)


def _first_group(data: dict, lt: str) -> dict:
    return next(r for s in data["stacks"] for r in s["resources"]
                if r["type"] == "aws:autoscaling/group:Group" and r["inputs"]["launchTemplate"]["id"]["$ref"] == lt)


# -- the table -------------------------------------------------------------------------------------
def test_every_rule_has_a_check_and_a_source_and_every_check_a_rule():
    table = rules()
    assert list(table) == list(checks()), "catalog/launch_rules.yaml and the checks list the same ids, in order"
    for info in table.values():
        assert info.url.startswith("https://") and info.source and len(info.quote) > 40 and info.as_of
    assert {scope for scope, _ in checks().values()} == {TEMPLATE, GROUP}


# -- every compiled Plan passes ----------------------------------------------------------------------
@pytest.mark.parametrize("example", [os.path.basename(e) for e in EXAMPLES])
def test_every_example_plan_passes_the_launch_rules(example):
    result = run_policies(Plan.from_json(_plan(example)), monthly_cost=lambda p: 0.0).outcome("launch-rules")
    assert result.status == PASSED, [f.message for f in result.violations]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_spec)
def test_every_compiled_plan_passes_the_launch_rules(data):
    try:
        plan = compile_plan(parse_spec(yaml.safe_dump(data, sort_keys=False), "gen.yaml"), CAT)
    except SpecError:
        return
    for r in plan.resources():
        if r.type == LT:
            assert evaluate(r.inputs, None, scope=TEMPLATE) == [], r.name
    outcome = run_policies(plan, monthly_cost=lambda p: 0.0).outcome("launch-rules")
    assert outcome.status in (PASSED, NOT_APPLICABLE), [f.message for f in outcome.violations]


# -- known-bad mutations: each fails naming its rule and source --------------------------------------
def _ni(data, lt, card, device):
    return next(n for n in _res(data, lt)["inputs"]["networkInterfaces"]
                if (n["networkCardIndex"], n["deviceIndex"]) == (card, device))


def efa_only_public_ip_false(d):
    _ni(d, "lt-trainers", 1, 0)["associatePublicIpAddress"] = "false"


def efa_only_prefix_count(d):
    _ni(d, "lt-gpu", 3, 0)["ipv4PrefixCount"] = 1


def efa_only_connection_tracking(d):
    _ni(d, "lt-gpu", 0, 1)["connectionTrackingSpecification"] = {"tcpEstablishedTimeout": 120}


def primary_efa_only(d):
    _ni(d, "lt-gpu", 0, 0)["interfaceType"] = "efa-only"


def duplicate_device(d):
    nis = _res(d, "lt-gpu")["inputs"]["networkInterfaces"]
    nis.append({**nis[2], "interfaceType": "interface"})


def two_efa_on_one_card(d):
    nis = _res(d, "lt-gpu")["inputs"]["networkInterfaces"]
    nis.append({**nis[2], "deviceIndex": 1})


def card_out_of_range(d):
    _ni(d, "lt-gpu", 7, 0)["networkCardIndex"] = 40


def efa_on_ena_only_card(d):
    _ni(d, "lt-trainers", 1, 0)["networkCardIndex"] = 0


def public_ip_true_multi(d):
    _ni(d, "lt-gpu", 0, 0)["associatePublicIpAddress"] = "true"


def block_without_target(d):
    del _first_group(d, "lt-trainers")["inputs"]["capacityReservationSpecification"]


def preference_none(d):
    _first_group(d, "lt-trainers")["inputs"]["capacityReservationSpecification"]["capacityReservationPreference"] = "none"


def placement_group_on_block(d):
    _first_group(d, "lt-trainers")["inputs"]["placementGroup"] = "pg-existing"


def wrong_root_device(d):
    lt = _res(d, "lt-head")["inputs"]
    assert lt["imageId"].startswith("resolve:ssm:"), "the head pool uses a default image ultraplan knows"
    lt["blockDeviceMappings"][0]["deviceName"] = "/dev/sda1"


def hop_limit_zero(d):
    _res(d, "lt-gpu")["inputs"]["metadataOptions"]["httpPutResponseHopLimit"] = 0


def imds_optional(d):
    _res(d, "lt-gpu")["inputs"]["metadataOptions"]["httpTokens"] = "optional"


def metadata_tags_with_bad_key(d):
    lt = _res(d, "lt-gpu")["inputs"]
    lt["metadataOptions"]["instanceMetadataTags"] = "enabled"
    lt["tagSpecifications"][0]["tags"]["cost center/team"] = "x"


def user_data_17k(d):
    _res(d, "lt-gpu")["inputs"]["userData"] = base64.b64encode(b"#!/bin/sh\n" + b"#" * 17000).decode()


def user_data_not_base64(d):
    _res(d, "lt-gpu")["inputs"]["userData"] = "#!/bin/sh\necho hi"


MUTATIONS = [
    ("gb200-capacity-block.yaml", efa_only_public_ip_false, "efa-only-no-ip-settings", "sets associatePublicIpAddress"),
    ("p5-on-demand-fsx.yaml", efa_only_prefix_count, "efa-only-no-ip-settings", "sets ipv4PrefixCount"),
    ("p5-on-demand-fsx.yaml", efa_only_connection_tracking, "efa-only-no-ip-settings", "connectionTrackingSpecification"),
    ("p5-on-demand-fsx.yaml", primary_efa_only, "primary-interface", "(card 0 device 0) is efa-only"),
    ("p5-on-demand-fsx.yaml", duplicate_device, "unique-device", "two interfaces on card 1 device 0"),
    ("p5-on-demand-fsx.yaml", two_efa_on_one_card, "one-efa-per-card", "network card 1 has 2 EFA interfaces"),
    ("p5-on-demand-fsx.yaml", card_out_of_range, "card-limits", "p5.48xlarge has 32 network card(s)"),
    ("gb200-capacity-block.yaml", efa_on_ena_only_card, "card-limits", "card 0 of p6e-gb200.36xlarge supports ENA only"),
    ("p5-on-demand-fsx.yaml", public_ip_true_multi, "public-ip-single-interface", "of a launch with 33 interfaces"),
    ("gb200-capacity-block.yaml", block_without_target, "capacity-block-target", "without a Capacity Reservation target"),
    ("gb200-capacity-block.yaml", preference_none, "reservation-preference", "'none' with a Capacity Reservation target"),
    ("gb200-capacity-block.yaml", placement_group_on_block, "placement-with-reservation", "a placement group on a launch"),
    ("trn2-ultraserver.yaml", wrong_root_device, "root-device", "the image's root device is /dev/xvda"),
    ("p5-on-demand-fsx.yaml", hop_limit_zero, "imds-settings", "httpPutResponseHopLimit 0 is outside 1-64"),
    ("p5-on-demand-fsx.yaml", imds_optional, "imds-settings", "httpTokens is 'optional'"),
    ("p5-on-demand-fsx.yaml", metadata_tags_with_bad_key, "metadata-tag-keys", "'cost center/team'"),
    ("p5-on-demand-fsx.yaml", user_data_17k, "user-data-size", "17,010 bytes before base64"),
    ("p5-on-demand-fsx.yaml", user_data_not_base64, "user-data-size", "not base64"),
]


@pytest.mark.parametrize("example, change, rule_id, expected", MUTATIONS,
                         ids=[f"{m[2]}-{m[1].__name__}" for m in MUTATIONS])
def test_each_known_bad_mutation_fails_naming_the_rule_and_its_source(example, change, rule_id, expected):
    data = _plan(example)
    change(data)
    outcome = run_policies(Plan.from_json(data), monthly_cost=lambda p: 0.0).outcome("launch-rules")
    assert outcome.status == VIOLATED
    info = rules()[rule_id]
    mine = [f for f in outcome.violations if f"[{rule_id}]" in f.message]
    assert mine, [f.message for f in outcome.violations]
    assert any(expected in f.message for f in mine), [f.message for f in mine]
    for f in mine:
        assert info.source in f.message and info.url in f.message, "the violation names its AWS source"
        assert f.source.line, "and points at the spec line of the pool"


def test_every_rule_has_a_known_bad_mutation():
    assert {m[2] for m in MUTATIONS} == set(rules())


def test_a_block_not_bought_yet_is_judged_on_its_template_only():
    """A group that can launch nothing (no target, size zero, no schedule) is no launch to judge."""
    data = _plan("gb200-capacity-block.yaml")
    for s in data["stacks"]:
        s["resources"] = [r for r in s["resources"] if r["type"] != "aws:autoscaling/schedule:Schedule"]
        for r in s["resources"]:
            if r["type"] == "aws:autoscaling/group:Group":
                r["inputs"].pop("capacityReservationSpecification", None)
    outcome = run_policies(Plan.from_json(data), monthly_cost=lambda p: 0.0).outcome("launch-rules")
    assert outcome.status == PASSED, [f.message for f in outcome.violations]


def test_group_override_wins_over_the_template():
    template = {"instanceMarketOptions": {"marketType": "capacity-block"},
                "capacityReservationSpecification": {"capacityReservationPreference": "none"}}
    group = {"capacityReservationSpecification": {"capacityReservationPreference": "capacity-reservations-only",
                                                  "capacityReservationTarget": {"capacityReservationIds": ["cr-1"]}}}
    assert [b.rule.id for b in evaluate(template, group, scope=GROUP)] == []
    assert [b.rule.id for b in evaluate(template, None, scope=GROUP)] == ["capacity-block-target"]


# -- the command a user runs (done-when of issue 17) ---------------------------------------------------
def test_policy_on_a_plan_json_with_a_public_ip_flag_on_efa_only_fails_naming_the_rule(tmp_path, capsys):
    from planner.cli import main

    data = _plan("gb200-capacity-block.yaml")
    efa_only_public_ip_false(data)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SystemExit) as exit_:
        main(["policy", "--plan", str(path)])
    out = capsys.readouterr().out
    assert exit_.value.code == 1
    assert "launch-rules" in out and "[efa-only-no-ip-settings]" in out
    assert "create-efa.html" in out.replace("\n", "")


# -- the CrossGuard host runs the same rule ---------------------------------------------------------
def _engine_launch_rules():
    import importlib

    main = importlib.import_module("policies.__main__")
    return next(p for p in main.build_policies() if p.name == "launch-rules")


@pytest.mark.parametrize("public_ip, expected", [(None, []), ("false", ["efa-only-no-ip-settings"])])
def test_launch_rules_run_inside_pulumi_policy_with_unknown_values(public_ip, expected):
    from pulumi_policy import PolicyResource, StackValidationArgs
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

    unknown = UNKNOWN_STRING_VALUE
    efa_only = {"networkCardIndex": 1, "deviceIndex": 0, "interfaceType": "efa-only",
                "securityGroups": [unknown], "subnetId": unknown}
    if public_ip is not None:
        efa_only["associatePublicIpAddress"] = public_ip
    lt_props = {"imageId": unknown, "instanceType": "p6e-gb200.36xlarge", "userData": unknown,
                "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2},
                "instanceMarketOptions": {"marketType": "capacity-block"},
                "networkInterfaces": [{"networkCardIndex": 0, "deviceIndex": 0, "interfaceType": "interface",
                                       "securityGroups": [unknown], "subnetId": unknown}, efa_only]}
    lt = PolicyResource(LT, unknown_checking_proxy(lt_props), f"urn:pulumi:dev::c::{LT}::lt-gb", "lt-gb",
                        None, None, None, [], {})
    asg_props = {"minSize": 0, "maxSize": 18, "launchTemplate": {"id": unknown, "version": unknown},
                 "capacityReservationSpecification": {"capacityReservationTarget": {"capacityReservationIds": ["cr-1"]}}}
    asg = PolicyResource("aws:autoscaling/group:Group", unknown_checking_proxy(asg_props),
                         "urn:pulumi:dev::c::aws:autoscaling/group:Group::asg-gb-u0001", "asg-gb-u0001",
                         None, None, None, [], {"launchTemplate": [lt]})
    reported = []
    _engine_launch_rules().validate(StackValidationArgs([lt, asg], {}),
                                    lambda message, urn=None: reported.append((message, urn)))
    assert [m.split("[")[1].split("]")[0] for m, _ in reported] == expected
    for message, urn in reported:
        assert urn.endswith("::lt-gb") and "create-efa.html" in message


def test_docs_list_every_rule():
    text = open(os.path.join(ROOT, "docs", "launch-templates.md"), encoding="utf-8").read()
    for rule_id in rules():
        assert f"| `{rule_id}` |" in text, f"docs/launch-templates.md misses {rule_id}"
