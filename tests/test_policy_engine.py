"""The pack as the Pulumi engine talks to it, minus the socket: pulumi-policy's analyzer servicer (what
PolicyPack serves over gRPC) is built around our policies and called with the engine's protobuf
requests. No server is started. `_PolicyAnalyzerServicer` is pulumi-policy's private class; if it
moves, these tests say so first."""
from __future__ import annotations

import importlib

import pytest
from google.protobuf import struct_pb2

pytest.importorskip("pulumi_policy")
from pulumi.runtime.proto import analyzer_pb2  # noqa: E402
from pulumi_policy.policy import EnforcementLevel, _PolicyAnalyzerServicer  # noqa: E402
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE  # noqa: E402

from policies import load_rules  # noqa: E402
from policies.config import pulumi_policy_config  # noqa: E402

UNKNOWN = UNKNOWN_STRING_VALUE
LT = "aws:ec2/launchTemplate:LaunchTemplate"


@pytest.fixture
def servicer():
    main = importlib.import_module("policies.__main__")
    return _PolicyAnalyzerServicer(main.PACK_NAME, "0.1.0", main.build_policies(), EnforcementLevel.ADVISORY)


def _struct(data):
    s = struct_pb2.Struct()
    s.update(data)
    return s


def _urn(type_, name):
    return f"urn:pulumi:dev::cluster::{type_}::{name}"


def analyze(servicer, type_, name, props):
    req = analyzer_pb2.AnalyzeRequest(type=type_, properties=_struct(props), urn=_urn(type_, name), name=name)
    resp = servicer.Analyze(req, None)
    return {(d.policyName, d.message.splitlines()[-1]) for d in resp.diagnostics}  # "description\nviolation"


def configure(servicer, config):
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    levels = {"advisory": analyzer_pb2.ADVISORY, "mandatory": analyzer_pb2.MANDATORY,
              "disabled": analyzer_pb2.DISABLED}
    for policy_id, value in config.items():
        value = {"enforcementLevel": value} if isinstance(value, str) else dict(value)
        level = value.pop("enforcementLevel", None)
        entry = request.policyConfig[policy_id]
        if level:
            entry.enforcementLevel = levels[level]
        entry.properties.update(value)
    servicer.Configure(request, None)


def test_analyzer_info_lists_every_rule_with_level_schema_and_remediation(servicer):
    info = servicer.GetAnalyzerInfo(None, None)
    by_name = {p.name: p for p in info.policies}
    assert list(by_name) == load_rules().ids()
    assert by_name["efa-placement-group"].enforcementLevel == analyzer_pb2.ADVISORY
    assert by_name["no-public-ip"].enforcementLevel == analyzer_pb2.MANDATORY
    assert "tags" in by_name["required-tags"].configSchema.properties
    assert by_name["imdsv2-required"].remediation_steps.startswith("Set metadataOptions")
    assert by_name["efa-sg-self-rules"].policy_type == analyzer_pb2.POLICY_TYPE_STACK


def test_resource_analysis_with_unknown_values(servicer):
    props = {"instanceType": "p5.48xlarge", "metadataOptions": {"httpTokens": "optional"},
             "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true"}}],
             "tags": {"ultraplan:cluster": "c"},
             "networkInterfaces": [{"interfaceType": "efa", "associatePublicIpAddress": "true",
                                    "securityGroups": [UNKNOWN], "subnetId": UNKNOWN}]}
    found = analyze(servicer, LT, "lt-gpu", props)
    assert {p for p, _ in found} == {"no-public-ip", "imdsv2-required"}
    assert ("imdsv2-required", "metadataOptions.httpTokens is 'optional', not 'required'") in found


def test_exported_spec_settings_drive_the_engine(servicer):
    section = {"config": {"required-tags": {"tags": ["team"]}}, "skip": {"imdsv2-required": "legacy AMI"}}
    configure(servicer, pulumi_policy_config(section))
    props = {"instanceType": "m7i.large", "metadataOptions": {"httpTokens": "optional"},
             "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true"}}],
             "tags": {"ultraplan:cluster": "c"}}
    found = analyze(servicer, LT, "lt-login", props)
    assert found == {("required-tags", "missing tag team")}, "imdsv2-required is disabled by the skip"


def _resource(type_, name, props, deps=None):
    res = analyzer_pb2.AnalyzerResource(type=type_, properties=_struct(props), urn=_urn(type_, name), name=name)
    for key, targets in (deps or {}).items():
        res.propertyDependencies[key].urns.extend(_urn(t, n) for t, n in targets)
    return res


def _network_stack(with_egress):
    sg = ("aws:ec2/securityGroup:SecurityGroup", "efa-sg")
    subnet = ("aws:ec2/subnet:Subnet", "subnet-a")
    self_rule = {"securityGroupId": UNKNOWN, "referencedSecurityGroupId": UNKNOWN, "ipProtocol": "-1"}
    self_deps = {"securityGroupId": [sg], "referencedSecurityGroupId": [sg]}
    resources = [
        _resource(*sg, {"vpcId": "vpc-1"}),
        _resource(*subnet, {"vpcId": "vpc-1", "mapPublicIpOnLaunch": False}),
        _resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "efa-in", self_rule, self_deps),
        _resource(LT, "lt-gpu", {"instanceType": "p5.48xlarge", "networkInterfaces": [
            {"interfaceType": "efa", "securityGroups": [UNKNOWN], "subnetId": UNKNOWN}]},
            {"networkInterfaces": [sg, subnet]}),
    ]
    if with_egress:
        resources.append(_resource("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "efa-out",
                                   self_rule, self_deps))
    return analyzer_pb2.AnalyzeStackRequest(resources=resources)


@pytest.mark.parametrize("with_egress", [True, False])
def test_stack_analysis_finds_a_missing_self_rule(servicer, with_egress):
    resp = servicer.AnalyzeStack(_network_stack(with_egress), None)
    found = [(d.policyName, d.urn, d.message.splitlines()[-1]) for d in resp.diagnostics if d.policyName == "efa-sg-self-rules"]
    if with_egress:
        assert found == []
    else:
        assert found == [("efa-sg-self-rules", _urn("aws:ec2/securityGroup:SecurityGroup", "efa-sg"),
                          "EFA security group efa-sg has no all-traffic egress rule referencing itself (used by lt-gpu)")]
    not_applicable = {n.policy_name for n in resp.not_applicable}
    assert {"ultraserver-whole", "max-monthly-cost"} <= not_applicable


ASG = "aws:autoscaling/group:Group"
SCHEDULE = "aws:autoscaling/schedule:Schedule"


def _block_stack(sized: bool, scale_out: bool, scale_in: bool):
    """One compute stack of a capacity-block group as `pulumi preview` shows it: ids unknown, each
    link only in the property dependencies (the group's name in its schedules included)."""
    lt, asg = (LT, "lt-gb"), (ASG, "asg-gb-u0001")
    size = {"minSize": 18, "maxSize": 18, "desiredCapacity": 18} if sized else {"minSize": 0, "maxSize": 18}
    resources = [
        _resource(*lt, {"instanceType": "p6e-gb200.36xlarge", "instanceMarketOptions": {"marketType": "capacity-block"}}),
        _resource(*asg, {**size, "launchTemplate": {"id": UNKNOWN, "version": UNKNOWN},
                         "capacityReservationSpecification": {"capacityReservationPreference": "capacity-reservations-only",
                                                              "capacityReservationTarget": {
                                                                  "capacityReservationIds": ["cr-0123456789abcdef0"]}}},
                  {"launchTemplate": [lt]}),
        _resource("aws:autoscaling/lifecycleHook:LifecycleHook", "asg-gb-u0001-drain",
                  {"autoscalingGroupName": UNKNOWN, "lifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING"},
                  {"autoscalingGroupName": [asg]}),
    ]
    for action, at, n, wanted in (("start", "2026-12-01T11:30:00Z", 18, scale_out), ("end", "2026-12-15T10:15:00Z", 0, scale_in)):
        if wanted:
            resources.append(_resource(SCHEDULE, f"asg-gb-u0001-{action}", {
                "autoscalingGroupName": UNKNOWN, "startTime": at, "minSize": n, "maxSize": n, "desiredCapacity": n},
                {"autoscalingGroupName": [asg]}))
    return analyzer_pb2.AnalyzeStackRequest(resources=resources)


@pytest.mark.parametrize("sized, scale_out, scale_in, flagged", [
    pytest.param(False, True, True, False, id="before-start"),
    pytest.param(True, False, True, False, id="running-block-sized-with-its-scale-in"),
    pytest.param(True, True, True, True, id="sized-before-its-scale-out"),
    pytest.param(True, False, False, True, id="sized-without-any-schedule"),
])
def test_engine_tells_a_running_block_from_a_group_sized_too_early(servicer, sized, scale_out, scale_in, flagged):
    """No pool records in the engine: the group's own schedules (linked through autoscalingGroupName)
    say whether its block has opened."""
    resp = servicer.AnalyzeStack(_block_stack(sized, scale_out, scale_in), None)
    found = [d.message.splitlines()[-1] for d in resp.diagnostics if d.policyName == "capacity-block-lifecycle"]
    assert bool(found) == flagged, found
    if flagged:
        assert "starts at minSize 18 / desiredCapacity 18 on a capacity block" in found[0]


def test_engine_passes_a_block_template_whose_groups_target_the_reservation(servicer):
    """The engine has no pool records: a capacity-block template whose group targets its
    reservation is checked and passes, it is not reported as not applicable."""
    resp = servicer.AnalyzeStack(_block_stack(sized=True, scale_out=False, scale_in=True), None)
    assert [d.message for d in resp.diagnostics if d.policyName == "capacity-block-market-type"] == []
    assert "capacity-block-market-type" not in {n.policy_name for n in resp.not_applicable}


@pytest.mark.parametrize("start, flagged", [("2026-11-23T11:59:00Z", True), ("2026-11-23T12:00:00Z", True),
                                            ("2026-11-23T12:01:00Z", False)])
def test_engine_refuses_a_schedule_in_the_past(servicer, start, flagged):
    """The suite's clock is 2026-11-23T12:00:00Z (ULTRAPLAN_NOW, tests/conftest.py): in the engine it is
    the clock of `pulumi preview`."""
    found = analyze(servicer, SCHEDULE, "asg-gb-u0001-start",
                    {"autoscalingGroupName": "asg-gb-u0001", "startTime": start, "minSize": 18, "maxSize": 18,
                     "desiredCapacity": 18})
    past = {m for p, m in found if p == "schedule-in-future"}
    assert past == ({f"startTime {start} is not after the planning clock 2026-11-23T12:00:00Z (ULTRAPLAN_NOW): "
                     "Auto Scaling refuses a scheduled action in the past"} if flagged else set())
