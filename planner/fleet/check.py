"""The fleet's own verdict: limits per cell, fabrics, and the fleet budget over the sum of the cells.

`check_fleet(fleet, estimates)` returns Findings (no printing) plus what the reports show besides
them: dependencies (stated quota increases the fleet waits on), the limits checked per cell, the
largest fabric each cell can hold, and the fleet cost (the sum of the cells' term totals, to the cent).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..findings import Finding, Level, Source
from .build import FleetPlan
from .fabrics import FABRIC_CHECKS, largest_fabric
from .limits import Dependency, cell_limits, context_for


def cents(usd: float) -> float:
    return round(usd + 0.0, 2)


@dataclass
class FleetCost:
    """The fleet's cost: each cell's term total and monthly run rate, and their sums (to the cent)."""

    cells: dict[str, dict[str, float]]
    total_usd: float
    monthly_usd: float
    peak_month: tuple[str, float] | None
    budget: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"cells": self.cells, "total_usd": self.total_usd, "monthly_usd": self.monthly_usd,
                "peak_month": {"month": self.peak_month[0], "usd": self.peak_month[1]} if self.peak_month else None,
                "budget": self.budget}


@dataclass
class FleetResult:
    findings: list[Finding]
    dependencies: list[Dependency]
    checked: list[dict[str, Any]]
    fabrics: dict[str, Any]
    cost: FleetCost | None

    @property
    def worst(self) -> Level | None:
        levels = [f.level for f in self.findings]
        return max(levels) if levels else None

    def to_json(self) -> dict[str, Any]:
        return {"findings": [f.to_json() for f in self.findings],
                "dependencies": [d.to_json() for d in self.dependencies],
                "limits": self.checked, "largest_fabric": self.fabrics,
                "cost": self.cost.to_json() if self.cost else None}


def fleet_cost(fleet: FleetPlan, estimates: dict[str, Any]) -> FleetCost:
    """Sum the cells' estimates (each an `ultraplan cost` CostReport) and gate the fleet's budget."""
    cells = {name: {"total_usd": cents(e.total_usd), "monthly_usd": cents(e.monthly_usd)} for name, e in estimates.items()}
    months: dict[str, float] = {}
    for e in estimates.values():
        for m in e.timeline:
            months[m.month] = months.get(m.month, 0.0) + m.usd
    peak = max(months.items(), key=lambda kv: kv[1]) if months else None
    total = cents(sum(c["total_usd"] for c in cells.values()))
    monthly = cents(sum(c["monthly_usd"] for c in cells.values()))
    budget: dict[str, Any] = {}
    b = fleet.doc.fleet.budget
    if b and b.total_usd is not None:
        budget["total"] = {"limit_usd": b.total_usd, "actual_usd": total, "status": _status(total, b.total_usd)}
    if b and b.monthly_usd is not None and peak:
        budget["monthly"] = {"limit_usd": b.monthly_usd, "actual_usd": cents(peak[1]), "at": peak[0],
                             "status": _status(peak[1], b.monthly_usd)}
    return FleetCost(cells, total, monthly, (peak[0], cents(peak[1])) if peak else None, budget)


def _status(actual: float, limit: float) -> str:
    return "over" if actual > limit else ("warning" if actual > 0.9 * limit else "ok")


def _budget_findings(fleet: FleetPlan, cost: FleetCost, unpriced: dict[str, int]) -> list[Finding]:
    out = []
    for name, gate in cost.budget.items():
        if gate["status"] == "ok":
            continue
        level = Level.ERROR if gate["status"] == "over" else Level.WARNING
        at = f" in {gate['at']}" if gate.get("at") else ""
        out.append(Finding(f"fleet.budget.{name}", level,
                           f"fleet {fleet.name}: {name} cost ${gate['actual_usd']:,.2f}{at} against the fleet budget "
                           f"${gate['limit_usd']:,.2f} ({gate['actual_usd'] / gate['limit_usd']:.0%})",
                           hint="shrink or move pools, change purchase options, or raise the fleet budget",
                           source=Source(fleet.doc.file, fleet.doc.line("budget", f"{name}_usd"))))
    if cost.budget and any(unpriced.values()):
        cells = ", ".join(f"{c} ({n})" for c, n in unpriced.items() if n)
        out.append(Finding("fleet.budget.unpriced", Level.ERROR,
                           f"fleet {fleet.name}: items without a price in cells {cells}: the fleet budget cannot be "
                           "checked (a total without them is too low)",
                           hint="price them in the fleet's rate card (`rates:`), labelled with its source",
                           source=Source(fleet.doc.file, fleet.doc.line("rates") or fleet.doc.line("budget"))))
    return out


def check_fleet(fleet: FleetPlan, estimates: dict[str, Any] | None = None) -> FleetResult:
    findings: list[Finding] = []
    deps: list[Dependency] = []
    checked: list[dict[str, Any]] = []
    fabrics: dict[str, Any] = {}
    for cp in fleet.cells:
        ctx = context_for(cp, fleet.doc)
        findings.extend(cell_limits(ctx))
        deps.extend(ctx.dependencies)
        checked.extend(ctx.checked)
        found = largest_fabric(ctx)
        if found is not None:
            fabrics[cp.name] = found
    for info in FABRIC_CHECKS:
        findings.extend(info.func(fleet))
    cost = None
    if estimates is not None:
        cost = fleet_cost(fleet, estimates)
        unpriced = {name: len(e.unpriced) for name, e in estimates.items()}
        findings.extend(_budget_findings(fleet, cost, unpriced))
    return FleetResult(findings, deps, checked, fabrics, cost)


_REQUEST = re.compile(r"--quota-code (\S+) --desired-value (\d+)")


def stated_increase(fleet: FleetPlan, cell: str, finding: Finding) -> Any | None:
    """The increase stated in the fleet file that covers a preflight quota error of `cell` (its hint
    is the `aws service-quotas request-service-quota-increase` command: same code, value at least
    the one to request), or None."""
    from .quotas import quota_key

    m = _REQUEST.search(finding.hint or "")
    if finding.level != Level.ERROR or m is None:
        return None
    code, wanted = m.group(1), int(m.group(2))
    key = quota_key(code)
    for inc in fleet.doc.fleet.quota_increases:
        if inc.cell == cell and (inc.quota == code or (key and quota_key(inc.quota) == key)) and inc.value >= wanted:
            return inc
    return None


def as_dependency(finding: Finding, inc: Any) -> Finding:
    """A preflight quota error the fleet already asked AWS to lift: reported as what the cell waits on."""
    from dataclasses import replace

    ref = f" ({inc.reference})" if inc.reference else ""
    return replace(finding, level=Level.INFO,
                   message=f"{finding.message}; depends on the increase to {inc.value:,} stated in the fleet file{ref}")
