"""Network: the VPC (or an existing one), private subnets (sized and addressed by
`compile.addressing`), egress (NAT gateways, or SSM interface endpoints when `egress: none`), the S3
gateway endpoint, the node security group and the node IAM role. Zonal services a Local Zone does not
offer go to `network.region_zone` (planner/catalog/placement.py).
"""
from __future__ import annotations

import json
from typing import Any

from planner import tokens as T

from ..catalog import placement
from ..catalog import Catalog, is_local_zone, load_catalog
from ..errors import SpecError, SpecIssue
from ..plan.model import Resource, ref
from ..spec.load import SpecDocument
from .addressing import SubnetPlan, allocate, slug
from .builder import Builder
from .userdata import runtime_policy
from .pools import ResolvedPool, zone_is_id

# An AWS managed policy's ARN carries the partition (arn:aws-us-gov:iam::aws:policy/... in GovCloud,
# arn:aws-cn:... in China; IAM User Guide, "AWS managed policies" and "IAM identifiers").
SSM_POLICY = "arn:{partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"


def _zone_input(zone: str) -> dict[str, str]:
    return {"availabilityZoneId": zone} if zone_is_id(zone) else {"availabilityZone": zone}


def _zone_line(doc: SpecDocument, zone: str, first: ResolvedPool | None = None) -> int | None:
    """The spec line that puts a subnet in `zone`: the zone field of its first pool when that pool
    names its own, else `network.region_zone` when the zone is that one, else a pool that names the
    zone, else the cluster's `availability_zone`. A change that moves what a subnet holds (FSx for
    Lustre, a NAT gateway, a group) then points at the zone field that was edited (the day-2 gate,
    planner/gate.py), not at the resource it replaces, which nobody edited."""
    if first is not None and first.spec.availability_zone:
        return doc.line("compute", first.index, "availability_zone")
    if doc.spec.network.region_zone is not None and zone == doc.spec.network.region_zone:
        return doc.line("network", "region_zone")
    own = next((i for i, p in enumerate(doc.spec.compute) if p.availability_zone == zone), None)
    return doc.line("compute", own, "availability_zone") if own is not None else doc.line("availability_zone")


def _nat_zones(doc: SpecDocument, catalog: Catalog, subnets: list[SubnetPlan], notes: list[dict]) -> list[str]:
    """Zones that get a public subnet and NAT gateway: each private subnet's zone, or network.region_zone
    where a Local Zone does not offer NAT gateways (validate has made sure region_zone is set then)."""
    zones: list[str] = []
    for zone in sorted({s.zone for s in subnets}):
        where = placement.place(catalog, zone, placement.NAT_GATEWAY, placement.region_zone(doc.spec))
        if where is None:  # validate rejects this; a direct caller gets the same rule
            raise SpecError([SpecIssue("network.region_zone", f"{zone} does not offer NAT gateways and no region_zone is set",
                                       doc.line("network"), doc.file, rule="spec.local-zone.services")])
        if where.moved:
            notes.append({"level": "warning", "message": "NAT gateway: " + placement.traffic_note(catalog, placement.NAT_GATEWAY, where),
                          "source": {"file": doc.file, "line": doc.line("network", "region_zone")}})
        if where.zone not in zones:
            zones.append(where.zone)
    return zones


def _nat(doc: SpecDocument, b: Builder, out: list[Resource], catalog: Catalog, public: list[tuple[str, str]],
         vpc_id: Any, associations: list[str]) -> None:
    """Internet gateway, one public /28 subnet + NAT gateway per NAT zone, the private default route."""
    egress_line = doc.line("network", "egress")
    b.add(out, T.INTERNET_GATEWAY, "igw", {"vpcId": vpc_id}, line=egress_line)
    b.add(out, T.ROUTE_TABLE, "rt-public", {"vpcId": vpc_id}, line=egress_line)
    b.add(out, T.ROUTE, "route-public-default",
          {"routeTableId": ref("rt-public"), "destinationCidrBlock": "0.0.0.0/0", "gatewayId": ref("igw")}, line=egress_line)
    for zone, cidr in public:
        z = slug(zone)
        b.add(out, T.SUBNET, f"subnet-public-{z}", {
            "vpcId": vpc_id, "cidrBlock": cidr, **_zone_input(zone), "mapPublicIpOnLaunch": False,
        }, line=_zone_line(doc, zone), depends_on=associations, tags={"ultraplan:tier": "public"})
        b.add(out, T.ROUTE_TABLE_ASSOCIATION, f"rta-subnet-public-{z}",
              {"subnetId": ref(f"subnet-public-{z}"), "routeTableId": ref("rt-public")}, line=egress_line)
        # In a Local Zone the NAT gateway's Elastic IP must come from the zone's network border group,
        # or the NAT gateway fails to launch (EC2 API Reference, CreateNatGateway; local_zones.yaml). In a
        # Region zone AWS's default (the Region's group) is right, and leaving it unset keeps existing
        # Plans unchanged (the input forces a replacement).
        eip = {"domain": "vpc"}
        if is_local_zone(zone):
            eip["networkBorderGroup"] = placement.border_group(catalog, zone, doc.spec.region)
        b.add(out, T.EIP, f"nat-eip-{z}", eip, line=egress_line)
        b.add(out, T.NAT_GATEWAY, f"nat-{z}",
              {"allocationId": ref(f"nat-eip-{z}"), "subnetId": ref(f"subnet-public-{z}")},
              line=egress_line, depends_on=["igw"])
    # One private route table: its default route uses the first zone's NAT gateway.
    b.add(out, T.ROUTE, "route-private-default",
          {"routeTableId": ref("rt-private"), "destinationCidrBlock": "0.0.0.0/0", "natGatewayId": ref(f"nat-{slug(public[0][0])}")},
          line=egress_line)


# Systems Manager without internet: interface endpoints for ssm, ssmmessages and ec2messages with
# private DNS, a security group that allows HTTPS from the nodes, and the S3 gateway endpoint
# (AWS Systems Manager User Guide, "Improve the security of EC2 instances by using VPC endpoints for
# Systems Manager"; Amazon VPC PrivateLink guide, "Access an AWS service using an interface VPC endpoint").
SSM_ENDPOINT_SERVICES = ("ssm", "ssmmessages", "ec2messages")
ENDPOINT_IPS = len(SSM_ENDPOINT_SERVICES)  # one interface (one IP) per endpoint in its subnet


def _ssm_endpoints(doc: SpecDocument, b: Builder, out: list[Resource], vpc_id: Any, subnet: str) -> None:
    line = doc.line("network", "egress")
    b.add(out, T.SECURITY_GROUP, "endpoints-sg", {
        "vpcId": vpc_id, "description": f"{doc.spec.name}: VPC interface endpoints (SSM); HTTPS from the nodes",
    }, line=line)
    b.add(out, T.INGRESS_RULE, "endpoints-sg-ingress-https", {
        "securityGroupId": ref("endpoints-sg"), "referencedSecurityGroupId": ref("efa-sg"), "ipProtocol": "tcp",
        "fromPort": 443, "toPort": 443, "description": "HTTPS from the cluster nodes",
    }, line=line)
    for service in SSM_ENDPOINT_SERVICES:
        b.add(out, T.VPC_ENDPOINT, f"{service}-endpoint", {
            "vpcId": vpc_id, "serviceName": f"com.amazonaws.{doc.spec.region}.{service}", "vpcEndpointType": "Interface",
            "subnetIds": [ref(subnet)], "securityGroupIds": [ref("endpoints-sg")], "privateDnsEnabled": True,
        }, line=line)
    b.add(out, T.EGRESS_RULE, "efa-sg-egress-endpoints", {
        "securityGroupId": ref("efa-sg"), "referencedSecurityGroupId": ref("endpoints-sg"), "ipProtocol": "tcp",
        "fromPort": 443, "toPort": 443, "description": "HTTPS to the SSM interface endpoints",
    }, line=line)
    b.add(out, T.EGRESS_RULE, "efa-sg-egress-s3", {
        "securityGroupId": ref("efa-sg"), "prefixListId": ref("s3-endpoint", "prefixListId"), "ipProtocol": "tcp",
        "fromPort": 443, "toPort": 443, "description": "HTTPS to S3 through the gateway endpoint",
    }, line=line)



def _partition(region: str) -> str:
    return "aws-us-gov" if region.startswith("us-gov-") else "aws-cn" if region.startswith("cn-") else "aws"


def _drain_policy(b: Builder, out: list[Resource], cluster: str, region: str, line: int | None) -> None:
    """Capacity-block groups hold a terminating node on a lifecycle hook so its jobs can checkpoint.
    Without this, a node that has finished draining cannot say so and the hook always waits out its
    whole heartbeat. Only the two lifecycle calls, only on this cluster's groups (by the
    `ultraplan:cluster` tag every group carries): EC2 Auto Scaling UG, "Complete a lifecycle action"
    (the instance calls complete-lifecycle-action / record-lifecycle-action-heartbeat), and the Service
    Authorization Reference for Amazon EC2 Auto Scaling (both actions take the autoScalingGroup
    resource and the autoscaling:ResourceTag/${TagKey} condition)."""
    document = {"Version": "2012-10-17", "Statement": [{
        "Sid": "FinishOwnDrain", "Effect": "Allow",
        "Action": ["autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"],
        "Resource": f"arn:{_partition(region)}:autoscaling:{region}:*:autoScalingGroup:*:autoScalingGroupName/*",
        "Condition": {"StringEquals": {"autoscaling:ResourceTag/ultraplan:cluster": cluster}},
    }]}
    b.add(out, T.ROLE_POLICY, "node-role-drain", {
        "role": ref("node-role", "name"),
        "policy": json.dumps(document, separators=(",", ":")),
    }, line=line)

def build(doc: SpecDocument, b: Builder, pools: list[ResolvedPool], subnets: list[SubnetPlan],
          catalog: Catalog | None = None, home_subnet: str | None = None) -> tuple[list[Resource], dict[str, Any], list[dict]]:
    """The network stack. `home_subnet` is the subnet that holds the cluster's services (FSx, endpoints)."""
    catalog = catalog or load_catalog()
    spec, net = doc.spec, doc.spec.network
    out: list[Resource] = []
    notes: list[dict] = []
    net_line = doc.line("network")
    reuse = net.vpc_id is not None
    vpc_id: Any = net.vpc_id
    public = []
    if not reuse:
        zones = _nat_zones(doc, catalog, subnets, notes) if net.egress == "nat" else []
        public = allocate(doc, subnets, zones)
        b.add(out, T.VPC, "vpc", {"cidrBlock": net.vpc_cidr, "enableDnsSupport": True, "enableDnsHostnames": True},
              line=doc.line("network", "vpc_cidr"))
        vpc_id = ref("vpc")
        for i, cidr in enumerate(net.secondary_cidrs):
            b.add(out, T.VPC_CIDR, f"vpc-cidr-{i + 1}",
                  {"vpcId": vpc_id, "cidrBlock": cidr}, line=doc.line("network", "secondary_cidrs", i))
        associations = [f"vpc-cidr-{i + 1}" for i in range(len(net.secondary_cidrs))]
        b.add(out, T.ROUTE_TABLE, "rt-private", {"vpcId": vpc_id}, line=net_line)
        for s in subnets:
            first = s.pools[0] if s.pools else None
            b.add(out, T.SUBNET, s.name, {
                "vpcId": vpc_id, "cidrBlock": s.cidr, **_zone_input(s.zone), "mapPublicIpOnLaunch": False,
            }, line=_zone_line(doc, s.zone, first), depends_on=associations,
                tags={"ultraplan:tier": "private"})
            b.add(out, T.ROUTE_TABLE_ASSOCIATION, f"rta-{s.name}",
                  {"subnetId": ref(s.name), "routeTableId": ref("rt-private")}, line=net_line)
        if public:
            _nat(doc, b, out, catalog, public, vpc_id, associations)
        b.add(out, T.VPC_ENDPOINT, "s3-endpoint", {
            "vpcId": vpc_id, "serviceName": f"com.amazonaws.{spec.region}.s3", "vpcEndpointType": "Gateway",
            "routeTableIds": [ref("rt-private")],
        }, line=net_line)

    efa_line = next((p.line for p in pools if p.efa), net_line)
    b.add(out, T.SECURITY_GROUP, "efa-sg", {
        "vpcId": vpc_id, "description": f"{spec.name}: cluster nodes; all traffic within the group (EFA needs it)",
    }, line=efa_line)
    # EFA needs all traffic to and from the group itself, both directions (EC2 User Guide, efa-start).
    for kind, token in (("ingress", T.INGRESS_RULE),
                        ("egress", T.EGRESS_RULE)):
        b.add(out, token, f"efa-sg-{kind}-self", {
            "securityGroupId": ref("efa-sg"), "referencedSecurityGroupId": ref("efa-sg"), "ipProtocol": "-1",
            "description": f"EFA: all {kind} traffic within the group",
        }, line=efa_line)
    if net.egress == "nat" or reuse:
        # The provider removes AWS's default allow-all egress rule, so HTTPS out is explicit
        # (aws-gpu-facts.md, "Security groups created through Pulumi/Terraform").
        b.add(out, T.EGRESS_RULE, "efa-sg-egress-https", {
            "securityGroupId": ref("efa-sg"), "cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
            "description": "HTTPS out: SSM, S3, package mirrors",
        }, line=doc.line("network", "egress"))
    else:
        _ssm_endpoints(doc, b, out, vpc_id, home_subnet or subnets[0].name)

    compute_line = doc.line("compute")
    b.add(out, T.ROLE, "node-role", {
        "description": f"{spec.name}: cluster nodes (SSM access only)",
        "assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}, separators=(",", ":")),
    }, line=compute_line)
    b.add(out, T.ROLE_POLICY_ATTACHMENT, "node-role-ssm",
          {"role": ref("node-role", "name"), "policyArn": SSM_POLICY.format(partition=_partition(spec.region))},
          line=compute_line)
    if any(p.spec.capacity.type == "capacity-block" for p in pools):
        _drain_policy(b, out, spec.name, spec.region, compute_line)
    runtime_policy(doc, b, out, compute_line)  # what the boot program may do (planner/runtime/iam.py)
    b.add(out, T.INSTANCE_PROFILE, "node-profile", {"role": ref("node-role", "name")}, line=compute_line)

    record = {
        "vpc_id": net.vpc_id, "vpc_cidr": net.vpc_cidr, "secondary_cidrs": list(net.secondary_cidrs), "egress": net.egress,
        "existing_subnet_id": net.subnet_id,
        "subnets": [{"name": s.name, "availability_zone": s.zone, "cidr": s.cidr, "existing_subnet_id": net.subnet_id,
                     "ips_needed": s.ips_needed, "ips_total": s.ips_total if not reuse else None,
                     "reserved_ips": s.extra_ips, "pools": [p.name for p in s.pools]} for s in subnets],
        "public_subnets": [{"availability_zone": z, "cidr": c,
                            "network_border_group": placement.border_group(catalog, z, spec.region)} for z, c in public],
        "region_zone": net.region_zone,
    }
    return out, record, notes
