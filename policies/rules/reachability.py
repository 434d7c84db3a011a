"""Reachability rules: the flows a GPU cluster needs, proved over the Plan's security groups.

Every rule asks planner.plan.reachability "can X reach Y on P", which evaluates groups the way AWS does
(stateful; the sender's egress and the receiver's ingress must both allow the flow, by referenced
group, CIDR or prefix list; inline and standalone rules; "-1" = all) and knows that the Pulumi
provider removes AWS's default allow-all egress. A violation names the flow and the side that
stops it, e.g. "efa-sg cannot reach lustre-sg on tcp/988: no egress rule on efa-sg allows tcp/988 to
lustre-sg".

Facts: EC2 User Guide, efa-start (EFA: all traffic within the group, both directions); FSx for
Lustre User Guide, "File system access control with Amazon VPC" (TCP 988 and 1018-1023, clients <->
file system and file system <-> itself); AWS Systems Manager User Guide, "Improve the security of EC2
instances by using VPC endpoints for Systems Manager" (ssm, ssmmessages, ec2messages over HTTPS 443,
S3 for agent updates and patching).
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator, Mapping

from planner.catalog import is_local_zone
from planner.plan.reachability import (
    ALL_TRAFFIC, ANY_IPV4, Endpoint, Flow, SecurityModel, endpoint, group_key, label, tcp,
)

from planner import tokens as T

from ..context import LAUNCH_TEMPLATE, LUSTRE, SUBNET, StackContext, as_list, inputs, is_true, ref_name
from ..registry import ADVISORY, MANDATORY, REGISTRY, NotApplicable, Violation

VPC_ENDPOINT = T.VPC_ENDPOINT
ROUTE = T.ROUTE
ROUTE_TABLE_ASSOCIATION = T.ROUTE_TABLE_ASSOCIATION
ASG = T.AUTOSCALING_GROUP

LUSTRE_FLOWS = (tcp(988), tcp(1018, 1023))
HTTPS = tcp(443)
SSM_SERVICES = ("ssm", "ssmmessages", "ec2messages")


# -- who is who ----------------------------------------------------------------------------------
def _subnet_cidrs(ctx: StackContext, values: Iterable[Any]) -> list[str]:
    out = []
    for v in values:
        subnet = ctx.resolve(v)
        if subnet is not None and subnet["type"] == SUBNET and inputs(subnet).get("cidrBlock"):
            out.append(inputs(subnet)["cidrBlock"])
    return out


def node_endpoints(ctx: StackContext) -> list[tuple[Endpoint, list[str]]]:
    """One endpoint per distinct set of node security groups (launch templates), with its users."""
    found: dict[tuple[str, ...], tuple[list[Any], list[Any], list[str]]] = {}
    for lt in ctx.of_type(LAUNCH_TEMPLATE):
        i = inputs(lt)
        groups: list[Any] = []
        subnets: list[Any] = []
        for ni in as_list(i.get("networkInterfaces")):
            if isinstance(ni, Mapping):
                groups.extend(as_list(ni.get("securityGroups")))
                subnets.extend(as_list(ni.get("subnetId")))
        groups.extend(as_list(i.get("vpcSecurityGroupIds")))
        keys = tuple(sorted({k for g in groups if (k := group_key(g))}))
        if not keys:
            continue
        entry = found.setdefault(keys, ([], [], []))
        entry[0].extend(g for g in groups if group_key(g) in keys and g not in entry[0])
        entry[1].extend(subnets)
        entry[2].append(lt["name"])
    out = []
    for keys, (groups, subnets, users) in found.items():
        name = ", ".join(label(k) for k in keys)
        out.append((endpoint(name, groups, _subnet_cidrs(ctx, subnets)), users))
    return out


def lustre_endpoints(ctx: StackContext) -> list[tuple[Endpoint, dict[str, Any]]]:
    out = []
    for fs in ctx.of_type(LUSTRE):
        i = inputs(fs)
        groups = as_list(i.get("securityGroupIds"))
        name = ", ".join(label(k) for g in groups if (k := group_key(g))) or fs["name"]
        out.append((endpoint(name, groups, _subnet_cidrs(ctx, as_list(i.get("subnetIds")))), fs))
    return out


def _model(ctx: StackContext) -> SecurityModel:
    return SecurityModel.from_resources(ctx.resources)


def _group_resource(ep: Endpoint) -> str | None:
    return next((label(g) for g in ep.groups if g.startswith("$ref:")), None)


def _check(model: SecurityModel, ctx: StackContext, src: Endpoint, dst: Endpoint, flow: Flow,
           what: str = "") -> Iterator[Violation]:
    answer = model.can_reach(src, dst, flow)
    if answer.allowed:
        return
    if answer.allowed is None and not ctx.complete:
        return  # one stack at a time in the engine: groups of other stacks are checked offline
    target = dst.name + (f" ({what})" if what else "")
    verdict = "cannot reach" if answer.allowed is False else "cannot be proved to reach"
    yield Violation(f"{src.name} {verdict} {target} on {flow}: {answer.reason}", resource=_group_resource(src))


# -- node <-> node -------------------------------------------------------------------------------
@REGISTRY.stack(
    "nodes-reach-each-other", level=MANDATORY, severity="critical", tags=("efa", "network", "reachability"),
    description="Every node can reach every other node with all traffic (EFA, NCCL bootstrap), both ways.",
    remediation="Give all node launch templates one security group with an ingress and an egress rule of "
                "ipProtocol -1 that reference the group itself (or rules between the node groups).",
)
def nodes_reach_each_other(ctx: StackContext, config: Mapping[str, Any]) -> Iterable[Violation]:
    """EFA's OS-bypass traffic and NCCL's bootstrap need every protocol and port between all nodes
    of a job, in both directions (EC2 User Guide, efa-start). This proves it with the reachability
    model for every pair of node security-group sets (launch templates), each direction: the
    sender's egress and the receiver's ingress must both allow all traffic. Groups that are not in
    the Plan (`sg-...`) cannot be proved offline and are reported."""
    nodes = node_endpoints(ctx)
    if not nodes:
        raise NotApplicable("no launch template with a security group")
    model = _model(ctx)
    for src, _ in nodes:
        for dst, _ in nodes:
            yield from _check(model, ctx, src, dst, ALL_TRAFFIC)


# -- node <-> Lustre -----------------------------------------------------------------------------
@REGISTRY.stack(
    "nodes-reach-lustre", level=MANDATORY, severity="critical", tags=("storage", "network", "reachability"),
    description="Nodes and FSx for Lustre reach each other on TCP 988 and 1018-1023, both ways, and the "
                "file system reaches itself on the same ports.",
    remediation="Add rules for TCP 988 and 1018-1023: node group egress to and ingress from the file "
                "system's group; file system group ingress from and egress to the node group and itself.",
)
def nodes_reach_lustre(ctx: StackContext, config: Mapping[str, Any]) -> Iterable[Violation]:
    """A Lustre client talks to the file system's servers on TCP 988 and 1018-1023 and the servers
    call back and talk among themselves on the same ports (FSx for Lustre User Guide, "File system
    access control with Amazon VPC"). With the provider's default egress removed, a node group with
    only self and 443 egress cannot mount Lustre: every direction needs its rule. Proved for every
    file system and every node security-group set: node -> file system, file system -> node, and
    file system -> itself."""
    filesystems = lustre_endpoints(ctx)
    if not filesystems:
        raise NotApplicable("no FSx for Lustre file system in the plan")
    nodes = node_endpoints(ctx)
    model = _model(ctx)
    for fs, _ in filesystems:
        for flow in LUSTRE_FLOWS:
            for node, _ in nodes:
                yield from _check(model, ctx, node, fs, flow)
                yield from _check(model, ctx, fs, node, flow)
            yield from _check(model, ctx, fs, fs, flow)


# -- nodes -> SSM and S3 -------------------------------------------------------------------------
def _endpoints_for(ctx: StackContext, service: str, kind: str) -> list[dict[str, Any]]:
    return [e for e in ctx.of_type(VPC_ENDPOINT)
            if str(inputs(e).get("serviceName", "")).rsplit(".", 1)[-1] == service
            and str(inputs(e).get("vpcEndpointType", "Gateway")).lower() == kind]


def _node_route_tables(ctx: StackContext) -> set[str] | None:
    """Route tables of the node subnets in the Plan (None when no node subnet or association is in the Plan)."""
    subnets = set()
    for lt in ctx.of_type(LAUNCH_TEMPLATE):
        for ni in as_list(inputs(lt).get("networkInterfaces")):
            if isinstance(ni, Mapping) and ctx.resolve(ni.get("subnetId")) is not None:
                subnets.add(ref_name(ni["subnetId"]))
    tables = {ref_name(inputs(a).get("routeTableId")) for a in ctx.of_type(ROUTE_TABLE_ASSOCIATION)
              if ref_name(inputs(a).get("subnetId")) in subnets}
    # A subnet without an association uses the VPC's main route table, which the Plan does not hold.
    return tables or None


def _nat_routed(ctx: StackContext, tables: set[str] | None) -> bool:
    """The node subnets send 0.0.0.0/0 to a NAT gateway (or are not in the Plan: preflight's to check)."""
    if tables is None:
        return True
    routed = {ref_name(inputs(r).get("routeTableId")) for r in ctx.of_type(ROUTE)
              if inputs(r).get("destinationCidrBlock") == "0.0.0.0/0" and inputs(r).get("natGatewayId")}
    return bool(tables) and tables <= routed


def _ssm_violations(ctx: StackContext, model: SecurityModel, node: Endpoint, nat: bool) -> Iterator[Violation]:
    for service in SSM_SERVICES:
        interface = [e for e in _endpoints_for(ctx, service, "interface") if is_true(inputs(e).get("privateDnsEnabled"))]
        if interface:
            e = interface[0]
            dst = endpoint(f"the {service} endpoint", as_list(inputs(e).get("securityGroupIds")))
            yield from _check(model, ctx, node, dst, HTTPS, what=f"SSM {service}")
            continue
        dst = Endpoint(f"SSM ({service}) through NAT", cidrs=(ANY_IPV4,))
        answer = model.can_reach(node, dst, HTTPS)
        if answer.allowed and nat:
            continue
        if answer.allowed is None and not ctx.complete:
            continue
        reason = answer.reason if not answer.allowed else "the node subnets have no 0.0.0.0/0 route to a NAT gateway"
        yield Violation(f"{node.name} cannot reach SSM ({service}) on {HTTPS}: {reason}, and there is no "
                        f"interface endpoint for {service} with private DNS", resource=_group_resource(node))


def _s3_violations(ctx: StackContext, model: SecurityModel, node: Endpoint, nat: bool,
                   tables: set[str] | None) -> Iterator[Violation]:
    gateways = _endpoints_for(ctx, "s3", "gateway")
    routed = [g for g in gateways if tables is None or tables <= {ref_name(t) for t in as_list(inputs(g).get("routeTableIds"))}]
    prefix_lists = [{"$ref": g["name"], "attr": "prefixListId"} for g in routed]
    dst = endpoint("S3", cidrs=["0.0.0.0/0"], prefix_lists=prefix_lists)
    if not (routed or nat):
        yield Violation(f"{node.name} cannot reach S3 on {HTTPS}: no S3 gateway endpoint on the node subnets' "
                        "route tables and no 0.0.0.0/0 route to a NAT gateway", resource=_group_resource(node))
        return
    yield from _check(model, ctx, node, dst, HTTPS)


@REGISTRY.stack(
    "nodes-reach-aws-services", level=MANDATORY, severity="high", tags=("network", "reachability"),
    description="Nodes reach Systems Manager (ssm, ssmmessages, ec2messages) and S3 on HTTPS 443, through "
                "a NAT gateway or VPC endpoints.",
    remediation="Either allow egress TCP 443 to 0.0.0.0/0 with a NAT route on the node subnets, or create "
                "interface endpoints for ssm, ssmmessages and ec2messages (private DNS on, a group allowing "
                "443 from the nodes) plus the S3 gateway endpoint, and allow 443 egress to them.",
)
def nodes_reach_aws_services(ctx: StackContext, config: Mapping[str, Any]) -> Iterable[Violation]:
    """Nodes are reached only through SSM Session Manager (no public IPs, no open SSH), so a node
    that cannot reach ssm, ssmmessages and ec2messages on HTTPS is unmanageable, and one that cannot
    reach S3 cannot fetch agent updates, images or data. Either path counts: HTTPS egress to
    0.0.0.0/0 with the node subnets routed to a NAT gateway, or (`egress: none`) the VPC endpoints of
    the Systems Manager guide: interface endpoints with private DNS whose group admits HTTPS from the
    nodes, and the S3 gateway endpoint on the node subnets' route tables with egress to its prefix
    list. Node subnets outside the Plan (reused) are preflight's to check: only the groups are."""
    nodes = node_endpoints(ctx)
    if not nodes:
        raise NotApplicable("no launch template with a security group")
    model = _model(ctx)
    tables = _node_route_tables(ctx)
    nat = _nat_routed(ctx, tables)
    for node, _ in nodes:
        yield from _ssm_violations(ctx, model, node, nat)
        yield from _s3_violations(ctx, model, node, nat, tables)


# -- Lustre in the GPUs' zone --------------------------------------------------------------------
def _zone_of(resource: Mapping[str, Any] | None) -> str | None:
    i = inputs(resource or {})
    return i.get("availabilityZoneId") or i.get("availabilityZone")


@REGISTRY.stack(
    "lustre-in-gpu-zone", level=ADVISORY, severity="medium", tags=("storage", "network"),
    description="FSx for Lustre is in the same zone as the GPU pools that mount it.",
    remediation="Put the file system's subnet in the GPU pools' zone, or accept the cross-zone path "
                "(where a Local Zone does not offer FSx for Lustre this is the documented placement).",
)
def lustre_in_gpu_zone(ctx: StackContext, config: Mapping[str, Any]) -> Iterable[Violation]:
    """Lustre traffic between zones pays cross-zone data charges and latency on every read of the
    training data; ParallelCluster does not catch it either. Compared for every accelerator or EFA
    pool against the zone of the file system's subnet: a Local Zone and a Region zone always differ;
    otherwise two zone names or two zone IDs are compared (a name and an ID can only be matched
    against the account). Where a Local Zone does not offer FSx for Lustre the compiler places it in
    `network.region_zone` on purpose, and this finding is the reminder of the cost."""
    if not ctx.pools:
        raise NotApplicable("needs the Plan's pool records (offline only)")
    filesystems = ctx.of_type(LUSTRE)
    if not filesystems:
        raise NotApplicable("no FSx for Lustre file system in the plan")
    for fs in filesystems:
        zone = _zone_of(ctx.resolve(next(iter(as_list(inputs(fs).get("subnetIds"))), None)))
        if zone is None:
            continue
        for pool in ctx.pools:
            pz = pool.get("availability_zone")
            if not pz or not (pool.get("gpus") or pool.get("efa")):
                continue
            if _different_zones(pz, zone):
                # Located at the pool's line: the pool is what sits in the other zone.
                yield Violation(f"{fs['name']} is in {zone}, GPU pool {pool['name']} in {pz}: every Lustre read crosses zones",
                                pool=pool["name"])


def _different_zones(a: str, b: str) -> bool:
    """Provably different zones: a Local Zone is never a Region's Availability Zone; otherwise two zone
    IDs or two zone names that differ (a name and an ID can only be matched against the account)."""
    def is_id(z: str) -> bool:
        return z.rsplit("-", 1)[-1].startswith("az")
    if is_local_zone(a) != is_local_zone(b):
        return True
    return is_id(a) == is_id(b) and a != b
