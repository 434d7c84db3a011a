"""Compile every cell of a fleet into its own Plan (its own stacks, Region and provider identity).

Cells are independent: each Plan is exactly what `ultraplan plan` gives for the cell's spec (with
the fleet's term and rate card filled in), plus `plan.cell` naming the fleet, the cell, the account
and the role its Pulumi provider assumes. Problems of every cell are raised together.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..errors import SpecError, SpecIssue
from ..findings import Finding
from .load import CellDoc, FleetDocument


@dataclass
class CellPlan:
    cd: CellDoc
    plan: Any  # planner.plan.Plan
    warnings: list[Finding] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.cd.cell.name

    @property
    def cell(self) -> Any:
        return self.cd.cell


@dataclass
class FleetPlan:
    doc: FleetDocument
    cells: list[CellPlan]

    @property
    def name(self) -> str:
        return self.doc.fleet.fleet

    def summary(self) -> dict[str, Any]:
        """Fleet totals: the sum of the cells' plan summaries."""
        keys = ("gpus", "instances", "ultraservers", "vcpus", "resources", "stacks", "nvlink_domains", "efa_interfaces")
        return {k: sum(int(c.plan.summary.get(k) or 0) for c in self.cells) for k in keys} | {"cells": len(self.cells)}


def stack_prefix(fleet: str, cell: str) -> str:
    """Pulumi stacks of a cell are <fleet>-<cell>-<shard>: their own names, so their own state."""
    return f"{fleet}-{cell}"


def fleet_budget(doc: FleetDocument) -> dict[str, Any]:
    """The budget a cell without its own is priced under: the fleet's term and rate card, no gate
    (the fleet's budget gates the sum of the cells)."""
    f = doc.fleet
    out: dict[str, Any] = {"monthly_usd": None, "total_usd": None}
    if f.term:
        out.update(start=f.term.start.isoformat(), term_months=f.term.months)
    if doc.rate_card is not None:
        out["rates"] = doc.rate_card.model_dump(mode="json", exclude_none=True)
    out["source"] = {"file": doc.file, "line": doc.line("term") or doc.line("rates")}
    return out


def plan_fleet(doc: FleetDocument, *, catalog: Any = None, shard_size: int | None = None,
               today: dt.date | None = None, now: dt.datetime | None = None, only: str | None = None,
               pins: dict[str, dict[str, int]] | None = None) -> FleetPlan:
    """Every cell's Plan (`only`: just that cell). `pins` (cell -> group or pool -> version) are
    applied over each cell's own `pins` (a rollout wave's state)."""
    from ..run.stages import date_issues, gc_paused, validate_document

    cells: list[CellPlan] = []
    issues: list[SpecIssue] = []
    with gc_paused():
        for cd in doc.cells:
            if only is not None and cd.cell.name != only:
                continue
            cell_pins = {**cd.cell.pins, **((pins or {}).get(cd.cell.name) or {})}
            try:
                result = validate_document(cd.doc, catalog=catalog, shard_size=shard_size, today=today, now=now,
                                           pins=cell_pins or None)
            except SpecError as exc:
                issues.extend(exc.issues)
                continue
            plan = result.plan
            if plan.budget is None and (doc.fleet.term or doc.rate_card is not None):
                plan.budget = fleet_budget(doc)
                from .. import clock

                found = date_issues(plan, today or (clock.utc(now) if now else clock.now()).date())
                if found:
                    issues.extend(found)
                    continue
            plan.cell = {"fleet": doc.fleet.fleet, "cell": cd.cell.name, "account": cd.cell.account,
                         "region": cd.cell.region, "stack_prefix": stack_prefix(doc.fleet.fleet, cd.cell.name),
                         **({"assume_role_arn": cd.cell.assume_role_arn} if cd.cell.assume_role_arn else {})}
            cells.append(CellPlan(cd, plan, result.warnings))
    if issues:
        raise SpecError(issues)
    return FleetPlan(doc, cells)
