"""Network: the VPC (or an existing one), private subnets sized from the pools' exact IP budgets,
egress, the S3 gateway endpoint, the EFA security group and the node IAM role.

Subnet sizing: each pool needs instances x IPs-per-instance addresses (one per instance with
efa-only interfaces); AWS keeps 5 addresses of every subnet. Pools in one zone share a subnet while
it fits in a /16 (the largest subnet AWS allows); a pool never spans subnets, because EFA traffic does
not leave a subnet's zone and a pool is one placement (aws-gpu-facts.md, EFA rules).
"""
from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import SpecError, SpecIssue
from ..plan import Resource, ref
from ..validate import SpecDocument
from .builder import Builder
from .pools import ResolvedPool, zone_is_id

AWS_RESERVED_IPS = 5  # first four and last address of every subnet (VPC User Guide, subnet sizing)
MIN_PREFIX, MAX_PREFIX = 28, 16  # subnet sizes AWS allows
MAX_SUBNET_IPS = 2 ** (32 - MAX_PREFIX) - AWS_RESERVED_IPS
SSM_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


@dataclass
class SubnetPlan:
    name: str
    zone: str
    pools: list[ResolvedPool] = field(default_factory=list)
    extra_ips: int = 0
    cidr: str | None = None

    @property
    def ips_needed(self) -> int:
        return sum(p.ips for p in self.pools) + self.extra_ips

    @property
    def prefix(self) -> int:
        need = self.ips_needed + AWS_RESERVED_IPS
        prefix = MIN_PREFIX
        while prefix > MAX_PREFIX and 2 ** (32 - prefix) < need:
            prefix -= 1
        return prefix

    @property
    def ips_total(self) -> int:
        return 2 ** (32 - self.prefix) - AWS_RESERVED_IPS


def slug(zone: str) -> str:
    return re.sub(r"[^a-z0-9-]", "-", zone.lower())


def plan_subnets(doc: SpecDocument, pools: list[ResolvedPool], storage_ips: int) -> list[SubnetPlan]:
    """Group pools into subnets per zone (first fit, largest first) and raise if a pool is too big."""
    issues = []
    by_zone: dict[str, list[SubnetPlan]] = {}
    order = sorted(pools, key=lambda p: -p.ips)
    for p in order:
        if p.ips > MAX_SUBNET_IPS:
            issues.append(SpecIssue(
                f"compute[{p.index}].count", f"pool '{p.name}' needs {p.ips:,} IPs; one subnet holds at most {MAX_SUBNET_IPS:,} (/16)",
                doc.line("compute", p.index, "count"), doc.file,
                f"split it into pools of at most {MAX_SUBNET_IPS // max(1, p.ips // p.instances * (p.ultra.instances if p.ultra else 1)):,} "
                f"{'UltraServers' if p.ultra else 'instances'} each (an EFA pool stays in one subnet)"))
            continue
        subnets = by_zone.setdefault(p.zone, [])
        for s in subnets:
            if s.ips_needed + p.ips <= MAX_SUBNET_IPS:
                s.pools.append(p)
                break
        else:
            n = len(subnets)
            subnets.append(SubnetPlan(f"subnet-{slug(p.zone)}" + (f"-{n + 1}" if n else ""), p.zone, [p]))
    if issues:
        raise SpecError(issues)
    cluster_zone = doc.spec.availability_zone
    home = by_zone.get(cluster_zone) or next(iter(by_zone.values()))
    if storage_ips:
        for s in home:
            if s.ips_needed + storage_ips <= MAX_SUBNET_IPS:
                s.extra_ips += storage_ips
                break
        else:
            home.append(SubnetPlan(f"subnet-{slug(home[0].zone)}-{len(home) + 1}", home[0].zone, [], storage_ips))
    subnets = [s for group in by_zone.values() for s in group]
    for s in subnets:
        for p in s.pools:
            p.subnet = s.name
    return subnets


def allocate(doc: SpecDocument, subnets: list[SubnetPlan], public_zones: list[str]) -> list[tuple[str, str]]:
    """Give every private subnet (and one /28 public subnet per NAT zone) an aligned CIDR inside the
    VPC's blocks. Returns the public (zone, cidr) pairs. Raises a SpecError naming the shortfall."""
    net = doc.spec.network
    blocks = [ipaddress.IPv4Network(c) for c in [net.vpc_cidr, *net.secondary_cidrs]]
    cursors = [int(b.network_address) for b in blocks]
    requests = [(s.prefix, s) for s in subnets] + [(MIN_PREFIX, z) for z in public_zones]
    requests.sort(key=lambda r: r[0])  # largest first keeps every allocation aligned
    public: list[tuple[str, str]] = []
    for prefix, owner in requests:
        size = 2 ** (32 - prefix)
        for i, block in enumerate(blocks):
            start = -(-cursors[i] // size) * size
            if prefix >= block.prefixlen and start + size <= int(block.broadcast_address) + 1:
                cidr = str(ipaddress.IPv4Network((start, prefix)))
                cursors[i] = start + size
                break
        else:
            need = sum(2 ** (32 - p) for p, _ in requests)
            have = sum(b.num_addresses for b in blocks)
            line = doc.line("network", "vpc_cidr")
            raise SpecError([SpecIssue(
                "network.vpc_cidr",
                f"the subnets need {need:,} addresses (largest /{requests[0][0]}); the VPC's CIDR blocks hold {have:,}",
                line, doc.file,
                "use a larger vpc_cidr (up to /16) or add secondary_cidrs, e.g. secondary_cidrs: [10.1.0.0/16]")])
        if isinstance(owner, SubnetPlan):
            owner.cidr = cidr
        else:
            public.append((owner, cidr))
    return public


def _zone_input(zone: str) -> dict[str, str]:
    return {"availabilityZoneId": zone} if zone_is_id(zone) else {"availabilityZone": zone}


def build(doc: SpecDocument, b: Builder, pools: list[ResolvedPool], subnets: list[SubnetPlan]) -> tuple[list[Resource], dict[str, Any]]:
    spec, net = doc.spec, doc.spec.network
    out: list[Resource] = []
    net_line = doc.line("network")
    reuse = net.vpc_id is not None
    vpc_id: Any = net.vpc_id
    private_route_table = None
    public = []
    if not reuse:
        zones = sorted({s.zone for s in subnets}) if net.egress == "nat" else []
        public = allocate(doc, subnets, zones)
        b.add(out, "aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": net.vpc_cidr, "enableDnsSupport": True, "enableDnsHostnames": True},
              line=doc.line("network", "vpc_cidr"))
        vpc_id = ref("vpc")
        for i, cidr in enumerate(net.secondary_cidrs):
            b.add(out, "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation", f"vpc-cidr-{i + 1}",
                  {"vpcId": vpc_id, "cidrBlock": cidr}, line=doc.line("network", "secondary_cidrs", i))
        associations = [f"vpc-cidr-{i + 1}" for i in range(len(net.secondary_cidrs))]
        private_route_table = b.add(out, "aws:ec2/routeTable:RouteTable", "rt-private", {"vpcId": vpc_id}, line=net_line)
        for s in subnets:
            first = s.pools[0] if s.pools else None
            b.add(out, "aws:ec2/subnet:Subnet", s.name, {
                "vpcId": vpc_id, "cidrBlock": s.cidr, **_zone_input(s.zone), "mapPublicIpOnLaunch": False,
            }, line=doc.line("compute", first.index) if first else doc.line("availability_zone"), depends_on=associations,
                tags={"ultraplan:tier": "private"})
            b.add(out, "aws:ec2/routeTableAssociation:RouteTableAssociation", f"rta-{s.name}",
                  {"subnetId": ref(s.name), "routeTableId": ref("rt-private")}, line=net_line)
        if public:
            egress_line = doc.line("network", "egress")
            b.add(out, "aws:ec2/internetGateway:InternetGateway", "igw", {"vpcId": vpc_id}, line=egress_line)
            b.add(out, "aws:ec2/routeTable:RouteTable", "rt-public", {"vpcId": vpc_id}, line=egress_line)
            b.add(out, "aws:ec2/route:Route", "route-public-default",
                  {"routeTableId": ref("rt-public"), "destinationCidrBlock": "0.0.0.0/0", "gatewayId": ref("igw")}, line=egress_line)
            for zone, cidr in public:
                z = slug(zone)
                b.add(out, "aws:ec2/subnet:Subnet", f"subnet-public-{z}", {
                    "vpcId": vpc_id, "cidrBlock": cidr, **_zone_input(zone), "mapPublicIpOnLaunch": False,
                }, line=egress_line, depends_on=associations, tags={"ultraplan:tier": "public"})
                b.add(out, "aws:ec2/routeTableAssociation:RouteTableAssociation", f"rta-subnet-public-{z}",
                      {"subnetId": ref(f"subnet-public-{z}"), "routeTableId": ref("rt-public")}, line=egress_line)
                b.add(out, "aws:ec2/eip:Eip", f"nat-eip-{z}", {"domain": "vpc"}, line=egress_line)
                b.add(out, "aws:ec2/natGateway:NatGateway", f"nat-{z}",
                      {"allocationId": ref(f"nat-eip-{z}"), "subnetId": ref(f"subnet-public-{z}")},
                      line=egress_line, depends_on=["igw"])
            # One private route table: its default route uses the first zone's NAT gateway.
            b.add(out, "aws:ec2/route:Route", "route-private-default",
                  {"routeTableId": ref("rt-private"), "destinationCidrBlock": "0.0.0.0/0", "natGatewayId": ref(f"nat-{slug(public[0][0])}")},
                  line=egress_line)
        b.add(out, "aws:ec2/vpcEndpoint:VpcEndpoint", "s3-endpoint", {
            "vpcId": vpc_id, "serviceName": f"com.amazonaws.{spec.region}.s3", "vpcEndpointType": "Gateway",
            "routeTableIds": [ref("rt-private")],
        }, line=net_line)

    efa_line = next((p.line for p in pools if p.efa), net_line)
    b.add(out, "aws:ec2/securityGroup:SecurityGroup", "efa-sg", {
        "vpcId": vpc_id, "description": f"{spec.name}: cluster nodes; all traffic within the group (EFA needs it)",
    }, line=efa_line)
    # EFA needs all traffic to and from the group itself, both directions (EC2 User Guide, efa-start).
    for kind, token in (("ingress", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"),
                        ("egress", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")):
        b.add(out, token, f"efa-sg-{kind}-self", {
            "securityGroupId": ref("efa-sg"), "referencedSecurityGroupId": ref("efa-sg"), "ipProtocol": "-1",
            "description": f"EFA: all {kind} traffic within the group",
        }, line=efa_line)
    if net.egress == "nat" or reuse:
        b.add(out, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "efa-sg-egress-https", {
            "securityGroupId": ref("efa-sg"), "cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
            "description": "HTTPS out: SSM, S3, package mirrors",
        }, line=doc.line("network", "egress"))

    compute_line = doc.line("compute")
    b.add(out, "aws:iam/role:Role", "node-role", {
        "description": f"{spec.name}: cluster nodes (SSM access only)",
        "assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}, separators=(",", ":")),
    }, line=compute_line)
    b.add(out, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "node-role-ssm",
          {"role": ref("node-role", "name"), "policyArn": SSM_POLICY}, line=compute_line)
    b.add(out, "aws:iam/instanceProfile:InstanceProfile", "node-profile", {"role": ref("node-role", "name")}, line=compute_line)

    record = {
        "vpc_id": net.vpc_id, "vpc_cidr": net.vpc_cidr, "secondary_cidrs": list(net.secondary_cidrs), "egress": net.egress,
        "existing_subnet_id": net.subnet_id,
        "subnets": [{"name": s.name, "availability_zone": s.zone, "cidr": s.cidr, "existing_subnet_id": net.subnet_id,
                     "ips_needed": s.ips_needed, "ips_total": s.ips_total if not reuse else None,
                     "reserved_ips": s.extra_ips, "pools": [p.name for p in s.pools]} for s in subnets],
        "public_subnets": [{"availability_zone": z, "cidr": c} for z, c in public],
    }
    return out, record
