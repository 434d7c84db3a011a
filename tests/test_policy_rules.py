"""Each policy: a passing and a failing case, run through the offline runner on hand-written Plans.

FAILING lists (policy id, how the good Plan is broken, a piece of the message a user sees);
PASSING lists variants that must still pass. test_policy_registry checks every policy is in both.
"""
from __future__ import annotations

import json

import pytest
from test_policy_fixtures import SPEC, _ref, _res, good_plan, mutate, remove, resource

from planner.findings import Level
from policies.runner import NOT_APPLICABLE, PASSED, VIOLATED, run_policies


def outcome(plan, policy_id, **kwargs):
    return run_policies(plan, **kwargs).outcome(policy_id)


def configure(data, policy_id, **settings):
    data["policies"]["config"][policy_id] = settings


def add(data, stack, res):
    next(s for s in data["stacks"] if s["name"] == stack)["resources"].append(res)


def lt_nis(data, name="lt-train"):
    return resource(data, name)["inputs"]["networkInterfaces"]


# -- mutations -----------------------------------------------------------------------------------
def drop_egress_self(d):
    remove(d, "efa-sg-egress-self")


def drop_both_self_rules(d):
    remove(d, "efa-sg-egress-self")
    remove(d, "efa-sg-ingress-self")


def ingress_from_other_group(d):
    resource(d, "efa-sg-ingress-self")["inputs"]["referencedSecurityGroupId"] = _ref("lustre-sg")


def ingress_tcp_only(d):
    resource(d, "efa-sg-ingress-self")["inputs"]["ipProtocol"] = "tcp"


def existing_group(d):
    for ni in lt_nis(d):
        ni["securityGroups"] = ["sg-0123456789abcdef0"]


def inline_self_rules(d):
    drop_both_self_rules(d)
    sg = resource(d, "efa-sg")["inputs"]
    sg["ingress"] = [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}]
    sg["egress"] = [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}]


def legacy_sg_rules(d):
    drop_both_self_rules(d)
    for direction in ("ingress", "egress"):
        add(d, "network", _res("aws:ec2/securityGroupRule:SecurityGroupRule", f"efa-{direction}", {
            "type": direction, "securityGroupId": _ref("efa-sg"), "self": True, "protocol": "all",
            "fromPort": 0, "toPort": 0}, 5, tags=False))


def public_ip_on_interface(d):
    lt_nis(d)[0]["associatePublicIpAddress"] = "true"


def public_ip_on_gpu_instance(d):
    add(d, "compute-1", _res("aws:ec2/instance:Instance", "debug-box", {
        "instanceType": "g6e.xlarge", "associatePublicIpAddress": True,
        "metadataOptions": {"httpTokens": "required"}, "rootBlockDevice": {"encrypted": True}}, 50))


def public_ip_on_cpu_instance(d):
    add(d, "compute-1", _res("aws:ec2/instance:Instance", "bastion", {
        "instanceType": "m7i.large", "associatePublicIpAddress": True,
        "metadataOptions": {"httpTokens": "required"}, "rootBlockDevice": {"encrypted": True}}, 50))


def ssh_from_anywhere(d):
    add(d, "network", _res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "ssh-in", {
        "securityGroupId": _ref("efa-sg"), "cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp",
        "fromPort": 22, "toPort": 22}, 6))


def inline_ingress_ipv6_anywhere(d):
    resource(d, "lustre-sg")["inputs"]["ingress"] = [
        {"protocol": "tcp", "fromPort": 988, "toPort": 988, "ipv6CidrBlocks": ["::/0"]}]


def vpc_without_hostnames(d):
    resource(d, "vpc")["inputs"]["enableDnsHostnames"] = False


def imds_optional(d):
    resource(d, "lt-train")["inputs"]["metadataOptions"]["httpTokens"] = "optional"


def imds_unset(d):
    del resource(d, "lt-gb")["inputs"]["metadataOptions"]


def imds_disabled(d):
    resource(d, "lt-train")["inputs"]["metadataOptions"] = {"httpEndpoint": "disabled"}


def root_unencrypted(d):
    resource(d, "lt-train")["inputs"]["blockDeviceMappings"][0]["ebs"]["encrypted"] = "false"


def no_block_devices(d):
    del resource(d, "lt-gb")["inputs"]["blockDeviceMappings"]


def data_volume_unencrypted(d):
    add(d, "storage", _res("aws:ebs/volume:Volume", "scratch", {"size": 100, "availabilityZone": "us-east-1a"}, 31))


def allow_p5_only(d):
    configure(d, "instance-type-allowlist", allowedTypes=["p5.*"])


def allow_both(d):
    configure(d, "instance-type-allowlist", allowedTypes=["p5.*", "p6e-gb200.*"])


def asg_two_subnets(d):
    resource(d, "asg-train")["inputs"]["vpcZoneIdentifiers"].append(_ref("subnet-use1-az2"))


def interface_other_subnet(d):
    lt_nis(d)[2]["subnetId"] = _ref("subnet-use1-az2")


def group_on_reserved_pool(d):
    resource(d, "asg-gb-u0001")["inputs"]["placementGroup"] = _ref("pg-train")


def template_placement_on_block(d):
    resource(d, "lt-gb")["inputs"]["placement"] = {"groupName": _ref("pg-train", "name")}


def pool_record_with_group(d):
    d["pools"][1]["placement_group"] = "pg-gb"


def block_without_market_type(d):
    del resource(d, "lt-gb")["inputs"]["instanceMarketOptions"]


def block_without_target(d):
    del resource(d, "lt-gb")["inputs"]["capacityReservationSpecification"]


def block_with_mixed_instances(d):
    resource(d, "asg-gb-u0001")["inputs"]["mixedInstancesPolicy"] = {"instancesDistribution": {}}


def _gb_targets_on_groups(d, ids=("cr-0123456789abcdef0", "cr-0123456789abcdef1")):
    """The per-UltraServer form the compiler emits: no target on the template, one id per group."""
    del resource(d, "lt-gb")["inputs"]["capacityReservationSpecification"]
    for name, rid in zip(("asg-gb-u0001", "asg-gb-u0002"), ids):
        resource(d, name)["inputs"]["capacityReservationSpecification"] = {
            "capacityReservationPreference": "capacity-reservations-only",
            "capacityReservationTarget": {"capacityReservationIds": [rid]}}


def block_one_group_without_target(d):
    _gb_targets_on_groups(d)
    del resource(d, "asg-gb-u0002")["inputs"]["capacityReservationSpecification"]
    resource(d, "asg-gb-u0002-start")["inputs"]["desiredCapacity"] = 18


def planned_block(d):
    """A block not bought yet: no target anywhere, groups at zero with no scheduled scale-out."""
    del resource(d, "lt-gb")["inputs"]["capacityReservationSpecification"]
    for name in ("asg-gb-u0001", "asg-gb-u0002"):
        remove(d, f"{name}-start")
        remove(d, f"{name}-end")
    d["pools"][1]["capacity"].update(resource_group_arn=None, planned=True)


def block_group_starts_full(d):
    resource(d, "asg-gb-u0001")["inputs"].update(minSize=18, desiredCapacity=18)


def block_without_scale_in(d):
    remove(d, "asg-gb-u0001-end")


def block_scale_in_too_late(d):
    resource(d, "asg-gb-u0002-end")["inputs"]["startTime"] = "2026-12-15T11:00:00Z"


def block_without_hook(d):
    remove(d, "asg-gb-u0001-drain")


def block_running(d):
    """What a Plan made after the block opened holds: each group sized to its UltraServer, no
    scale-out (it has run), the scale-in kept; the pool record says the block is running."""
    for g in ("asg-gb-u0001", "asg-gb-u0002"):
        resource(d, g)["inputs"].update(minSize=18, maxSize=18, desiredCapacity=18)
        remove(d, f"{g}-start")
    d["pools"][1]["capacity"]["phase"] = "running"


def block_running_left_at_zero(d):
    block_running(d)
    resource(d, "asg-gb-u0002")["inputs"].update(minSize=0, desiredCapacity=0)


def block_before_start_without_scale_out(d):
    """A group sized and without scale-out although the Plan says the block has not opened yet."""
    block_running(d)
    d["pools"][1]["capacity"]["phase"] = "before-start"


def schedule_in_the_past(d):
    # The suite's planning clock is 2026-11-23T12:00:00Z (tests/conftest.py).
    resource(d, "asg-gb-u0001-start")["inputs"]["startTime"] = "2026-11-23T11:30:00Z"


def schedule_at_the_clock(d):
    resource(d, "asg-gb-u0002-start")["inputs"]["startTime"] = "2026-11-23T12:00:00Z"


def schedule_just_ahead(d):
    resource(d, "asg-gb-u0001-start")["inputs"]["startTime"] = "2026-11-23T12:01:00Z"


def half_ultraserver(d):
    asg = resource(d, "asg-gb-u0002")["inputs"]
    asg.update(minSize=9, maxSize=9, desiredCapacity=9)


def pool_count_mismatch(d):
    d["pools"][1]["instances"] = 30


def no_placement_group(d):
    del resource(d, "asg-train")["inputs"]["placementGroup"]


def scratch_1(d):
    resource(d, "lustre")["inputs"]["deploymentType"] = "SCRATCH_1"


def lustre_without_sg(d):
    del resource(d, "lustre")["inputs"]["securityGroupIds"]


def lustre_kms_required(d):
    configure(d, "fsx-encrypted-in-vpc", requireKmsKey=True)


def lustre_kms_given(d):
    configure(d, "fsx-encrypted-in-vpc", requireKmsKey=True)
    resource(d, "lustre")["inputs"]["kmsKeyId"] = "arn:aws:kms:us-east-1:123456789012:key/abc"


def vpc_unprotected(d):
    resource(d, "vpc").pop("options")


def lustre_not_retained(d):
    resource(d, "lustre")["options"] = {"protect": True}


def lustre_unprotected(d):
    resource(d, "lustre")["options"] = {"retainOnDelete": True}


def _role_policy(action):
    return _res("aws:iam/rolePolicy:RolePolicy", "node-extra", {"role": _ref("node-role", "name"), "policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})}, 2, tags=False)


def star_action(d):
    add(d, "network", _role_policy("*"))


def service_star_action(d):
    add(d, "network", _role_policy(["s3:GetObject", "s3:*"]))


def scoped_wildcard(d):
    add(d, "network", _role_policy(["s3:Get*", "s3:List*"]))


def admin_attachment(d):
    resource(d, "node-role-ssm")["inputs"]["policyArn"] = "arn:aws:iam::aws:policy/AdministratorAccess"


def inline_role_not_action(d):
    resource(d, "node-role")["inputs"]["inlinePolicies"] = [{"name": "x", "policy": json.dumps(
        {"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]})}]


def require_cost_center(d):
    configure(d, "required-tags", tags=["team", "cost-center"])


def untagged_lustre(d):
    del resource(d, "lustre")["inputs"]["tags"]


def require_team(d):
    configure(d, "required-tags", tags=["team"])


def subnet_maps_public_ips(d):
    resource(d, "subnet-use1-az1")["inputs"]["mapPublicIpOnLaunch"] = True


def _route_tables(d, gateway_type, gateway_name, key):
    add(d, "network", _res(gateway_type, gateway_name, {"vpcId": _ref("vpc")}, 3))
    add(d, "network", _res("aws:ec2/routeTable:RouteTable", "rt-nodes", {"vpcId": _ref("vpc")}, 3))
    add(d, "network", _res("aws:ec2/route:Route", "rt-nodes-default", {
        "routeTableId": _ref("rt-nodes"), "destinationCidrBlock": "0.0.0.0/0", key: _ref(gateway_name)}, 3, tags=False))
    add(d, "network", _res("aws:ec2/routeTableAssociation:RouteTableAssociation", "rta-nodes", {
        "subnetId": _ref("subnet-use1-az1"), "routeTableId": _ref("rt-nodes")}, 4, tags=False))


def subnet_routes_to_igw(d):
    _route_tables(d, "aws:ec2/internetGateway:InternetGateway", "igw", "gatewayId")


def subnet_routes_to_nat(d):
    _route_tables(d, "aws:ec2/natGateway:NatGateway", "nat", "natGatewayId")


def block_with_warm_pool(d):
    resource(d, "asg-gb-u0002")["inputs"]["warmPool"] = {"minSize": 1}


def block_with_latest_version(d):
    resource(d, "asg-gb-u0001")["inputs"]["launchTemplate"]["version"] = "$Latest"


def ceiling_1000(d):
    configure(d, "max-monthly-cost", maxMonthlyUsd=1000)


# -- reachability (planner.plan.reachability through the nodes-reach-* rules) ------------------------
def rule_inputs(d, name):
    return resource(d, name)["inputs"]


def second_node_group(d):
    """lt-gb gets its own group with self rules but no rule between it and efa-sg."""
    add(d, "network", _res("aws:ec2/securityGroup:SecurityGroup", "other-sg", {"vpcId": _ref("vpc")}, 6))
    for kind in ("Ingress", "Egress"):
        add(d, "network", _res(f"aws:vpc/securityGroup{kind}Rule:SecurityGroup{kind}Rule", f"other-sg-{kind.lower()}-self",
                               {"securityGroupId": _ref("other-sg"), "referencedSecurityGroupId": _ref("other-sg"),
                                "ipProtocol": "-1"}, 6))
    for ni in lt_nis(d, "lt-gb"):
        ni["securityGroups"] = [_ref("other-sg")]


def drop_node_lustre_egress_988(d):
    remove(d, "efa-sg-egress-988-lustre-sg")


def drop_lustre_callback_egress(d):
    remove(d, "lustre-sg-egress-1018-efa-sg")


def drop_lustre_self_ingress(d):
    remove(d, "lustre-sg-ingress-988-lustre-sg")


def lustre_range_one_port_short(d):
    rule_inputs(d, "lustre-sg-ingress-1018-efa-sg")["toPort"] = 1022


def lustre_range_split_in_two(d):
    rule_inputs(d, "lustre-sg-ingress-1018-efa-sg")["toPort"] = 1020
    add(d, "storage", _res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "lustre-sg-ingress-1021-efa-sg",
                           {"securityGroupId": _ref("lustre-sg"), "referencedSecurityGroupId": _ref("efa-sg"),
                            "ipProtocol": "tcp", "fromPort": 1021, "toPort": 1023}, 30))


def lustre_rules_by_cidr(d):
    """The node side allows the file system by its subnet's CIDR instead of its group."""
    for name in ("efa-sg-egress-988-lustre-sg", "efa-sg-egress-1018-lustre-sg"):
        i = rule_inputs(d, name)
        del i["referencedSecurityGroupId"]
        i["cidrIpv4"] = "10.0.0.0/16"


def lustre_rules_by_too_small_cidr(d):
    i = rule_inputs(d, "efa-sg-egress-988-lustre-sg")
    del i["referencedSecurityGroupId"]
    i["cidrIpv4"] = "10.0.0.0/24"  # the file system's subnet is 10.0.0.0/20


def drop_https_egress(d):
    remove(d, "efa-sg-egress-https")


def _ssm_endpoints(d, private_dns=True):
    drop_https_egress(d)
    _route_tables(d, "aws:ec2/natGateway:NatGateway", "nat", "natGatewayId")
    remove(d, "rt-nodes-default")  # no internet route at all: endpoints only
    add(d, "network", _res("aws:ec2/securityGroup:SecurityGroup", "endpoints-sg", {"vpcId": _ref("vpc")}, 7))
    add(d, "network", _res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "endpoints-sg-ingress-https",
                           {"securityGroupId": _ref("endpoints-sg"), "referencedSecurityGroupId": _ref("efa-sg"),
                            "ipProtocol": "tcp", "fromPort": 443, "toPort": 443}, 7))
    for service in ("ssm", "ssmmessages", "ec2messages"):
        add(d, "network", _res("aws:ec2/vpcEndpoint:VpcEndpoint", f"{service}-endpoint", {
            "vpcId": _ref("vpc"), "serviceName": f"com.amazonaws.us-east-1.{service}", "vpcEndpointType": "Interface",
            "subnetIds": [_ref("subnet-use1-az1")], "securityGroupIds": [_ref("endpoints-sg")],
            "privateDnsEnabled": private_dns}, 7))
    add(d, "network", _res("aws:ec2/vpcEndpoint:VpcEndpoint", "s3-endpoint", {
        "vpcId": _ref("vpc"), "serviceName": "com.amazonaws.us-east-1.s3", "vpcEndpointType": "Gateway",
        "routeTableIds": [_ref("rt-nodes")]}, 7))
    for name, peer in (("efa-sg-egress-endpoints", {"referencedSecurityGroupId": _ref("endpoints-sg")}),
                       ("efa-sg-egress-s3", {"prefixListId": _ref("s3-endpoint", "prefixListId")})):
        add(d, "network", _res("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", name,
                               {"securityGroupId": _ref("efa-sg"), "ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
                                **peer}, 7))


def ssm_through_endpoints(d):
    _ssm_endpoints(d)


def ssm_endpoints_without_private_dns(d):
    _ssm_endpoints(d, private_dns=False)


def s3_endpoint_without_egress(d):
    _ssm_endpoints(d)
    remove(d, "efa-sg-egress-s3")


def gpu_pool_in_other_zone(d):
    d["pools"][0]["availability_zone"] = "us-east-1b"


def gpu_pool_zone_by_id(d):
    d["pools"][0]["availability_zone"] = "use1-az1"


def efa_only_public_ip_false(d):
    """The provider sends a set string, so "false" on an efa-only interface fails every launch."""
    lt_nis(d)[1]["associatePublicIpAddress"] = "false"


def single_interface_public_ip_false(d):
    """One interface: "false" on eth0 is a setting EC2 accepts (and the secure default)."""
    resource(d, "lt-train")["inputs"]["networkInterfaces"] = [{
        "networkCardIndex": 0, "deviceIndex": 0, "interfaceType": "interface", "associatePublicIpAddress": "false",
        "securityGroups": [_ref("efa-sg")], "subnetId": _ref("subnet-use1-az1")}]


FAILING = [
    pytest.param("launch-rules", efa_only_public_ip_false,
                 "launch template lt-train: [efa-only-no-ip-settings] efa-only interface on card 0 device 1 sets "
                 "associatePublicIpAddress", id="launch-efa-only-public-ip-false"),
    pytest.param("nodes-reach-each-other", drop_egress_self,
                 "efa-sg cannot reach efa-sg on all traffic: no egress rule on efa-sg allows all traffic to efa-sg", id="nodes-no-self-egress"),
    pytest.param("nodes-reach-each-other", ingress_tcp_only, "no ingress rule on efa-sg allows all traffic from efa-sg", id="nodes-ingress-tcp-only"),
    pytest.param("nodes-reach-each-other", second_node_group, "efa-sg cannot reach other-sg on all traffic", id="nodes-two-groups-unlinked"),
    pytest.param("nodes-reach-lustre", drop_node_lustre_egress_988,
                 "efa-sg cannot reach lustre-sg on tcp/988: no egress rule on efa-sg allows tcp/988 to lustre-sg", id="lustre-no-client-egress"),
    pytest.param("nodes-reach-lustre", drop_lustre_callback_egress,
                 "lustre-sg cannot reach efa-sg on tcp/1018-1023: no egress rule on lustre-sg", id="lustre-no-server-egress"),
    pytest.param("nodes-reach-lustre", drop_lustre_self_ingress,
                 "lustre-sg cannot reach lustre-sg on tcp/988: no ingress rule on lustre-sg allows tcp/988 from lustre-sg", id="lustre-no-self-ingress"),
    pytest.param("nodes-reach-lustre", lustre_range_one_port_short,
                 "no ingress rule on lustre-sg allows tcp/1018-1023 from efa-sg", id="lustre-range-short"),
    pytest.param("nodes-reach-lustre", lustre_rules_by_too_small_cidr, "efa-sg cannot reach lustre-sg on tcp/988", id="lustre-cidr-too-small"),
    pytest.param("nodes-reach-aws-services", drop_https_egress,
                 "efa-sg cannot reach SSM (ssm) on tcp/443: no egress rule on efa-sg allows tcp/443", id="ssm-no-https-egress"),
    pytest.param("nodes-reach-aws-services", subnet_routes_to_igw, "no 0.0.0.0/0 route to a NAT gateway", id="ssm-no-nat-route"),
    pytest.param("nodes-reach-aws-services", ssm_endpoints_without_private_dns,
                 "no interface endpoint for ssm with private DNS", id="ssm-endpoint-no-private-dns"),
    pytest.param("nodes-reach-aws-services", s3_endpoint_without_egress,
                 "efa-sg cannot reach S3 on tcp/443: no egress rule on efa-sg allows tcp/443 to S3", id="s3-endpoint-no-egress"),
    pytest.param("lustre-in-gpu-zone", gpu_pool_in_other_zone, "lustre is in us-east-1a, GPU pool train in us-east-1b", id="lustre-other-zone"),
    pytest.param("efa-sg-self-rules", drop_egress_self, "no all-traffic egress rule referencing itself", id="efa-sg-no-egress"),
    pytest.param("efa-sg-self-rules", drop_both_self_rules, "no all-traffic ingress or egress rule", id="efa-sg-no-rules"),
    pytest.param("efa-sg-self-rules", ingress_from_other_group, "ingress", id="efa-sg-ingress-from-other-group"),
    pytest.param("efa-sg-self-rules", ingress_tcp_only, "ingress", id="efa-sg-ingress-tcp-only"),
    pytest.param("efa-sg-self-rules", existing_group, "is not in the plan", id="efa-sg-existing-group"),
    pytest.param("no-public-ip", public_ip_on_interface, "card 0 device 0 sets associatePublicIpAddress", id="public-ip-efa-template"),
    pytest.param("no-public-ip", public_ip_on_gpu_instance, "associatePublicIpAddress is true on an accelerated", id="public-ip-gpu-instance"),
    pytest.param("no-open-ingress", ssh_from_anywhere, "ingress tcp 22-22 open to 0.0.0.0/0", id="open-ssh"),
    pytest.param("no-open-ingress", inline_ingress_ipv6_anywhere, "open to ::/0", id="open-inline-ipv6"),
    pytest.param("vpc-dns-enabled", vpc_without_hostnames, "enableDnsHostnames is not true", id="vpc-no-dns-hostnames"),
    pytest.param("imdsv2-required", imds_optional, "httpTokens is 'optional'", id="imds-optional"),
    pytest.param("imdsv2-required", imds_unset, "httpTokens is not set", id="imds-unset"),
    pytest.param("ebs-encrypted", root_unencrypted, "volume /dev/xvda is not encrypted", id="root-unencrypted"),
    pytest.param("ebs-encrypted", no_block_devices, "no blockDeviceMappings", id="no-block-devices"),
    pytest.param("ebs-encrypted", data_volume_unencrypted, "volume is not encrypted", id="data-volume-unencrypted"),
    pytest.param("instance-type-allowlist", allow_p5_only, "p6e-gb200.36xlarge is not in allowedTypes", id="type-not-allowed"),
    pytest.param("efa-pool-single-az", asg_two_subnets, "spans 2 subnets", id="efa-asg-two-subnets"),
    pytest.param("efa-pool-single-az", interface_other_subnet, "launches into more than one subnet", id="efa-interface-other-subnet"),
    pytest.param("no-placement-group-with-reservation", group_on_reserved_pool, "sets a placement group", id="pg-on-block-group"),
    pytest.param("no-placement-group-with-reservation", template_placement_on_block, "sets placement.groupName", id="pg-on-block-template"),
    pytest.param("no-placement-group-with-reservation", pool_record_with_group, "has placement group pg-gb", id="pg-in-pool-record"),
    pytest.param("capacity-block-market-type", block_without_market_type, "not 'capacity-block'", id="block-no-market-type"),
    pytest.param("capacity-block-market-type", block_without_target, "without a capacityReservationTarget", id="block-no-target"),
    pytest.param("capacity-block-market-type", block_with_mixed_instances, "mixed-instances policy", id="block-mixed-instances"),
    pytest.param("capacity-block-market-type", block_with_warm_pool, "warm pool", id="block-warm-pool"),
    pytest.param("capacity-block-market-type", block_with_latest_version, "version $Latest", id="block-unpinned-version"),
    pytest.param("capacity-block-market-type", block_one_group_without_target, "groups asg-gb-u0002 can launch", id="block-group-no-target"),
    pytest.param("capacity-block-lifecycle", block_group_starts_full, "starts at minSize 18", id="block-starts-full"),
    pytest.param("capacity-block-lifecycle", block_without_scale_in, "no scheduled scale-in to zero", id="block-no-scale-in"),
    pytest.param("capacity-block-lifecycle", block_scale_in_too_late, "less than 60 minutes before the block ends", id="block-scale-in-late"),
    pytest.param("capacity-block-lifecycle", block_without_hook, "no termination lifecycle hook", id="block-no-hook"),
    pytest.param("capacity-block-lifecycle", block_running_left_at_zero, "the paid block stays idle", id="block-running-at-zero"),
    pytest.param("capacity-block-lifecycle", block_before_start_without_scale_out, "starts at minSize 18",
                 id="block-before-start-sized"),
    pytest.param("schedule-in-future", schedule_in_the_past, "startTime 2026-11-23T11:30:00Z is not after the planning "
                 "clock 2026-11-23T12:00:00Z (ULTRAPLAN_NOW)", id="schedule-in-past"),
    pytest.param("schedule-in-future", schedule_at_the_clock, "Auto Scaling refuses a scheduled action in the past",
                 id="schedule-at-clock"),
    pytest.param("node-subnet-private", subnet_maps_public_ips, "subnet-use1-az1 (used by lt-train) maps public IPs", id="subnet-public-ips"),
    pytest.param("node-subnet-private", subnet_routes_to_igw, "routes 0.0.0.0/0 to an internet gateway through rt-nodes", id="subnet-igw-route"),
    pytest.param("ultraserver-whole", half_ultraserver, "desiredCapacity 9 is not a whole number of 18-instance", id="half-ultraserver"),
    pytest.param("ultraserver-whole", pool_count_mismatch, "30 instances is not 2 × 18", id="ultraserver-count"),
    pytest.param("efa-placement-group", no_placement_group, "asg-train has no placement group", id="efa-no-placement-group"),
    pytest.param("fsx-encrypted-in-vpc", scratch_1, "SCRATCH_1 does not encrypt data in transit", id="lustre-scratch-1"),
    pytest.param("fsx-encrypted-in-vpc", lustre_without_sg, "no securityGroupIds", id="lustre-no-sg"),
    pytest.param("fsx-encrypted-in-vpc", lustre_kms_required, "no kmsKeyId", id="lustre-kms-required"),
    pytest.param("stateful-resources-protected", vpc_unprotected, "vpc is not protected", id="vpc-unprotected"),
    pytest.param("stateful-resources-protected", lustre_unprotected, "lustre is not protected", id="lustre-unprotected"),
    pytest.param("stateful-resources-protected", lustre_not_retained, "lustre does not set retainOnDelete", id="lustre-not-retained"),
    pytest.param("iam-no-wildcard-actions", star_action, "wildcard action *", id="iam-star"),
    pytest.param("iam-no-wildcard-actions", service_star_action, "wildcard action s3:*", id="iam-service-star"),
    pytest.param("iam-no-wildcard-actions", admin_attachment, "AdministratorAccess", id="iam-admin-attachment"),
    pytest.param("iam-no-wildcard-actions", inline_role_not_action, "NotAction", id="iam-not-action"),
    pytest.param("required-tags", require_cost_center, "missing tag cost-center", id="tags-missing-key"),
    pytest.param("required-tags", untagged_lustre, "missing tag ultraplan:cluster", id="tags-untagged-resource"),
]

PASSING = [
    pytest.param("launch-rules", single_interface_public_ip_false, id="launch-single-interface-public-ip-false"),
    pytest.param("nodes-reach-each-other", inline_self_rules, id="nodes-inline-self-rules"),
    pytest.param("nodes-reach-each-other", legacy_sg_rules, id="nodes-legacy-rule-resources"),
    pytest.param("nodes-reach-lustre", lambda d: None, id="lustre-both-ways"),
    pytest.param("nodes-reach-lustre", lustre_range_split_in_two, id="lustre-range-split"),
    pytest.param("nodes-reach-lustre", lustre_rules_by_cidr, id="lustre-by-cidr"),
    pytest.param("nodes-reach-aws-services", subnet_routes_to_nat, id="ssm-through-nat"),
    pytest.param("nodes-reach-aws-services", ssm_through_endpoints, id="ssm-through-endpoints"),
    pytest.param("lustre-in-gpu-zone", lambda d: None, id="lustre-same-zone"),
    pytest.param("lustre-in-gpu-zone", gpu_pool_zone_by_id, id="lustre-zone-name-vs-id-not-compared"),
    pytest.param("efa-sg-self-rules", inline_self_rules, id="efa-sg-inline-self-rules"),
    pytest.param("efa-sg-self-rules", legacy_sg_rules, id="efa-sg-legacy-rule-resources"),
    pytest.param("no-public-ip", public_ip_on_cpu_instance, id="public-ip-cpu-bastion-allowed"),
    pytest.param("no-open-ingress", lambda d: None, id="https-egress-anywhere-allowed"),
    pytest.param("node-subnet-private", subnet_routes_to_nat, id="subnet-nat-route"),
    pytest.param("vpc-dns-enabled", lambda d: None, id="vpc-dns-on"),
    pytest.param("imdsv2-required", imds_disabled, id="imds-disabled-allowed"),
    pytest.param("ebs-encrypted", lambda d: None, id="volumes-encrypted"),
    pytest.param("instance-type-allowlist", allow_both, id="types-allowed"),
    pytest.param("efa-pool-single-az", lambda d: None, id="efa-one-subnet"),
    pytest.param("no-placement-group-with-reservation", lambda d: None, id="pg-only-on-demand"),
    pytest.param("capacity-block-market-type", lambda d: None, id="block-market-type-set"),
    pytest.param("capacity-block-market-type", _gb_targets_on_groups, id="block-target-per-group"),
    pytest.param("capacity-block-market-type", planned_block, id="block-planned-launches-nothing"),
    pytest.param("capacity-block-lifecycle", lambda d: None, id="block-lifecycle-scheduled"),
    pytest.param("capacity-block-lifecycle", _gb_targets_on_groups, id="block-lifecycle-per-group-targets"),
    pytest.param("capacity-block-lifecycle", block_running, id="block-lifecycle-running"),
    pytest.param("schedule-in-future", lambda d: None, id="schedules-ahead"),
    pytest.param("schedule-in-future", schedule_just_ahead, id="schedule-a-minute-ahead"),
    pytest.param("ultraserver-whole", lambda d: None, id="whole-ultraservers"),
    pytest.param("efa-placement-group", lambda d: None, id="efa-with-placement-group"),
    pytest.param("fsx-encrypted-in-vpc", lustre_kms_given, id="lustre-persistent-with-kms"),
    pytest.param("stateful-resources-protected", lambda d: None, id="vpc-and-lustre-protected"),
    pytest.param("iam-no-wildcard-actions", scoped_wildcard, id="iam-scoped-wildcards-allowed"),
    pytest.param("required-tags", require_team, id="tags-present"),
]


@pytest.mark.parametrize("policy_id, change, expected", FAILING)
def test_policy_fails(policy_id, change, expected):
    result = outcome(mutate(change), policy_id)
    assert result.status == VIOLATED
    messages = [f.message for f in result.violations]
    assert any(expected in m for m in messages), messages
    for f in result.violations:
        assert f.check_id == policy_id
        assert f.hint == result.policy.remediation
        assert f.source.file == SPEC and f.source.line, "every violation points at a spec line"


@pytest.mark.parametrize("policy_id, change", PASSING)
def test_policy_passes(policy_id, change):
    result = outcome(mutate(change), policy_id)
    assert result.status == PASSED, [f.message for f in result.violations]


def test_good_plan_passes_every_policy():
    result = run_policies(good_plan())
    assert result.violations == []
    assert {o.policy.id for o in result.outcomes if o.status == NOT_APPLICABLE} == {"max-monthly-cost"}


def test_mandatory_is_error_and_advisory_is_warning():
    plan = mutate(lambda d: (public_ip_on_interface(d), no_placement_group(d)))
    result = run_policies(plan)
    levels = {f.check_id: f.level for f in result.violations}
    # A public IP on a multi-interface launch breaks the security rule and the launch-time rule.
    assert levels == {"no-public-ip": Level.ERROR, "launch-rules": Level.ERROR, "efa-placement-group": Level.WARNING}
    assert sorted(f.check_id for f in result.mandatory_violations) == ["launch-rules", "no-public-ip"]


def test_violation_located_at_the_resource_line():
    f = outcome(mutate(public_ip_on_interface), "no-public-ip").violations[0]
    assert (f.resource, f.pool, f.source.line) == ("lt-train", "train", 10)


# -- max-monthly-cost: the figure comes from a function passed in --------------------------------
def test_max_monthly_cost_fails_over_the_ceiling():
    result = outcome(mutate(ceiling_1000), "max-monthly-cost", monthly_cost=lambda plan: 5000.0)
    assert result.status == VIOLATED
    assert "estimated 5,000 USD/month exceeds maxMonthlyUsd 1,000" in result.violations[0].message


def test_max_monthly_cost_passes_under_the_ceiling():
    seen = []
    result = outcome(mutate(ceiling_1000), "max-monthly-cost", monthly_cost=lambda plan: seen.append(plan) or 999.0)
    assert result.status == PASSED
    assert seen and seen[0].name == "demo", "the runner hands the Plan to the cost function"


def test_max_monthly_cost_fails_closed_without_an_estimate():
    assert "no cost estimate available" in outcome(mutate(ceiling_1000), "max-monthly-cost").violations[0].message

    def broken(plan):
        raise RuntimeError("no prices for region")

    result = outcome(mutate(ceiling_1000), "max-monthly-cost", monthly_cost=broken)
    assert "cost estimate failed (no prices for region)" in result.violations[0].message


def test_max_monthly_cost_not_applicable_without_a_ceiling():
    result = outcome(good_plan(), "max-monthly-cost", monthly_cost=lambda plan: 1e12)
    assert (result.status, result.reason) == (NOT_APPLICABLE, "maxMonthlyUsd is not set")


def test_a_rule_that_raises_becomes_a_finding():
    import dataclasses

    from policies import load_rules

    def boom(resource, config):
        raise KeyError("surprise")

    registry = load_rules()
    original = registry._policies["vpc-dns-enabled"]
    registry._policies["vpc-dns-enabled"] = dataclasses.replace(original, func=boom)  # Policy is frozen
    try:
        result = outcome(good_plan(), "vpc-dns-enabled")
    finally:
        registry._policies["vpc-dns-enabled"] = original
    assert result.status == VIOLATED
    assert "could not check vpc-dns-enabled: KeyError('surprise')" in result.violations[0].message
    # Unverified with an internal error: the gate exits 4 (a bug), never 0 (issue 14).
    assert result.violations[0].unverified.error == "internal"
    from planner.findings import Level
    from planner.report import Report
    from policies.report import fill_report
    from policies.runner import PolicyResult

    report = fill_report(Report("policy", fail_on=Level.ERROR), PolicyResult([result]))
    assert report.internal_errors == ["vpc-dns-enabled"] and report.exit_code == 4
