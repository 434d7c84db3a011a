"""Turn a solution (units online per offer and period, savings plans bought) into a cluster spec.

Each offer's units-online step function becomes phased pools: a unit added in one period and removed
in a later one is one pool with `start`/`end`, so the pools' counts add up to the solution in every
period and `ultraplan cost` pays for exactly the solved unit-periods. Capacity blocks are cut into
lengths AWS sells (1-14 days, then multiples of 7 up to 182) and marked `planned: true` (no
reservation id until bought, at most 8 weeks ahead). Capacity reservations are `planned: true`
too. A Savings Plan unit is a pool for the plan's whole term, covered by a `budget.savings_plans`
entry.
"""
from __future__ import annotations

import datetime as dt
import math
import os
from typing import Any

from ..catalog import capacity_block_facts, is_local_zone
from .offers import ABBR, Offer, Periods


def block_rules() -> dict[str, Any]:
    """Capacity Block purchase rules (catalog/capacity_blocks.yaml, EC2 User Guide)."""
    return capacity_block_facts()


BLOCK_MAX_DAYS = int(block_rules()["max_days"])
BLOCK_MAX_INSTANCES = int(block_rules()["max_instances_per_block"])


def layers(units: list[int]) -> list[tuple[int, int, int]]:
    """A step function of whole units as (count, first period, end period) layers: a unit bought
    later is released first, so every layer is one contiguous run."""
    stack: list[list[int]] = []
    out: list[tuple[int, int, int]] = []
    prev = 0
    for t, cur in enumerate(list(units) + [0]):
        if cur > prev:
            stack.append([cur - prev, t])
        elif cur < prev:
            need = prev - cur
            while need > 0:
                count, start = stack[-1]
                if count <= need:
                    stack.pop()
                    out.append((count, start, t))
                    need -= count
                else:
                    stack[-1][0] = count - need
                    out.append((need, start, t))
                    need = 0
        prev = cur
    return sorted(out, key=lambda c: (c[1], c[2], -c[0]))


def block_lengths(days: int) -> list[int]:
    """Legal Capacity Block lengths summing to `days`: 182-day blocks, then 7-day multiples, then 1-6 days."""
    out = []
    while days > 0:
        if days <= 14:
            out.append(days)
            break
        chunk = min(BLOCK_MAX_DAYS, days - days % 7)
        out.append(chunk)
        days -= chunk
    return out


def _chunks(count: int, most: int) -> list[int]:
    return [most] * (count // most) + ([count % most] if count % most else [])


def zone_suffix(zone: str, region: str) -> str:
    return zone[len(region):].replace("-", "") or zone.replace("-", "")


def build_spec(doc, offers: list[Offer], periods: Periods, units: dict[int, list[int]],
               sp_units: dict[tuple[int, int], int], rates_ref: Any, out_path: str | None,
               solved_total: float | None = None) -> dict[str, Any]:
    """The spec of a solution. Without a budget in the goals, the spec's budget.total_usd is the
    solved total rounded up to the dollar, so `check` flags any later change that costs more."""
    goals = doc.goals
    pools: list[dict[str, Any]] = []
    plans: list[dict[str, Any]] = []
    used: dict[str, int] = {}

    def name_for(o: Offer) -> str:
        base = f"{o.short()}-{ABBR.get(o.purchase, o.purchase)}-{zone_suffix(o.zone, goals.region)}"[:34].strip("-")
        used[base] = used.get(base, 0) + 1
        return f"{base}-{used[base]}"

    def pool(o: Offer, count: int) -> dict[str, Any]:
        p: dict[str, Any] = {"name": name_for(o)}
        p["ultraserver" if o.ultra else "instance_type"] = o.item
        p["count"] = int(count)
        p["availability_zone"] = o.zone
        if o.ami:
            p["ami"] = o.ami
        if o.root_volume_gib != 200:
            p["root_volume_gib"] = o.root_volume_gib
        return p

    from ..compile.addressing import MAX_SUBNET_IPS

    def split(o: Offer, count: int) -> list[int]:
        # An EFA pool stays in one subnet, and a subnet is at most a /16: large layers become
        # several pools (with room left for the subnet's own reserved addresses).
        most = max(1, (MAX_SUBNET_IPS - 64) // max(1, o.ips_per_unit))
        return _chunks(count, most)

    for o in offers:
        if o.is_savings_plan:
            continue
        for count, a, b in [(n, a, b) for c, a, b in layers(units.get(o.id, [])) for n in split(o, c)]:
            start, end = periods.bounds[a], periods.bounds[b]
            if o.purchase == "capacity-block":
                # An instance block holds at most 64 instances; an UltraServer block is one UltraServer
                # (a pool of N UltraServers is N blocks already).
                sizes = [count] if o.ultra else _chunks(count, BLOCK_MAX_INSTANCES)
                day = start
                for n in block_lengths((end - start).days):
                    for size in sizes:
                        p = pool(o, size)
                        p["capacity"] = {"type": "capacity-block", "planned": True, "start": day, "days": n}
                        pools.append(p)
                    day += dt.timedelta(days=n)
                continue
            p = pool(o, count)
            if o.purchase == "capacity-reservation":
                p["capacity"] = {"type": "capacity-reservation", "planned": True}
            elif o.purchase != "on-demand":
                p["capacity"] = {"type": o.purchase}
            p["start"], p["end"] = start, end
            pools.append(p)
    for (oid, s), total in sorted(sp_units.items()):
        if total <= 0:
            continue
        o = offers[oid]
        names = []
        for count in split(o, total):
            p = pool(o, count)
            p["start"], p["end"] = periods.bounds[s], periods.bounds[s + o.sp_periods]
            pools.append(p)
            names.append(p["name"])
        plans.append({"type": "compute" if o.purchase.startswith("savings-plan") else "ec2-instance",
                      "years": o.sp_years, "start": periods.bounds[s], "pools": names})

    budget: dict[str, Any] = {"term_months": goals.term.months, "start": goals.term.start,
                              **budget_limits(goals, solved_total)}
    if rates_ref is not None:
        budget["rates"] = rates_ref
    if plans:
        budget["savings_plans"] = plans
    zone = pools[0]["availability_zone"] if pools else goals.options[0].zones[0]
    spec: dict[str, Any] = {
        "name": goals.name,
        "region": goals.region,
        "availability_zone": zone,
        "tags": {"generated-by": "ultraplan-solve"},
        "network": _network(goals, [zone] + [p.get("availability_zone") for p in pools]),
        "compute": pools,
        "budget": budget,
    }
    return spec


def _network(goals: Any, zones: list[str | None]) -> dict[str, Any]:
    """The produced spec's network. Where a pool sits in a Local Zone, the services the zone does not
    offer (or AWS does not confirm there: NAT gateway, FSx for Lustre) need network.region_zone
    (planner/catalog/placement.py): the first Region zone the goals name. Without one, validation says what to do."""
    network: dict[str, Any] = {"vpc_cidr": goals.vpc_cidr}
    if any(z and is_local_zone(z) for z in zones):
        region_zones = [z for o in goals.options for z in o.zones if not is_local_zone(z)]
        if region_zones:
            network["region_zone"] = region_zones[0]
    return network


def rates_reference(doc, out_path: str | None) -> Any:
    """The produced spec names the same rate card: a path relative to the spec, or the card inline."""
    rates = doc.goals.rates
    if rates is None:
        return None
    if isinstance(rates, str):
        base = os.path.dirname(os.path.abspath(doc.file)) if doc.file else os.getcwd()
        target = rates if os.path.isabs(rates) else os.path.join(base, rates)
        out_dir = os.path.dirname(os.path.abspath(out_path)) if out_path else os.getcwd()
        return os.path.relpath(target, out_dir)
    return rates.model_dump(mode="json", exclude_none=True)


def dump(spec: dict[str, Any], header: str) -> str:
    import yaml

    class _Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:  # no &anchors: every pool reads on its own
            return True

    def _list(dumper, data):  # short lists (pools of a plan) stay on one line
        flow = all(not isinstance(v, (dict, list)) for v in data) and len(data) <= 8
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)

    _Dumper.add_representer(list, _list)
    text = yaml.dump(spec, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=120)
    return header + text


def write_text(path: str, text: str) -> None:
    """Write all or nothing: a temporary file beside the target, then one rename."""
    folder = os.path.dirname(os.path.abspath(path)) or "."
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def budget_limits(goals: Any, solved_total: float) -> dict[str, float]:
    """The written budget's limits: the goals' own, or the solved total (rounded up) when the goals
    give none, so the written spec or fleet checks against what was solved."""
    budget: dict[str, float] = {}
    if goals.budget.total_usd is not None:
        budget["total_usd"] = goals.budget.total_usd
    elif goals.budget.monthly_usd is None:
        budget["total_usd"] = float(math.ceil(solved_total or 1.0))
    if goals.budget.monthly_usd is not None:
        budget["monthly_usd"] = goals.budget.monthly_usd
    return budget
