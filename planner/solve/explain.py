"""What a solution means: cost by year and option, $/GPU-hour, the constraints that bind and what
relaxing each would buy; and, for infeasible goals, the constraint at fault and the smallest change.

Binding rows are read from the solved program (a row is binding when less than one unit of the
smallest offer separates its activity from its bound). "What relaxing would buy" re-solves with that
constraint 10 % looser (a budget or a limit 10 % higher, a target 10 % lower) and reports the change
in the objective.
"""
from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from .model import INF, Result, build, solve_arrays

RELAX = 1.10
MAX_RELAXATIONS = 6


def summarize(sol) -> dict[str, Any]:
    from .model import online_units

    periods, offers = sol.periods, sol.offers
    online = online_units(offers, periods, sol.units, sol.sp_units)
    by_year: dict[str, float] = defaultdict(float)
    by_option: dict[str, float] = defaultdict(float)
    gpu_hours = 0.0
    for o in offers:
        for t in range(periods.months):
            n = online[o.id][t]
            gpu_hours += n * o.gpus_per_unit * periods.hours(t)
        for t, n in enumerate(sol.units.get(o.id, [])):
            if n:
                usd = n * (o.period_cost[t] or 0.0)
                by_year[str(periods.bounds[t].year)] += usd
                by_option[o.label] += usd
    for (oid, s), n in sol.sp_units.items():
        o = offers[oid]
        for t in range(s, s + o.sp_periods):
            usd = n * (o.period_cost[t] or 0.0)
            by_year[str(periods.bounds[t].year)] += usd
            by_option[o.label] += usd
    # The network runs the whole term: its cost (priced from the produced spec) is spread by hours.
    term_hours = sum(periods.hours(t) for t in range(periods.months))
    for t in range(periods.months):
        by_year[str(periods.bounds[t].year)] += sol.fixed_usd * periods.hours(t) / term_hours
    if sol.fixed_usd:
        by_option["network (NAT gateways, addresses, endpoints)"] += sol.fixed_usd
    ramp = []
    for t in range(periods.months):
        gpus = sum(online[o.id][t] * o.gpus_per_unit for o in offers)
        if t == 0 or gpus != ramp[-1]["gpus"]:
            ramp.append({"from": periods.bounds[t].isoformat(), "gpus": gpus})
    return {
        "cost_by_year": dict(sorted(by_year.items())),
        "cost_by_option": dict(sorted(by_option.items(), key=lambda kv: -kv[1])),
        "fixed_usd": sol.fixed_usd,
        "gpu_hours": gpu_hours,
        "usd_per_gpu_hour": (sol.total_usd / gpu_hours) if gpu_hours else None,
        "ramp": ramp,
        "not_considered": [{"option": d.label, "reason": d.reason} for d in sol.dropped],
        "prices": sorted({f"{o.label}: {o.basis} ({'; '.join(o.sources)})" for o in offers}),
        "block_purchase_note": ("capacity blocks are bought at most 8 weeks before they start and cannot be "
                                "cancelled: buy each planned block within its 8-week window"
                                if any(o.purchase == "capacity-block" for o in offers
                                       if any(sol.units.get(o.id, []))) else None),
    }


def _binding(sol, built, result: Result) -> dict[tuple, dict[str, Any]]:
    """Row groups whose bound is (within one unit) reached, with the first period where it is."""
    offers, periods = sol.offers, sol.periods
    unit_gpus = min(o.gpus_per_unit for o in offers)
    unit_vcpus = min(o.vcpus_per_unit for o in offers)
    unit_usd = min((c for o in offers for c in o.period_cost if c), default=1.0)
    groups: dict[tuple, dict[str, Any]] = {}
    for row, value in zip(built.prog.rows, result.row_values):
        kind = row.tag[0]
        tol = {"target": unit_gpus, "budget": unit_usd}.get(kind, unit_vcpus if "quota" in str(row.tag[1]) else unit_gpus)
        if kind == "target" and value - row.lo <= tol:
            key = ("target", row.tag[1])
        elif kind in ("budget", "limit") and row.hi != INF and row.hi - value <= tol:
            key = (kind, row.tag[1])
        else:
            continue
        g = groups.setdefault(key, {"periods": []})
        if isinstance(row.tag[-1], int):  # the period of a per-period row (not the total budget)
            g["periods"].append(row.tag[-1])
    return groups


def _describe(sol, key: tuple, periods_hit: list[int]) -> dict[str, Any]:
    goals, periods = sol.doc.goals, sol.periods
    first = periods.bounds[min(periods_hit)].isoformat() if periods_hit else None
    kind, what = key
    if kind == "target":
        t = goals.targets[what]
        name = f"targets[{what}]: {t.gpus:,} GPUs from {t.date}"
    elif kind == "budget":
        name = f"budget.{what}_usd" + (f" (${goals.budget.total_usd:,.0f})" if what == "total" else
                                       f" (${goals.budget.monthly_usd:,.0f}/month)")
    elif str(what).startswith("cell "):
        _, cell, key = what.split(" ", 2)
        name = f"cell {cell}: {_cell_limit_text(sol.doc, cell, key)}"
    else:
        code = what.split(" ", 1)[1]
        if what.startswith("blocks"):
            name = "capacity blocks: at most 256 instances across instance blocks at once (EC2 User Guide)"
        elif what.startswith("quota"):
            name = f"limits: quota {code} {sol.doc.quota_names.get(code, '')} ({sol.doc.quotas.get(code, 0):,.0f} vCPUs)".replace("  ", " ")
        else:
            name = f"limits.max_per_zone {code} ({goals.limits.max_per_zone.get(code, 0):,} GPUs)"
    return {"constraint": name, "kind": kind, "from": first, "periods": len(periods_hit)}


def binding_and_relaxations(sol, built, result: Result, time_limit: float) -> dict[str, Any]:
    began = time.perf_counter()
    groups = _binding(sol, built, result)
    out = []
    maximize = sol.doc.goals.objective == "max-gpu-hours"
    # max-gpu-hours was solved twice (hours, then cost at those hours): compare hours with hours
    base = sol.explanation.get("gpu_hours", 0.0) if maximize else sol.objective_usd
    for i, (key, g) in enumerate(sorted(groups.items(), key=lambda kv: (kv[0][0], str(kv[0][1])))):
        item = _describe(sol, key, g["periods"])
        remaining = time_limit - (time.perf_counter() - began) - sol.seconds
        if i < MAX_RELAXATIONS and remaining > 1:
            relax = {key: RELAX}
            b = build(sol.doc, sol.offers, sol.periods, sol.fixed_per_period, relax=relax)
            r = solve_arrays(b.prog, min(10.0, remaining))
            if r.values:
                delta = r.objective - base
                if maximize:
                    item["relaxing_10pct_buys"] = f"{delta:+,.0f} GPU-hours"
                else:
                    item["relaxing_10pct_buys"] = f"saves ${-delta:,.0f}" if delta <= 0 else f"costs ${delta:,.0f} more"
                item["relaxed_objective"] = r.objective
            else:
                item["relaxing_10pct_buys"] = f"not measured ({r.status})"
        else:
            item["relaxing_10pct_buys"] = "not measured (time limit)"
        out.append(item)
    return {"binding": out}


# -- infeasible goals ---------------------------------------------------------------------------------
def diagnose(doc, offers, periods, fixed_pp, time_limit: float) -> list[dict[str, Any]]:
    """The first class of constraint whose relaxation alone makes the goals feasible, and by how much:
    the budget, then the limits (quotas, zones), then the targets themselves."""
    goals = doc.goals
    fixed_total = sum(fixed_pp)
    # 1. Budget: the cheapest mix that meets the targets within the limits.
    b = build(doc, offers, periods, fixed_pp, drop=frozenset({"budget"}), objective="min-cost")
    r = solve_arrays(b.prog, time_limit)
    if r.values:
        cheapest = r.objective + fixed_total
        problems = []
        if goals.budget.total_usd is not None and cheapest > goals.budget.total_usd:
            problems.append({"constraint": "budget.total_usd",
                             "message": f"${goals.budget.total_usd:,.0f} is below the cheapest mix that meets the "
                                        f"targets within the limits (${cheapest:,.0f}).",
                             "fix": f"raise budget.total_usd by ${cheapest - goals.budget.total_usd:,.0f} to "
                                    f"${cheapest:,.0f}, or lower the targets"})
        if not problems and goals.budget.monthly_usd is not None:
            e = build(doc, offers, periods, fixed_pp, elastic=frozenset({"budget"}))
            r2 = solve_arrays(e.prog, time_limit)
            worst = _worst_slack(e, r2, "budget")
            if worst:
                tag, slack = worst
                month = periods.bounds[tag[-1]].strftime("%Y-%m") if isinstance(tag[-1], int) else "?"
                problems.append({"constraint": "budget.monthly_usd",
                                 "message": f"${goals.budget.monthly_usd:,.0f}/month cannot pay for the targets "
                                            f"in {month}.",
                                 "fix": f"raise budget.monthly_usd by ${slack:,.0f} to "
                                        f"${goals.budget.monthly_usd + slack:,.0f}, or lower the {month} target"})
        if problems:
            return problems
    # 2. Limits: the least extra quota / zone room that would do, with no budget.
    e = build(doc, offers, periods, fixed_pp, elastic=frozenset({"limit"}), drop=frozenset({"budget"}))
    r = solve_arrays(e.prog, time_limit)
    if r.values:
        need: dict[str, tuple[float, int]] = {}
        for row, slack in _slacks(e, r, "limit"):
            what, t = row.tag[1], row.tag[-1]
            if slack > 1e-6 and (what not in need or slack > need[what][0]):
                need[what] = (slack, t)
        problems = []
        for what, (slack, t) in sorted(need.items()):
            kind, code = what.split(" ", 1)
            month = periods.bounds[t].strftime("%Y-%m")
            if kind == "cell":
                problems.append(_cell_problem(doc, code, slack, month))
            elif kind == "quota":
                have = doc.quotas.get(code, 0.0)
                title = doc.quota_names.get(code) or next((o.quota_title for o in offers if o.quota_code == code), "")
                problems.append({"constraint": f"limits: quota {code}",
                                 "message": f"{title or code} allows {have:,.0f} vCPUs; the targets need "
                                            f"{have + slack:,.0f} in {month}.",
                                 "fix": f"request {code} = {have + slack:,.0f} vCPUs (+{slack:,.0f}), or lower the targets",
                                 "command": f"aws service-quotas request-service-quota-increase --service-code ec2 "
                                            f"--quota-code {code} --desired-value {have + slack:.0f}"})
            else:
                have = goals.limits.max_per_zone.get(code, 0)
                problems.append({"constraint": f"limits.max_per_zone.{code}",
                                 "message": f"{have:,} GPUs in {code} are too few: the targets need {have + slack:,.0f} "
                                            f"in {month}.",
                                 "fix": f"raise it to {have + slack:,.0f}, or offer another zone"})
        if problems:
            return problems
    # 3. Targets: what the options can reach at most.
    e = build(doc, offers, periods, fixed_pp, elastic=frozenset({"target"}), drop=frozenset({"budget", "limit"}))
    r = solve_arrays(e.prog, time_limit)
    problems = []
    short: dict[int, tuple[float, int]] = {}
    for row, slack in _slacks(e, r, "target") if r.values else []:
        idx = row.tag[1]
        if slack > 1e-6 and (idx not in short or slack > short[idx][0]):
            short[idx] = (slack, row.tag[-1])
    for idx, (slack, t) in sorted(short.items()):
        target = goals.targets[idx]
        problems.append({"constraint": f"targets[{idx}]",
                         "message": f"{target.gpus:,} GPUs from {target.date} cannot be online with the options "
                                    f"(short by {slack:,.0f} in {periods.bounds[t].strftime('%Y-%m')}: no priced option "
                                    f"sells then, or enough of it).",
                         "fix": f"lower it to {target.gpus - slack:,.0f}, move it later, or add an option available then"})
    return problems or [{"constraint": "goals", "message": "HiGHS reports the goals infeasible and no single class of "
                         "constraint explains it.", "fix": "relax the budget, the limits and the targets together"}]


def _slacks(built, result: Result, kind: str):
    """(row, violation) for the elastic rows of `kind` that need their slack (their own activity is
    past the bound), the violation in the row's own units (dollars, vCPUs, GPUs)."""
    for row in built.prog.rows:
        if row.tag[0] != kind:
            continue
        for col in row.coefs:
            name = built.prog.names[col]
            if name[0] != "slack":
                continue
            slack = result.values[col] * name[2]
            own = sum(c * result.values[k] for k, c in row.coefs.items() if k != col)
            past = own - row.hi if row.hi != INF else row.lo - own
            if slack > 1e-6 and past > -1e-6 * max(1.0, name[2]):
                yield row, slack


def _worst_slack(built, result: Result, kind: str):
    if not result.values:
        return None
    best = None
    for row, v in _slacks(built, result, kind):
        if best is None or v > best[1] + 1e-9:
            best = (row.tag, v)
    return best


def _cell_limit_text(doc, cell: str, key: str) -> str:
    from ..fleet.quotas import entries

    entry = entries()[key]
    qv = doc.cell_limits.get(cell, {}).get(key)
    value = f"{qv.value:,} ({qv.basis})" if qv is not None and qv.value is not None else "unknown"
    return f"{entry.title} ({entry.code or 'no quota code'}) {value}"


def _cell_problem(doc, what: str, slack: float, month: str) -> dict:
    """A cell's quota that binds: the quota (name and code), the numbers, and the smallest change:
    the increase to request for that cell, or another cell for the options that use it."""
    import math

    from ..fleet.quotas import entries, request_command

    cell, key = what.split(" ", 1)
    entry = entries()[key]
    qv = doc.cell_limits.get(cell, {}).get(key)
    have = float(qv.value) if qv is not None and qv.value is not None else 0.0
    want = int(math.ceil(have + slack - 1e-6))
    region = next(c.region for c in doc.goals.cells if c.name == cell)
    return {"constraint": f"cell {cell}: {entry.title} ({qv.code if qv and qv.code else entry.code or 'no quota code'})",
            "cell": cell, "quota": entry.id, "code": entry.code,
            "message": f"cell {cell} allows {have:,.0f} ({qv.basis if qv else 'unknown'}); the targets need {want:,} "
                       f"there in {month}.",
            "fix": f"request {want:,} for cell {cell} (+{want - have:,.0f}) and state it in the cell's quotas, or add "
                   "another cell to the options that use it",
            "command": request_command(entry, region, want, qv.code if qv else None)}
