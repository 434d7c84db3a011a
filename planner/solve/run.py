"""`solve(goals)`: offers -> program -> HiGHS -> phased spec -> priced back by `planner.cost`.

The program prices compute (instances or UltraServers and their root volumes). The network the spec
compiles to (NAT gateways, addresses, endpoints) does not depend on how much is bought, only on the
zones: its cost is measured by pricing a probe spec with every offered zone before the solve (the
budget rows keep it aside) and by pricing the produced spec after. `total_usd` = the program's
objective + that fixed cost; `ultraplan cost` of the produced spec gives the same figure.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any, Callable

from ..catalog import Catalog, load_catalog
from ..catalog.prices import PriceBook, load_prices
from ..errors import EXIT_FINDINGS, UltraplanError
from .goals import GoalsDocument
from .model import Built, Result, build, solve_arrays
from .offers import Dropped, Offer, Periods, build_offers
from .price import compile_and_price
from .spec_out import build_spec, dump, rates_reference


class Infeasible(UltraplanError):
    """The goals cannot all be met; `problems` name the constraint and the smallest change that fixes it."""

    exit_code = EXIT_FINDINGS

    def __init__(self, problems: list[dict[str, Any]], seconds: float) -> None:
        self.problems, self.seconds = problems, seconds
        super().__init__("the goals are infeasible:\n" + "\n".join(f"  {p['constraint']}: {p['message']} "
                                                                   f"Fix: {p['fix']}" for p in problems))


@dataclass
class Solution:
    doc: GoalsDocument
    periods: Periods
    offers: list[Offer]
    dropped: list[Dropped]
    status: str
    gap: float | None
    seconds: float
    objective_usd: float  # compute: what the program priced
    fixed_usd: float  # network and other shared lines, priced from the produced spec
    units: dict[int, list[int]]
    sp_units: dict[tuple[int, int], int]
    spec: dict[str, Any]
    spec_text: str
    fixed_per_period: list[float]
    explanation: dict[str, Any] = field(default_factory=dict)
    cost_check: dict[str, Any] = field(default_factory=dict)
    fleet: dict[str, Any] = field(default_factory=dict)  # with cells: the fleet written, per cell, and its check

    @property
    def total_usd(self) -> float:
        return self.objective_usd + self.fixed_usd


def solve(doc: GoalsDocument, *, out_path: str | None = None, time_limit: float = 60.0,
          catalog: Catalog | None = None, prices: PriceBook | None = None, today: dt.date | None = None,
          explain: bool = True, progress: Callable[[str], None] | None = None) -> Solution:
    """Solve the goals; `progress` (the CLI passes one that writes stderr) hears each long stage."""
    from .explain import binding_and_relaxations, diagnose, summarize

    say = progress or (lambda _message: None)

    catalog = catalog or load_catalog()
    prices = prices or load_prices()
    if today is None:
        from .. import clock

        today = clock.today()
    periods = Periods(doc.goals.term.start, doc.goals.term.months)
    offers, dropped = build_offers(doc, catalog, prices, periods)
    if not offers:
        raise Infeasible([{"constraint": "options", "message": "no option can be bought and priced in the term: "
                           + "; ".join(f"{d.label}: {d.reason}" for d in dropped) + ".",
                           "fix": "add an option available in the term with a price (or a rate card entry, "
                                  "usd_per_hour, for a type with no public price)"}], 0.0)
    cells = bool(doc.goals.cells)
    if cells:  # a fleet: out_path is its folder; the fleet file names the rate card relative to itself
        from .fleet_out import fixed_cost_cells

        out_dir = out_path or os.getcwd()
        rates_ref = rates_reference(doc, os.path.join(out_dir, "fleet.yaml"))
        fixed_pp = fixed_cost_cells(doc, offers, periods, catalog, prices, today)
    else:
        rates_ref = rates_reference(doc, out_path)
        fixed_pp = fixed_cost(doc, offers, periods, rates_ref, out_path, catalog, prices, today)

    built = build(doc, offers, periods, fixed_pp)
    say(f"solving: {len(offers):,} options over {periods.months} months, {len(built.prog.rows):,} rows "
        f"(HiGHS, time limit {time_limit:g} s)")
    result = solve_arrays(built.prog, time_limit)
    seconds = result.seconds
    if result.status in ("infeasible", "time-limit-no-solution", "unbounded", "error"):
        if result.status == "time-limit-no-solution":
            raise UltraplanError(f"no feasible plan found within the time limit ({time_limit:g} s): raise --time-limit")
        raise Infeasible(diagnose(doc, offers, periods, fixed_pp, time_limit), seconds)
    if doc.goals.objective == "max-gpu-hours":  # second stage: the same GPU-hours for the least money
        best = result.objective
        second = build(doc, offers, periods, fixed_pp, objective="min-cost", min_gpu_hours=best * (1 - 1e-9))
        say("solving again: the same GPU-hours for the least money")
        r2 = solve_arrays(second.prog, max(1.0, time_limit - seconds))
        seconds += r2.seconds
        if r2.values:
            built, result = second, Result(result.status if r2.status == "optimal" else r2.status, r2.values,
                                           r2.objective, result.gap, seconds, r2.row_values)

    units, sp_units = extract(built, offers, periods, result)
    objective_usd = priced_objective(offers, periods, units, sp_units)
    if cells:
        sol = write_fleet_solution(doc, offers, dropped, periods, result, seconds, objective_usd, units, sp_units,
                                   fixed_pp, rates_ref, out_dir, today)
        sol.explanation = summarize(sol)
        sol.explanation["fleet"] = sol.fleet
        if explain:
            sol.explanation.update(binding_and_relaxations(sol, built, result, time_limit))
        return sol
    spec = build_spec(doc, offers, periods, units, sp_units, rates_ref, out_path,
                      solved_total=objective_usd + sum(fixed_pp))
    header = (f"# Produced by `ultraplan solve {doc.file or 'GOALS'}` ({result.status}, gap "
              f"{_pct(result.gap)}): {len(spec['compute'])} phased pools; do not edit by hand, re-solve.\n")
    text = dump(spec, header)
    sol = Solution(doc, periods, offers, dropped, result.status, result.gap, seconds, objective_usd, 0.0,
                   units, sp_units, spec, text, fixed_pp)
    say(f"solved ({result.status}) in {seconds:.1f} s; pricing the spec back with the cost module")
    sol.fixed_usd, sol.cost_check = price_back(sol, text, out_path, catalog, prices, today)
    sol.spec_text = dump(spec, header)  # pricing it back may have added address space (secondary CIDRs)
    sol.explanation = summarize(sol)
    if explain:
        say("explaining: which constraints bind and what relaxing each by 10 % would buy (--no-explain skips it)")
        sol.explanation.update(binding_and_relaxations(sol, built, result, time_limit))
    return sol


def _pct(gap: float | None) -> str:
    return "unknown" if gap is None else f"{gap * 100:.4g} %"


def extract(built: Built, offers: list[Offer], periods: Periods, result: Result):
    vals = [round(v) for v in result.values]
    units: dict[int, list[int]] = {}
    for (oid, t), col in built.x.items():
        units.setdefault(oid, [0] * periods.months)[t] = int(vals[col])
    sp_units = {key: int(vals[col]) for key, col in built.y.items() if vals[col] > 0}
    return units, sp_units


def priced_objective(offers: list[Offer], periods: Periods, units, sp_units) -> float:
    """The solution's compute cost recomputed from whole units (never HiGHS's floating objective)."""
    total = 0.0
    for oid, row in units.items():
        for t, n in enumerate(row):
            if n:
                total += n * (offers[oid].period_cost[t] or 0.0)
    for (oid, s), n in sp_units.items():
        total += n * offers[oid].sp_cost(s)
    return total


def fixed_cost(doc, offers, periods, rates_ref, out_path, catalog, prices, today) -> list[float]:
    """Shared (non-pool) cost per period of a spec that uses every offered zone: an upper bound the
    budget rows set aside for the network."""
    seen, units, sp_units = set(), {}, {}
    for o in offers:
        if o.zone in seen:
            continue
        seen.add(o.zone)
        row = [0] * periods.months
        t = next((t for t, c in enumerate(o.period_cost) if c is not None), None)
        if t is None:
            continue
        if o.is_savings_plan:
            starts = o.sp_starts(periods)
            if starts:
                sp_units[(o.id, starts[0])] = 1
            continue
        row[t] = 1
        units[o.id] = row
    spec = build_spec(doc, offers, periods, units, sp_units, rates_ref, out_path)
    report = compile_and_price(doc, spec, dump(spec, ""), out_path, catalog, prices, today)
    hourly = sum(line.hourly_usd for line in report.lines if line.pool is None)
    return [hourly * periods.hours(t) for t in range(periods.months)]


def price_back(sol: Solution, text: str, out_path, catalog, prices, today) -> tuple[float, dict[str, Any]]:
    """Price the produced spec with `planner.cost`: the fixed part, and whether compute agrees."""
    report = compile_and_price(sol.doc, sol.spec, text, out_path, catalog, prices, today)
    fixed = sum(line.term_usd for line in report.lines if line.pool is None)
    compute = sum(line.term_usd for line in report.lines if line.pool is not None)
    return fixed, {"cost_total_usd": report.total_usd, "solver_total_usd": sol.objective_usd + fixed,
                   "compute_usd": compute, "difference_usd": report.total_usd - (sol.objective_usd + fixed),
                   "unpriced": len(report.unpriced), "budget_status": report.budget.status,
                   "stale_prices": report.stale_prices, "secondary_prices": report.secondary_prices}


def write_fleet_solution(doc, offers, dropped, periods, result, seconds, objective_usd, units, sp_units, fixed_pp,
                         rates_ref, out_dir, today) -> Solution:
    """Write the fleet (planner/solve/fleet_out.py), then price it back and check it exactly as
    `ultraplan cost` and `ultraplan check` read it: the fleet file and its cells' specs."""
    from ..fleet import load_fleet, plan_fleet
    from ..fleet.check import check_fleet
    from .fleet_out import cell_spec, fleet_document, write_fleet

    header = (f"# Produced by `ultraplan solve {doc.file or 'GOALS'}` ({result.status}, gap {_pct(result.gap)}); "
              "do not edit by hand, re-solve.\n")
    specs = {}
    for cell in doc.goals.cells:
        spec = cell_spec(doc, cell, offers, periods, units, sp_units, None, os.path.join(out_dir, "cells", "x.yaml"))
        if spec is not None:
            # A cell beyond one /16 gets secondary CIDR blocks, as a single-account solve does.
            compile_and_price(doc, spec, dump(spec, ""), None, load_catalog(), load_prices(), today)
            specs[cell.name] = spec
    if not specs:
        raise UltraplanError("the solution buys nothing: the targets are all zero")
    fleet = fleet_document(doc, specs, rates_ref, out_dir, objective_usd + sum(fixed_pp), offers)
    texts = {name: dump(spec, header) for name, spec in specs.items()}
    path = write_fleet(out_dir, dump(fleet, header), texts)
    fp = plan_fleet(load_fleet(path), today=today)
    from ..cost import estimate

    estimates = {cp.name: estimate(cp.plan, today=today) for cp in fp.cells}
    checked = check_fleet(fp, estimates)
    fixed = sum(line.term_usd for e in estimates.values() for line in e.lines if line.pool is None)
    total = checked.cost.total_usd
    # The solver's figure per cell (its units at the offers' prices + the cell's network as priced),
    # to the cent like the fleet's cost, so the two sums compare cent for cent.
    solver_cells = {}
    for name in specs:
        compute = sum(n * (offers[oid].period_cost[t] or 0.0) for oid, row in units.items()
                      if offers[oid].cell == name for t, n in enumerate(row) if n)
        compute += sum(n * offers[oid].sp_cost(s) for (oid, s), n in sp_units.items() if offers[oid].cell == name)
        net = sum(line.term_usd for line in estimates[name].lines if line.pool is None)
        solver_cells[name] = round(compute + net, 2)
    sol = Solution(doc, periods, offers, dropped, result.status, result.gap, seconds, objective_usd, fixed, units,
                   sp_units, {"compute": [p for s in specs.values() for p in s["compute"]]}, "", fixed_pp)
    solver_total = round(sum(solver_cells.values()), 2)
    sol.fixed_usd = solver_total - objective_usd  # the network, as priced back: total_usd = solver_total
    sol.cost_check = {"cost_total_usd": total, "solver_total_usd": solver_total,
                      "difference_usd": round(total - solver_total, 2),
                      "cells": {n: {"cost_usd": checked.cost.cells[n]["total_usd"], "solver_usd": v}
                                for n, v in solver_cells.items()},
                      "unpriced": sum(len(e.unpriced) for e in estimates.values()),
                      "budget_status": max((g["status"] for g in checked.cost.budget.values()), default="ok",
                                           key=["ok", "warning", "over"].index),
                      "stale_prices": [],
                      "secondary_prices": [s for e in estimates.values() for s in e.secondary_prices]}
    errors = [f.to_json() for f in checked.findings if f.level.name == "ERROR"]
    sol.fleet = {"file": path, "cells": {n: {"spec": os.path.join(out_dir, "cells", f"{n}.yaml"),
                                             "pools": len(s["compute"]),
                                             "gpus": next(cp.plan.summary["gpus"] for cp in fp.cells if cp.name == n),
                                             "total_usd": checked.cost.cells[n]["total_usd"]}
                                         for n, s in specs.items()},
                 "check_errors": errors, "dependencies": [d.to_json() for d in checked.dependencies]}
    return sol
