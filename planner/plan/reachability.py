"""Can X reach Y on P? Security groups evaluated the way AWS evaluates them, offline, over Plan resources.

Rules of the game (Amazon VPC User Guide, "Security group rules" and "How security groups work"):

- Security groups are stateful: a flow from A to B needs an egress rule of one of A's groups that
  allows B, and an ingress rule of one of B's groups that allows A; the replies need nothing.
- A rule allows its peer by referenced security group (the other side is a member of that group) or
  by CIDR (the other side's addresses lie inside it) or by prefix list.
- Rules of all the groups attached to an interface add up; there are no deny rules.
- `ipProtocol` "-1" (or "all") means every protocol and every port; tcp/udp rules cover
  `fromPort`..`toPort`.
- A new VPC security group made by AWS allows all egress, but the Pulumi (Terraform) AWS provider
  removes that default rule when it creates the group ([corrected] in aws-gpu-facts.md, "Security
  groups created through Pulumi/Terraform"): a group in the Plan allows only the egress its rules
  allow. A group that is not in the Plan (`sg-...`) cannot be evaluated: the answer is "unknown".

Rules come from the three forms pulumi-aws has: standalone `aws:vpc/securityGroupIngressRule` /
`securityGroupEgressRule`, the older `aws:ec2/securityGroupRule`, and inline `ingress` / `egress`
lists on `aws:ec2/securityGroup`. The module reads plain resource dicts
(``{"type", "name", "inputs"}``), so the compiler's tests, the policy pack and any tool share it.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence
from planner import tokens as T

SECURITY_GROUP = T.SECURITY_GROUP
SG_RULE = T.SECURITY_GROUP_RULE
SG_INGRESS = T.INGRESS_RULE
SG_EGRESS = T.EGRESS_RULE

ALL = "-1"
PROTOCOL_NUMBERS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "-1": ALL, "all": ALL}
ANY_IPV4 = ipaddress.ip_network("0.0.0.0/0")


def group_key(value: Any) -> str | None:
    """What a group input points at: ``$ref:<plan name>`` for a reference, the literal id otherwise."""
    if isinstance(value, Mapping) and "$ref" in value:
        return f"$ref:{value['$ref']}"
    return value if isinstance(value, str) and value else None


def label(key: str) -> str:
    return key[5:] if key.startswith("$ref:") else key


def protocol_name(value: Any) -> str:
    text = str(value).strip().lower() if value is not None else ALL
    return PROTOCOL_NUMBERS.get(text, text)


@dataclass(frozen=True)
class Rule:
    """One allow rule of one group, normalised from whichever form it was written in."""

    direction: str  # ingress | egress
    group: str  # group_key of the group it belongs to
    protocol: str  # tcp | udp | icmp | -1 ...
    from_port: int | None
    to_port: int | None
    peer_group: str | None = None
    peer_cidr: Any = None  # ipaddress network
    peer_prefix_list: str | None = None
    resource: str = ""  # the Plan resource that holds the rule

    def covers_ports(self, protocol: str) -> tuple[int, int] | None:
        """The port interval this rule opens for `protocol`, or None when it does not apply."""
        if self.protocol == ALL:
            return (0, 65535)
        if self.protocol != protocol:
            return None
        if protocol not in ("tcp", "udp"):
            return (0, 65535)
        low = 0 if self.from_port in (None, -1) else int(self.from_port)
        high = 65535 if self.to_port in (None, -1) else int(self.to_port)
        return (low, high)


@dataclass(frozen=True)
class Endpoint:
    """One side of a flow: the groups on its interfaces and the addresses it may have.

    `cidrs` are the networks its addresses lie in (its subnets' CIDRs; 0.0.0.0/0 for "somewhere on
    the internet"); `prefix_lists` name prefix lists that contain it (e.g. S3's, by the endpoint
    resource that publishes it). An endpoint without groups (a NAT gateway, the internet) has no
    security group of its own: its side of the check always passes."""

    name: str
    groups: tuple[str, ...] = ()
    cidrs: tuple[Any, ...] = ()
    prefix_lists: tuple[str, ...] = ()


@dataclass(frozen=True)
class Flow:
    protocol: str  # tcp | udp | -1
    from_port: int = 0
    to_port: int = 65535

    def __str__(self) -> str:
        if self.protocol == ALL:
            return "all traffic"
        if self.from_port == self.to_port:
            return f"{self.protocol}/{self.from_port}"
        return f"{self.protocol}/{self.from_port}-{self.to_port}"


ALL_TRAFFIC = Flow(ALL)


def tcp(low: int, high: int | None = None) -> Flow:
    return Flow("tcp", low, low if high is None else high)


@dataclass(frozen=True)
class Answer:
    """Whether a flow is allowed and, when not, which side stops it and why."""

    allowed: bool | None  # None: cannot tell (a group outside the Plan)
    reason: str = ""
    side: str = ""  # egress | ingress | "" when allowed

    def __bool__(self) -> bool:
        return bool(self.allowed)


@dataclass
class SecurityModel:
    """Every rule of every group in a set of Plan resources, by group."""

    groups: set[str] = field(default_factory=set)  # group keys of the groups defined in the resources
    rules: list[Rule] = field(default_factory=list)

    @classmethod
    def from_resources(cls, resources: Iterable[Mapping[str, Any]]) -> "SecurityModel":
        model = cls()
        for r in resources:
            kind, i = r.get("type"), r.get("inputs") or {}
            if kind == SECURITY_GROUP:
                key = f"$ref:{r['name']}"
                model.groups.add(key)
                for direction in ("ingress", "egress"):
                    for inline in _as_list(i.get(direction)):
                        if isinstance(inline, Mapping):
                            model.rules.extend(_inline_rules(direction, key, inline, r["name"]))
            elif kind in (SG_INGRESS, SG_EGRESS):
                model.rules.extend(_standalone_rules(kind, i, r["name"]))
            elif kind == SG_RULE:
                model.rules.extend(_legacy_rules(i, r["name"]))
        return model

    def known(self, group: str) -> bool:
        return group in self.groups

    def can_reach(self, src: Endpoint, dst: Endpoint, flow: Flow) -> Answer:
        """Whether `src` can open `flow` to `dst` (replies are allowed by statefulness)."""
        for side, own, other in (("egress", src, dst), ("ingress", dst, src)):
            if not own.groups:
                continue  # no security group on this side (NAT gateway, the internet)
            unknown = [g for g in own.groups if not self.known(g)]
            if unknown and len(unknown) == len(own.groups):
                return Answer(None, f"{label(unknown[0])} is not in the plan, so its {side} rules cannot be read", side)
            rules = [r for r in self.rules if r.direction == side and r.group in own.groups and _matches_peer(r, other)]
            if not _covers(rules, flow):
                groups = ", ".join(label(g) for g in own.groups)
                peer = "to" if side == "egress" else "from"
                return Answer(False, f"no {side} rule on {groups} allows {flow} {peer} {other.name}", side)
        return Answer(True)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        return [value]
    return list(value)


def _network(text: Any) -> Any:
    try:
        return ipaddress.ip_network(str(text), strict=False)
    except ValueError:
        return None


def _ports(i: Mapping[str, Any]) -> tuple[Any, Any]:
    return i.get("fromPort"), i.get("toPort")


def _standalone_rules(kind: str, i: Mapping[str, Any], name: str) -> Iterable[Rule]:
    group = group_key(i.get("securityGroupId"))
    if group is None:
        return
    direction = "ingress" if kind == SG_INGRESS else "egress"
    base = dict(direction=direction, group=group, protocol=protocol_name(i.get("ipProtocol")),
                from_port=_ports(i)[0], to_port=_ports(i)[1], resource=name)
    if i.get("referencedSecurityGroupId") is not None:
        yield Rule(**base, peer_group=group_key(i["referencedSecurityGroupId"]))
    for key in ("cidrIpv4", "cidrIpv6"):
        if i.get(key):
            yield Rule(**base, peer_cidr=_network(i[key]))
    if i.get("prefixListId") is not None:
        yield Rule(**base, peer_prefix_list=group_key(i["prefixListId"]))


def _legacy_rules(i: Mapping[str, Any], name: str) -> Iterable[Rule]:
    group = group_key(i.get("securityGroupId"))
    direction = i.get("type")
    if group is None or direction not in ("ingress", "egress"):
        return
    base = dict(direction=direction, group=group, protocol=protocol_name(i.get("protocol")),
                from_port=i.get("fromPort"), to_port=i.get("toPort"), resource=name)
    if i.get("self") in (True, "true"):
        yield Rule(**base, peer_group=group)
    if i.get("sourceSecurityGroupId") is not None:
        yield Rule(**base, peer_group=group_key(i["sourceSecurityGroupId"]))
    for cidr in _as_list(i.get("cidrBlocks")) + _as_list(i.get("ipv6CidrBlocks")):
        yield Rule(**base, peer_cidr=_network(cidr))
    for pl in _as_list(i.get("prefixListIds")):
        yield Rule(**base, peer_prefix_list=group_key(pl))


def _inline_rules(direction: str, group: str, i: Mapping[str, Any], name: str) -> Iterable[Rule]:
    base = dict(direction=direction, group=group, protocol=protocol_name(i.get("protocol")),
                from_port=i.get("fromPort"), to_port=i.get("toPort"), resource=name)
    if i.get("self") in (True, "true"):
        yield Rule(**base, peer_group=group)
    for g in _as_list(i.get("securityGroups")):
        yield Rule(**base, peer_group=group_key(g))
    for cidr in _as_list(i.get("cidrBlocks")) + _as_list(i.get("ipv6CidrBlocks")):
        yield Rule(**base, peer_cidr=_network(cidr))
    for pl in _as_list(i.get("prefixListIds")):
        yield Rule(**base, peer_prefix_list=group_key(pl))


def _matches_peer(rule: Rule, other: Endpoint) -> bool:
    if rule.peer_group is not None:
        return rule.peer_group in other.groups
    if rule.peer_cidr is not None:
        # Every address the other side may have must lie inside the rule's CIDR.
        return bool(other.cidrs) and all(
            c.version == rule.peer_cidr.version and c.subnet_of(rule.peer_cidr) for c in other.cidrs)
    if rule.peer_prefix_list is not None:
        return rule.peer_prefix_list in other.prefix_lists
    return False


def _covers(rules: list[Rule], flow: Flow) -> bool:
    """The union of the rules' port intervals for the flow's protocol covers the flow's ports."""
    if flow.protocol == ALL:
        return any(r.protocol == ALL for r in rules)
    intervals = sorted(iv for r in rules if (iv := r.covers_ports(flow.protocol)) is not None)
    reach = flow.from_port
    for low, high in intervals:
        if low > reach:
            break
        reach = max(reach, high + 1)
        if reach > flow.to_port:
            return True
    return reach > flow.to_port


def endpoint(name: str, groups: Iterable[Any] = (), cidrs: Iterable[str] = (), prefix_lists: Iterable[Any] = ()) -> Endpoint:
    """An Endpoint from raw inputs (references, ids, CIDR strings)."""
    return Endpoint(name, tuple(k for g in groups if (k := group_key(g))),
                    tuple(n for c in cidrs if (n := _network(c)) is not None),
                    tuple(k for p in prefix_lists if (k := group_key(p))))


INTERNET = Endpoint("the internet (0.0.0.0/0)", cidrs=(ANY_IPV4,))


def ask(resources: Iterable[Any], src: str, dst: str, protocol: str = "-1", port: int | None = None,
        to_port: int | None = None) -> Answer:
    """Can members of security group `src` reach members of `dst` on `protocol`/`port`?

    `resources` are Plan resources (``plan.resources()``) or plain dicts; `src`/`dst` name security
    groups of the Plan (``"efa-sg"``) or ``"internet"``. For example
    ``ask(plan.resources(), "efa-sg", "lustre-sg", "tcp", 988)``.
    """
    dicts = [r if isinstance(r, Mapping) else {"type": r.type, "name": r.name, "inputs": r.inputs} for r in resources]
    model = SecurityModel.from_resources(dicts)

    def side(name: str) -> Endpoint:
        return INTERNET if name == "internet" else Endpoint(name, (f"$ref:{name}",))

    proto = protocol_name(protocol)
    flow = Flow(proto) if proto == ALL else Flow(proto, port or 0, to_port if to_port is not None else (port or 65535))
    return model.can_reach(side(src), side(dst), flow)
