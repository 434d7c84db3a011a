"""Account limits a large plan meets besides vCPUs: Auto Scaling groups, launch templates, placement
groups, Elastic IPs, NAT gateways per zone, rules per security group, FSx for Lustre storage.

The plan's side comes from `planner.plan.usage` (the same numbers as the plan summary); the account's side
is the quota (Service Quotas, by code or, where no code is sourced, by name) plus what the region
already holds (Account.count). Network interfaces per Region are checked by preflight.quota.vpc.
"""
from __future__ import annotations

from typing import Any, Iterable

from ...catalog.quotas import Limit
from ...findings import Finding, Level
from ...plan.usage import plan_usage
from ..account import AccountError
from ..context import Context
from .registry import check

CID = "preflight.quota.limits"


def _needed(usage: dict[str, Any], key: str) -> Any:
    value: Any = usage
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _quota(ctx: Context, lim: Limit) -> tuple[int, str, str]:
    """(value, code, how it was found). Raises AccountError when neither the code, the name nor a
    documented fixed limit gives a value."""
    if lim.code:
        q = ctx.quota(lim.service, lim.code)
        return int(q.get("value") or 0), lim.code, ""
    # A list AWS would not give is unverified (raised), never the documented limit in its place.
    matches = [q for q in ctx.quota_list(lim.service) if lim.matches_name(q.get("name") or "")]
    if matches:
        q = matches[0]
        return int(q.get("value") or 0), q["code"], f" (code {q['code']} found by quota name at run time)"
    if lim.fixed is not None:
        return lim.fixed, "", " (no Service Quotas entry found by name: the documented limit)"
    raise AccountError("list_service_quotas", f"no {lim.service} quota named like '{' '.join(lim.name_words)}'",
                       "not-found")


def _request(ctx: Context, lim: Limit, code: str, value: int) -> str:
    if not code:
        return f"{lim.title} is a fixed limit: split the plan over Regions or accounts, or ask AWS Support"
    return (f"aws service-quotas request-service-quota-increase --region {ctx.plan.region} "
            f"--service-code {lim.service} --quota-code {code} --desired-value {value}")


def _in_use(ctx: Context, lim: Limit) -> int:
    """What the region holds now (0 for a per-group limit: the plan's groups are new). Raises
    AccountError when AWS would not say."""
    return ctx.count(lim.in_use) if lim.in_use else 0


def _one(ctx: Context, lim: Limit, usage: dict[str, Any], checked: list[str]) -> Iterable[Finding]:
    needed = _needed(usage, lim.usage)
    if not needed:
        return
    try:
        value, code, how = _quota(ctx, lim)
    except AccountError as err:
        yield ctx.could_not(CID, f"{lim.title} (the plan needs {needed if not isinstance(needed, dict) else max(needed.values())})",
                            err)
        return
    worst_needed = max(needed.values()) if isinstance(needed, dict) else needed
    try:
        in_use = _in_use(ctx, lim)
    except AccountError as err:
        if worst_needed > value:  # the plan alone is over the quota: a failure whatever the region holds
            in_use = 0
        else:
            yield ctx.could_not(CID, f"{lim.title} (what the region holds now; the plan adds {worst_needed:,} of "
                                     f"{value:,})", err)
            return
    if lim.scope == "zone":
        # The region's count stands in for each zone's (an upper bound), so the comparison errs safe.
        per = {z: n + in_use for z, n in needed.items()}
        over = {z: n for z, n in per.items() if n > value}
        worst = max(per.values())
        checked.append(f"{lim.title} {worst:,} of {value:,}")
        for zone, total in over.items():
            yield ctx.finding(CID, Level.ERROR, f"{lim.title}{how}: quota {code or 'fixed'} is {value:,}; {zone} needs "
                              f"{total:,} ({needed[zone]:,} the plan adds, {in_use:,} the region holds now, counted "
                              f"against the zone as an upper bound), short by {total - value:,}",
                              hint=_request(ctx, lim, code, total))
        return
    total = needed + (in_use if lim.scope == "region" else 0)
    checked.append(f"{lim.title} {total:,} of {value:,}")
    if total <= value:
        return
    where = (f" (fullest group {usage.get('fullest_security_group')}, per direction)" if lim.scope == "group"
             else f" ({needed:,} the plan adds, {in_use:,} the region holds now)" if lim.in_use else "")
    yield ctx.finding(CID, Level.ERROR, f"{lim.title}{how}: quota {code or 'fixed'} is {value:,}; needed {total:,}"
                      f"{where}, short by {total - value:,}. Request an increase to {total:,}",
                      hint=_request(ctx, lim, code, total))


@check(CID, Level.ERROR, "Account limits cover the plan (groups, templates, EIPs, NAT, rules, Lustre)")
def account_limits(ctx: Context) -> Iterable[Finding]:
    """What the region holds plus what the plan adds stays within each countable limit: Auto Scaling
    groups per region (autoscaling L-CDE20ADC; one group per UltraServer, so 6,944 UltraServers need
    6,944 groups), launch templates (5,000 per Region) and placement groups (500 per Region), looked up
    by quota name since no code is sourced, EC2-VPC Elastic IPs (L-0263D0A3), NAT gateways per
    Availability Zone (L-FE5A380F), inbound or outbound rules per security group (L-0EA8095F, the
    fullest direction of the plan's fullest group) and Lustre Persistent_2 storage (fsx L-8F1B9C74,
    GiB). A limit over quota is an error with the value to request and the
    `aws service-quotas request-service-quota-increase` command; an unreadable quota is a warning, never
    a pass; the limits checked are listed in an info finding."""
    if ctx.quotas is None or not getattr(ctx.quotas, "limits", None):
        return
    usage = plan_usage(ctx.plan.resources(), ctx.pools)
    checked: list[str] = []
    for lim in ctx.quotas.limits:
        yield from _one(ctx, lim, usage, checked)
    if checked:
        yield ctx.finding(CID, Level.INFO, "account limits, needed (with what the region holds) of available: "
                          + "; ".join(checked))
