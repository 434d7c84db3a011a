"""Network rules: the EFA security group, public IPs, open ingress, VPC DNS.

Facts: ../shared/reference/aws-gpu-facts.md, "EFA rules" (EC2 User Guide: efa, efa-start, using-eni).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from planner import tokens as T

from ..context import (
    ANYWHERE, ASG, INSTANCE, LAUNCH_TEMPLATE, SECURITY_GROUP, SG_EGRESS, SG_INGRESS, SG_RULE, SUBNET, VPC,
    StackContext, as_list, efa_interfaces, inputs, is_ref, is_true, ref_name, same_target, target_key,
)
from ..registry import ADVISORY, MANDATORY, REGISTRY, NotApplicable, Violation

ALL_PROTOCOLS = ("-1", "all", -1)


def _all_traffic(protocol: Any) -> bool:
    return protocol in ALL_PROTOCOLS or str(protocol).lower() in ("-1", "all")


def _efa_groups(ctx: StackContext) -> dict[str, tuple[Any, list[str]]]:
    """Security groups attached to EFA interfaces: key -> (the group value, launch templates using it)."""
    groups: dict[str, tuple[Any, list[str]]] = {}
    for lt in ctx.of_type(LAUNCH_TEMPLATE):
        interfaces = efa_interfaces(lt)
        if not interfaces:
            continue
        values: list[Any] = []
        for ni in interfaces:
            values.extend(as_list(ni.get("securityGroups")))
        if not values:
            values = as_list(inputs(lt).get("vpcSecurityGroupIds"))
        mine: dict[str, Any] = {}  # this template's groups, once each (32 interfaces share one group)
        for value in values:
            key = target_key(value)
            if key and key not in mine:
                mine[key] = value
        for key, value in mine.items():
            groups.setdefault(key, (value, []))[1].append(lt["name"])
    return groups


def _has_self_rule(ctx: StackContext, group: Any, direction: str) -> bool:
    """A rule allowing all protocols, all ports, from (ingress) or to (egress) the group itself."""
    standalone = SG_INGRESS if direction == "ingress" else SG_EGRESS
    for rule in ctx.of_type(standalone):
        i = inputs(rule)
        if (same_target(i.get("securityGroupId"), group)
                and same_target(i.get("referencedSecurityGroupId"), group)
                and _all_traffic(i.get("ipProtocol"))):
            return True
    for rule in ctx.of_type(SG_RULE):
        i = inputs(rule)
        if (i.get("type") == direction and same_target(i.get("securityGroupId"), group)
                and (is_true(i.get("self")) or same_target(i.get("sourceSecurityGroupId"), group))
                and _all_traffic(i.get("protocol"))):
            return True
    sg = ctx.resolve(group)
    if sg is not None:
        for rule in as_list(inputs(sg).get(direction)):
            if (isinstance(rule, Mapping) and _all_traffic(rule.get("protocol"))
                    and (is_true(rule.get("self"))
                         or any(same_target(g, group) for g in as_list(rule.get("securityGroups"))))):
                return True
    return False


@REGISTRY.stack(
    "efa-sg-self-rules", level=MANDATORY, severity="critical", tags=("efa", "network"),
    description="The security group of every EFA interface allows all traffic to and from itself, inbound and outbound.",
    remediation="Add an ingress rule and an egress rule on the EFA security group with ipProtocol -1 "
                "whose referencedSecurityGroupId is the group itself (vpc.SecurityGroupIngressRule / "
                "SecurityGroupEgressRule), or inline rules with protocol -1 and self = true.",
)
def efa_sg_self_rules(ctx: StackContext, config: Mapping[str, Any]) -> Iterable[Violation]:
    """EFA's OS-bypass traffic is only allowed between members of one security group, both ways: the
    group attached to every EFA (or efa-only) interface needs an all-traffic ingress rule from itself
    and an all-traffic egress rule to itself (EC2 User Guide, efa-start "Prepare an EFA-enabled
    security group"). Without either, NCCL over EFA hangs or falls back to TCP. Offline, the whole
    Plan is checked; inside `pulumi preview` each stack is analysed alone, so a group in another
    stack (a StackReference value) is checked only offline. A group that is not in the Plan (an
    existing `sg-...`) cannot be seen here: it is reported, so that a skip with a reason is explicit."""
    groups = _efa_groups(ctx)
    if not groups:
        raise NotApplicable("no launch template with an EFA interface")
    for key, (group, users) in sorted(groups.items()):
        label = group["$ref"] if is_ref(group) else group
        if not is_ref(group) or ctx.resolve(group) is None:
            if ctx.complete:
                yield Violation(f"EFA security group {label} (used by {', '.join(users)}) is not in the plan, "
                                f"so its self rules cannot be checked here; preflight checks existing groups",
                                resource=users[0])
            continue
        missing = [d for d in ("ingress", "egress") if not _has_self_rule(ctx, group, d)]
        if missing:
            yield Violation(f"EFA security group {label} has no all-traffic {' or '.join(missing)} rule "
                            f"referencing itself (used by {', '.join(users)})", resource=label)


_FAMILY = re.compile(r"^([a-z]+?)\d")
# Letters of the EC2 accelerated-computing families (EC2 User Guide, "Accelerated computing instances"):
# P and G (NVIDIA), Gr (graphics), Trn and Inf (AWS Trainium/Inferentia), DL (Gaudi), F (FPGA), VT (video).
ACCELERATED_FAMILIES = ("p", "g", "gr", "trn", "inf", "dl", "f", "vt")


def instance_family_letters(instance_type: Any) -> str | None:
    """'p5en.48xlarge' -> 'p', 'trn2u.48xlarge' -> 'trn', 'g6e.xlarge' -> 'g'."""
    if not isinstance(instance_type, str):
        return None
    m = _FAMILY.match(instance_type.split(".")[0].lower())
    return m.group(1) if m else None


@REGISTRY.resource(
    "no-public-ip", level=MANDATORY, severity="high", tags=("efa", "network", "security"),
    types=(LAUNCH_TEMPLATE, INSTANCE),
    description="No public IP address on GPU/accelerator or multi-interface instances.",
    remediation="Remove associatePublicIpAddress (\"false\" only on a single-interface launch, never on an "
                "efa-only interface: see launch-rules) and launch into a private subnet; reach the nodes through "
                "SSM, a bastion or a load balancer.",
    config={"properties": {"acceleratedFamilies": {
        "type": "array", "items": {"type": "string"},
        "default": list(ACCELERATED_FAMILIES),
        "description": "Instance family letters treated as accelerated (EC2 accelerated computing families).",
    }}},
)
def no_public_ip(resource: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    """A GPU or Trainium node must not get a public IP: it exposes the node directly, and AWS refuses
    an auto-assigned public IP on a launch with more than one network interface ("cannot be specified
    when launching with multiple network interfaces"), which every EFA layout uses. ParallelCluster
    rejects the same (multi-NIC or EFA pool with a public IP)."""
    i = inputs(resource)
    interfaces = [ni for ni in as_list(i.get("networkInterfaces")) if isinstance(ni, Mapping)]
    accelerated = instance_family_letters(i.get("instanceType")) in set(config.get("acceleratedFamilies", []))
    multi = len(interfaces) > 1 or bool(efa_interfaces(resource))
    if not (accelerated or multi):
        return
    why = "an accelerated instance type" if accelerated else "more than one network interface"
    if resource["type"] == INSTANCE and is_true(i.get("associatePublicIpAddress")):
        yield f"associatePublicIpAddress is true on {why}"
    for ni in interfaces:
        if is_true(ni.get("associatePublicIpAddress")):
            yield (f"network interface card {ni.get('networkCardIndex', 0)} device {ni.get('deviceIndex', 0)} "
                   f"sets associatePublicIpAddress on {why}")


def _open_cidrs(*values: Any) -> list[str]:
    return [c for v in values for c in as_list(v) if c in ANYWHERE]


@REGISTRY.resource(
    "no-open-ingress", level=MANDATORY, severity="high", tags=("network",),
    types=(SG_INGRESS, SG_RULE, SECURITY_GROUP),
    description="No security group rule allows inbound traffic from 0.0.0.0/0 or ::/0.",
    remediation="Restrict the rule's source to the VPC CIDR, a prefix list or another security group; "
                "use SSM Session Manager instead of an open SSH port.",
)
def no_open_ingress(resource: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    """A training cluster has no reason to accept connections from the whole internet; an open port
    on a GPU node is the usual way such clusters get hijacked for mining. Egress to 0.0.0.0/0 (HTTPS
    for package mirrors and AWS APIs) is allowed."""
    i = inputs(resource)
    if resource["type"] == SG_INGRESS:
        cidrs = _open_cidrs(i.get("cidrIpv4"), i.get("cidrIpv6"))
        if cidrs:
            yield f"ingress {i.get('ipProtocol')} {i.get('fromPort', '')}-{i.get('toPort', '')} open to {', '.join(cidrs)}"
    elif resource["type"] == SG_RULE:
        cidrs = _open_cidrs(i.get("cidrBlocks"), i.get("ipv6CidrBlocks"))
        if i.get("type") == "ingress" and cidrs:
            yield f"ingress {i.get('protocol')} {i.get('fromPort')}-{i.get('toPort')} open to {', '.join(cidrs)}"
    else:
        for rule in as_list(i.get("ingress")):
            if isinstance(rule, Mapping):
                cidrs = _open_cidrs(rule.get("cidrBlocks"), rule.get("ipv6CidrBlocks"))
                if cidrs:
                    yield (f"inline ingress {rule.get('protocol')} {rule.get('fromPort')}-{rule.get('toPort')} "
                           f"open to {', '.join(cidrs)}")


@REGISTRY.resource(
    "vpc-dns-enabled", level=ADVISORY, severity="medium", tags=("network",),
    types=(VPC,),
    description="A new VPC enables DNS support and DNS hostnames.",
    remediation="Set enableDnsSupport and enableDnsHostnames to true on the VPC.",
)
def vpc_dns_enabled(resource: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    """FSx for Lustre mounts, VPC endpoints (SSM, S3) and the schedulers' node naming resolve through
    the VPC's DNS; ParallelCluster refuses a VPC without DNS support and hostnames."""
    i = inputs(resource)
    for key in ("enableDnsSupport", "enableDnsHostnames"):
        # enableDnsSupport defaults to true in EC2; enableDnsHostnames defaults to false.
        value = i.get(key, key == "enableDnsSupport")
        if not is_true(value):
            yield f"{key} is not true"


ROUTE = T.ROUTE
ROUTE_TABLE_ASSOCIATION = T.ROUTE_TABLE_ASSOCIATION
INTERNET_GATEWAY = T.INTERNET_GATEWAY


def _node_templates(ctx: StackContext) -> list[dict[str, Any]]:
    """Launch templates of GPU/accelerator or multi-interface nodes."""
    out = []
    for lt in ctx.of_type(LAUNCH_TEMPLATE):
        i = inputs(lt)
        multi = len(as_list(i.get("networkInterfaces"))) > 1 or bool(efa_interfaces(lt))
        if multi or instance_family_letters(i.get("instanceType")) in ACCELERATED_FAMILIES:
            out.append(lt)
    return out


def _node_subnets(ctx: StackContext, templates: list[dict[str, Any]]) -> dict[str, str]:
    """Subnet resource name -> the template or group that launches into it (subnets in the context only)."""
    found: dict[str, str] = {}
    names = {lt["name"] for lt in templates}
    for lt in templates:
        for ni in as_list(inputs(lt).get("networkInterfaces")):
            if isinstance(ni, Mapping) and ctx.resolve(ni.get("subnetId")) is not None:
                found.setdefault(ref_name(ni["subnetId"]), lt["name"])
    for asg in ctx.of_type(ASG):
        spec = inputs(asg).get("launchTemplate")
        if isinstance(spec, Mapping) and ref_name(spec.get("id")) in names:
            for z in as_list(inputs(asg).get("vpcZoneIdentifiers")):
                if ctx.resolve(z) is not None:
                    found.setdefault(ref_name(z), asg["name"])
    return found


def _internet_route_tables(ctx: StackContext) -> set[str]:
    """Route tables with a default route to an internet gateway."""
    tables = set()
    for route in ctx.of_type(ROUTE):
        i = inputs(route)
        if i.get("destinationCidrBlock") not in ANYWHERE and i.get("destinationIpv6CidrBlock") not in ANYWHERE:
            continue
        gateway = i.get("gatewayId")
        target = ctx.resolve(gateway)
        if (target is not None and target["type"] == INTERNET_GATEWAY) or str(gateway).startswith("igw-"):
            if ref_name(i.get("routeTableId")):
                tables.add(ref_name(i["routeTableId"]))
    return tables


@REGISTRY.stack(
    "node-subnet-private", level=MANDATORY, severity="high", tags=("efa", "network", "security"),
    description="GPU/accelerator and multi-interface nodes launch only into private subnets.",
    remediation="Launch the pool into a subnet with mapPublicIpOnLaunch false whose route table sends "
                "0.0.0.0/0 to a NAT gateway (or nowhere), not to an internet gateway.",
)
def node_subnet_private(ctx: StackContext, config: Mapping[str, Any]) -> Iterable[Violation]:
    """A subnet that maps public IPs on launch, or routes 0.0.0.0/0 to an internet gateway, is public:
    a node there is one security-group mistake away from the internet, and with several network
    interfaces AWS cannot give it a public address anyway (ParallelCluster rejects multi-NIC and EFA
    pools in public subnets). Checked on the subnets in the Plan that the nodes' launch templates
    and auto-scaling groups use; an existing subnet (`subnet-...`) is preflight's to check."""
    subnets = _node_subnets(ctx, _node_templates(ctx))
    if not subnets:
        raise NotApplicable("no GPU or multi-interface node launches into a subnet of the plan")
    public_tables = _internet_route_tables(ctx)
    routed = {ref_name(inputs(a).get("subnetId")): ref_name(inputs(a).get("routeTableId"))
              for a in ctx.of_type(ROUTE_TABLE_ASSOCIATION)}
    for name, user in sorted(subnets.items()):
        subnet = ctx.by_name(name)
        if subnet is None or subnet["type"] != SUBNET:
            continue
        if is_true(inputs(subnet).get("mapPublicIpOnLaunch")):
            yield Violation(f"subnet {name} (used by {user}) maps public IPs on launch", resource=name)
        if routed.get(name) in public_tables:
            yield Violation(f"subnet {name} (used by {user}) routes 0.0.0.0/0 to an internet gateway "
                            f"through {routed[name]}", resource=name)
