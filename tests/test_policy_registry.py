"""The registry, the spec's policy settings (config merge, skips, bad input) and the CrossGuard
adapter: the same rule functions inside pulumi-policy objects, without ever starting the server."""
from __future__ import annotations

import importlib
import re
import subprocess
import sys

import pytest
from test_policy_fixtures import mutate, remove
from test_policy_rules import FAILING, PASSING

from planner.errors import SpecError
from planner.findings import Level
from policies import load_rules
from policies.config import pulumi_policy_config, resolve
from policies.registry import ENFORCEMENT_LEVELS, RESOURCE, STACK
from policies.runner import DISABLED_STATUS, SKIPPED, run_policies

REGISTRY = load_rules()


# -- registry ------------------------------------------------------------------------------------
def test_ids_are_unique_kebab_case_and_documented():
    ids = REGISTRY.ids()
    assert len(ids) == len(set(ids)) >= 14
    for p in REGISTRY:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", p.id), p.id
        assert p.kind in (RESOURCE, STACK)
        assert p.level in ENFORCEMENT_LEVELS
        assert len(p.doc) > 80, f"{p.id}: the docstring is the rule's documentation"
        assert p.description and p.remediation
        assert p.severity in ("low", "medium", "high", "critical")


def test_issue_rules_are_all_there():
    assert {"efa-sg-self-rules", "no-public-ip", "imdsv2-required", "ebs-encrypted", "fsx-encrypted-in-vpc",
            "no-open-ingress", "required-tags", "instance-type-allowlist", "efa-pool-single-az",
            "no-placement-group-with-reservation", "capacity-block-market-type", "ultraserver-whole",
            "iam-no-wildcard-actions", "max-monthly-cost"} <= set(REGISTRY.ids())


def test_every_policy_has_a_passing_and_a_failing_case_listed():
    """The tables of test_policy_rules name each policy (max-monthly-cost has its own tests there and
    in test_policy_outcomes). That a policy is really *seen* failing and passing (not on the baseline
    only) is asserted by what the run observes: tests/outcome_recorder.py, at the end of a full run."""
    failing = {p.values[0] for p in FAILING} | {"max-monthly-cost"}
    passing = {p.values[0] for p in PASSING} | {"max-monthly-cost"}
    assert set(REGISTRY.ids()) <= failing, set(REGISTRY.ids()) - failing
    assert set(REGISTRY.ids()) <= passing, set(REGISTRY.ids()) - passing


def test_config_schema_defaults_are_valid_against_the_schema():
    from policies.config import schema_errors

    for p in REGISTRY:
        for key, schema in (p.config_schema or {}).get("properties", {}).items():
            if "default" in schema:
                assert schema_errors(schema, schema["default"], key) == []


# -- settings from the spec ----------------------------------------------------------------------
LINES = {"policies": 40, "policies.config": 41, "policies.skip": 45,
         "policies.config.required-tag": 42, "policies.skip.no-public-ipp": 46,
         "policies.config.required-tags": 43, "policies.skip.vpc-dns-enabled": 47}


def issues_of(section):
    with pytest.raises(SpecError) as err:
        resolve({**section, "lines": LINES}, REGISTRY, spec_file="cluster.yaml")
    return err.value.issues


@pytest.mark.parametrize("section, path, message, hint, line", [
    pytest.param({"skip": {"no-public-ipp": "reason"}}, "policies.skip.no-public-ipp",
                 "unknown policy 'no-public-ipp'", "did you mean 'no-public-ip'?", 46, id="unknown-skip-id"),
    pytest.param({"config": {"required-tag": {"tags": ["team"]}}}, "policies.config.required-tag",
                 "unknown policy 'required-tag'", "did you mean 'required-tags'?", 42, id="unknown-config-id"),
    pytest.param({"skip": {"vpc-dns-enabled": ""}}, "policies.skip.vpc-dns-enabled",
                 "a skip needs a reason", "vpc-dns-enabled", 47, id="skip-without-reason"),
    pytest.param({"skip": {"vpc-dns-enabled": None}}, "policies.skip.vpc-dns-enabled",
                 "a skip needs a reason", None, 47, id="skip-null-reason"),
    pytest.param({"config": {"required-tags": {"tags": "team"}}}, "policies.config.required-tags.tags",
                 "policies.config.required-tags.tags must be an array, got str 'team'", None, 43, id="schema-type"),
    pytest.param({"config": {"required-tags": {"tags": ["team", 7]}}}, "policies.config.required-tags.tags",
                 "policies.config.required-tags.tags[1] must be a string, got int 7", None, 43, id="schema-item-type"),
    pytest.param({"config": {"required-tags": {"tagz": ["team"]}}}, "policies.config.required-tags.tagz",
                 "policy 'required-tags' has no setting 'tagz'", "did you mean 'tags'?", 43, id="unknown-setting"),
    pytest.param({"config": {"max-monthly-cost": {"maxMonthlyUsd": -5}}}, "policies.config.max-monthly-cost.maxMonthlyUsd",
                 "must be at least 0", None, 41, id="schema-minimum"),
    pytest.param({"config": {"required-tags": "mandatroy"}}, "policies.config.required-tags.enforcementLevel",
                 "unknown enforcement level 'mandatroy'", "advisory, mandatory", 43, id="bad-level"),
    pytest.param({"config": {"all": {"enforcementLevel": "advisory", "tags": []}}}, "policies.config.all",
                 "'all' takes only enforcementLevel", None, 41, id="all-with-properties"),
])
def test_bad_policy_settings_name_field_and_line(section, path, message, hint, line):
    issues = issues_of(section)
    assert len(issues) == 1
    issue = issues[0]
    assert issue.path == path
    assert message in issue.message
    assert issue.line == line and issue.file == "cluster.yaml"
    if hint:
        assert hint in issue.hint


def test_every_bad_setting_is_reported_at_once():
    issues = issues_of({"config": {"required-tag": {}}, "skip": {"no-public-ipp": "x", "vpc-dns-enabled": " "}})
    assert [i.path for i in issues] == ["policies.config.required-tag", "policies.skip.no-public-ipp",
                                        "policies.skip.vpc-dns-enabled"]


def test_merge_follows_the_engine_all_then_per_policy():
    settings = resolve({"config": {"all": "advisory", "no-public-ip": {"enforcementLevel": "mandatory"},
                                   "efa-placement-group": "disabled",
                                   "required-tags": {"tags": ["team"]}}}, REGISTRY)
    assert settings.levels["no-public-ip"] == "mandatory"
    assert settings.levels["imdsv2-required"] == "advisory"
    assert settings.levels["efa-placement-group"] == "disabled"
    assert settings.config["required-tags"] == {"tags": ["team"]}
    assert settings.config["no-public-ip"]["acceleratedFamilies"][0] == "p", "schema defaults stay"


def test_all_advisory_turns_violations_into_warnings():
    def change(d):
        d["policies"]["config"] = {"all": {"enforcementLevel": "advisory"}}
        d["stacks"][2]["resources"][1]["inputs"]["networkInterfaces"][0]["associatePublicIpAddress"] = "true"

    result = run_policies(mutate(change))
    assert [(f.check_id, f.level) for f in result.violations] == [("no-public-ip", Level.WARNING),
                                                                  ("launch-rules", Level.WARNING)]
    assert result.mandatory_violations == []


def test_skip_is_reported_with_its_reason_and_line_never_silent():
    def change(d):
        remove(d, "efa-sg-egress-self")
        d["policies"]["skip"] = {"efa-sg-self-rules": "  group managed by the network team  ",
                                 "nodes-reach-each-other": "same group"}
        d["policies"]["lines"]["policies.skip.efa-sg-self-rules"] = 44
        d["policies"]["config"] = {"efa-placement-group": "disabled"}

    result = run_policies(mutate(change))
    assert result.violations == []
    skipped = result.outcome("efa-sg-self-rules")
    assert (skipped.status, skipped.reason, skipped.source.line) == (SKIPPED, "group managed by the network team", 44)
    assert result.skipped == [("efa-sg-self-rules", "group managed by the network team"),
                              ("nodes-reach-each-other", "same group")]
    assert result.outcome("efa-placement-group").status == DISABLED_STATUS


def test_pulumi_policy_config_export_disables_skips():
    section = {"config": {"all": "mandatory", "required-tags": {"tags": ["team"]}},
               "skip": {"vpc-dns-enabled": "shared VPC", "required-tags": "later"}}
    assert pulumi_policy_config(section) == {
        "all": "mandatory",
        "required-tags": {"tags": ["team"], "enforcementLevel": "disabled"},
        "vpc-dns-enabled": {"enforcementLevel": "disabled"},
    }


# -- the CrossGuard side -------------------------------------------------------------------------
def test_importing_the_pack_entry_point_starts_no_server(monkeypatch):
    import grpc

    def no_server(*args, **kwargs):
        raise AssertionError("a gRPC server was started")

    monkeypatch.setattr(grpc, "server", no_server)
    sys.modules.pop("policies.__main__", None)
    main = importlib.import_module("policies.__main__")
    built = main.build_policies()
    assert [p.name for p in built] == REGISTRY.ids()
    by_name = {p.name: p for p in built}
    assert by_name["efa-placement-group"].enforcement_level.value == "advisory"
    assert by_name["no-public-ip"].enforcement_level.value == "mandatory"
    assert "tags" in by_name["required-tags"].config_schema.properties
    assert by_name["efa-sg-self-rules"].remediation_steps.startswith("Add an ingress rule")


def test_importing_the_pack_in_a_fresh_interpreter_returns():
    done = subprocess.run([sys.executable, "-c", "import policies.__main__ as m; print(len(m.build_policies()))"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(len(REGISTRY))


def test_pulumi_policy_yaml_declares_a_python_pack():
    import pathlib

    import yaml

    doc = yaml.safe_load((pathlib.Path(__file__).parents[1] / "policies" / "PulumiPolicy.yaml").read_text())
    assert doc["runtime"] == "python" and doc["description"]


def _engine_policies():
    main = importlib.import_module("policies.__main__")
    return {p.name: p for p in main.build_policies()}


def test_resource_rule_runs_inside_pulumi_policy_with_unknown_values():
    from pulumi_policy import ResourceValidationArgs
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

    props = {"instanceType": "p5.48xlarge", "metadataOptions": {"httpTokens": "required"},
             "networkInterfaces": [
                 {"networkCardIndex": 0, "deviceIndex": 0, "interfaceType": "interface",
                  "associatePublicIpAddress": "true", "securityGroups": [UNKNOWN_STRING_VALUE]},
                 {"networkCardIndex": 1, "deviceIndex": 0, "interfaceType": "efa-only",
                  "securityGroups": [UNKNOWN_STRING_VALUE]}]}
    args = ResourceValidationArgs("aws:ec2/launchTemplate:LaunchTemplate", unknown_checking_proxy(props),
                                  "urn:pulumi:dev::c::aws:ec2/launchTemplate:LaunchTemplate::lt-gpu", "lt-gpu",
                                  None, None, {})
    reported = []
    _engine_policies()["no-public-ip"].validate(args, lambda message, urn=None: reported.append((message, urn)))
    assert reported == [("network interface card 0 device 0 sets associatePublicIpAddress on an accelerated "
                         "instance type", None)]
    reported.clear()
    _engine_policies()["imdsv2-required"].validate(args, lambda message, urn=None: reported.append(message))
    assert reported == []


def _stack_args(with_egress: bool):
    from pulumi_policy import PolicyResource, StackValidationArgs
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

    def res(type_, name, props, deps=None):
        return PolicyResource(type_, unknown_checking_proxy(props), f"urn:pulumi:dev::c::{type_}::{name}", name,
                              None, None, None, [], deps or {})

    sg = res("aws:ec2/securityGroup:SecurityGroup", "efa-sg", {"vpcId": "vpc-1"})
    subnet = res("aws:ec2/subnet:Subnet", "subnet-a", {"vpcId": "vpc-1"})
    unknown = UNKNOWN_STRING_VALUE
    rules = [res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "efa-in",
                 {"securityGroupId": unknown, "referencedSecurityGroupId": unknown, "ipProtocol": "-1"},
                 {"securityGroupId": [sg], "referencedSecurityGroupId": [sg]})]
    if with_egress:
        rules.append(res("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "efa-out",
                         {"securityGroupId": unknown, "referencedSecurityGroupId": unknown, "ipProtocol": "-1"},
                         {"securityGroupId": [sg], "referencedSecurityGroupId": [sg]}))
    lt = res("aws:ec2/launchTemplate:LaunchTemplate", "lt-gpu", {"networkInterfaces": [
        {"networkCardIndex": 0, "deviceIndex": 0, "interfaceType": "efa", "securityGroups": [unknown],
         "subnetId": unknown}]}, {"networkInterfaces": [sg, subnet]})
    return StackValidationArgs([sg, subnet, *rules, lt], {})


@pytest.mark.parametrize("with_egress, expected", [(True, []), (False, ["efa-sg"])])
def test_stack_rule_resolves_refs_from_property_dependencies(with_egress, expected):
    reported = []
    _engine_policies()["efa-sg-self-rules"].validate(_stack_args(with_egress),
                                                     lambda message, urn=None: reported.append((message, urn)))
    assert [m.split()[3] for m, _ in reported] == expected
    if reported:
        assert "no all-traffic egress rule" in reported[0][0]
        assert reported[0][1] == "urn:pulumi:dev::c::aws:ec2/securityGroup:SecurityGroup::efa-sg"


def test_plan_only_rules_are_not_applicable_in_the_engine():
    from pulumi_policy.policy import _NotApplicableError

    with pytest.raises(_NotApplicableError) as err:
        _engine_policies()["ultraserver-whole"].validate(_stack_args(True), lambda *a: None)
    assert "pool records" in err.value.reason


def test_the_policy_host_runs_the_pack_directory_as_main(tmp_path):
    """`pulumi preview --policy-pack policies` runs `python -m pulumi.policy ADDR policies`, which does
    runpy.run_path("policies", run_name="__main__"); here PolicyPack is a stand-in that records."""
    import os

    from conftest import ROOT

    script = (
        "import runpy, sys, pulumi_policy\n"
        "seen = {}\n"
        "class Pack:\n"
        "    def __init__(self, name, policies, **kw):\n"
        "        seen.update(name=name, n=len(policies), levels={p.name: p.enforcement_level.value for p in policies})\n"
        "pulumi_policy.PolicyPack = Pack\n"
        f"runpy.run_path({os.path.join(ROOT, 'policies')!r}, run_name='__main__')\n"
        "print(seen['name'], seen['n'], seen['levels']['efa-sg-self-rules'])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ultraplan", str(len(REGISTRY)), "mandatory"]


@pytest.mark.parametrize("protect, expected", [
    (True, []),
    (False, ["lustre is not protected (resource option protect)"]),
], ids=["protected", "unprotected"])
def test_protection_rule_reads_protect_from_the_engine_options(protect, expected):
    """In the engine, `protect` comes from ResourceValidationArgs.opts; retainOnDelete is not passed to
    policies, so it is not held against the resource there (the offline run checks it)."""
    from pulumi_policy import PolicyResourceOptions, ResourceValidationArgs

    opts = PolicyResourceOptions(protect=protect, ignore_changes=[], delete_before_replace=None, aliases=[],
                                 custom_timeouts=None, additional_secret_outputs=[])
    args = ResourceValidationArgs("aws:fsx/lustreFileSystem:LustreFileSystem", {"deploymentType": "PERSISTENT_2"},
                                  "urn:pulumi:dev::c::aws:fsx/lustreFileSystem:LustreFileSystem::lustre", "lustre",
                                  opts, None, {})
    reported = []
    _engine_policies()["stateful-resources-protected"].validate(args, lambda message, urn=None: reported.append(message))
    assert reported == expected
