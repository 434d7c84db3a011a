"""`preflight --launch-dry-run` sends the Plan's OWN launch template (and, where the account holds it,
launches from that template), and preflight resolves default images through SSM like EC2 does.

moto: RunInstances DryRun, DescribeLaunchTemplates, DescribeImages (its public AMIs), SSM's Amazon
Linux parameters, VPCs and subnets. Seeded (preflight_fixtures.Seed): quotas, capacity, the DLAMI SSM
parameters (moto ships none and refuses /aws/ names). Each request is captured from boto3's
`provide-client-params` event, so the assertions are on what would go to AWS.
"""
from __future__ import annotations

import base64
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from conftest import BASE_SPEC, ROOT  # noqa: E402
from preflight_fixtures import NOW, REGION, inject_error, make_session, standard_seed  # noqa: E402

from planner import compile_plan  # noqa: E402
from planner.findings import Level  # noqa: E402
from planner.plan.model import Plan  # noqa: E402
from planner.preflight import REGISTRY  # noqa: E402
from planner.preflight import run as run_all  # noqa: E402
from planner.preflight.checks.dry_run import launch_request  # noqa: E402
from planner.preflight.context import Context  # noqa: E402
from planner.preflight.live import LiveAccount  # noqa: E402
from planner.spec.load import parse_spec  # noqa: E402

DLAMI_X86 = "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-amazon-linux-2023/latest/ami-id"
DRY = "preflight.launch.dry-run"
UNDER_TEST = (DRY, "preflight.ami.compatible")


def run(plan, account, **kw):
    """Preflight with only the checks under test (the others each take moto's time, and have their own tests)."""
    return run_all(plan, account, skip={c: "not under test" for c in REGISTRY.ids() if c not in UNDER_TEST}, **kw)


def _plan(text: str = BASE_SPEC) -> Plan:
    return compile_plan(parse_spec(text, "spec.yaml"))


def _account(seed=None, errors=()):
    session = make_session(REGION)
    sent: list[dict] = []
    session.events.register("provide-client-params.ec2.RunInstances", lambda params, **_: sent.append(dict(params)))
    (seed or standard_seed()).install(session)
    for op, code in errors:
        inject_error(session, op, code, f"{code} (injected)")
    return LiveAccount(REGION, session=session, max_attempts=1), sent


_IMAGES: dict[str, dict] = {}


def _moto_image(arch: str = "x86_64") -> dict:
    """One of moto's public Amazon images (its AMI list ships with moto, the same in every test)."""
    if arch not in _IMAGES:
        _IMAGES[arch] = _find_moto_image(arch)
    return _IMAGES[arch]


def _find_moto_image(arch: str) -> dict:
    ec2 = make_session(REGION).client("ec2")
    return next(i for i in ec2.describe_images(Owners=["amazon"])["Images"]
                if i["Architecture"] == arch and i.get("BlockDeviceMappings") and i.get("RootDeviceName") == "/dev/xvda")


def _found(result, check_id=DRY):
    return [f for f in result.findings if f.check_id == check_id]


def test_dry_run_sends_the_plans_own_launch_template(aws):
    img = _moto_image()
    account, sent = _account(standard_seed(ssm_parameters={DLAMI_X86: img["ImageId"]}))
    plan = _plan()
    result = run(plan, account, now=NOW, launch_dry_run=True)
    assert _found(result) == []
    [request] = sent
    template = plan.by_name()["lt-gpu"].inputs
    assert request["DryRun"] is True and (request["MinCount"], request["MaxCount"]) == (2, 2)
    assert request["ImageId"] == img["ImageId"], "the image the Plan's resolve:ssm: parameter names today"
    assert request["InstanceType"] == "p5.48xlarge"
    # Every interface of the template, with exactly the fields the template sets (refs left out).
    assert [(n["NetworkCardIndex"], n["DeviceIndex"], n["InterfaceType"]) for n in request["NetworkInterfaces"]] == [
        (n["networkCardIndex"], n["deviceIndex"], n["interfaceType"]) for n in template["networkInterfaces"]]
    assert all("AssociatePublicIpAddress" not in n for n in request["NetworkInterfaces"])
    assert request["MetadataOptions"] == {"HttpTokens": "required", "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 2}
    assert request["BlockDeviceMappings"] == [{"DeviceName": "/dev/xvda", "Ebs": {
        "VolumeSize": 200, "VolumeType": "gp3", "Encrypted": True, "DeleteOnTermination": True}}]
    assert request["Placement"] == {"AvailabilityZone": "us-east-1a"}


def test_a_public_ip_flag_on_efa_only_is_sent_as_the_provider_would_and_refused(aws):
    """The template with the bug (associatePublicIpAddress "false" on efa-only interfaces) goes to EC2
    as a boolean False on those interfaces; EC2's answer (InvalidParameterValue, injected here: moto
    does not model the rule) is an error naming the Plan's template."""
    plan = _plan()
    data = plan.to_json()
    for stack in data["stacks"]:
        for r in stack["resources"]:
            if r["name"] == "lt-gpu":
                for ni in r["inputs"]["networkInterfaces"]:
                    ni["associatePublicIpAddress"] = "false"
    bad = Plan.from_json(data)
    account, sent = _account(errors=[("RunInstances", "InvalidParameterValue")])
    [f] = _found(run(bad, account, now=NOW, launch_dry_run=True))
    assert f.level == Level.ERROR
    assert f.message == ("launch dry run (the Plan's launch template): InvalidParameterValue: EC2 refuses the launch "
                         "template's settings")
    efa_only = [n for n in sent[0]["NetworkInterfaces"] if n["InterfaceType"] == "efa-only"]
    assert efa_only and all(n["AssociatePublicIpAddress"] is False for n in efa_only)


def test_capacity_block_group_overrides_go_with_the_launch():
    text = open(os.path.join(ROOT, "examples", "gb200-capacity-block.yaml")).read()
    plan = compile_plan(parse_spec(text, "gb200.yaml"))
    pool = plan.pools[0]
    req = launch_request(Context(plan, None), pool, "ami-0123456789abcdef0", {"name": "us-east-1-dfw-2a"})
    assert (req["MinCount"], req["MaxCount"]) == (18, 18), "one UltraServer into its own reservation"
    assert req["InstanceMarketOptions"] == {"MarketType": "capacity-block"}
    first_id = pool["capacity"]["reservation_ids"][0]
    assert req["CapacityReservationSpecification"] == {"CapacityReservationTarget": {"CapacityReservationId": first_id}}
    assert [n["NetworkCardIndex"] for n in req["NetworkInterfaces"]] == [0, 1, 5, 9, 13]
    assert "GroupName" not in req["Placement"], "blocks launch without a placement group"


def test_user_data_is_sent_decoded_and_a_planned_profile_left_out():
    plan = _plan()
    template = dict(plan.by_name()["lt-gpu"].inputs, userData=base64.b64encode(b"#cloud-config\n{}\n").decode())
    req = launch_request(None, plan.pools[0], "ami-1", None, template=template, group=None)
    assert req["UserData"] == "#cloud-config\n{}\n", "boto3 base64-encodes RunInstances UserData itself"
    assert "IamInstanceProfile" not in req, "the node profile is a Plan reference: not created yet"


def test_an_existing_placement_group_and_profile_go_with_the_launch():
    """Names AWS can take now (an existing placement group, an existing instance profile's ARN, as a
    hand-written or deployed Plan gives them) are sent, so the dry run checks them too."""
    plan = _plan()
    arn = "arn:aws:iam::123456789012:instance-profile/nodes"
    template = dict(plan.by_name()["lt-gpu"].inputs, iamInstanceProfile={"arn": arn})
    req = launch_request(None, plan.pools[0], "ami-1", {"name": "us-east-1a"}, template=template,
                         group={"placementGroup": "existing-pg"})
    assert req["IamInstanceProfile"] == {"Arn": arn}
    assert req["Placement"] == {"GroupName": "existing-pg", "AvailabilityZone": "us-east-1a"}


def test_volume_performance_and_template_level_reservation_go_with_the_launch():
    """A template's gp3 IOPS and throughput are sent (EC2 checks them against the volume type), and a
    reservation target on the template applies when the group gives none."""
    plan = _plan()
    template = dict(plan.by_name()["lt-gpu"].inputs)
    template["blockDeviceMappings"] = [{"deviceName": "/dev/xvda", "ebs": {
        "volumeSize": 200, "volumeType": "gp3", "iops": 6000, "throughput": 500}}]
    template["capacityReservationSpecification"] = {
        "capacityReservationTarget": {"capacityReservationId": "cr-0123456789abcdef0"}}
    req = launch_request(None, plan.pools[0], "ami-1", None, template=template, group={})
    assert req["BlockDeviceMappings"] == [{"DeviceName": "/dev/xvda", "Ebs": {
        "VolumeSize": 200, "VolumeType": "gp3", "Iops": 6000, "Throughput": 500}}]
    assert req["CapacityReservationSpecification"] == {
        "CapacityReservationTarget": {"CapacityReservationId": "cr-0123456789abcdef0"}}


def test_interface_booleans_given_as_pulumi_strings_are_sent_as_booleans():
    """pulumi-aws takes these launch-template flags as the strings "true"/"false"; RunInstances wants
    booleans, and a carrier IP (Wavelength) is an interface setting EC2 must see."""
    plan = _plan()
    template = dict(plan.by_name()["lt-gpu"].inputs)
    template["networkInterfaces"] = [{"deviceIndex": 0, "networkCardIndex": 0, "associateCarrierIpAddress": "true",
                                      "primaryIpv6": "false", "deleteOnTermination": "true"}]
    req = launch_request(None, plan.pools[0], "ami-1", None, template=template, group={})
    assert req["NetworkInterfaces"] == [{"DeviceIndex": 0, "NetworkCardIndex": 0, "AssociateCarrierIpAddress": True,
                                         "PrimaryIpv6": False, "DeleteOnTermination": True}]


def test_dry_run_launches_from_the_deployed_template_where_the_account_holds_it(aws):
    img = _moto_image()
    account, sent = _account(standard_seed(ssm_parameters={DLAMI_X86: img["ImageId"]}))
    plan = _plan()
    name = plan.by_name()["lt-gpu"].inputs["tags"]["Name"]
    ec2 = make_session(REGION).client("ec2")
    made = ec2.create_launch_template(
        LaunchTemplateName="gpu-template", LaunchTemplateData={"ImageId": img["ImageId"], "InstanceType": "p5.48xlarge"},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "Name", "Value": name}]}])
    result = run(plan, account, now=NOW, launch_dry_run=True)
    assert _found(result) == []
    [request] = sent
    assert request["LaunchTemplate"] == {"LaunchTemplateId": made["LaunchTemplate"]["LaunchTemplateId"], "Version": "1"}
    assert "NetworkInterfaces" not in request and "ImageId" not in request, "the stored template is what is tried"


def test_a_pool_whose_template_is_not_in_the_plan_is_an_error(aws):
    plan = _plan()
    data = plan.to_json()
    for stack in data["stacks"]:
        stack["resources"] = [r for r in stack["resources"] if r["name"] != "lt-gpu"]
    account, sent = _account()
    [f] = _found(run(Plan.from_json(data), account, now=NOW, launch_dry_run=True))
    assert f.level == Level.ERROR and "has no launch template 'lt-gpu'" in f.message and sent == []


def test_an_arm64_pool_without_its_image_is_tried_with_the_arm64_default_image(aws):
    """A GB200 pool (Grace CPUs: arm64) whose image parameter does not exist here is dry-run with the
    Amazon Linux 2023 image of its own architecture (an x86_64 image would be refused for the wrong
    architecture, not judged on capacity). moto lacks the Dallas Local Zone and p6e-gb200, so
    DescribeAvailabilityZones and that type's DescribeInstanceTypes are answered as AWS does."""
    text = open(os.path.join(ROOT, "examples", "gb200-capacity-block.yaml")).read()
    plan = compile_plan(parse_spec(text.replace("    ami: ami-0123456789abcdef0\n", ""), "gb200.yaml"))
    gb200 = {"InstanceType": "p6e-gb200.36xlarge", "ProcessorInfo": {"SupportedArchitectures": ["arm64"]},
             "VCpuInfo": {"DefaultVCpus": 144}, "NetworkInfo": {"MaximumNetworkCards": 17, "EfaSupported": True}}
    zones = make_session(REGION).client("ec2").describe_availability_zones()["AvailabilityZones"]
    dallas = {"ZoneName": "us-east-1-dfw-2a", "ZoneId": "use1-dfw2-az1", "ZoneType": "local-zone",
              "State": "available", "OptInStatus": "opted-in", "GroupName": "us-east-1-dfw-2",
              "NetworkBorderGroup": "us-east-1-dfw-2", "RegionName": REGION}
    session = make_session(REGION)
    sent: list[dict] = []
    session.events.register("provide-client-params.ec2.RunInstances", lambda params, **_: sent.append(dict(params)))

    def types(model, params, **_):
        if model.name == "DescribeInstanceTypes" and "p6e-gb200.36xlarge" in str(params.get("body")):
            return _Answer(), {"InstanceTypes": [gb200], "ResponseMetadata": {"HTTPStatusCode": 200}}
        return None
    session.events.register_first("before-call", types)
    standard_seed(zones=zones + [dallas]).install(session)
    run(plan, LiveAccount(REGION, session=session, max_attempts=1), now=NOW, launch_dry_run=True)
    arm64 = make_session(REGION).client("ssm").get_parameter(
        Name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64")["Parameter"]["Value"]
    [request] = [r for r in sent if r["InstanceType"] == "p6e-gb200.36xlarge"]
    assert request["ImageId"] == arm64


class _Answer:
    status_code, headers, content = 200, {}, b""


# -- default images: preflight resolves resolve:ssm: as EC2 will ------------------------------------
def test_default_image_parameter_resolves_and_its_image_is_checked(aws):
    img = _moto_image()
    account, _ = _account(standard_seed(ssm_parameters={DLAMI_X86: img["ImageId"]}))
    result = run(_plan(), account, now=NOW)
    assert _found(result, "preflight.ami.compatible") == []
    assert "preflight.ami.compatible" in result.checks


def test_default_image_parameter_missing_or_on_another_root_device_fails(aws):
    account, _ = _account()
    [f] = _found(run(_plan(), account, now=NOW), "preflight.ami.compatible")
    assert f.level == Level.ERROR and f.message == (
        f"SSM parameter {DLAMI_X86} does not exist in us-east-1: the launch template's image cannot resolve")
    img = _moto_image()
    account, _ = _account()
    ubuntu_root = _plan(BASE_SPEC + f"    ami: {img['ImageId']}\n    root_device_name: /dev/sda1\n")
    [f] = _found(run(ubuntu_root, account, now=NOW), "preflight.ami.compatible")
    assert "boots from /dev/xvda; the launch template maps the root volume as /dev/sda1" in f.message
    assert f.hint == "set the pool's root_device_name: /dev/xvda"


@pytest.mark.parametrize("captured, status", [(True, "passed"), (False, "unverified")])
def test_snapshots_carry_the_resolved_parameters(aws, captured, status):
    from planner.preflight.snapshot import SnapshotAccount, capture

    img = _moto_image()
    account, _ = _account(standard_seed(ssm_parameters={DLAMI_X86: img["ImageId"]}))
    plan = _plan()
    doc = capture(account, plan)
    assert doc["image_parameters"]["items"] == {DLAMI_X86: img["ImageId"]}
    assert img["ImageId"] in doc["images"]["items"]
    if not captured:
        del doc["image_parameters"]
    result = run(plan, SnapshotAccount(doc, "snap"), now=NOW)
    assert result.statuses()["preflight.ami.compatible"].value == status
