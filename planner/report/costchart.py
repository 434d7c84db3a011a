"""The cost timeline as chart data: cost per month stacked by generation (or phase), the monthly budget,
the running total against the term budget. Plain JSON for the page's chart (ECharts draws it).

The months and their sums come from the cost model (`planner.cost.timeline`), split by generation and
by phase the same way the model sums them, so the stacks add up to the model's month totals.
"""
from __future__ import annotations

from typing import Any

from ..cost.model import CostReport
from ..cost.timeline import timeline


def _series_by(cost: CostReport, attr: str) -> list[dict[str, Any]]:
    groups: dict[str, list] = {}
    for line in cost.lines:
        groups.setdefault(getattr(line, attr) or "shared", []).append(line)
    totals = {name: sum(l.term_usd for l in lines) for name, lines in groups.items()}
    out = []
    for name in sorted(groups, key=lambda n: (-totals[n], n)):
        months, _ = timeline(groups[name], cost.term)
        out.append({"name": name, "usd": [round(m.usd, 2) for m in months], "term_usd": round(totals[name], 2)})
    return out


def chart_data(cost: CostReport, before: CostReport | None = None) -> dict[str, Any]:
    """Everything the cost chart draws, as JSON. `before`: the base Plan's estimate, for a diff."""
    budget = {g.name: g for g in cost.budget.gates}
    running, acc = [], 0.0
    for m in cost.timeline:
        acc += m.usd
        running.append(round(acc, 2))
    data: dict[str, Any] = {
        "months": [m.month for m in cost.timeline],
        "total_by_month": [round(m.usd, 2) for m in cost.timeline],
        "cumulative": running,
        "by": {"generation": _series_by(cost, "generation"), "phase": _series_by(cost, "phase")},
        "term": {"start": cost.term.start.isoformat(), "months": cost.term.months, "assumed": cost.term.assumed,
                 "total_usd": round(cost.total_usd, 2)},
        "monthly_usd": round(cost.monthly_usd, 2),
        "hourly_usd": round(cost.hourly_usd, 2),
        "budget": {"status": cost.budget.status, "configured": cost.budget.configured,
                   "monthly_usd": budget["monthly"].limit_usd if "monthly" in budget else None,
                   "total_usd": budget["total"].limit_usd if "total" in budget else None,
                   "messages": list(cost.budget.messages)},
        "unpriced": len(cost.unpriced),
        "secondary": cost.secondary_prices,
        "prices_as_of": cost.prices_as_of,
        "currency": cost.currency,
    }
    if before is not None:
        data["before"] = {"months": [m.month for m in before.timeline],
                          "total_by_month": [round(m.usd, 2) for m in before.timeline],
                          "total_usd": round(before.total_usd, 2), "monthly_usd": round(before.monthly_usd, 2)}
    return data
