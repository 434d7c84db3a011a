"""`solve` with goals `cells:`: the solution written as a fleet (planner/fleet): a fleet file and one
spec per cell that holds capacity, priced back cell by cell with `planner.cost` and checked with the
fleet's own checks (limits per cell, fabrics, the fleet budget), so `ultraplan check` and
`ultraplan cost` on the written fleet agree with the solve.

Each cell's spec is what a single-account solve would write for that cell's offers, named
`<goals name>-<cell>`, with the cell's region_zone for what a Local Zone lacks. The fleet file
carries the term, the budget and the rate card; a cell spec keeps a budget only to carry its Savings
Plans (its gate is then the fleet's total, an upper bound). Network cost is per cell (each cell is
its own VPC): measured before the solve from a probe spec per cell, and after from the written specs.
"""
from __future__ import annotations

import os
from typing import Any

from .offers import Offer, Periods
from .spec_out import budget_limits, build_spec, dump

CELLS_DIR = "cells"


def cell_name(doc: Any, cell: str) -> str:
    return f"{doc.goals.name}-{cell}"[:40].strip("-")


def cell_spec(doc: Any, cell: Any, offers: list[Offer], periods: Periods, units: dict[int, list[int]],
              sp_units: dict[tuple[int, int], int], rates_ref: Any, out_path: str | None) -> dict[str, Any] | None:
    """The spec of one cell's share of a solution (None when the cell holds nothing)."""
    mine = {o.id for o in offers if o.cell == cell.name}
    u = {k: v for k, v in units.items() if k in mine and any(v)}
    sp = {k: v for k, v in sp_units.items() if k[0] in mine and v > 0}
    if not u and not sp:
        return None
    spec = build_spec(doc, offers, periods, u, sp, None, out_path, solved_total=1.0)
    spec["name"] = cell_name(doc, cell.name)
    spec["tags"] = {"generated-by": "ultraplan-solve", "cell": cell.name}
    if "region_zone" in spec["network"] or cell.region_zone:
        from ..catalog import is_local_zone

        if any(is_local_zone(p.get("availability_zone") or spec["availability_zone"]) for p in spec["compute"]):
            spec["network"]["region_zone"] = cell.region_zone or spec["network"].get("region_zone")
        else:
            spec["network"].pop("region_zone", None)
        if not spec["network"].get("region_zone"):
            spec["network"].pop("region_zone", None)
    plans = spec["budget"].get("savings_plans")
    if plans:
        total = doc.goals.budget.total_usd
        spec["budget"] = {"total_usd": total if total else float(10**15), "term_months": doc.goals.term.months,
                          "start": doc.goals.term.start, "savings_plans": plans}
    else:
        spec.pop("budget")
    return spec


def fixed_cost_cells(doc, offers, periods, catalog, prices, today) -> list[float]:
    """Shared (non-pool) cost per period of every cell that could hold capacity: a probe spec per cell
    with one unit in each of its zones (an upper bound the budget rows keep aside)."""
    from .price import compile_and_price

    total = [0.0] * periods.months
    for cell in doc.goals.cells:
        seen, units, sp_units = set(), {}, {}
        for o in offers:
            if o.cell != cell.name or o.zone in seen:
                continue
            t = next((t for t, c in enumerate(o.period_cost) if c is not None), None)
            if t is None:
                continue
            seen.add(o.zone)
            if o.is_savings_plan:
                starts = o.sp_starts(periods)
                if starts:
                    sp_units[(o.id, starts[0])] = 1
                continue
            row = [0] * periods.months
            row[t] = 1
            units[o.id] = row
        spec = cell_spec(doc, cell, offers, periods, units, sp_units, None, None)
        if spec is None:
            continue
        report = compile_and_price(doc, spec, dump(spec, ""), None, catalog, prices, today)
        hourly = sum(line.hourly_usd for line in report.lines if line.pool is None)
        for t in range(periods.months):
            total[t] += hourly * periods.hours(t)
    return total


def fleet_document(doc, specs: dict[str, dict[str, Any]], rates_ref: Any, out_dir: str, solved_total: float,
                   offers: list[Offer]) -> dict[str, Any]:
    goals = doc.goals
    budget: dict[str, Any] = budget_limits(goals, solved_total)
    base = os.path.dirname(os.path.abspath(doc.file)) if doc.file else os.getcwd()
    cells = []
    for cell in goals.cells:
        if cell.name not in specs:
            continue
        entry: dict[str, Any] = {"name": cell.name, "account": cell.account, "region": cell.region,
                                 "zones": list(cell.zones)}
        if cell.region_zone:
            entry["region_zone"] = cell.region_zone
        if cell.account_snapshot:
            path = cell.account_snapshot if os.path.isabs(cell.account_snapshot) else os.path.join(base, cell.account_snapshot)
            entry["account_snapshot"] = os.path.relpath(path, out_dir)
        if cell.quotas:
            entry["quotas"] = dict(cell.quotas)
        if cell.assume_role_arn:
            entry["assume_role_arn"] = cell.assume_role_arn
        entry["spec"] = f"{CELLS_DIR}/{cell.name}.yaml"
        cells.append(entry)
    fleet: dict[str, Any] = {"fleet": goals.name, "term": {"start": goals.term.start, "months": goals.term.months},
                             "budget": budget}
    if rates_ref is not None:
        fleet["rates"] = rates_ref
    fabrics = _fabrics(specs, offers)
    if fabrics:
        fleet["fabrics"] = fabrics
    fleet["cells"] = cells
    return fleet


def _fabrics(specs: dict[str, dict[str, Any]], offers: list[Offer]) -> list[dict[str, Any]]:
    kinds = {}
    for o in offers:
        if o.fabric:
            kinds[(o.cell, o.zone, o.item)] = o.fabric
    out: dict[str, list[str]] = {}
    for cell, spec in specs.items():
        for p in spec["compute"]:
            item = p.get("ultraserver") or p.get("instance_type")
            name = kinds.get((cell, p.get("availability_zone"), item))
            if name:
                out.setdefault(name, []).append(f"{cell}/{p['name']}")
    return [{"name": n, "pools": pools} for n, pools in sorted(out.items())]


def write_fleet(out_dir: str, fleet_text: str, spec_texts: dict[str, str]) -> str:
    """Write the cell specs, then the fleet file last (each atomically): a reader that finds the fleet
    file finds every spec it names."""
    from .spec_out import write_text

    os.makedirs(os.path.join(out_dir, CELLS_DIR), exist_ok=True)
    for cell, text in spec_texts.items():
        write_text(os.path.join(out_dir, CELLS_DIR, f"{cell}.yaml"), text)
    path = os.path.join(out_dir, "fleet.yaml")
    write_text(path, fleet_text)
    return path
