"""The cluster's network: a new VPC (vpc_cidr, secondary_cidrs) or an existing one (vpc_id, subnet_id)."""
from __future__ import annotations

import ipaddress
from typing import Any, Iterator

from ...errors import SpecIssue
from ..yamlload import dotted
from .registry import REGISTRY, SpecContext

VPC_GUIDE = "Amazon VPC User Guide, VPC CIDR blocks (IPv4 VPC CIDR block association restrictions)"


def _cidr_texts(net: Any) -> Iterator[tuple[tuple[Any, ...], str]]:
    for path, text in [(("network", "vpc_cidr"), net.vpc_cidr)] + [
            (("network", "secondary_cidrs", i), c) for i, c in enumerate(net.secondary_cidrs)]:
        if text is not None:
            yield path, text


def _blocks(net: Any) -> Iterator[tuple[tuple[Any, ...], str, ipaddress.IPv4Network]]:
    """The CIDR blocks that parse and have a VPC's size (the others are the syntax and size rules')."""
    for path, text in _cidr_texts(net):
        try:
            block = ipaddress.IPv4Network(text, strict=True)
        except ValueError:
            continue
        if 16 <= block.prefixlen <= 28:
            yield path, text, block


@REGISTRY.spec("spec.network.one-vpc", source="ultraplan spec format (docs: README, network)")
def one_vpc(ctx: SpecContext) -> Iterator[SpecIssue]:
    """The network names exactly one VPC: `vpc_cidr` for a new one, or `vpc_id` (with `subnet_id`)
    to reuse one."""
    net = ctx.spec.network
    if net.vpc_id and net.vpc_cidr:
        yield ctx.issue(("network", "vpc_cidr"), "give either vpc_cidr (new VPC) or vpc_id + subnet_id (existing), not both")
    elif not net.vpc_id and not net.vpc_cidr:
        yield ctx.issue(("network",), "no VPC: give vpc_cidr for a new VPC or vpc_id + subnet_id to reuse one",
                        "e.g. vpc_cidr: 10.0.0.0/16")


@REGISTRY.spec("spec.network.existing-vpc-subnet", source="ultraplan spec format (an existing VPC's private subnet)")
def existing_vpc_subnet(ctx: SpecContext) -> Iterator[SpecIssue]:
    """An existing VPC comes with the private subnet the EFA pools launch into, and a subnet with
    the VPC it belongs to: `vpc_id` and `subnet_id` go together."""
    net = ctx.spec.network
    if net.vpc_id and not net.subnet_id:
        yield ctx.issue(("network", "subnet_id"), "an existing VPC needs subnet_id: the private subnet the EFA pools launch into")
    if net.subnet_id and not net.vpc_id:
        yield ctx.issue(("network", "vpc_id"), "subnet_id needs the vpc_id it belongs to")


@REGISTRY.spec("spec.network.secondary-cidrs-new-vpc", source="ultraplan spec format")
def secondary_cidrs_new_vpc(ctx: SpecContext) -> Iterator[SpecIssue]:
    """`secondary_cidrs` are blocks ultraplan associates with the VPC it creates; with an existing
    VPC (`vpc_id`) they do not apply."""
    net = ctx.spec.network
    if net.vpc_id and net.secondary_cidrs:
        yield ctx.issue(("network", "secondary_cidrs"), "secondary_cidrs only apply to a new VPC (vpc_cidr)")


@REGISTRY.spec("spec.network.cidr-syntax", source="RFC 4632 (CIDR notation)")
def cidr_syntax(ctx: SpecContext) -> Iterator[SpecIssue]:
    """`vpc_cidr` and each of `secondary_cidrs` is an IPv4 CIDR block with its host bits zero
    (10.0.0.0/16, not 10.0.0.1/16)."""
    for path, text in _cidr_texts(ctx.spec.network):
        try:
            ipaddress.IPv4Network(text, strict=True)
        except ValueError as exc:
            yield ctx.issue(path, f"'{text}' is not a valid IPv4 CIDR ({exc})", "e.g. 10.0.0.0/16 (host bits zero)")


@REGISTRY.spec("spec.network.cidr-size", source=VPC_GUIDE)
def cidr_size(ctx: SpecContext) -> Iterator[SpecIssue]:
    """Each VPC CIDR block is between /16 and /28, the sizes AWS allows for a VPC's IPv4 blocks."""
    for path, text in _cidr_texts(ctx.spec.network):
        try:
            block = ipaddress.IPv4Network(text, strict=True)
        except ValueError:
            continue
        if not 16 <= block.prefixlen <= 28:
            yield ctx.issue(path, f"'{text}': a VPC CIDR block must be between /16 and /28",
                            "use a /16 and add secondary_cidrs for more")


@REGISTRY.spec("spec.network.cidr-private", source="RFC 1918; " + VPC_GUIDE, skippable=True)
def cidr_private(ctx: SpecContext) -> Iterator[SpecIssue]:
    """Each VPC CIDR block is a private (RFC 1918) range. AWS accepts publicly routable blocks too,
    so a spec that means one can skip this rule with a reason."""
    for path, text, block in _blocks(ctx.spec.network):
        if not block.is_private:
            yield ctx.issue(path, f"'{text}' is not a private (RFC 1918) range", "e.g. 10.0.0.0/16")


@REGISTRY.spec("spec.network.cidr-overlap", source=VPC_GUIDE)
def cidr_overlap(ctx: SpecContext) -> Iterator[SpecIssue]:
    """The VPC's CIDR blocks do not overlap one another: AWS refuses to associate an overlapping block."""
    seen: list[tuple[tuple[Any, ...], ipaddress.IPv4Network]] = []
    for path, text, block in _blocks(ctx.spec.network):
        for other_path, other in seen:
            if block.overlaps(other):
                yield ctx.issue(path, f"'{text}' overlaps {dotted(other_path)} ({other})", "VPC CIDR blocks must not overlap")
        seen.append((path, block))
