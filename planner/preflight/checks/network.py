"""Subnets and the VPC: existing ones exist, sit where the plan expects and have room; new ones fit."""
from __future__ import annotations

import ipaddress
from typing import Any, Iterable

from planner import tokens as T

from ...findings import Finding, Level
from ..account import AccountError
from ..context import Context
from .registry import check

SUBNET_TYPE = T.SUBNET
AWS_RESERVED_IPS = 5  # AWS keeps the first four and the last address of every subnet (VPC User Guide: subnet sizing)


def usable_ips(cidr: str) -> int:
    return max(ipaddress.ip_network(cidr, strict=False).num_addresses - AWS_RESERVED_IPS, 0)


def existing_subnet_needs(ctx: Context) -> dict[str, tuple[int, list[dict[str, Any]]]]:
    """IPs each reused subnet must still have free, and the pools that use it."""
    needs: dict[str, tuple[int, list[dict[str, Any]]]] = {}
    for pool in ctx.pools:
        sid = pool.get("existing_subnet_id")
        if sid:
            ips, pools = needs.get(sid, (0, []))
            needs[sid] = (ips + int(pool.get("ips_per_instance") or 1) * int(pool["instances"]), pools + [pool])
    for subnet in (ctx.plan.network or {}).get("subnets", []) or []:
        sid = subnet.get("existing_subnet_id")
        if sid and subnet.get("ips_needed") is not None:
            ips, pools = needs.get(sid, (0, []))
            needs[sid] = (max(ips, int(subnet["ips_needed"])), pools)
    return needs


def new_subnets(ctx: Context) -> list[tuple[str, str, Any]]:
    """(resource name, CIDR, source) of every subnet the plan creates."""
    return [(r.name, r.inputs["cidrBlock"], r.source) for r in ctx.plan.resources()
            if r.type == SUBNET_TYPE and r.inputs.get("cidrBlock")]


@check("preflight.subnet.existing", Level.ERROR, "Reused subnets exist in the right zone and VPC")
def existing_subnets(ctx: Context) -> Iterable[Finding]:
    """Every subnet the spec reuses exists, lies in the pool's availability zone (compared by zone
    ID: EFA traffic cannot leave a zone) and in the spec's VPC. Fix: correct the subnet id or zone."""
    cid = "preflight.subnet.existing"
    needs = existing_subnet_needs(ctx)
    if not needs:
        return
    try:
        subnets = ctx.subnets()
    except AccountError as err:
        yield ctx.could_not(cid, "the reused subnets", err)
        return
    vpc_id = (ctx.plan.network or {}).get("vpc_id")
    for sid, (_, pools) in needs.items():
        subnet = subnets.get(sid)
        first = pools[0] if pools else None
        if subnet is None:
            yield ctx.finding(cid, Level.ERROR, f"subnet {sid} does not exist in {ctx.plan.region}", pool=first)
            continue
        if vpc_id and subnet.get("vpc_id") != vpc_id:
            yield ctx.finding(cid, Level.ERROR, f"subnet {sid} is in {subnet.get('vpc_id')}, not in the spec's "
                              f"VPC {vpc_id}", pool=first)
        for pool in pools:
            try:
                zone = ctx.pool_zone(pool)
            except AccountError:
                zone = None
            if zone and subnet.get("zone_id") and subnet["zone_id"] != zone["id"]:
                yield ctx.finding(cid, Level.ERROR, f"subnet {sid} is in {subnet.get('zone')} ({subnet['zone_id']}), "
                                  f"the pool is in {zone['name']} ({zone['id']})",
                                  hint="use a subnet in the pool's zone", pool=pool)


@check("preflight.subnet.public-ip", Level.ERROR, "Reused subnets do not auto-assign public IPs to multi-card EFA nodes")
def reused_subnet_public_ip(ctx: Context) -> Iterable[Finding]:
    """A reused subnet that auto-assigns public IPv4 addresses (MapPublicIpOnLaunch) cannot take
    nodes with more than one network interface: EC2 refuses an auto-assigned public IP on a launch
    with several interfaces (EC2 User Guide, "Assign a public IPv4 address during instance launch";
    aws-gpu-facts.md, EFA rules), and a GPU node should not be public anyway. ParallelCluster rejects
    multi-NIC and EFA pools in such subnets. Fix: use a private subnet, or
    `aws ec2 modify-subnet-attribute --subnet-id S --no-map-public-ip-on-launch`."""
    cid = "preflight.subnet.public-ip"
    needs = existing_subnet_needs(ctx)
    multi = {sid: [p for p in pools if int(p.get("interfaces_per_instance") or 1) > 1 or p.get("efa")]
             for sid, (_, pools) in needs.items()}
    multi = {sid: pools for sid, pools in multi.items() if pools}
    if not multi:
        return
    try:
        subnets = ctx.subnets()
    except AccountError as err:
        yield ctx.could_not(cid, "the reused subnets' public IP setting", err)
        return
    for sid, pools in multi.items():
        subnet = subnets.get(sid)
        if subnet is None:
            continue  # preflight.subnet.existing reports it
        if subnet.get("map_public_ip") is None:
            yield ctx.finding(cid, Level.WARNING, f"could not check whether subnet {sid} auto-assigns public IPs "
                              "(not in the account data; recapture the snapshot)", pool=pools[0])
            continue
        if subnet["map_public_ip"]:
            for pool in pools:
                yield ctx.finding(cid, Level.ERROR,
                                  f"subnet {sid} auto-assigns public IPv4 addresses (MapPublicIpOnLaunch) and pool "
                                  f"{pool['name']} launches {pool.get('interfaces_per_instance') or 1} network interfaces "
                                  "per instance with EFA: EC2 refuses a public IP on a multi-interface launch",
                                  hint=f"use a private subnet, or aws ec2 modify-subnet-attribute --region {ctx.plan.region} "
                                       f"--subnet-id {sid} --no-map-public-ip-on-launch", pool=pool)


@check("preflight.subnet.free-ips", Level.ERROR, "Subnets have free addresses for the interface plan")
def free_ips(ctx: Context) -> Iterable[Finding]:
    """Subnets have room for the pools' interface plan: a reused subnet's AvailableIpAddressCount
    covers instances x private IPs per instance (one per `efa`/`interface` interface, one for an
    instance whose EFA interfaces are `efa-only`); a new subnet's CIDR, less the 5 addresses AWS
    reserves, covers what the plan puts in it. Fix: a larger subnet, or efa-only interfaces."""
    cid = "preflight.subnet.free-ips"
    for subnet in (ctx.plan.network or {}).get("subnets", []) or []:
        if subnet.get("existing_subnet_id") or not subnet.get("cidr") or subnet.get("ips_needed") is None:
            continue
        have, need = usable_ips(subnet["cidr"]), int(subnet["ips_needed"])
        if need > have:
            yield ctx.finding(cid, Level.ERROR, f"new subnet {subnet.get('name')} ({subnet['cidr']}) has {have} usable "
                              f"addresses; the plan puts {need} there",
                              hint="give the subnet a larger prefix", resource=subnet.get("name"))
    needs = existing_subnet_needs(ctx)
    if not needs:
        return
    try:
        subnets = ctx.subnets()
    except AccountError as err:
        yield ctx.could_not(cid, "free addresses of the reused subnets", err)
        return
    for sid, (need, pools) in needs.items():
        subnet = subnets.get(sid)
        if subnet is None:
            continue  # preflight.subnet.existing reports it
        gap = ctx.lacking(cid, subnet, ["available_ips"], f"free addresses of subnet {sid}", operation="DescribeSubnets",
                          pool=pools[0] if len(pools) == 1 else None)
        if gap is not None:
            yield gap
            continue
        free = int(subnet["available_ips"])
        if need > free:
            detail = ", ".join(f"{p['name']} {p['instances']} x {p.get('ips_per_instance') or 1} IPs" for p in pools)
            yield ctx.finding(cid, Level.ERROR,
                              f"subnet {sid} ({subnet.get('cidr')}) has {free} free addresses; the plan needs {need}"
                              + (f" ({detail})" if detail else ""),
                              hint="use a larger subnet, or efa-only interfaces (one IP per instance)",
                              pool=pools[0] if len(pools) == 1 else None)


@check("preflight.subnet.cidr", Level.ERROR, "New subnets fit the VPC and do not overlap")
def subnet_cidrs(ctx: Context) -> Iterable[Finding]:
    """Every subnet the plan creates lies inside its VPC's CIDR blocks (the existing VPC's, read
    from the account, or the new VPC's) and overlaps neither another new subnet nor a subnet that
    already exists in that VPC. Fix: pick free CIDRs (the finding names the overlapping subnet)."""
    cid = "preflight.subnet.cidr"
    planned = new_subnets(ctx)
    if not planned:
        return
    net = ctx.plan.network or {}
    vpc_id = net.get("vpc_id")
    existing: list[tuple[str, str]] = []
    if vpc_id:
        try:
            vpc = ctx.vpc(vpc_id)
            existing = [(s["id"], s["cidr"]) for s in ctx.subnets().values() if s.get("vpc_id") == vpc_id]
        except AccountError as err:
            yield ctx.could_not(cid, f"the CIDRs of {vpc_id}", err)
            return
        if vpc is None:
            return  # preflight.vpc.dns reports a missing VPC
        vpc_cidrs = vpc["cidrs"]
    else:
        vpc_cidrs = ([net["vpc_cidr"]] if net.get("vpc_cidr") else []) + list(net.get("secondary_cidrs") or [])
    blocks = [ipaddress.ip_network(c, strict=False) for c in vpc_cidrs]
    seen: list[tuple[str, Any]] = [(sid, ipaddress.ip_network(c, strict=False)) for sid, c in existing if c]
    for name, cidr, source in planned:
        net_ = ipaddress.ip_network(cidr, strict=False)
        if blocks and not any(net_.subnet_of(b) for b in blocks if b.version == net_.version):
            yield ctx.finding(cid, Level.ERROR, f"subnet {name} ({cidr}) is outside the VPC's CIDR "
                              f"{', '.join(vpc_cidrs)}", resource=name, source=source)
        for other, other_net in seen:
            if other_net.version == net_.version and net_.overlaps(other_net):
                yield ctx.finding(cid, Level.ERROR, f"subnet {name} ({cidr}) overlaps {other} ({other_net})",
                                  hint="pick a free CIDR in the VPC", resource=name, source=source)
        seen.append((name, net_))


@check("preflight.vpc.dns", Level.ERROR, "Reused VPC has DNS support and hostnames on")
def vpc_dns(ctx: Context) -> Iterable[Finding]:
    """A VPC the spec reuses exists and has DNS support and DNS hostnames on (EFA/NCCL bootstrap,
    FSx for Lustre mounts and SSM need them). A VPC the plan creates turns both on itself. Fix:
    `aws ec2 modify-vpc-attribute --vpc-id V --enable-dns-support` (and `--enable-dns-hostnames`)."""
    cid = "preflight.vpc.dns"
    vpc_id = (ctx.plan.network or {}).get("vpc_id")
    if not vpc_id:
        return
    try:
        vpc = ctx.vpc(vpc_id)
    except AccountError as err:
        yield ctx.could_not(cid, f"VPC {vpc_id}", err)
        return
    if vpc is None:
        yield ctx.finding(cid, Level.ERROR, f"VPC {vpc_id} does not exist in {ctx.plan.region}")
        return
    for key, flag in (("dns_support", "--enable-dns-support"), ("dns_hostnames", "--enable-dns-hostnames")):
        if not vpc.get(key):
            yield ctx.finding(cid, Level.ERROR, f"VPC {vpc_id} has {key.replace('_', ' ')} off",
                              hint=f"aws ec2 modify-vpc-attribute --region {ctx.plan.region} --vpc-id {vpc_id} "
                                   f"{flag} '{{\"Value\":true}}'")
