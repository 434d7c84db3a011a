"""What a Plan adds to an account's countable limits: auto-scaling groups, launch templates,
placement groups, Elastic IPs, NAT gateways per zone, rules per security group, network interfaces
and FSx for Lustre storage.

Counted from the Plan's resources and pool records only (plain data, no compiler import), so the
plan summary and the preflight limit checks read the same numbers. The quotas they are compared
with live in planner/catalog/quotas.yaml (`limits`).
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Mapping

from planner import tokens as T

ASG = T.AUTOSCALING_GROUP
LAUNCH_TEMPLATE = T.LAUNCH_TEMPLATE
PLACEMENT_GROUP = T.PLACEMENT_GROUP
EIP = T.EIP
NAT = T.NAT_GATEWAY
SUBNET = T.SUBNET
SECURITY_GROUP = T.SECURITY_GROUP
VPC_ENDPOINT = T.VPC_ENDPOINT
LUSTRE = T.LUSTRE
# Standalone rule resources, and which direction each counts in.
RULE_TYPES = {
    T.INGRESS_RULE: "ingress",
    T.EGRESS_RULE: "egress",
    T.SECURITY_GROUP_RULE: None,  # direction in its `type` input
}


def _name(value: Any) -> str | None:
    """The Plan resource a value references, or the literal id."""
    if isinstance(value, Mapping):
        return value.get("$ref")
    return value if isinstance(value, str) and value else None


def _rule_count(rule: Mapping[str, Any]) -> int:
    """An inline rule with several CIDRs or groups is one AWS rule per source (VPC UG, quotas)."""
    sources = sum(len(rule.get(k) or []) for k in ("cidrBlocks", "ipv6CidrBlocks", "securityGroups", "prefixListIds"))
    return max(1, sources + (1 if rule.get("self") else 0))


def security_group_rules(resources: Iterable[Any]) -> dict[str, dict[str, int]]:
    """Inbound and outbound rules per security group of the Plan (inline and standalone), by group."""
    counts: dict[str, dict[str, int]] = {}
    resources = list(resources)
    for r in resources:
        if r.type == SECURITY_GROUP:
            entry = counts.setdefault(r.name, {"ingress": 0, "egress": 0})
            for direction in ("ingress", "egress"):
                entry[direction] += sum(_rule_count(x) for x in (r.inputs.get(direction) or []) if isinstance(x, Mapping))
    for r in resources:
        if r.type not in RULE_TYPES:
            continue
        direction = RULE_TYPES[r.type] or r.inputs.get("type")
        group = _name(r.inputs.get("securityGroupId"))
        if direction in ("ingress", "egress") and group:
            counts.setdefault(group, {"ingress": 0, "egress": 0})[direction] += 1
    return counts


def _zone_of_subnet(resources: list[Any]) -> dict[str, str]:
    return {r.name: r.inputs.get("availabilityZone") or r.inputs.get("availabilityZoneId") or "?"
            for r in resources if r.type == SUBNET}


def plan_usage(resources: Iterable[Any], pools: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts of what the Plan creates, per limit. `nat_gateways_per_zone` maps zone -> NAT gateways;
    `rules_per_security_group` is the largest direction of the fullest group (the quota is per
    direction); `lustre_storage_gib` maps deployment type -> GiB."""
    resources = list(resources)
    by_type = Counter(r.type for r in resources)
    zones = _zone_of_subnet(resources)
    nat_zones: Counter[str] = Counter()
    for r in resources:
        if r.type == NAT:
            nat_zones[zones.get(_name(r.inputs.get("subnetId")) or "", "?")] += 1
    rules = security_group_rules(resources)
    fullest = max(rules.items(), key=lambda kv: max(kv[1].values()), default=(None, {"ingress": 0, "egress": 0}))
    enis = sum(int(p.get("interfaces_per_instance") or 1) * int(p.get("instances") or 0) for p in pools)
    # An interface endpoint puts one interface in each of its subnets; a gateway endpoint none.
    enis += by_type[NAT] + sum(len(r.inputs.get("subnetIds") or []) or 1 for r in resources
                               if r.type == VPC_ENDPOINT and r.inputs.get("vpcEndpointType") not in (None, "Gateway"))
    lustre: Counter[str] = Counter()
    for r in resources:
        if r.type == LUSTRE:
            lustre[str(r.inputs.get("deploymentType") or "?")] += int(r.inputs.get("storageCapacity") or 0)
    return {
        "auto_scaling_groups": by_type[ASG],
        "launch_templates": by_type[LAUNCH_TEMPLATE],
        "placement_groups": by_type[PLACEMENT_GROUP],
        "elastic_ips": by_type[EIP],
        "nat_gateways": by_type[NAT],
        "nat_gateways_per_zone": dict(sorted(nat_zones.items())),
        "security_groups": by_type[SECURITY_GROUP],
        "rules_per_security_group": max(fullest[1].values()),
        "fullest_security_group": fullest[0],
        "network_interfaces": enis,
        "lustre_storage_gib": dict(sorted(lustre.items())),
        "scheduled_actions": by_type[T.SCHEDULED_ACTION],
        "lifecycle_hooks": by_type[T.LIFECYCLE_HOOK],
    }
