"""The account's DescribeInstanceTypes against the catalog and against each pool's EFA plan."""
from __future__ import annotations

from typing import Any, Iterable

from ...findings import Finding, Level
from ..account import AccountError
from ..context import Context
from .registry import check

# (catalog attribute, account key, label)
COMPARED = (
    ("vcpus", "vcpus", "vCPUs"),
    ("efa_supported", "efa_supported", "EFA support"),
    ("efa_max_interfaces", "max_efa_interfaces", "max EFA interfaces"),
    ("network_cards", "network_cards", "network cards"),
)


def _pool_by_type(ctx: Context) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for pool in ctx.pools:
        out.setdefault(pool["instance_type"], pool)
    return out


@check("preflight.catalog.instance-type", Level.WARNING, "Catalog agrees with DescribeInstanceTypes")
def catalog_agrees(ctx: Context) -> Iterable[Finding]:
    """The account's DescribeInstanceTypes agrees with the bundled catalog on vCPUs, EFA support,
    maximum EFA interfaces and network cards for every type the plan uses. A difference means the
    catalog is stale (the plan's interface layout and quota arithmetic came from it): refresh the
    catalog. A type the region does not know at all is reported too."""
    cid = "preflight.catalog.instance-type"
    try:
        facts = ctx.account_types()
    except AccountError as err:
        yield ctx.could_not(cid, "instance type facts", err)
        return
    for itype, pool in _pool_by_type(ctx).items():
        live = facts.get(itype)
        if live is None:
            yield ctx.finding(cid, Level.WARNING, f"{ctx.plan.region} does not know instance type {itype}",
                              hint="check the type name and the region", pool=pool)
            continue
        cat = ctx.catalog_type(itype)
        if cat is None:
            yield ctx.finding(cid, Level.INFO, f"{itype} is not in the bundled catalog; using the account's facts",
                              pool=pool)
            continue
        gap = ctx.lacking(cid, live, [key for _, key, _ in COMPARED], f"the catalog's facts for {itype}",
                          operation="DescribeInstanceTypes", pool=pool)
        if gap is not None:
            yield gap
        diffs = []
        for attr, key, label in COMPARED:
            ours, theirs = getattr(cat, attr, None), live.get(key)
            if ours is None or theirs is None:
                continue
            if ours != theirs:
                diffs.append(f"{label}: catalog {ours}, account {theirs}")
        if diffs:
            as_of = getattr(cat, "as_of", "") or "unknown date"
            yield ctx.finding(cid, Level.WARNING,
                              f"catalog is stale for {itype} (as of {as_of}): " + "; ".join(diffs),
                              hint="refresh the catalog from DescribeInstanceTypes and re-plan", pool=pool)


@check("preflight.efa.interfaces", Level.ERROR, "EFA interface plan fits the instance type")
def efa_fits(ctx: Context) -> Iterable[Finding]:
    """Each pool's network interface plan fits what the account says its type supports: EFA
    support when the pool uses EFA, EFA interfaces per instance <= MaximumEfaInterfaces, and all
    interfaces <= MaximumNetworkInterfaces. A launch template beyond these fails at launch. Fix:
    re-plan with a refreshed catalog, or turn EFA off for a type without it."""
    cid = "preflight.efa.interfaces"
    try:
        facts = ctx.account_types()
    except AccountError as err:
        yield ctx.could_not(cid, "EFA interface limits", err)
        return
    for pool in ctx.pools:
        live = facts.get(pool["instance_type"])
        if live is None:
            continue  # preflight.catalog.instance-type reports it
        itype, efa = pool["instance_type"], int(pool.get("efa_interfaces_per_instance") or 0)
        needed = ["efa_supported", "max_efa_interfaces"] if pool.get("efa") else []
        gap = ctx.lacking(cid, live, needed, f"{itype}'s interface limits", operation="DescribeInstanceTypes", pool=pool)
        if gap is not None:
            yield gap
            continue
        if pool.get("efa") and not live.get("efa_supported"):
            yield ctx.finding(cid, Level.ERROR, f"pool uses EFA but {itype} does not support EFA",
                              hint="turn EFA off for this pool or pick an EFA-capable type", pool=pool)
            continue
        max_efa = live.get("max_efa_interfaces")
        if efa and max_efa is not None and efa > max_efa:
            yield ctx.finding(cid, Level.ERROR,
                              f"pool plans {efa} EFA interfaces per instance; {itype} allows {max_efa}",
                              hint="refresh the catalog and re-plan", pool=pool)
        total, max_total = pool.get("interfaces_per_instance"), live.get("max_network_interfaces")
        if total and max_total is None:
            # AWS has not published it for some types (the catalog marks it unconfirmed): said, not assumed.
            yield ctx.finding(cid, Level.INFO, f"{itype}'s maximum network interfaces is unknown here: the pool's "
                              f"{total} interfaces per instance are not compared", pool=pool)
        if total and max_total and int(total) > int(max_total):
            yield ctx.finding(cid, Level.ERROR,
                              f"pool plans {total} network interfaces per instance; {itype} allows {max_total}",
                              pool=pool)
