"""Region-level VPC quotas that large clusters hit: VPCs, network interfaces, security groups."""
from __future__ import annotations

from typing import Iterable

from planner import tokens as T

from ...findings import Finding, Level
from ...plan.usage import plan_usage
from ..account import AccountError
from ..context import Context
from .registry import check

SG_TYPE = T.SECURITY_GROUP
VPC_TYPE = T.VPC


def planned_usage(ctx: Context) -> dict[str, int]:
    """What the plan adds to each region-level count."""
    resources = list(ctx.plan.resources())
    enis = plan_usage(resources, ctx.pools)["network_interfaces"]  # the plan summary's figure
    return {
        "vpcs": sum(1 for r in resources if r.type == VPC_TYPE),
        "network_interfaces": enis,
        "security_groups": sum(1 for r in resources if r.type == SG_TYPE),
    }


@check("preflight.quota.vpc", Level.ERROR, "VPC, network interface and security group quotas")
def vpc_quotas(ctx: Context) -> Iterable[Finding]:
    """What the region already holds plus what the plan adds stays within the `vpc` quotas: VPCs
    per Region (L-F678F1CE), Network interfaces per Region (L-DF5E4CA3; every EFA and efa-only
    interface counts, so 500 p5 instances with 33 interfaces each need 16,500) and VPC security groups per
    Region (L-E79EC296). Shows the gap and the value to request."""
    cid = "preflight.quota.vpc"
    if ctx.quotas is None:
        return
    usage = planned_usage(ctx)
    labels = {"vpcs": "vpcs", "network_interfaces": "network-interfaces", "security_groups": "security-groups"}
    for what, bucket_id in labels.items():
        adds = usage[what]
        if adds == 0:
            continue
        bucket = ctx.quotas.vpc[bucket_id]
        try:
            quota = ctx.quota(bucket.service, bucket.code)
            now = ctx.count(what)
        except AccountError as err:
            yield ctx.could_not(cid, f"{bucket.title} ({bucket.code})", err)
            continue
        value, total = int(quota.get("value") or 0), now + adds
        if total <= value:
            continue
        yield ctx.finding(
            cid, Level.ERROR,
            f"{bucket.title}: quota {bucket.code} is {value:,}; the region has {now:,} and the plan adds "
            f"{adds:,}, short by {total - value:,}. Request an increase to {total:,}",
            hint=f"aws service-quotas request-service-quota-increase --region {ctx.plan.region} "
                 f"--service-code {bucket.service} --quota-code {bucket.code} --desired-value {total}",
        )
