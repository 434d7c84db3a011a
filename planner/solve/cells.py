"""The cell dimension of the program: per-cell rows for every account limit, and fabric rows.

With goals `cells:`, every offer is in one cell (planner/solve/offers.py) and each cell is one
account in the goals' Region, so each limit a fleet cell is checked against (planner/fleet/limits.py)
becomes rows of its own:

- vCPUs per quota bucket and period: units online x vCPUs a unit, against the cell's quota;
- network interfaces per period: units online x interfaces a unit (every EFA and efa-only
  interface counts) plus the cell's NAT gateway and endpoints (`SHARED_INTERFACES`), against the quota;
- Auto Scaling groups: every group the written spec will hold (`_group_terms`: a group per
  UltraServer ever added, per Capacity Block cut, per instance pool), against the quota; launch
  templates, placement groups, Elastic IPs, NAT gateways and rules are a few per cell, checked on
  the written fleet;
- fabrics: options with one `fabric` go to one (cell, zone): a binary per place, exactly one chosen,
  and units elsewhere at zero.

A quota the cell does not know (no stated value, no snapshot, no documented default) is not applied,
as without cells; the written fleet's check says so.
"""
from __future__ import annotations

from typing import Any, Callable

INF = float("inf")
SHARED_INTERFACES = 8  # a cell's NAT gateway (1) and, with egress none, its endpoints' interfaces: a margin


def cell_rows(prog: Any, doc: Any, offers: list[Any], periods: Any, online: dict, add: Callable,
              elastic: frozenset[str], drop: frozenset[str], scaled: Callable, ub_of: dict[int, float]) -> None:
    from ..catalog.quotas import bucket_for, load_quotas

    goals = doc.goals
    quotas = load_quotas()
    limits = doc.cell_limits
    if "limit" not in drop:
        for cell in goals.cells:
            mine = [o for o in offers if o.cell == cell.name]
            if not mine:
                continue
            lim = limits.get(cell.name, {})
            # vCPUs per bucket
            buckets: dict[str, list[Any]] = {}
            for o in mine:
                market = "capacity-block" if o.purchase == "capacity-block" else "on-demand"
                b = bucket_for(quotas, o.member, market)
                if b is not None:
                    buckets.setdefault(b.id, []).append(o)
            for bid, group in sorted(buckets.items()):
                value = _value(lim, bid)
                if value is None:
                    continue
                for t in range(periods.months):
                    coefs = _online(group, t, online, lambda o: o.vcpus_per_unit)
                    if coefs:
                        tag = ("limit", f"cell {cell.name} {bid}", t)
                        add(prog, coefs, -INF, scaled(tag, value, True), tag, "limit" in elastic, max(1.0, value))
            value = _value(lim, "network-interfaces")
            if value is not None:
                for t in range(periods.months):
                    coefs = _online(mine, t, online, lambda o: o.interfaces_per_unit)
                    if coefs:
                        tag = ("limit", f"cell {cell.name} network-interfaces", t)
                        add(prog, coefs, -INF, scaled(tag, value, True) - SHARED_INTERFACES, tag, "limit" in elastic,
                            max(1.0, value))
            value = _value(lim, "auto-scaling-groups")
            if value is not None:
                coefs, fixed = _group_terms(prog, mine, periods, online, ub_of, len(goals.targets))
                if coefs:
                    tag = ("limit", f"cell {cell.name} auto-scaling-groups", 0)
                    add(prog, coefs, -INF, scaled(tag, value, True) - fixed, tag, "limit" in elastic, max(1.0, value))
    _fabric_rows(prog, offers, periods, online, ub_of)


def _group_terms(prog: Any, mine: list[Any], periods: Any, online: dict, ub_of: dict[int, float],
                 targets: int) -> tuple[dict[int, float], float]:
    """Auto Scaling groups the written cell spec will hold, as linear terms (planner/solve/spec_out.py
    writes a unit series as layers: a unit bought later is released first, and every layer is a pool):

    - an UltraServer pool has a group per UltraServer, so groups = units ever added: the sum of the
      positive steps of units online (`inc`); a Capacity Block layer is also cut into blocks of at
      most 182 days, each its own pools: at most (days / 182 + 2) times its units;
    - an instance pool is one group, and a layer starts or ends where units online change: at most one
      pool per change (`ch`, a binary per period); a Savings Plan purchase is one pool;
    - instance Capacity Blocks (at most 256 instances across blocks, 64 a block) are a fixed margin.
    Returns the terms and the fixed part."""
    from .spec_out import BLOCK_MAX_DAYS

    coefs: dict[int, float] = {}
    fixed = 0.0
    cost = -1e-3 if prog.maximize else 1e-3  # a thousandth of a dollar: the counts sit at their real values
    for o in mine:
        ub = max(1.0, ub_of.get(o.id, 0.0))
        if o.is_savings_plan:
            cols = sorted({c for t in range(periods.months) for c in online.get((o.id, t), {})})
            for c in cols:
                if o.ultra:
                    coefs[c] = coefs.get(c, 0.0) + 1.0
                else:
                    b = prog.var(cost, 1.0, ("pool", o.id, c))
                    prog.row({c: 1.0, b: -ub}, -INF, 0.0, ("pool", o.id, c))
                    coefs[b] = 1.0
            continue
        if not o.ultra and o.purchase == "capacity-block":
            fixed += 5 * (periods.months / 6 + 2)  # (256 / 64 + 1) pools a block period, blocks of up to 26 weeks
            continue
        prev = None
        for t in range(periods.months):
            col = next(iter(online.get((o.id, t), {})), None)
            if col is None and prev is None:
                continue
            if o.ultra:
                inc = prog.var(cost, ub, ("inc", o.id, t), integer=False)
                row = {inc: 1.0}
                if col is not None:
                    row[col] = -1.0
                if prev is not None:
                    row[prev] = row.get(prev, 0.0) + 1.0
                prog.row(row, 0.0, INF, ("inc", o.id, t))  # inc >= x[t] - x[t-1]
                block = o.purchase == "capacity-block"
                coefs[inc] = coefs.get(inc, 0.0) + (2.0 if block else 1.0)
                if block and col is not None:
                    coefs[col] = coefs.get(col, 0.0) + periods.hours(t) / 24.0 / BLOCK_MAX_DAYS
            else:
                ch = prog.var(cost, 1.0, ("change", o.id, t))
                for sign in (1.0, -1.0):  # ch >= |x[t] - x[t-1]| / ub
                    row = {ch: ub}
                    if col is not None:
                        row[col] = -sign
                    if prev is not None:
                        row[prev] = row.get(prev, 0.0) + sign
                    prog.row(row, 0.0, INF, ("change", o.id, t, sign))
                coefs[ch] = coefs.get(ch, 0.0) + 1.0
            prev = col
    return coefs, fixed


def _value(lim: dict[str, Any], key: str) -> float | None:
    qv = lim.get(key)
    return None if qv is None or qv.value is None else float(qv.value)


def _online(group: list[Any], t: int, online: dict, per: Callable) -> dict[int, float]:
    coefs: dict[int, float] = {}
    for o in group:
        for col in online.get((o.id, t), {}):
            coefs[col] = coefs.get(col, 0.0) + per(o)
    return coefs


def _fabric_rows(prog: Any, offers: list[Any], periods: Any, online: dict, ub_of: dict[int, float]) -> None:
    """One (cell, zone) per fabric: sum of its place binaries = 1; a unit online in a place needs it."""
    fabrics: dict[str, dict[tuple[str, str], list[Any]]] = {}
    for o in offers:
        if o.fabric:
            fabrics.setdefault(o.fabric, {}).setdefault((o.cell or "", o.zone), []).append(o)
    for name, places in sorted(fabrics.items()):
        picks = {}
        for place in sorted(places):
            picks[place] = prog.var(0.0, 1.0, ("fabric", name, place))
        prog.row({c: 1.0 for c in picks.values()}, 1.0, 1.0, ("fabric", name))
        for place, group in places.items():
            z = picks[place]
            for o in group:
                big = max(1.0, ub_of.get(o.id, 0.0))
                cols = {c for t in range(periods.months) for c in online.get((o.id, t), {})}
                for c in cols:
                    prog.row({c: 1.0, z: -big}, -INF, 0.0, ("fabric", name, o.id, c))
