"""stacks/ building blocks: type token -> pulumi_aws class, Plan inputs -> SDK keyword arguments
(names from the SDK's own tables), the errors a wrong Plan input gets, cross-stack wiring, deploy
waves and the generated stack config files. No Pulumi runtime here (see test_stacks_mocks.py)."""
from __future__ import annotations

import pytest

pytest.importorskip("pulumi_aws")

from planner.plan.model import Plan  # noqa: E402
from stacks.configure import deploy_commands, stack_configs  # noqa: E402
from stacks.program import _ordered  # noqa: E402
from stacks.sdk import PlanInputError, resource_class, to_kwargs  # noqa: E402
from stacks.wiring import deploy_waves, wiring  # noqa: E402

from test_stacks_mocks import HAND_PLAN  # noqa: E402

# Every type token docs/plan-format.md says the compiler emits, with the class it must map to.
TOKENS = [
    ("aws:ec2/vpc:Vpc", "pulumi_aws.ec2", "Vpc"),
    ("aws:ec2/subnet:Subnet", "pulumi_aws.ec2", "Subnet"),
    ("aws:ec2/internetGateway:InternetGateway", "pulumi_aws.ec2", "InternetGateway"),
    ("aws:ec2/eip:Eip", "pulumi_aws.ec2", "Eip"),
    ("aws:ec2/natGateway:NatGateway", "pulumi_aws.ec2", "NatGateway"),
    ("aws:ec2/routeTable:RouteTable", "pulumi_aws.ec2", "RouteTable"),
    ("aws:ec2/route:Route", "pulumi_aws.ec2", "Route"),
    ("aws:ec2/routeTableAssociation:RouteTableAssociation", "pulumi_aws.ec2", "RouteTableAssociation"),
    ("aws:ec2/vpcEndpoint:VpcEndpoint", "pulumi_aws.ec2", "VpcEndpoint"),
    ("aws:ec2/securityGroup:SecurityGroup", "pulumi_aws.ec2", "SecurityGroup"),
    ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "pulumi_aws.vpc", "SecurityGroupIngressRule"),
    ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "pulumi_aws.vpc", "SecurityGroupEgressRule"),
    ("aws:iam/role:Role", "pulumi_aws.iam", "Role"),
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "pulumi_aws.iam", "RolePolicyAttachment"),
    ("aws:iam/instanceProfile:InstanceProfile", "pulumi_aws.iam", "InstanceProfile"),
    ("aws:fsx/lustreFileSystem:LustreFileSystem", "pulumi_aws.fsx", "LustreFileSystem"),
    ("aws:ec2/placementGroup:PlacementGroup", "pulumi_aws.ec2", "PlacementGroup"),
    ("aws:ec2/launchTemplate:LaunchTemplate", "pulumi_aws.ec2", "LaunchTemplate"),
    ("aws:autoscaling/group:Group", "pulumi_aws.autoscaling", "Group"),
]


@pytest.mark.parametrize("token,module,name", TOKENS, ids=[t[0] for t in TOKENS])
def test_type_token_maps_to_the_sdk_class(token, module, name):
    import importlib

    rc = resource_class(token)
    assert rc.cls is getattr(importlib.import_module(module), name)
    assert rc.args_cls.__name__ == f"{name}Args"


def _no_refs(ref, path):
    raise AssertionError(f"unexpected reference at {path}")


def test_nested_names_come_from_the_sdk_tables_not_a_regex():
    rc = resource_class("aws:ec2/launchTemplate:LaunchTemplate")
    kwargs = to_kwargs(rc, {
        "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2},
        # a regex would say enable_resource_name_dns_arecord; the SDK says ..._dns_a_record
        "privateDnsNameOptions": {"enableResourceNameDnsARecord": True},
        "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 512, "encrypted": "true"}}],
        "tags": {"costCenter": "4711", "ultraplan:pool": "trainers"},  # user keys: untouched
    }, _no_refs, "lt-trainers")
    assert kwargs == {
        "metadata_options": {"http_tokens": "required", "http_put_response_hop_limit": 2},
        "private_dns_name_options": {"enable_resource_name_dns_a_record": True},
        "block_device_mappings": [{"device_name": "/dev/xvda", "ebs": {"volume_size": 512, "encrypted": "true"}}],
        "tags": {"costCenter": "4711", "ultraplan:pool": "trainers"},
    }


def test_references_are_resolved_where_they_sit():
    rc = resource_class("aws:autoscaling/group:Group")
    seen = []

    def resolve(ref, path):
        seen.append((ref["$ref"], ref["attr"], path))
        return f"<{ref['$ref']}.{ref['attr']}>"

    kwargs = to_kwargs(rc, {"launchTemplate": {"id": {"$ref": "lt", "attr": "id"},
                                               "version": {"$ref": "lt", "attr": "latestVersion"}},
                            "vpcZoneIdentifiers": [{"$ref": "subnet-a", "attr": "id"}],
                            "minSize": 1, "maxSize": 1}, resolve, "asg")
    assert kwargs["launch_template"] == {"id": "<lt.id>", "version": "<lt.latestVersion>"}
    assert kwargs["vpc_zone_identifiers"] == ["<subnet-a.id>"]
    assert [p for *_, p in seen] == [
        "asg (aws:autoscaling/group:Group): inputs.launchTemplate.id",
        "asg (aws:autoscaling/group:Group): inputs.launchTemplate.version",
        "asg (aws:autoscaling/group:Group): inputs.vpcZoneIdentifiers[0]",
    ]


def test_a_union_takes_the_alternative_the_value_fits():
    rc = resource_class("aws:iam/role:Role")
    assert to_kwargs(rc, {"assumeRolePolicy": "{}"}, _no_refs) == {"assume_role_policy": "{}"}
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole"]}]}
    assert to_kwargs(rc, {"assumeRolePolicy": doc}, _no_refs)["assume_role_policy"] == {
        "version": "2012-10-17", "statement": [{"effect": "Allow", "action": ["sts:AssumeRole"]}]}


@pytest.mark.parametrize("token,inputs,message", [
    pytest.param("aws:ec2/launchTemplate:LaunchTemplate", {"instanceTyp": "p5.48xlarge"},
                 "lt (aws:ec2/launchTemplate:LaunchTemplate): inputs: 'instanceTyp' is not an input of "
                 "LaunchTemplateArgs (did you mean 'instanceType'?)", id="unknown-input"),
    pytest.param("aws:ec2/launchTemplate:LaunchTemplate", {"metadataOptions": {"httpToken": "required"}},
                 "lt (aws:ec2/launchTemplate:LaunchTemplate): inputs.metadataOptions: 'httpToken' is not an "
                 "input of LaunchTemplateMetadataOptionsArgs (did you mean 'httpTokens'?)", id="unknown-nested"),
    pytest.param("aws:ec2/launchTemplate:LaunchTemplate",
                 {"blockDeviceMappings": [{"ebs": {"encrypted": True}}]},
                 "lt (aws:ec2/launchTemplate:LaunchTemplate): inputs.blockDeviceMappings[0].ebs.encrypted: "
                 "the SDK takes a string, the plan has a boolean True", id="bool-for-string"),
    pytest.param("aws:fsx/lustreFileSystem:LustreFileSystem", {"subnetIds": ["subnet-1"]},
                 "lt (aws:fsx/lustreFileSystem:LustreFileSystem): inputs.subnetIds: the SDK takes a string, "
                 "the plan has a list ['subnet-1']", id="list-for-string"),
    pytest.param("aws:autoscaling/group:Group", {"maxSize": "2"},
                 "lt (aws:autoscaling/group:Group): inputs.maxSize: the SDK takes an integer, "
                 "the plan has a string '2'", id="string-for-int"),
    pytest.param("aws:ec2/launchTemplate:LaunchTemplate", {"networkInterfaces": {"deviceIndex": 0}},
                 "lt (aws:ec2/launchTemplate:LaunchTemplate): inputs.networkInterfaces: the SDK takes a list, "
                 "the plan has an object {'deviceIndex': 0}", id="object-for-list"),
])
def test_a_wrong_plan_input_is_an_error_naming_resource_and_path(token, inputs, message):
    with pytest.raises(PlanInputError) as err:
        to_kwargs(resource_class(token), inputs, _no_refs, "lt")
    assert str(err.value) == message


@pytest.mark.parametrize("token,message", [
    ("aws:ec2/launchTemplat:LaunchTemplate", "aws:ec2/launchTemplat:LaunchTemplate: pulumi_aws has no such "
     "resource type (did you mean 'aws:ec2/launchTemplate:LaunchTemplate'"),
    ("aws:ec2/vpc", "'aws:ec2/vpc' is not a Pulumi type token (package:module:Type)"),
    ("nosuch:mod/x:X", "nosuch:mod/x:X: the Python SDK pulumi_nosuch is not installed"),
])
def test_an_unknown_type_token_is_an_error(token, message):
    with pytest.raises(PlanInputError) as err:
        resource_class(token)
    assert str(err.value).startswith(message)


def test_output_names_come_from_the_sdk():
    lt = resource_class("aws:ec2/launchTemplate:LaunchTemplate")
    assert lt.output_attr("latestVersion") == "latest_version"
    assert lt.output_attr("id") == "id"
    with pytest.raises(PlanInputError, match=r"has no output 'latestVersio' \(did you mean 'latestVersion'"):
        lt.output_attr("latestVersio")


def test_resources_are_created_after_what_they_reference():
    plan = Plan.from_json(HAND_PLAN)
    order = [r.name for r in _ordered(plan.stack("compute-1").resources)]
    assert order.index("lt-trainers") < order.index("asg-trainers-u0001")
    assert order.index("pg-trainers") < order.index("asg-trainers-u0001")
    order = [r.name for r in _ordered(plan.stack("network").resources)]
    assert order.index("node-role-ssm") < order.index("node-profile")


def test_a_reference_cycle_is_an_error():
    plan = Plan.from_json({"name": "c", "region": "us-east-1", "stacks": [{"name": "network", "resources": [
        {"type": "aws:ec2/vpc:Vpc", "name": "a", "inputs": {}, "depends_on": ["b"]},
        {"type": "aws:ec2/vpc:Vpc", "name": "b", "inputs": {}, "depends_on": ["a"]}]}]})
    with pytest.raises(PlanInputError, match="cycle: a, b"):
        _ordered(plan.stack("network").resources)


def test_wiring_exports_exactly_what_other_stacks_read():
    plan = Plan.from_json(HAND_PLAN)
    wires = wiring(plan)
    assert wires.export_keys("network") == [
        "efa-sg.id", "node-profile.arn", "node-profile.name", "subnet-use1-az4.id", "vpc.id"]
    assert wires.export_keys("storage") == []  # compute-1 only depends on `lustre`, reads nothing
    assert wires.export_keys("compute-1") == []
    assert wires.needs == {"storage": ["network"], "compute-1": ["network", "storage"]}


def test_deploy_waves_put_network_then_storage_then_compute_shards_together():
    data = {"name": "w", "region": "us-east-1", "stacks": [
        {"name": "network", "resources": [{"type": "aws:ec2/vpc:Vpc", "name": "vpc", "inputs": {}}]},
        {"name": "storage", "resources": []},
        {"name": "compute-1", "resources": [
            {"type": "aws:ec2/securityGroup:SecurityGroup", "name": "sg1", "inputs": {"vpcId": {"$ref": "vpc", "attr": "id"}}}]},
        {"name": "compute-2", "resources": []},
        {"name": "compute-3", "resources": [
            {"type": "aws:ec2/securityGroup:SecurityGroup", "name": "sg3", "inputs": {"description": "x"},
             "depends_on": ["sg1"]}]},
    ]}
    assert deploy_waves(Plan.from_json(data)) == [["network"], ["storage"], ["compute-1", "compute-2"], ["compute-3"]]


def test_stack_configs_and_deploy_commands():
    plan = Plan.from_json(HAND_PLAN)
    configs = stack_configs(plan, "examples/hand.yaml", out_dir="out", shard_size=200)
    assert [(c.stack, c.path, c.wave) for c in configs] == [
        ("hand-network", "out/Pulumi.hand-network.yaml", 0),
        ("hand-storage", "out/Pulumi.hand-storage.yaml", 1),
        ("hand-compute-1", "out/Pulumi.hand-compute-1.yaml", 2),
    ]
    assert configs[2].text == (
        "# Generated by `python -m stacks.configure examples/hand.yaml`: Plan stack 'compute-1' of 'hand'.\n"
        "# Deploy wave 3 of 3; reads from: hand-network, hand-storage.\n"
        "config:\n"
        '  ultraplan:spec: "examples/hand.yaml"\n'
        '  ultraplan:shard: "compute-1"\n'
        '  ultraplan:shardSize: "200"\n'
        '  aws:region: "us-east-1"\n'
    )
    assert deploy_commands(configs)[-3:] == [
        "pulumi up --yes --stack hand-network",
        "pulumi up --yes --stack hand-storage",
        "pulumi up --yes --stack hand-compute-1",
    ]


def test_a_reference_to_a_resource_not_in_the_plan_is_an_error():
    from stacks.sdk import PlanInputError as Err

    plan = Plan.from_json({"name": "d", "region": "us-east-1", "stacks": [{"name": "network", "resources": [
        {"type": "aws:ec2/subnet:Subnet", "name": "s", "inputs": {"vpcId": {"$ref": "vpc", "attr": "id"}}}]}]})
    with pytest.raises(Err, match="s references 'vpc', which is not in the plan"):
        wiring(plan)


def test_configure_writes_one_stack_config_per_plan_stack(tmp_path, capsys):
    import os
    import yaml

    from stacks.configure import main

    spec = "examples/gb200-capacity-block.yaml"
    assert os.path.exists(spec), f"{spec} is gone: update the test with the example"
    assert main([spec, "--out", str(tmp_path)]) == 0
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["Pulumi.gb200-pretrain-compute-head-1.yaml", "Pulumi.gb200-pretrain-compute-trainers-1.yaml",
                     "Pulumi.gb200-pretrain-network.yaml", "Pulumi.gb200-pretrain-storage.yaml"]
    config = yaml.safe_load((tmp_path / "Pulumi.gb200-pretrain-network.yaml").read_text())["config"]
    assert config == {"ultraplan:spec": spec, "ultraplan:shard": "network", "aws:region": "us-east-1"}
    assert capsys.readouterr().out.splitlines()[-3:] == [
        "pulumi up --yes --stack gb200-pretrain-compute-trainers-1 &",
        "pulumi up --yes --stack gb200-pretrain-compute-head-1 &", "wait"]


def test_configure_reports_a_bad_spec_with_exit_2(tmp_path, capsys):
    from stacks.configure import main

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nregion: us-east-1\ncompute: []\nbogus: 1\n")
    assert main([str(bad), "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    assert not list(tmp_path.glob("Pulumi.*.yaml"))


def test_committed_example_stack_configs_are_what_configure_writes():
    """Pulumi.gb200-pretrain-*.yaml at the root are examples; they must not drift from the spec."""
    import glob
    import os

    import planner

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    committed = sorted(glob.glob(os.path.join(root, "Pulumi.gb200-pretrain-*.yaml")))
    assert committed, "the committed Pulumi.gb200-pretrain-*.yaml example stack configs are gone"
    spec = "examples/gb200-capacity-block.yaml"
    configs = stack_configs(planner.compile_spec(os.path.join(root, spec)), spec, out_dir=root)
    assert sorted(c.path for c in configs) == committed
    for c in configs:
        with open(c.path, encoding="utf-8") as fh:
            text = fh.read()
        # `pulumi stack init` appends an encryptionsalt line to the file: allow it.
        kept = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("encryptionsalt:"))
        assert kept == c.text, f"{c.path} differs: run python -m stacks.configure {spec}"
