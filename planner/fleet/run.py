"""A fleet through the run, as a library: every cell through cost, policy and preflight (against
its own snapshot) exactly as `planner.run.check` takes one spec, then the fleet's own checks
(limits per cell, fabrics, the fleet budget) into one report. Nothing here prints.

    from planner.fleet.run import check_fleet_run
    result = check_fleet_run("examples/frontier/fleet.yaml")
    result.exit_code, result.report
"""
from __future__ import annotations

from typing import Any

from ..errors import SpecError
from ..findings import Level


def check_fleet_run(path: str, fail_on: Level = Level.ERROR, *, policy: bool = True, cost: bool = True,
                    preflight: bool = True, fleet_checks: bool = True, command: str = "check") -> Any:
    """One report for the fleet at `path` (a fleet file), as a planner.run.RunResult: a part per cell,
    then the fleet's checks. An invalid fleet file or cell spec gives a report of its problems and
    exit 2. `policy`, `cost`, `preflight` and `fleet_checks` leave steps out (`ultraplan policy` and
    `preflight` on a fleet run only their own)."""
    from ..report.merge import merge
    from ..run import RunResult
    from ..run.steps import Run
    from . import load_fleet, plan_fleet

    try:
        fleet = plan_fleet(load_fleet(path))
    except SpecError as exc:
        run = Run(path, fail_on, command)
        run.spec_error("validate", exc)
        return RunResult(run.report, exit_override=run.exit_override)
    estimates: dict[str, Any] = {}
    parts = [_cell_report(fleet, cp, fail_on, command, estimates, policy=policy, cost=cost, preflight=preflight)
             for cp in fleet.cells]
    if fleet_checks:
        parts.append(_fleet_report(fleet, path, fail_on, command, estimates if cost else None))
    report = merge(parts, command)
    report.name = f"fleet {fleet.name} ({len(fleet.cells)} cells)"
    from ..report import Step

    report.steps = [Step(f"{s.name} ({rep.name})", s.status, s.summary, s.data) for rep in parts for s in rep.steps]
    if fleet_checks:
        report.extra["fleet"] = parts[-1].extra["fleet"]
    return RunResult(report)


def _cell_report(fleet: Any, cp: Any, fail_on: Level, command: str, estimates: dict[str, Any], *,
                 policy: bool, cost: bool, preflight: bool) -> Any:
    """One cell through the run's own steps (planner.run.steps), under the name `cell <name>`."""
    from ..run.steps import Run, cost_step, policy_step, preflight_step

    run = Run(cp.cd.doc.file, fail_on, command)
    run.report.name = f"cell {cp.name}"
    run.step("validate", "ok", f"cluster '{cp.plan.name}' in {cp.cell.region}, {len(cp.plan.pools)} pool(s)")
    for finding in cp.warnings:
        run.add(finding, "plan")
    s = cp.plan.summary
    run.step("plan", "ok", f"{s.get('resources', 0):,} resources in {s.get('stacks', 0)} stacks, "
                           f"{s.get('gpus', 0):,} accelerators")
    monthly = None
    if cost:
        monthly = cost_step(run, cp.plan)
        if run.estimate is not None:
            estimates[cp.name] = run.estimate
    if policy:
        policy_step(run, cp.plan, monthly)
    if preflight:
        snapshot = cp.cd.snapshot
        preflight_step(run, cp.plan, snapshot, snapshot is not None, False, False)
        _dependencies(run, fleet, cp.name)
    return run.report


def _dependencies(run: Any, fleet: Any, cell: str) -> None:
    """Preflight quota errors that an increase stated in the fleet file covers become dependencies
    (info), and the preflight step is judged again without them."""
    from ..report import Entry
    from .check import as_dependency, stated_increase

    changed = False
    for i, entry in enumerate(run.report.entries):
        if entry.category != "preflight":
            continue
        inc = stated_increase(fleet, cell, entry.finding)
        if inc is not None:
            run.report.entries[i] = Entry(as_dependency(entry.finding, inc), entry.category, entry.label)
            changed = True
    if not changed:
        return
    step = next(s for s in run.report.steps if s.name == "preflight")
    left = [e.finding.level for e in run.report.entries if e.category == "preflight" and e.finding.unverified is None]
    if step.status == "failed" and Level.ERROR not in left:
        step.status = "warning" if Level.WARNING in left else "ok"
        step.summary += "; quota errors covered by increases stated in the fleet file are dependencies"


def _fleet_report(fleet: Any, path: str, fail_on: Level, command: str, estimates: dict[str, Any] | None) -> Any:
    """The fleet's own checks: every limit per cell, the fabrics, and the fleet budget."""
    from ..report import Entry, Report, RuleInfo, Step
    from .check import check_fleet
    from .fabrics import FABRIC_CHECKS
    from .limits import REGISTRY

    result = check_fleet(fleet, estimates)
    report = Report(command, spec_file=path, name=f"fleet {fleet.name}", fail_on=fail_on)
    for info in list(REGISTRY) + list(FABRIC_CHECKS):
        report.rules.append(RuleInfo(info.check_id, info.title, info.doc, info.level, category="fleet"))
    for gate in ("total", "monthly", "unpriced"):
        report.rules.append(RuleInfo(f"fleet.budget.{gate}", f"The fleet's {gate} cost is within its budget",
                                     "The sum of the cells' cost (each priced like `ultraplan cost`) against "
                                     "the fleet file's budget; an unpriced item fails closed.", Level.ERROR,
                                     category="fleet"))
    for f in result.findings:
        report.entries.append(Entry(f, "fleet"))
    found = {f.check_id for f in result.findings if f.level >= Level.WARNING}
    report.passed = [r.id for r in report.rules if r.id not in found]
    errors = sum(1 for f in result.findings if f.level == Level.ERROR)
    report.steps.append(Step("limits", "failed" if errors else "ok",
                             f"{len(result.checked)} limit(s) checked over {len(fleet.cells)} cell(s); {errors} "
                             f"error(s); {len(result.dependencies)} stated increase(s) depended on"))
    if result.cost is not None:
        over = [n for n, g in result.cost.budget.items() if g["status"] == "over"]
        report.steps.append(Step("fleet-cost", "failed" if over else "ok",
                                 f"${result.cost.total_usd:,.2f} over the term (sum of {len(estimates or {})} cell(s))"
                                 + (f"; budget {', '.join(over)} over" if over else "")))
    report.extra["fleet"] = result.to_json()
    return report
