"""The Pulumi program registers exactly the Plan: for every stack of every example (frontier.yaml:
network, one compute shard and the stacks they read from), run ``stacks.program.build`` under
``pulumi.runtime.set_mocks`` and compare what the engine saw — type token, logical name, inputs
(camelCase, as ``MockResourceArgs.inputs``) — with the Plan's resources, references resolved.

What is mocked: every resource gets id ``<name>-id`` and fake values for the outputs the Plan
references (``stacks.mockrun.mock_output``); a ``StackReference`` returns what the producing stack
*actually exported* in its own mocked run (stacks run in deploy order), so a wrong export or a wrong
key shows up as a wrong input downstream.
"""
from __future__ import annotations

import glob
import json
import os
from typing import Any

import pytest

pulumi = pytest.importorskip("pulumi")

from planner.plan.model import Plan, is_ref  # noqa: E402
from stacks.mockrun import MockRun, mock_output, run_under_mocks  # noqa: E402
from stacks.program import StackNaming  # noqa: E402
from stacks.wiring import deploy_waves, export_key, wiring  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "*.yaml")))
# Examples too big to run every shard: run these stacks (and whatever they read from).
# Its 500-resource UltraServer shards take ~25 s each under the mocks on 2 cores: run the head pool's
# stack (and network); a pool's later shard reading its first is covered by the tiny-shards test.
PARTIAL = {"frontier.yaml": ("network", "compute-head-1")}


# --------------------------------------------------------------------------------------------
# A hand-written Plan following docs/plan-format.md, split over 3 stacks so that references cross
# stacks (VPC id, subnet id, security group ids, instance profile ARN) and stay inside one (launch
# template id and latestVersion, placement group, the security group's self rules).


def _ref(name: str, attr: str = "id") -> dict[str, str]:
    return {"$ref": name, "attr": attr}


_TAGS = {"team": "pretraining", "cost-center": "4711", "ultraplan:cluster": "hand"}
_ASSUME = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                              "Principal": {"Service": "ec2.amazonaws.com"}}]})
_NIC = {"associatePublicIpAddress": "false", "deleteOnTermination": "true",
        "securityGroups": [_ref("efa-sg")], "subnetId": _ref("subnet-use1-az4")}


def _r(type_: str, name: str, inputs: dict, deps: tuple = (), pool: str | None = None) -> dict:
    data = {"type": type_, "name": name, "inputs": inputs, "depends_on": list(deps),
            "source": {"file": "hand.yaml", "line": 1}}
    if pool:
        data["pool"] = pool
    return data


HAND_PLAN = {
    "version": 1, "name": "hand", "region": "us-east-1", "spec_file": "hand.yaml", "tags": _TAGS,
    "stacks": [
        {"name": "network", "resources": [
            _r("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16", "enableDnsSupport": True,
                                          "enableDnsHostnames": True, "tags": _TAGS}),
            _r("aws:ec2/subnet:Subnet", "subnet-use1-az4", {
                "vpcId": _ref("vpc"), "cidrBlock": "10.0.0.0/24", "availabilityZoneId": "use1-az4",
                "mapPublicIpOnLaunch": False, "tags": _TAGS}),
            _r("aws:ec2/securityGroup:SecurityGroup", "efa-sg", {
                "vpcId": _ref("vpc"), "description": "EFA: all traffic to and from itself", "tags": _TAGS}),
            _r("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "efa-sg-ingress-self", {
                "securityGroupId": _ref("efa-sg"), "ipProtocol": "-1",
                "referencedSecurityGroupId": _ref("efa-sg"), "tags": _TAGS}),
            _r("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "efa-sg-egress-self", {
                "securityGroupId": _ref("efa-sg"), "ipProtocol": "-1",
                "referencedSecurityGroupId": _ref("efa-sg"), "tags": _TAGS}),
            _r("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "efa-sg-egress-https", {
                "securityGroupId": _ref("efa-sg"), "ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
                "cidrIpv4": "0.0.0.0/0", "tags": _TAGS}),
            _r("aws:ec2/vpcEndpoint:VpcEndpoint", "s3-endpoint", {
                "vpcId": _ref("vpc"), "vpcEndpointType": "Gateway",
                "serviceName": "com.amazonaws.us-east-1.s3", "tags": _TAGS}),
            # listed before the role and attachment it needs: the program orders by references
            _r("aws:iam/instanceProfile:InstanceProfile", "node-profile", {
                "role": _ref("node-role", "name"), "tags": _TAGS}, deps=("node-role-ssm",)),
            _r("aws:iam/role:Role", "node-role", {"assumeRolePolicy": _ASSUME, "tags": _TAGS}),
            _r("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "node-role-ssm", {
                "role": _ref("node-role", "name"),
                "policyArn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"}),
        ]},
        {"name": "storage", "resources": [
            _r("aws:ec2/securityGroup:SecurityGroup", "lustre-sg", {
                "vpcId": _ref("vpc"), "description": "FSx for Lustre", "tags": _TAGS}),
            _r("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "lustre-sg-ingress-988-efa", {
                "securityGroupId": _ref("lustre-sg"), "ipProtocol": "tcp", "fromPort": 988, "toPort": 988,
                "referencedSecurityGroupId": _ref("efa-sg"), "tags": _TAGS}),
            _r("aws:fsx/lustreFileSystem:LustreFileSystem", "lustre", {
                "storageCapacity": 2400, "deploymentType": "PERSISTENT_2", "perUnitStorageThroughput": 250,
                "subnetIds": _ref("subnet-use1-az4"), "securityGroupIds": [_ref("lustre-sg")],
                "tags": _TAGS}, deps=("lustre-sg-ingress-988-efa", "efa-sg-ingress-self")),
        ]},
        {"name": "compute-1", "resources": [
            # the group first: it references the template and placement group defined after it
            _r("aws:autoscaling/group:Group", "asg-trainers-u0001", {
                "minSize": 2, "maxSize": 2, "desiredCapacity": 2,
                "vpcZoneIdentifiers": [_ref("subnet-use1-az4")],
                "launchTemplate": {"id": _ref("lt-trainers"), "version": _ref("lt-trainers", "latestVersion")},
                "placementGroup": _ref("pg-trainers"),
                "tags": [{"key": k, "value": v, "propagateAtLaunch": True} for k, v in _TAGS.items()]},
               pool="trainers"),
            _r("aws:ec2/placementGroup:PlacementGroup", "pg-trainers", {"strategy": "cluster", "tags": _TAGS},
               pool="trainers"),
            _r("aws:ec2/launchTemplate:LaunchTemplate", "lt-trainers", {
                "imageId": "ami-0123456789abcdef0", "instanceType": "p5.48xlarge",
                "metadataOptions": {"httpTokens": "required", "httpEndpoint": "enabled",
                                    "httpPutResponseHopLimit": 2},
                "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {
                    "volumeSize": 512, "volumeType": "gp3", "encrypted": "true", "deleteOnTermination": "true"}}],
                "networkInterfaces": [
                    {"networkCardIndex": 0, "deviceIndex": 0, "interfaceType": "efa", **_NIC},
                    {"networkCardIndex": 1, "deviceIndex": 1, "interfaceType": "efa-only", **_NIC}],
                "iamInstanceProfile": {"arn": _ref("node-profile", "arn")},
                "capacityReservationSpecification": {
                    "capacityReservationTarget": {"capacityReservationId": "cr-0123456789abcdef0"}},
                "instanceMarketOptions": {"marketType": "capacity-block"},
                "tagSpecifications": [{"resourceType": "instance", "tags": _TAGS}],
                "tags": _TAGS}, pool="trainers"),
            _r("aws:ec2/instance:Instance", "login", {
                "ami": "ami-0123456789abcdef0", "instanceType": "m7i.4xlarge", "subnetId": _ref("subnet-use1-az4"),
                "vpcSecurityGroupIds": [_ref("efa-sg")], "iamInstanceProfile": _ref("node-profile", "name"),
                "metadataOptions": {"httpTokens": "required"}, "tags": _TAGS}, deps=("lustre",)),
        ]},
    ],
}


# --------------------------------------------------------------------------------------------
# Expected registrations


def _resolve(plan: Plan, value: Any) -> Any:
    by_name = plan.by_name()

    def walk(v: Any) -> Any:
        if is_ref(v):
            return mock_output(by_name[v["$ref"]], v.get("attr", "id"))
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    return walk(value)


def _wire(value: Any) -> Any:
    """The Plan value as the engine receives it. Two justified normalisations, nothing else:
    - numbers: the wire format (google.protobuf.Struct) has only doubles, so 2 arrives as 2.0;
    - None: the SDK serialises an unset (None) input by leaving the key out, at every level.
    Booleans stay booleans and strings stay strings: the comparison below is on JSON text, so
    True vs 1.0 or "true" vs True would not compare equal."""
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _canon(type_: str, name: str, inputs: dict) -> str:
    return json.dumps({"type": type_, "name": name, "inputs": _wire(inputs)}, sort_keys=True)


def _diff(expected: dict[str, str], actual: dict[str, str]) -> str:
    lines = []
    for name in sorted(set(expected) | set(actual)):
        if expected.get(name) != actual.get(name):
            lines.append(f"{name}:\n  plan:   {expected.get(name)}\n  pulumi: {actual.get(name)}")
    return "\n".join(lines[:10]) + (f"\n... {len(lines) - 10} more" if len(lines) > 10 else "")


def _check_shard(plan: Plan, shard: str, outputs: dict[str, dict[str, Any]]) -> MockRun:
    """Run one shard with the StackReference outputs gathered so far; assert registered == Plan."""
    naming = StackNaming(prefix=plan.name)
    run = run_under_mocks(plan, shard, stack_outputs=outputs, naming=naming)
    stack = plan.stack(shard)

    expected = {r.name: _canon(r.type, r.name, _resolve(plan, r.inputs)) for r in stack.resources}
    actual = {r.name: _canon(r.type, r.name, r.inputs) for r in run.resources}
    assert len(run.resources) == len(stack.resources), "one registration per Plan resource"
    assert actual == expected, f"{plan.name}/{shard}: registered != plan\n{_diff(expected, actual)}"

    providers = run.of_type("pulumi:providers:")
    assert [(p.type, p.inputs.get("region")) for p in providers] == [("pulumi:providers:aws", plan.region)]

    wires = wiring(plan)
    refs = sorted(r.name for r in run.of_type("pulumi:pulumi:StackReference"))
    assert refs == sorted(naming.qualified(s) for s in wires.needs.get(shard, []))

    keys = wires.export_keys(shard)
    by_name = plan.by_name()
    want = {export_key(n, a): mock_output(by_name[n], a) for n, a in wires.exports.get(shard, [])}
    assert run.exports == want
    assert run.stack_outputs == want, "pulumi.export() of exactly the outputs other stacks read"
    outputs[naming.qualified(shard)] = dict(run.stack_outputs)
    assert sorted(run.stack_outputs) == sorted(keys)
    return run


def _shards_to_run(plan: Plan, only: tuple[str, ...] | None) -> list[str]:
    if only is None:
        return [s for wave in deploy_waves(plan) for s in wave]
    wires = wiring(plan)
    wanted: set[str] = set()
    todo = [s for s in only if s in {st.name for st in plan.stacks}]
    while todo:
        s = todo.pop()
        if s not in wanted:
            wanted.add(s)
            todo.extend(wires.needs.get(s, []))
    return [s for wave in deploy_waves(plan, wires) for s in wave if s in wanted]


# --------------------------------------------------------------------------------------------


def test_hand_written_plan_registers_one_to_one():
    plan = Plan.from_json(HAND_PLAN)
    outputs: dict[str, dict[str, Any]] = {}
    runs = [_check_shard(plan, shard, outputs) for shard in _shards_to_run(plan, None)]
    assert [r.shard for r in runs] == ["network", "storage", "compute-1"]
    assert len(runs[2].of_type("pulumi:pulumi:StackReference")) == 2  # network and storage


def test_pools_and_shared_resources_are_grouped_under_components():
    """Grouping changes URNs only: pool resources sit under ultraplan:index:Pool, the rest under
    ultraplan:index:Group named after the stack."""
    plan = Plan.from_json(HAND_PLAN)
    run = run_under_mocks(plan, "compute-1")
    parents = {urn.rsplit("::", 1)[1]: urn.split("::")[2] for urn in run.urns}
    assert parents["trainers"] == "pulumi:pulumi:Stack$ultraplan:index:Pool"
    assert parents["compute-1"] == "pulumi:pulumi:Stack$ultraplan:index:Group"
    assert parents["lt-trainers"] == "ultraplan:index:Pool$aws:ec2/launchTemplate:LaunchTemplate"
    assert parents["asg-trainers-u0001"] == "ultraplan:index:Pool$aws:autoscaling/group:Group"
    assert parents["login"] == "ultraplan:index:Group$aws:ec2/instance:Instance"


def test_runs_are_isolated():
    """A second run in the same process registers the same things, nothing left over from the first."""
    plan = Plan.from_json(HAND_PLAN)
    first = run_under_mocks(plan, "compute-1")
    second = run_under_mocks(plan, "compute-1")
    canon = lambda run: sorted(_canon(r.type, r.name, r.inputs) for r in run.registrations)  # noqa: E731
    assert canon(first) == canon(second)
    assert len(second.registrations) == len(first.registrations)


def _plan_example(path: str) -> Plan:
    import planner

    return planner.compile_spec(path)


@pytest.mark.parametrize("path", [pytest.param(p, marks=pytest.mark.slow) if p.endswith("frontier.yaml") else p
                                  for p in EXAMPLES], ids=[os.path.basename(p) for p in EXAMPLES])
def test_example_registers_one_to_one(path):
    plan = _plan_example(path)
    outputs: dict[str, dict[str, Any]] = {}
    only = PARTIAL.get(os.path.basename(path))
    shards = _shards_to_run(plan, only)
    assert shards, f"{path}: no stacks to run"
    registered = sum(len(_check_shard(plan, shard, outputs).resources) for shard in shards)
    assert registered == sum(len(plan.stack(s).resources) for s in shards)


def _example(name: str) -> str:
    path = os.path.join(ROOT, "examples", name)
    # A renamed or removed example is a failure, not a skip: these tests are about that file.
    assert os.path.exists(path), f"examples/{name} is gone: update the test with the example"
    return path


def test_main_reads_stack_config_and_names_stack_references_from_it():
    """The Pulumi entry point: spec (relative to the project root) and shard from config, and
    StackReferences named <org>/<project>/<stackPrefix>-<producer>."""
    from stacks.program import main

    spec = os.path.relpath(_example("gb200-capacity-block.yaml"), ROOT)
    plan = _plan_example(os.path.join(ROOT, spec))
    shard = next(s.name for s in plan.stacks if s.name.startswith("compute-"))
    naming = StackNaming(prefix="gb", org="acme")
    config = {"ultraplan:spec": spec, "ultraplan:shard": shard, "ultraplan:stackPrefix": "gb",
              "ultraplan:org": "acme", "ultraplan:shardSize": ""}
    run = run_under_mocks(plan, shard, naming=naming, config=config, entry=main)
    _assert_registered_plan(plan, shard, run)
    assert sorted(r.name for r in run.of_type("pulumi:pulumi:StackReference")) == [
        f"acme/ultraplan/gb-{s}" for s in wiring(plan).needs[shard]]


def test_the_entry_file_runs_as_the_cli_runs_it(monkeypatch):
    """`main: stacks/` in Pulumi.yaml: the language host runs stacks/__main__.py by path, from the
    program's folder; the spec path in config stays relative to the project root."""
    import runpy

    spec = os.path.relpath(_example("p5-on-demand-fsx.yaml"), ROOT)
    plan = _plan_example(os.path.join(ROOT, spec))
    monkeypatch.chdir(os.path.join(ROOT, "stacks"))
    config = {"ultraplan:spec": spec, "ultraplan:shard": "network"}
    entry = lambda: runpy.run_path(os.path.join(ROOT, "stacks"), run_name="__main__")["built"]  # noqa: E731
    run = run_under_mocks(plan, "network", config=config, entry=entry)
    _assert_registered_plan(plan, "network", run)


def _assert_registered_plan(plan: Plan, shard: str, run: MockRun) -> None:
    expected = sorted(_canon(r.type, r.name, _resolve(plan, r.inputs)) for r in plan.stack(shard).resources)
    assert sorted(_canon(r.type, r.name, r.inputs) for r in run.resources) == expected


def test_main_rejects_a_shard_the_plan_does_not_have():
    from stacks.program import main
    from stacks.sdk import PlanInputError

    spec = os.path.relpath(_example("gb200-capacity-block.yaml"), ROOT)
    plan = _plan_example(os.path.join(ROOT, spec))
    config = {"ultraplan:spec": spec, "ultraplan:shard": "compute-99"}
    with pytest.raises(PlanInputError, match=r"ultraplan:shard 'compute-99' is not a stack of .*network"):
        run_under_mocks(plan, "network", config=config, entry=main)


def test_a_missing_export_fails_loudly_instead_of_registering_an_empty_input():
    """A producer deployed from an older plan lacks an output: the consumer must stop, not send None."""
    plan = Plan.from_json(HAND_PLAN)
    naming = StackNaming(prefix=plan.name)
    outputs = {naming.qualified("network"): {"vpc.id": "vpc-id"}, naming.qualified("storage"): {}}
    with pytest.raises(KeyError, match=r"efa-sg\.id|node-profile\.(name|arn)|subnet-use1-az4\.id"):
        run_under_mocks(plan, "compute-1", stack_outputs=outputs, naming=naming)
    # The failed run cleaned up after itself: no coroutine is left to warn "never awaited" whenever the
    # collector finds it (on CPython 3.11.7 such a warning inside a later ast.parse crashes pytest).
    import gc
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    assert not [w for w in caught if "never awaited" in str(w.message)]


def test_tiny_shards_read_launch_templates_from_other_compute_shards():
    """With shard_size=2 a pool's launch template and its groups land in different compute stacks:
    the groups read the template's id and latestVersion through a StackReference to that shard."""
    import planner
    plan = planner.compile_spec(_example("gb200-capacity-block.yaml"), shard_size=2)
    wires = wiring(plan)
    assert any(p.startswith("compute-") for needs in wires.needs.values() for p in needs)
    outputs: dict[str, dict[str, Any]] = {}
    runs = {shard: _check_shard(plan, shard, outputs) for shard in _shards_to_run(plan, None)}
    consumer = next(s for s, needs in wires.needs.items() if any(p.startswith("compute-") for p in needs))
    producers = [p for p in wires.needs[consumer] if p.startswith("compute-")]
    assert {r.name for r in runs[consumer].of_type("pulumi:pulumi:StackReference")} >= {
        StackNaming(prefix=plan.name).qualified(p) for p in producers}
    assert any(k.endswith(".latestVersion") for p in producers for k in runs[p].stack_outputs)


def test_file_system_and_vpc_are_protected_under_the_mocks():
    """The Plan's resource options reach the engine: protect on the VPC and the file system,
    retainOnDelete on the file system, nothing on a subnet; a pool's resources carry the alias that
    lets a resource carried over by `pulumi state move` be adopted without its pool component."""
    import planner
    plan = planner.compile_spec(_example("p5-on-demand-fsx.yaml"))
    outputs: dict[str, dict[str, Any]] = {}
    runs = {shard: _check_shard(plan, shard, outputs) for shard in ("network", "storage", "compute-gpu-1")}
    seen = {r.name: r.options for run in runs.values() for r in run.resources}
    assert seen["vpc"] == {"protect": True, "retainOnDelete": False, "aliases": 0}
    assert seen["lustre"] == {"protect": True, "retainOnDelete": True, "aliases": 0}
    assert seen["subnet-us-east-1a"]["protect"] is False
    assert seen["asg-gpu"]["aliases"] == 1 and seen["asg-gpu"]["protect"] is False


def test_main_with_the_deployed_plan_keeps_subnet_addresses(tmp_path):
    """`ultraplan:previous` makes `pulumi up` compile exactly what `plan --diff` showed: the deployed
    subnet keeps its CIDR after a pool shrinks (without it, headroom sizing would pick a smaller one)."""
    import planner
    from stacks.program import main

    text = open(_example("p5-on-demand-fsx.yaml"), encoding="utf-8").read()
    deployed = planner.compile_spec(_example("p5-on-demand-fsx.yaml"))
    (tmp_path / "deployed.json").write_text(deployed.dumps())
    spec = tmp_path / "cluster.yaml"
    spec.write_text(text.replace("count: 64", "count: 20"))
    sticky = planner.compile_spec(str(spec), previous=deployed)
    config = {"ultraplan:spec": str(spec), "ultraplan:shard": "network",
              "ultraplan:previous": str(tmp_path / "deployed.json")}
    run = run_under_mocks(sticky, "network", config=config, entry=main)
    cidr = {r.name: r.inputs.get("cidrBlock") for r in run.resources}["subnet-us-east-1a"]
    assert cidr == deployed.by_name()["subnet-us-east-1a"].inputs["cidrBlock"] == "10.20.0.0/23"
    assert planner.compile_spec(str(spec)).by_name()["subnet-us-east-1a"].inputs["cidrBlock"] != cidr


def test_egress_none_plan_with_ssm_endpoints_registers_one_to_one(tmp_path):
    """VPC interface endpoints, their group, the S3 prefix-list egress rule (an output of the gateway
    endpoint) and the Lustre rules go through the SDK's own input names like every other resource."""
    from conftest import BASE_SPEC

    from planner import compile_plan
    from planner.spec.load import parse_spec

    text = BASE_SPEC.replace("vpc_cidr: 10.0.0.0/16", "vpc_cidr: 10.0.0.0/16\n  egress: none") + \
        "storage:\n  lustre: {capacity_gib: 2400, deployment: SCRATCH_2}\n"
    plan = compile_plan(parse_spec(text, "spec.yaml"))
    assert {"ssm-endpoint", "endpoints-sg", "efa-sg-egress-s3"} <= set(plan.by_name())
    outputs: dict[str, dict[str, Any]] = {}
    for shard in [s.name for s in plan.stacks]:
        run = _check_shard(plan, shard, outputs)
        assert len(run.resources) == len(plan.stack(shard).resources)


@pytest.mark.parametrize("started", [True, False], ids=["block-started", "before-the-block"])
def test_program_registers_no_scheduled_action_in_the_past(monkeypatch, started):
    """`pulumi up` plans at deploy time: under ULTRAPLAN_NOW a day after the GB200 example's block
    opened the program registers each group sized to its UltraServer and only the scale-in; at the
    suite's clock, before it, the scale-out too. No registered startTime is at or before the clock."""
    import datetime as dt

    import yaml

    from stacks.program import main

    spec = os.path.relpath(_example("gb200-capacity-block.yaml"), ROOT)
    with open(os.path.join(ROOT, spec), encoding="utf-8") as fh:
        opens = yaml.safe_load(fh)["compute"][0]["capacity"]["start"]  # a date: the block opens 11:30 UTC
    now = f"{opens + dt.timedelta(days=1)}T00:00:00Z" if started else "2026-11-23T12:00:00Z"
    monkeypatch.setenv("ULTRAPLAN_NOW", now)
    plan = _plan_example(os.path.join(ROOT, spec))
    clock = dt.datetime.fromisoformat(now.replace("Z", "+00:00"))
    schedules, groups = [], []
    for shard in (s.name for s in plan.stacks if s.name.startswith("compute-trainers")):
        config = {"ultraplan:spec": spec, "ultraplan:shard": shard}
        run = run_under_mocks(plan, shard, config=config, entry=main)
        _assert_registered_plan(plan, shard, run)
        schedules += run.of_type("aws:autoscaling/schedule:Schedule")
        groups += run.of_type("aws:autoscaling/group:Group")
    assert len(groups) == 4
    times = [dt.datetime.fromisoformat(s.inputs["startTime"].replace("Z", "+00:00")) for s in schedules]
    assert times and all(t > clock for t in times), [s.inputs["startTime"] for s in schedules]
    starts = sorted(s.name for s in schedules if s.name.endswith("-start"))
    if started:
        assert starts == []
        assert {(g.inputs["minSize"], g.inputs["maxSize"], g.inputs["desiredCapacity"]) for g in groups} == {(18, 18, 18)}
    else:
        assert starts == [f"asg-trainers-u000{i}-start" for i in range(1, 5)]
        assert {(g.inputs["minSize"], g.inputs.get("desiredCapacity")) for g in groups} == {(0, None)}
