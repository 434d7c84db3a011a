"""What the fleet commands print: a fleet's Plans and cost, as lines of text and as JSON (the CLI
wraps the lines to the terminal). Nothing here prints."""
from __future__ import annotations

from typing import Any


def cell_line(cp: Any) -> str:
    s = cp.plan.summary
    where = ", ".join(cp.cell.zones)
    return (f"cell {cp.name}: account {cp.cell.account}, {cp.cell.region} ({where}): {s.get('gpus', 0):,} accelerators, "
            f"{s.get('instances', 0):,} instances, {len(cp.plan.pools)} pool(s), {s.get('resources', 0):,} resources "
            f"in {s.get('stacks', 0)} stacks")


def validate_json(path: str, fleet: Any) -> dict[str, Any]:
    return {"valid": True, "fleet": fleet.name, "file": path,
            "cells": [{"name": c.name, "spec": c.cd.doc.file, "cluster": c.plan.name, "pools": len(c.plan.pools)}
                      for c in fleet.cells]}


def validate_text(path: str, fleet: Any) -> list[str]:
    return ([f"ok: {path}", f"    fleet '{fleet.name}', {len(fleet.cells)} cell(s)"]
            + [f"    cell {cp.name}: cluster '{cp.plan.name}' in {cp.cell.region}, {len(cp.plan.pools)} pool(s)"
               for cp in fleet.cells])


def plan_json(fleet: Any) -> dict[str, Any]:
    return {"fleet": fleet.name, "summary": fleet.summary(),
            "cells": [{"name": c.name, "account": c.cell.account, "region": c.cell.region, "zones": c.cell.zones,
                       "cluster": c.plan.name, "stack_prefix": c.plan.cell.get("stack_prefix"),
                       "stacks": [s.name for s in c.plan.stacks], "summary": {
                           k: v for k, v in c.plan.summary.items() if k != "subnets"}} for c in fleet.cells]}


def plan_text(fleet: Any) -> list[str]:
    out = [f"Fleet {fleet.name}: {len(fleet.cells)} cell(s)"]
    for cp in fleet.cells:
        out.append(cell_line(cp))
        stacks = [s.name for s in cp.plan.stacks]
        shown = ", ".join(stacks[:4]) + (f", ... ({len(stacks)} stacks)" if len(stacks) > 4 else "")
        out.append(f"  stacks {cp.plan.cell.get('stack_prefix')}-<stack>: {shown}")
    s = fleet.summary()
    out.append(f"Fleet total: {s['gpus']:,} accelerators, {s['nvlink_domains']:,} NVLink domains, "
               f"{s['instances']:,} instances, {s['resources']:,} resources in {s['stacks']:,} stacks")
    return out


def estimates(fleet: Any, prices: Any = None, rates: Any = None, now: Any = None) -> dict[str, Any]:
    """Each cell priced as `ultraplan cost` prices a spec, on the planning clock."""
    from .. import clock
    from ..cost import estimate

    today = clock.today()
    return {cp.name: estimate(cp.plan, prices, now=now, today=today, rates=rates) for cp in fleet.cells}


def secondary_by_cell(est: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The cells whose lines use a price from a secondary source (a third-party dataset, not AWS):
    how many lines, and the prices (item, market, source, as_of, lines) as `ultraplan cost` lists them."""
    out = {}
    for name, e in est.items():
        prices = e.secondary_prices
        if prices:
            out[name] = {"lines": sum(p["lines"] for p in prices), "prices": prices}
    return out


def cost_json(fleet: Any, est: dict[str, Any], total: Any) -> dict[str, Any]:
    return {"fleet": fleet.name, **total.to_json(),
            "unpriced": {n: [u.to_json() for u in e.unpriced] for n, e in est.items()},
            "secondary": secondary_by_cell(est)}


def cost_text(fleet: Any, est: dict[str, Any], total: Any) -> list[str]:
    width = max([5] + [len(n) for n in est])
    out = [f"Fleet {fleet.name}: cost per cell over the term"]
    out.append(f"  {'cell':<{width}}  {'term total USD':>20}  {'monthly now USD':>18}  unpriced")
    for name, e in est.items():
        c = total.cells[name]
        out.append(f"  {name:<{width}}  {c['total_usd']:>20,.2f}  {c['monthly_usd']:>18,.2f}  {len(e.unpriced)}")
    out.append(f"  {'fleet':<{width}}  {total.total_usd:>20,.2f}  {total.monthly_usd:>18,.2f}")
    for name, gate in total.budget.items():
        out.append(f"Fleet budget {name}: ${gate['actual_usd']:,.2f} of ${gate['limit_usd']:,.2f} "
                   f"({gate['actual_usd'] / gate['limit_usd']:.1%}): {gate['status']}")
    secondary = secondary_by_cell(est)
    if secondary:
        regions = sorted({c.cell.region for c in fleet.cells if c.name in secondary})
        per_cell = ", ".join(f"{n} in {name}" for name, n in ((k, v["lines"]) for k, v in secondary.items()))
        out.append(f"Secondary source: line(s) per cell priced from a third-party dataset, not AWS: {per_cell}; "
                   f"`ultraplan catalog refresh --prices --region {'|'.join(regions)}` replaces them")
    cards = {e.rate_card["name"]: e.rate_card["source"] for e in est.values() if e.rate_card}
    for name, source in cards.items():
        out.append(f"Rate card {name}: {source}")
    return out


def over_budget(est: dict[str, Any], total: Any) -> bool:
    return (any(g["status"] == "over" for g in total.budget.values())
            or any(e.budget.status == "over" for e in est.values()))
