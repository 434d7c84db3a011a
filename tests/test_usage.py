"""What a Plan adds to the account's countable limits (planner/plan/usage.py), on hand-written resources,
and the catalog facts the purchase and placement checks read."""
from __future__ import annotations

from planner.catalog import load_catalog
from planner.plan.model import Resource, ref
from planner.plan.usage import plan_usage, security_group_rules

SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LEGACY = "aws:ec2/securityGroupRule:SecurityGroupRule"


def test_rules_count_inline_standalone_and_each_source_per_direction():
    resources = [
        Resource(SG, "a", {"ingress": [{"protocol": "tcp", "cidrBlocks": ["10.0.0.0/16", "10.1.0.0/16"]},
                                       {"protocol": "-1", "self": True}],
                           "egress": [{"protocol": "-1", "securityGroups": ["sg-1"]}]}),
        Resource(SG, "b", {}),
        Resource(INGRESS, "a-in", {"securityGroupId": ref("a"), "referencedSecurityGroupId": ref("b")}),
        Resource(EGRESS, "b-out", {"securityGroupId": ref("b"), "cidrIpv4": "0.0.0.0/0"}),
        Resource(LEGACY, "b-legacy", {"type": "egress", "securityGroupId": ref("b")}),
    ]
    assert security_group_rules(resources) == {"a": {"ingress": 4, "egress": 1}, "b": {"ingress": 0, "egress": 2}}
    usage = plan_usage(resources, [])
    assert (usage["rules_per_security_group"], usage["fullest_security_group"]) == (4, "a")


def test_nat_gateways_per_zone_enis_and_lustre():
    resources = [
        Resource("aws:ec2/subnet:Subnet", "pub-a", {"availabilityZone": "us-east-1a"}),
        Resource("aws:ec2/subnet:Subnet", "pub-b", {"availabilityZoneId": "use1-az4"}),
        Resource("aws:ec2/natGateway:NatGateway", "nat-a", {"subnetId": ref("pub-a")}),
        Resource("aws:ec2/natGateway:NatGateway", "nat-b", {"subnetId": ref("pub-b")}),
        Resource("aws:ec2/eip:Eip", "eip-a", {}),
        Resource("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {"vpcEndpointType": "Gateway"}),
        Resource("aws:ec2/vpcEndpoint:VpcEndpoint", "ssm", {"vpcEndpointType": "Interface",
                                                            "subnetIds": [ref("pub-a"), ref("pub-b")]}),
        Resource("aws:fsx/lustreFileSystem:LustreFileSystem", "fs", {"deploymentType": "PERSISTENT_2",
                                                                     "storageCapacity": 2400}),
    ]
    pools = [{"instances": 10, "interfaces_per_instance": 17}, {"instances": 1, "interfaces_per_instance": 1}]
    usage = plan_usage(resources, pools)
    assert usage["nat_gateways_per_zone"] == {"us-east-1a": 1, "use1-az4": 1}
    assert usage["elastic_ips"] == 1
    # 170 + 1 instance interfaces, 2 NAT gateways, 2 interface-endpoint ENIs; the gateway endpoint has none
    assert usage["network_interfaces"] == 175
    assert usage["lustre_storage_gib"] == {"PERSISTENT_2": 2400}


def test_catalog_knows_how_types_are_sold_and_placed():
    cat = load_catalog()
    p5, t3, gb200 = cat.instance("p5.48xlarge"), cat.instance("t3.medium"), cat.instance("p6e-gb200.36xlarge")
    assert p5.sold_as("capacity-block") and p5.joins("cluster")  # DescribeInstanceTypes (moto's real data)
    assert t3.sold_as("capacity-block") is False and t3.joins("cluster") is False
    assert gb200.ultraserver_only and gb200.sold_as("spot") is False
    assert gb200.joins("cluster") is None  # not known: no check relies on it
