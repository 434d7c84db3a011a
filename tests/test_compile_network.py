"""Compiler details the mutation bench (bench/mutation.py) found untested: subnet allocation order
and names, the address-budget error's figures, the too-big pool's hint, the egress-none network's
SSM endpoints, and the partition in ARNs (GovCloud, China)."""
from __future__ import annotations

import json

import pytest

from conftest import BASE_SPEC
from planner import compile_plan
from planner.errors import SpecError
from planner.plan.model import iter_refs
from planner.spec.load import parse_spec


def plan_of(text: str, **kw):
    return compile_plan(parse_spec(text, "spec.yaml"), **kw)


def issues_of(text: str):
    with pytest.raises(SpecError) as exc:
        plan_of(text)
    return [(i.path, i.message, i.hint) for i in exc.value.issues]


def test_largest_subnet_is_allocated_first():
    """A small pool listed first and a big one after: the /22 still takes the start of the VPC and the
    /24 the next block (smallest first would leave a hole before the /22)."""
    text = (BASE_SPEC.replace("compute:\n", "compute:\n  - {name: small, instance_type: m7i.large, count: 2}\n")
            .replace("    count: 2\n", "    count: 300\n    availability_zone: us-east-1b\n"))
    plan = plan_of(text)
    assert {s["name"]: s["cidr"] for s in plan.network["subnets"]} == {
        "subnet-us-east-1a": "10.0.4.0/24", "subnet-us-east-1b": "10.0.0.0/22"}
    assert [(s["availability_zone"], s["cidr"]) for s in plan.network["public_subnets"]] == [
        ("us-east-1a", "10.0.5.0/28"), ("us-east-1b", "10.0.5.16/28")]


def test_address_budget_error_counts_every_subnet():
    """300 p5 need a /23 (512) and the NAT's public subnet a /28 (16): 528 addresses, in a /24 (256)."""
    text = BASE_SPEC.replace("vpc_cidr: 10.0.0.0/16", "vpc_cidr: 10.0.0.0/24").replace("count: 2", "count: 300")
    assert issues_of(text) == [(
        "network.vpc_cidr", "the subnets need 528 addresses (largest /23); the VPC's CIDR blocks hold 256",
        "use a larger vpc_cidr (up to /16) or add secondary_cidrs, e.g. secondary_cidrs: [10.1.0.0/16]")]


@pytest.mark.parametrize("pool, message, hint", [
    ("instance_type: p5.48xlarge\n    count: 70000",
     "pool 'gpu' needs 70,000 IPs; one subnet holds at most 65,531 (/16)",
     "split it into pools of at most 65,531 instances each (an EFA pool stays in one subnet)"),
    ("ultraserver: u-p6e-gb200x72\n    count: 4000\n    ami: ami-0123456789abcdef0\n"
     "    capacity: {type: capacity-reservation, reservation_id: cr-0123456789abcdef0}",
     "pool 'gpu' needs 72,000 IPs; one subnet holds at most 65,531 (/16)",
     "split it into pools of at most 3,640 UltraServers each (an EFA pool stays in one subnet)"),
], ids=["instances", "ultraservers"])
def test_a_pool_too_big_for_one_subnet_says_how_to_split_it(pool, message, hint):
    text = BASE_SPEC.replace("instance_type: p5.48xlarge\n    count: 2", pool)
    if "ultraserver" in pool:
        text = text.replace("us-east-1a", "us-east-1-dfw-2a").replace(
            "vpc_cidr: 10.0.0.0/16", "vpc_cidr: 10.0.0.0/16\n  region_zone: use1-az4")
    assert issues_of(text) == [("compute[0].count", message, hint)]


def test_subnet_names_skip_names_already_taken():
    """Day 2: the previous Plan kept subnet-us-east-1a-2; a new subnet in that zone takes the next
    free name, never a duplicate."""
    from planner.compile.addressing import _new_subnet

    names = {"subnet-us-east-1a", "subnet-us-east-1a-2"}
    by_zone = {"us-east-1a": [object()]}
    assert _new_subnet(by_zone, names, "us-east-1a").name == "subnet-us-east-1a-3"
    assert _new_subnet(by_zone, names, "us-east-1a").name == "subnet-us-east-1a-4"
    assert _new_subnet(by_zone, names, "us-east-1b").name == "subnet-us-east-1b"
    assert names >= {"subnet-us-east-1a-3", "subnet-us-east-1a-4", "subnet-us-east-1b"}


def test_egress_none_reaches_ssm_and_s3_through_endpoints_whose_references_resolve():
    plan = plan_of(BASE_SPEC.replace("vpc_cidr: 10.0.0.0/16", "vpc_cidr: 10.0.0.0/16\n  egress: none"))
    names = plan.by_name()
    for r in plan.resources():
        for ref in iter_refs(r.inputs):
            assert ref["$ref"] in names, (r.name, ref)
    assert not [r for r in plan.resources() if r.type == "aws:ec2/natGateway:NatGateway"]
    ingress = names["endpoints-sg-ingress-https"].inputs
    assert (ingress["securityGroupId"], ingress["referencedSecurityGroupId"], ingress["ipProtocol"],
            ingress["fromPort"], ingress["toPort"]) == (
        {"$ref": "endpoints-sg", "attr": "id"}, {"$ref": "efa-sg", "attr": "id"}, "tcp", 443, 443)
    # The endpoints come from `egress: none`: they point at that line (line 7 of the spec).
    assert {names[n].source.line for n in ("endpoints-sg", "endpoints-sg-ingress-https", "ssm-endpoint")} == {7}
    for service in ("ssm", "ssmmessages", "ec2messages"):
        ep = names[f"{service}-endpoint"].inputs
        assert (ep["serviceName"], ep["vpcEndpointType"], ep["privateDnsEnabled"], ep["securityGroupIds"]) == (
            f"com.amazonaws.us-east-1.{service}", "Interface", True, [{"$ref": "endpoints-sg", "attr": "id"}])
    egress = names["efa-sg-egress-endpoints"].inputs
    assert (egress["securityGroupId"], egress["referencedSecurityGroupId"], egress["ipProtocol"],
            egress["fromPort"], egress["toPort"]) == (
        {"$ref": "efa-sg", "attr": "id"}, {"$ref": "endpoints-sg", "attr": "id"}, "tcp", 443, 443)
    # Without a NAT the nodes reach S3 (images, the boot script's downloads) only through the gateway
    # endpoint: HTTPS to its prefix list (the endpoint's `prefixListId` output).
    s3 = names["efa-sg-egress-s3"].inputs
    assert (s3["securityGroupId"], s3["prefixListId"], s3["ipProtocol"], s3["fromPort"], s3["toPort"]) == (
        {"$ref": "efa-sg", "attr": "id"}, {"$ref": "s3-endpoint", "attr": "prefixListId"}, "tcp", 443, 443)
    assert names["efa-sg-egress-s3"].type == "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


@pytest.mark.parametrize("region, partition", [("us-east-1", "aws"), ("us-gov-east-1", "aws-us-gov"),
                                               ("cn-north-1", "aws-cn")])
def test_arns_carry_the_regions_partition(region, partition):
    """A managed policy ARN and the drain policy's resource are per partition: the commercial ARN
    does not exist in GovCloud, so the attachment would fail there."""
    text = BASE_SPEC.replace("us-east-1", region).replace("count: 2", "count: 2\n    capacity: {type: capacity-block, "
                                                         "reservation_id: cr-0123456789abcdef0, start: 2026-12-01, days: 7}")
    names = plan_of(text).by_name()
    assert names["node-role-ssm"].inputs["policyArn"] == f"arn:{partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
    [statement] = json.loads(names["node-role-drain"].inputs["policy"])["Statement"]
    assert statement["Resource"] == f"arn:{partition}:autoscaling:{region}:*:autoScalingGroup:*:autoScalingGroupName/*"


def test_an_outgrown_subnet_names_the_pool_that_outgrew_it():
    """Day 2: the pool grows past its subnet; the note names the pool and its count line."""
    import os

    from conftest import ROOT

    with open(os.path.join(ROOT, "examples", "p5-on-demand-fsx.yaml"), encoding="utf-8") as fh:
        text = fh.read()
    old = plan_of(text)
    new = plan_of(text.replace("count: 64", "count: 500"), previous=old)
    [note] = [n for n in new.notes if "no longer holds" in n["message"]]
    assert (note["pool"], note["topic"], note["level"], note["source"]["line"]) == ("gpu", "addresses", "warning", 11)


def test_secondary_cidrs_are_associated_before_the_subnets_that_use_them():
    text = BASE_SPEC.replace("vpc_cidr: 10.0.0.0/16", "vpc_cidr: 10.0.0.0/16\n  secondary_cidrs: [10.1.0.0/16, 10.2.0.0/16]")
    plan = plan_of(text)
    names = plan.by_name()
    assocs = {n: names[n].inputs for n in ("vpc-cidr-1", "vpc-cidr-2")}
    assert assocs == {"vpc-cidr-1": {"vpcId": {"$ref": "vpc", "attr": "id"}, "cidrBlock": "10.1.0.0/16"},
                      "vpc-cidr-2": {"vpcId": {"$ref": "vpc", "attr": "id"}, "cidrBlock": "10.2.0.0/16"}}
    subnets = [r for r in plan.resources() if r.type == "aws:ec2/subnet:Subnet"]
    assert subnets and all(r.depends_on == ["vpc-cidr-1", "vpc-cidr-2"] for r in subnets)
    # Previews and findings about an association point at the spec line that asked for it.
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "secondary_cidrs" in row)
    assert {names[n].source.line for n in assocs} == {line}


def test_a_subnet_that_grew_past_an_earlier_one_is_still_allocated_first():
    """Pools are placed largest first, but two pools sharing zone b make its subnet (299 IPs, a /22 with
    headroom) larger than zone a's (200, a /23) after zone a's was made: the allocation still takes
    the largest first, so the /22 starts the VPC and the /23 follows without a hole."""
    text = BASE_SPEC.replace("count: 2\n", "count: 200\n") + (
        "  - {name: b1, instance_type: p5.48xlarge, count: 150, availability_zone: us-east-1b}\n"
        "  - {name: b2, instance_type: p5.48xlarge, count: 149, availability_zone: us-east-1b}\n")
    subnets = {s["name"]: (s["cidr"], s["ips_needed"]) for s in plan_of(text).network["subnets"]}
    assert subnets == {"subnet-us-east-1b": ("10.0.0.0/22", 299), "subnet-us-east-1a": ("10.0.4.0/23", 200)}
