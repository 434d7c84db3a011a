"""A fleet file (or a folder holding fleet.yaml) given to validate, plan, cost, policy, preflight or
check: every cell through the same steps as a spec, reported per cell and for the fleet.

Each command calls `fleet_target(paths)` first and hands a fleet here; a spec takes its usual path,
untouched. Exit codes are the commands' own: 2 invalid, 1 a gate failed (a cell over a limit, a
fabric split, the fleet budget), 3 unverified, 4 a bug.
"""
from __future__ import annotations

import json
import sys
from typing import Any

import click

from ..errors import EXIT_FINDINGS, EXIT_INVALID, SpecError, UsageError
from ..findings import Finding, Level, Source


def fleet_target(paths: tuple[str, ...] | list[str] | str | None) -> str | None:
    """The fleet file among the command's arguments, or None when they are specs."""
    from ..fleet import fleet_file_of, is_fleet

    if paths is None:
        return None
    items = [paths] if isinstance(paths, str) else list(paths)
    fleets = [p for p in items if p and is_fleet(p)]
    if not fleets:
        return None
    if len(items) > 1:
        raise UsageError(f"{fleets[0]} is a fleet: give it alone (one fleet per run; its cells are its specs)")
    return fleet_file_of(fleets[0])


def load(path: str, **kwargs: Any):
    from ..fleet import load_fleet, plan_fleet

    return plan_fleet(load_fleet(path), **kwargs)


def _echo(lines: list[str]) -> None:
    """Lines fit the terminal (80 columns in a pipe or CI log): a long one wraps under its own indent."""
    import textwrap

    from .common import terminal_width

    width = terminal_width()
    for line in lines:
        indent = " " * (len(line) - len(line.lstrip()) + 2)
        click.echo(textwrap.fill(line, width=width, subsequent_indent=indent, break_on_hyphens=False,
                                 break_long_words=False) if len(line) > width else line)


def _cell_line(cp: Any) -> str:
    s = cp.plan.summary
    where = ", ".join(cp.cell.zones)
    return (f"cell {cp.name}: account {cp.cell.account}, {cp.cell.region} ({where}): {s.get('gpus', 0):,} accelerators, "
            f"{s.get('instances', 0):,} instances, {len(cp.plan.pools)} pool(s), {s.get('resources', 0):,} resources "
            f"in {s.get('stacks', 0)} stacks")


# -- validate -------------------------------------------------------------------------------------
def validate(path: str, fmt: str) -> None:
    from .common import terminal_width

    try:
        fleet = load(path)
    except SpecError as exc:
        if fmt == "json":
            click.echo(json.dumps({"valid": False, "fleet": path, "issues": [i.to_json() for i in exc.issues]}, indent=1))
        else:
            click.echo(exc.render_text(terminal_width()), err=True)
        sys.exit(EXIT_INVALID)
    if fmt == "json":
        click.echo(json.dumps({"valid": True, "fleet": fleet.name, "file": path,
                               "cells": [{"name": c.name, "spec": c.cd.doc.file, "cluster": c.plan.name,
                                          "pools": len(c.plan.pools)} for c in fleet.cells]}, indent=1))
        return
    _echo([f"ok: {path}", f"    fleet '{fleet.name}', {len(fleet.cells)} cell(s)"]
          + [f"    cell {cp.name}: cluster '{cp.plan.name}' in {cp.cell.region}, {len(cp.plan.pools)} pool(s)"
             for cp in fleet.cells])


# -- plan -----------------------------------------------------------------------------------------
def plan(path: str, fmt: str, out: str | None, shard_size: int) -> None:
    """Per cell its stacks and summary, then the fleet's totals; `--out DIR` writes plan-<cell>.json."""
    import os

    from .common import write_output

    fleet = load(path, shard_size=shard_size)
    if out:
        if os.path.exists(out) and not os.path.isdir(out):
            raise UsageError(f"--out {out}: a fleet writes one Plan per cell: give a folder")
        os.makedirs(out, exist_ok=True)
        for cp in fleet.cells:
            write_output(os.path.join(out, f"plan-{cp.name}.json"), cp.plan.dumps())
    if fmt == "json":
        click.echo(json.dumps(plan_json(fleet), indent=1, default=str))
        return
    _echo(plan_text(fleet) + ([f"{len(fleet.cells)} Plans written to {out}/plan-<cell>.json"] if out else []))


def plan_json(fleet: Any) -> dict[str, Any]:
    return {"fleet": fleet.name, "summary": fleet.summary(),
            "cells": [{"name": c.name, "account": c.cell.account, "region": c.cell.region, "zones": c.cell.zones,
                       "cluster": c.plan.name, "stack_prefix": c.plan.cell.get("stack_prefix"),
                       "stacks": [s.name for s in c.plan.stacks], "summary": {
                           k: v for k, v in c.plan.summary.items() if k != "subnets"}} for c in fleet.cells]}


def plan_text(fleet: Any) -> list[str]:
    out = [f"Fleet {fleet.name}: {len(fleet.cells)} cell(s)"]
    for cp in fleet.cells:
        out.append(_cell_line(cp))
        stacks = [s.name for s in cp.plan.stacks]
        shown = ", ".join(stacks[:4]) + (f", ... ({len(stacks)} stacks)" if len(stacks) > 4 else "")
        out.append(f"  stacks {cp.plan.cell.get('stack_prefix')}-<stack>: {shown}")
    s = fleet.summary()
    out.append(f"Fleet total: {s['gpus']:,} accelerators, {s['nvlink_domains']:,} NVLink domains, "
               f"{s['instances']:,} instances, {s['resources']:,} resources in {s['stacks']:,} stacks")
    return out


# -- cost -----------------------------------------------------------------------------------------
def estimates(fleet: Any, prices: Any = None, rates: Any = None, now: Any = None) -> dict[str, Any]:
    from .. import clock
    from ..cost import estimate

    today = clock.today()  # the planning clock (--now, ULTRAPLAN_NOW), read at the edge
    return {cp.name: estimate(cp.plan, prices, now=now, today=today, rates=rates) for cp in fleet.cells}


def cost(path: str, fmt: str, prices: Any = None, rates: Any = None, now: Any = None) -> None:
    from ..fleet.check import fleet_cost

    fleet = load(path)
    est = estimates(fleet, prices, rates, now)
    total = fleet_cost(fleet, est)
    if fmt == "json":
        click.echo(json.dumps({"fleet": fleet.name, **total.to_json(),
                               "unpriced": {n: [u.to_json() for u in e.unpriced] for n, e in est.items()}},
                              indent=1, default=str))
    else:
        _echo(cost_text(fleet, est, total))
    if any(g["status"] == "over" for g in total.budget.values()) or any(
            e.budget.status == "over" for e in est.values()):
        raise SystemExit(EXIT_FINDINGS)


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
    cards = {e.rate_card["name"]: e.rate_card["source"] for e in est.values() if e.rate_card}
    for name, source in cards.items():
        out.append(f"Rate card {name}: {source}")
    return out


# -- policy / preflight / check ----------------------------------------------------------------------
def _dependencies(run: Any, fleet: Any, cell: str) -> None:
    """Preflight quota errors that an increase stated in the fleet file covers become dependencies
    (info), and the preflight step is judged again without them."""
    from ..fleet.check import as_dependency, stated_increase
    from ..report import Entry

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


def check(path: str, fmt: str, fail_on: str, reports: dict[str, str | None], *, policy: bool = True,
          cost_step: bool = True, preflight: bool = True, fleet_checks: bool = True, command: str = "check") -> None:
    """Every cell through cost, policy and preflight (against its own snapshot), its limits checked;
    then the fleet's own checks (fabrics, the fleet budget). One report, one exit code."""
    from ..report import Report, RuleInfo, Step
    from ..report.merge import merge
    from .check_cmd import _cost_step, _policy_step, _preflight_step, _Run
    from .policy_cmd import emit_report

    level = Level.parse(fail_on)
    try:
        fleet = load(path)
    except SpecError as exc:
        run = _Run(path, level)
        run.spec_error("validate", exc)
        emit_report(run.report, fmt, reports)
        click.echo("error: the fleet file or a cell's spec is invalid (see the report above)", err=True)
        sys.exit(EXIT_INVALID)
    from ..fleet.check import check_fleet
    from ..fleet.fabrics import FABRIC_CHECKS
    from ..fleet.limits import REGISTRY

    est: dict[str, Any] = {}
    parts = []
    for cp in fleet.cells:
        run = _Run(cp.cd.doc.file, level)
        run.report.name = f"cell {cp.name}"
        run.step("validate", "ok", f"cluster '{cp.plan.name}' in {cp.cell.region}, {len(cp.plan.pools)} pool(s)")
        for finding in cp.warnings:
            run.add(finding, "plan")
        s = cp.plan.summary
        run.step("plan", "ok", f"{s.get('resources', 0):,} resources in {s.get('stacks', 0)} stacks, "
                               f"{s.get('gpus', 0):,} accelerators")
        monthly = None
        if cost_step:
            monthly = _cost_step(run, cp.plan)
            from .. import pipeline

            try:
                est[cp.name] = pipeline.cost_of(cp.plan)
            except Exception:  # noqa: BLE001 - the cost step above reported why
                pass
        if policy:
            _policy_step(run, cp.plan, monthly)
        if preflight:
            snap = cp.cd.snapshot
            _preflight_step(run, cp.plan, snap, snap is not None, False, False)
            _dependencies(run, fleet, cp.name)
        parts.append(run.report)
    if not fleet_checks:
        report = merge(parts, command)
        report.name = f"fleet {fleet.name} ({len(fleet.cells)} cells)"
        report.steps = [Step(f"{s.name} ({rep.name})", s.status, s.summary, s.data) for rep in parts for s in rep.steps]
        emit_report(report, fmt, reports)
        sys.exit(report.exit_code)
    result = check_fleet(fleet, est if cost_step else None)
    fleet_report = Report(command, spec_file=path, name=f"fleet {fleet.name}", fail_on=level)
    for info in list(REGISTRY) + list(FABRIC_CHECKS):
        fleet_report.rules.append(RuleInfo(info.check_id, info.title, info.doc, info.level, category="fleet"))
    for gate in ("total", "monthly", "unpriced"):
        fleet_report.rules.append(RuleInfo(f"fleet.budget.{gate}", f"The fleet's {gate} cost is within its budget",
                                           "The sum of the cells' cost (each priced like `ultraplan cost`) against "
                                           "the fleet file's budget; an unpriced item fails closed.", Level.ERROR,
                                           category="fleet"))
    from ..report import Entry

    for f in result.findings:
        fleet_report.entries.append(Entry(f, "fleet"))
    found = {f.check_id for f in result.findings if f.level >= Level.WARNING}
    fleet_report.passed = [r.id for r in fleet_report.rules if r.id not in found]
    errors = sum(1 for f in result.findings if f.level == Level.ERROR)
    fleet_report.steps.append(Step("limits", "failed" if errors else "ok",
                                   f"{len(result.checked)} limit(s) checked over {len(fleet.cells)} cell(s); {errors} "
                                   f"error(s); {len(result.dependencies)} stated increase(s) depended on"))
    if result.cost is not None:
        over = [n for n, g in result.cost.budget.items() if g["status"] == "over"]
        fleet_report.steps.append(Step("fleet-cost", "failed" if over else "ok",
                                       f"${result.cost.total_usd:,.2f} over the term (sum of {len(est)} cell(s))"
                                       + (f"; budget {', '.join(over)} over" if over else "")))
    fleet_report.extra["fleet"] = result.to_json()
    all_parts = parts + [fleet_report]
    report = merge(all_parts, command)
    report.name = f"fleet {fleet.name} ({len(fleet.cells)} cells)"
    report.steps = [Step(f"{s.name} ({rep.name})", s.status, s.summary, s.data) for rep in all_parts for s in rep.steps]
    report.extra["fleet"] = result.to_json()
    emit_report(report, fmt, reports)
    sys.exit(report.exit_code)
