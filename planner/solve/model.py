"""The mixed-integer program, built as plain arrays and solved with HiGHS (highspy).

Variables: for each offer and period, whole units online (x); for each Savings Plan offer and start
period, whole units committed (y, online and paid for 12 or 36 periods). Rows, each tagged so the
explanation can name it: targets (GPUs online per period, per target group), the total and monthly
budgets (less the fixed network cost), vCPU quotas per quota code and period, and GPUs per zone and
period. Elastic copies of a row group (a slack column per row) find the smallest change that makes
infeasible goals feasible.

highspy is imported inside `solve_arrays` so `ultraplan --help` never pays for it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .offers import Offer, Periods

Tag = tuple[Any, ...]


@dataclass
class Row:
    coefs: dict[int, float]
    lo: float
    hi: float
    tag: Tag


@dataclass
class Program:
    """Columns (cost, bounds, integrality) and tagged rows; `online[o][t]` maps units online to columns."""

    cost: list[float] = field(default_factory=list)
    lb: list[float] = field(default_factory=list)
    ub: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    names: list[tuple] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    maximize: bool = False
    slack_cols: dict[Tag, int] = field(default_factory=dict)

    def var(self, cost: float, ub: float, name: tuple, integer: bool = True) -> int:
        self.cost.append(cost)
        self.lb.append(0.0)
        self.ub.append(ub)
        self.integer.append(integer)
        self.names.append(name)
        return len(self.cost) - 1

    def row(self, coefs: dict[int, float], lo: float, hi: float, tag: Tag) -> None:
        self.rows.append(Row({k: v for k, v in coefs.items() if v}, lo, hi, tag))


@dataclass
class Result:
    status: str  # optimal | time-limit | infeasible | unbounded | error
    values: list[float]
    objective: float
    gap: float | None
    seconds: float
    row_values: list[float]


INF = float("inf")


def solve_arrays(prog: Program, time_limit: float, gap: float = 1e-6) -> Result:
    import highspy
    import numpy as np

    # The core class: the Python wrapper prints a banner to stdout on creation, which would corrupt
    # `--format json`; every call used here is the core's own.
    h = getattr(highspy, "_Highs", highspy.Highs)()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(max(0.1, time_limit)))
    h.setOptionValue("mip_rel_gap", float(gap))
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", 1)  # one thread: the same goals give the same plan, every run
    lp = highspy.HighsLp()
    n, m = len(prog.cost), len(prog.rows)
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_ = np.array(prog.cost, dtype=float)
    lp.col_lower_ = np.array(prog.lb, dtype=float)
    lp.col_upper_ = np.array(prog.ub, dtype=float)
    lp.row_lower_ = np.array([r.lo if r.lo != -INF else -highspy.kHighsInf for r in prog.rows], dtype=float)
    lp.row_upper_ = np.array([r.hi if r.hi != INF else highspy.kHighsInf for r in prog.rows], dtype=float)
    starts, index, value = [0], [], []
    for r in prog.rows:
        for k in sorted(r.coefs):
            index.append(k)
            value.append(r.coefs[k])
        starts.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(value, dtype=float)
    lp.sense_ = highspy.ObjSense.kMaximize if prog.maximize else highspy.ObjSense.kMinimize
    lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in prog.integer]
    h.passModel(lp)
    began = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - began
    status = h.getModelStatus()
    S = highspy.HighsModelStatus
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    name = {S.kOptimal: "optimal", S.kInfeasible: "infeasible", S.kUnbounded: "unbounded",
            S.kUnboundedOrInfeasible: "infeasible", S.kTimeLimit: "time-limit"}.get(status, "error")
    if name == "time-limit" and not has_solution:
        name = "time-limit-no-solution"
    if not has_solution:
        return Result(name, [], 0.0, None, seconds, [])
    sol = h.getSolution()
    gap_value = float(info.mip_gap) if any(prog.integer) else 0.0
    return Result(name, list(sol.col_value), float(info.objective_function_value),
                  gap_value if gap_value < 1e20 else None, seconds, list(sol.row_value))


# -- building the program from goals ----------------------------------------------------------------
@dataclass
class Requirement:
    key: str  # "all", "generation gb300", "NVLink domain >= 72"
    per_period: list[tuple[int, int]]  # (gpus, target index) per period; index -1 = none
    matches: Any  # Offer -> bool


@dataclass
class Built:
    prog: Program
    x: dict[tuple[int, int], int]  # (offer, period) -> column
    y: dict[tuple[int, int], int]  # (offer, start period) -> column
    online: dict[tuple[int, int], dict[int, float]]  # (offer, period) -> {column: 1}


def requirements(doc, periods: Periods) -> list[Requirement]:
    groups: dict[tuple, list[int]] = {}
    for i, t in enumerate(doc.goals.targets):
        groups.setdefault((t.generation, t.nvlink_domain), []).append(i)
    reqs = []
    for (gen, nvl), idx in groups.items():
        per = [(0, -1)] * periods.months
        for i in sorted(idx, key=lambda k: doc.goals.targets[k].date):
            t0 = periods.of(doc.goals.targets[i].date)
            for t in range(t0, periods.months):
                per[t] = (doc.goals.targets[i].gpus, i)
        parts = []
        if gen:
            parts.append(f"generation {gen}")
        if nvl:
            parts.append(f"NVLink domain >= {nvl}")

        def matches(o: Offer, gen=gen, nvl=nvl) -> bool:
            return (not gen or gen in o.family or gen in o.item) and (not nvl or o.nvlink_domain >= nvl)
        reqs.append(Requirement(", ".join(parts) or "all", per, matches))
    return reqs


def build(doc, offers: list[Offer], periods: Periods, fixed_per_period: list[float], *,
          elastic: frozenset[str] = frozenset(), drop: frozenset[str] = frozenset(),
          objective: str | None = None, relax: dict[Tag, float] | None = None,
          min_gpu_hours: float | None = None) -> Built:
    """The program for `doc`'s goals. `elastic` row kinds get a slack column (cost 1 per unit of
    violation, scaled); `drop` row kinds are left out; `relax` loosens tagged row groups by a factor."""
    goals = doc.goals
    objective = objective or goals.objective
    prog = Program(maximize=objective == "max-gpu-hours")
    relax = relax or {}
    reqs = requirements(doc, periods)
    peak = max((sum(r.per_period[t][0] for r in reqs) for t in range(periods.months)), default=0)
    budget = goals.budget.total_usd or (goals.budget.monthly_usd * periods.months if goals.budget.monthly_usd else None)
    x: dict[tuple[int, int], int] = {}
    y: dict[tuple[int, int], int] = {}
    online: dict[tuple[int, int], dict[int, float]] = {}
    costs: dict[int, dict[int, float]] = {t: {} for t in range(periods.months)}  # period -> column -> usd

    from .offers import upper_bound

    def gpu_hours(o: Offer, t: int) -> float:
        return o.gpus_per_unit * periods.hours(t)

    ub_of: dict[int, float] = {}
    for o in offers:
        ub = float(upper_bound(o, peak, budget if objective == "max-gpu-hours" else None))
        if ub <= 0:
            continue
        ub_of[o.id] = ub
        if o.is_savings_plan:
            for s in o.sp_starts(periods):
                obj = sum(gpu_hours(o, t) for t in range(s, s + o.sp_periods)) if prog.maximize else o.sp_cost(s)
                col = prog.var(obj, ub, ("y", o.id, s))
                y[(o.id, s)] = col
                for t in range(s, s + o.sp_periods):
                    online.setdefault((o.id, t), {})[col] = 1.0
                    costs[t][col] = o.period_cost[t] or 0.0
            continue
        for t in range(periods.months):
            c = o.period_cost[t]
            if c is None:
                continue
            col = prog.var(gpu_hours(o, t) if prog.maximize else c, ub, ("x", o.id, t))
            x[(o.id, t)] = col
            online[(o.id, t)] = {col: 1.0}
            costs[t][col] = c

    def scaled(tag: Tag, value: float, loosen_up: bool) -> float:
        f = relax.get(tag[:2], relax.get(tag[:1], 1.0))
        return value * f if loosen_up else value / f if f else value

    # targets
    if "target" not in drop:
        for r in reqs:
            for t in range(periods.months):
                need, idx = r.per_period[t]
                if need <= 0:
                    continue
                coefs: dict[int, float] = {}
                for o in offers:
                    if r.matches(o):
                        for col in online.get((o.id, t), {}):
                            coefs[col] = coefs.get(col, 0.0) + o.gpus_per_unit
                tag = ("target", idx, r.key, t)
                _add(prog, coefs, scaled(tag, need, False), INF, tag, "target" in elastic, need)
    # budgets
    total_fixed = sum(fixed_per_period)
    if "budget" not in drop and goals.budget.total_usd is not None:
        coefs = {}
        for t in range(periods.months):
            for col, c in costs[t].items():
                coefs[col] = coefs.get(col, 0.0) + c
        tag = ("budget", "total")
        _add(prog, coefs, -INF, scaled(tag, goals.budget.total_usd, True) - total_fixed, tag, "budget" in elastic,
             goals.budget.total_usd)
    if "budget" not in drop and goals.budget.monthly_usd is not None:
        for t in range(periods.months):
            tag = ("budget", "monthly", t)
            _add(prog, dict(costs[t]), -INF, scaled(tag, goals.budget.monthly_usd, True) - fixed_per_period[t], tag,
                 "budget" in elastic, goals.budget.monthly_usd)
    if goals.cells:  # per-cell rows for every account limit, and fabric rows (planner/solve/cells.py)
        from .cells import cell_rows

        cell_rows(prog, doc, offers, periods, online, _add, elastic, drop, scaled, ub_of)
    # quotas (vCPUs of units online) and GPUs per zone
    if "limit" not in drop:
        # With cells, quotas are per cell (above); `limits.quotas` and `limits.account` apply without.
        codes = [] if goals.cells else sorted({o.quota_code for o in offers if o.quota_code and o.quota_code in doc.quotas})
        for code in codes:
            for t in range(periods.months):
                coefs = {}
                for o in offers:
                    if o.quota_code == code:
                        for col in online.get((o.id, t), {}):
                            coefs[col] = coefs.get(col, 0.0) + o.vcpus_per_unit
                if coefs:
                    tag = ("limit", f"quota {code}", t)
                    _add(prog, coefs, -INF, scaled(tag, doc.quotas[code], True), tag, "limit" in elastic,
                         max(1.0, doc.quotas[code]))
        for zone, most in sorted(goals.limits.max_per_zone.items()):
            for t in range(periods.months):
                coefs = {}
                for o in offers:
                    if o.zone == zone:
                        for col in online.get((o.id, t), {}):
                            coefs[col] = coefs.get(col, 0.0) + o.gpus_per_unit
                if coefs:
                    tag = ("limit", f"zone {zone}", t)
                    _add(prog, coefs, -INF, scaled(tag, most, True), tag, "limit" in elastic, max(1.0, most))
    # Instance Capacity Blocks: at most 256 instances across blocks at once (EC2 User Guide).
    if "limit" not in drop:
        from .spec_out import block_rules

        most = float(block_rules()["max_instances_across_blocks"])
        for t in range(periods.months):
            coefs = {}
            for o in offers:
                if o.purchase == "capacity-block" and not o.ultra:
                    for col in online.get((o.id, t), {}):
                        coefs[col] = coefs.get(col, 0.0) + o.instances_per_unit
            if coefs:
                tag = ("limit", "blocks instances-across-blocks", t)
                _add(prog, coefs, -INF, scaled(tag, most, True), tag, "limit" in elastic, most)
    if min_gpu_hours is not None:  # second stage of max-gpu-hours: keep the hours, lower the cost
        coefs = {}
        for (oid, t), cols in online.items():
            for col in cols:
                coefs[col] = coefs.get(col, 0.0) + gpu_hours(offers[oid], t)
        prog.row(coefs, min_gpu_hours, INF, ("keep", "gpu-hours"))
    if elastic:  # phase one: only the violation counts
        for i in range(len(prog.cost)):
            if prog.names[i][0] != "slack":
                prog.cost[i] = 0.0
        prog.maximize = False
    return Built(prog, x, y, online)


def _add(prog: Program, coefs: dict[int, float], lo: float, hi: float, tag: Tag, elastic: bool, scale: float) -> None:
    if elastic:
        # One slack per constraint (a quota, a zone, a budget, a target) shared by its periods: the
        # least increase that fixes every period at once. Measured in units of the constraint's own
        # size (1.0 = 100 % of the limit), so a quota and a budget weigh alike and HiGHS sees
        # well-scaled numbers.
        size = max(1.0, abs(scale))
        key = tag[:2]
        col = prog.slack_cols.get(key)
        if col is None:
            col = prog.slack_cols[key] = prog.var(1.0, INF, ("slack", key, size), integer=False)
        coefs = dict(coefs)
        coefs[col] = size if lo != -INF else -size
    prog.row(coefs, lo, hi, tag)


def online_units(offers: list[Offer], periods: Periods, units, sp_units) -> dict[int, list[int]]:
    out = {o.id: [0] * periods.months for o in offers}
    for oid, row in units.items():
        for t, n in enumerate(row):
            out[oid][t] += n
    for (oid, s), n in sp_units.items():
        for t in range(s, s + offers[oid].sp_periods):
            out[oid][t] += n
    return out
