"""Pulumi type tokens: the one place they are written (tests/test_one_door.py keeps it so).

The compiler emits these tokens, stacks/ registers them, cost prices them, preflight and the policy
pack read them. A token is the engine's name of the resource (`<package>:<module>/<name>:<Type>`,
Pulumi AWS provider, https://www.pulumi.com/registry/packages/aws/api-docs/).

`input_shapes()` is the shape of the inputs consumers read, by token: what a hand-edited Plan must
still hold in them (planner.plan.load_plan refuses anything else with exit 2, naming the field).
"""
from __future__ import annotations

from typing import Any

# network
VPC = "aws:ec2/vpc:Vpc"
VPC_CIDR = "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation"
SUBNET = "aws:ec2/subnet:Subnet"
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
EIP = "aws:ec2/eip:Eip"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
# compute
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
PLACEMENT_GROUP = "aws:ec2/placementGroup:PlacementGroup"
AUTOSCALING_GROUP = "aws:autoscaling/group:Group"
SCHEDULED_ACTION = "aws:autoscaling/schedule:Schedule"
LIFECYCLE_HOOK = "aws:autoscaling/lifecycleHook:LifecycleHook"
INSTANCE = "aws:ec2/instance:Instance"
EBS_VOLUME = "aws:ebs/volume:Volume"
# storage
LUSTRE = "aws:fsx/lustreFileSystem:LustreFileSystem"
# node runtime (the boot program's Lustre facts)
SSM_PARAMETER = "aws:ssm/parameter:Parameter"
# IAM
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
INSTANCE_PROFILE = "aws:iam/instanceProfile:InstanceProfile"
IAM_POLICY = "aws:iam/policy:Policy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"

SECURITY_GROUP_RULES = (SECURITY_GROUP_RULE, INGRESS_RULE, EGRESS_RULE)
IAM_POLICIES = (ROLE_POLICY, USER_POLICY, GROUP_POLICY, IAM_POLICY)

# Types whose pulumi-aws resource takes tags, in the order the tags policy lists them: a `tags` map,
# or for an auto-scaling group a list of {key, value, propagateAtLaunch} (TAGS_LIST).
TAGGABLE = (VPC, SUBNET, SECURITY_GROUP, INGRESS_RULE, EGRESS_RULE, LAUNCH_TEMPLATE, INSTANCE, EBS_VOLUME,
            AUTOSCALING_GROUP, PLACEMENT_GROUP, LUSTRE, ROLE, IAM_POLICY, INTERNET_GATEWAY, NAT_GATEWAY, EIP, ROUTE_TABLE,
            VPC_ENDPOINT, INSTANCE_PROFILE)
TAGS_LIST = frozenset({AUTOSCALING_GROUP})
TAGS_MAP = frozenset(TAGGABLE) - TAGS_LIST


def input_shapes() -> Any:
    """The inputs consumers read, by type token (other inputs are free-form: they go to Pulumi as is)."""
    from .fileshape import ANY, BOOL, CIDR, INT, NUM, STR, ByKey, ListOf, MapOf, Obj, Opt, Shape
    from .fileshape import is_ref

    class RefOr(Shape):
        """A value of `shape`, or a reference (checked by the Plan's reference rule)."""

        def __init__(self, inner: Shape) -> None:
            self.inner, self.name = inner, f"{inner.name} or a reference"

        def check(self, value: Any, path: str) -> None:
            if not is_ref(value):
                self.inner.check(value, path)

    text, texts = RefOr(STR), ListOf(RefOr(STR))
    flag = Opt(RefOr(_bool_or_text()))
    port = Opt(INT)
    rule = Obj({}, {"fromPort": port, "toPort": port, "ipProtocol": Opt(STR), "protocol": Opt(STR),
                    "cidrIpv4": Opt(RefOr(CIDR)), "cidrBlocks": Opt(ListOf(RefOr(CIDR))),
                    "type": Opt(STR)})
    inline = Obj({}, {"fromPort": port, "toPort": port, "protocol": Opt(STR), "cidrBlocks": Opt(ListOf(RefOr(CIDR))),
                      "securityGroups": Opt(texts), "self": Opt(BOOL)})
    ebs = Obj({}, {"volumeSize": Opt(NUM), "volumeType": Opt(STR), "encrypted": flag, "iops": Opt(NUM),
                   "throughput": Opt(NUM), "deleteOnTermination": flag, "kmsKeyId": Opt(text)})
    interface = Obj({}, {"networkCardIndex": Opt(INT), "deviceIndex": Opt(INT), "interfaceType": Opt(STR),
                         "associatePublicIpAddress": flag, "securityGroups": Opt(texts), "subnetId": Opt(text)})
    tags = MapOf(ANY)
    return ByKey("type", {
        SECURITY_GROUP: Obj({}, {"inputs": Obj({}, {"ingress": Opt(ListOf(inline)), "egress": Opt(ListOf(inline)),
                                                    "tags": Opt(tags)})}),
        **{t: Obj({}, {"inputs": rule}) for t in SECURITY_GROUP_RULES},
        LAUNCH_TEMPLATE: Obj({}, {"inputs": Obj({}, {
            "instanceType": Opt(text), "imageId": Opt(text),
            "blockDeviceMappings": Opt(ListOf(Obj({}, {"deviceName": Opt(STR), "ebs": Opt(ebs)}))),
            "networkInterfaces": Opt(ListOf(interface)), "metadataOptions": Opt(MapOf(ANY)),
            "instanceMarketOptions": Opt(MapOf(ANY)), "tagSpecifications": Opt(ListOf(MapOf(ANY)))})}),
        AUTOSCALING_GROUP: Obj({}, {"inputs": Obj({}, {
            "minSize": Opt(INT), "maxSize": Opt(INT), "desiredCapacity": Opt(INT), "vpcZoneIdentifiers": Opt(texts),
            "launchTemplate": Opt(MapOf(ANY)), "capacityReservationSpecification": Opt(MapOf(ANY)),
            "tags": Opt(ListOf(Obj({}, {"key": STR, "value": ANY, "propagateAtLaunch": Opt(BOOL)})))})}),
        LUSTRE: Obj({}, {"inputs": Obj({}, {"storageCapacity": Opt(NUM), "deploymentType": Opt(STR),
                                            "perUnitStorageThroughput": Opt(NUM), "subnetIds": Opt(ANY),
                                            "securityGroupIds": Opt(texts)})}),
        SUBNET: Obj({}, {"inputs": Obj({}, {"cidrBlock": Opt(RefOr(CIDR)), "mapPublicIpOnLaunch": Opt(BOOL),
                                            "availabilityZone": Opt(text), "availabilityZoneId": Opt(text)})}),
        VPC: Obj({}, {"inputs": Obj({}, {"cidrBlock": Opt(RefOr(CIDR))})}),
        VPC_CIDR: Obj({}, {"inputs": Obj({}, {"cidrBlock": Opt(RefOr(CIDR))})}),
    })


def _bool_or_text() -> Any:
    """Pulumi takes booleans of launch templates as true/false or "true"/"false" (the compiler writes text)."""
    from .fileshape import _Scalar

    return _Scalar("true, false or text", lambda v: isinstance(v, (bool, str)))
