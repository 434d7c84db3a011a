"""Network: the VPC (or an existing one), private subnets (sized and addressed by
`compile.addressing`), egress, the S3 gateway endpoint, the EFA security group and the node IAM role.
"""
from __future__ import annotations

import json
from typing import Any

from ..plan import Resource, ref
from ..validate import SpecDocument
from .addressing import SubnetPlan, allocate, slug
from .builder import Builder
from .pools import ResolvedPool, zone_is_id

SSM_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


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
