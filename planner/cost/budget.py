"""Budget gates: budget.monthly_usd against the most expensive calendar month of the term, and
budget.total_usd (a commitment) against the term total. Above 90 % of a limit is a warning; above
the limit the gate fails (`ultraplan cost` exits 1) and names the pools that drive the cost.

Fail closed: when some lines are unpriced, a gate that passes on the priced part is only a warning,
because the unknown part could break it.
"""
from __future__ import annotations

from typing import Any

from ..errors import SpecError, SpecIssue
from ..findings import Source
from .model import BudgetResult, Gate, MonthCost, Share

WARN_AT = 0.90  # share of a limit above which the gate warns


def check_budget_values(budget: dict[str, Any] | None) -> None:
    """The spec layer rejects these too; a hand-written Plan gets the same clear error here."""
    if not budget:
        return
    src = Source.from_json(budget.get("source"))
    issues = []
    for key in ("monthly_usd", "total_usd", "term_months"):
        value = budget.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            issues.append(SpecIssue(f"budget.{key}", f"must be a number greater than 0, got {value!r}",
                                    src.line, src.file, rule="spec.budget.amount"))
    if issues:
        raise SpecError(issues)


def _status(actual: float, limit: float) -> str:
    if actual > limit:
        return "over"
    if actual > WARN_AT * limit:
        return "warning"
    return "ok"


def _drivers(per_pool: dict[str, float], total: float, top: int = 3) -> tuple[Share, ...]:
    ranked = sorted(((k, v) for k, v in per_pool.items() if v > 0), key=lambda kv: (-kv[1], kv[0]))[:top]
    return tuple(Share(name, usd, usd / total if total else 0.0) for name, usd in ranked)


def evaluate(budget: dict[str, Any] | None, months: list[MonthCost], pool_months: dict[str, list[float]],
             term_total: float, unpriced: int) -> BudgetResult:
    """Compare the timeline with the budget. `pool_months` maps a pool name (or "shared") to its cost
    per month of the term, in the same order as `months`."""
    if not budget or (budget.get("monthly_usd") is None and budget.get("total_usd") is None):
        return BudgetResult("ok", messages=("no budget in the spec",), configured=False)
    src = Source.from_json(budget.get("source"))
    gates: list[Gate] = []
    messages: list[str] = []

    monthly = budget.get("monthly_usd")
    if monthly is not None and months:
        peak_i = max(range(len(months)), key=lambda i: months[i].usd)
        peak = months[peak_i]
        per_pool = {k: row[peak_i] for k, row in pool_months.items()}
        gate = Gate("monthly", float(monthly), peak.usd, _status(peak.usd, float(monthly)), peak.month,
                    _drivers(per_pool, peak.usd), src)
        gates.append(gate)
        messages.append(_message(gate, f"peak month {peak.month}"))

    total = budget.get("total_usd")
    if total is not None:
        per_pool = {k: sum(row) for k, row in pool_months.items()}
        gate = Gate("total", float(total), term_total, _status(term_total, float(total)), None,
                    _drivers(per_pool, term_total), src)
        gates.append(gate)
        messages.append(_message(gate, "term total"))

    order = {"ok": 0, "warning": 1, "over": 2}
    status = max((g.status for g in gates), key=order.__getitem__, default="ok")
    if unpriced:
        if status == "ok":
            status = "warning"
        messages.append(f"could not price {unpriced} item(s): the budget check covers priced lines only, "
                        "the real cost is higher")
    return BudgetResult(status, tuple(gates), tuple(messages), configured=True)


def _message(gate: Gate, what: str) -> str:
    pct = gate.used * 100
    text = f"{gate.name} budget: {what} ${gate.actual_usd:,.0f} is {pct:.1f} % of ${gate.limit_usd:,.0f}"
    if gate.status == "over":
        drivers = ", ".join(f"{d.name} ${d.usd:,.0f} ({d.share:.0%})" for d in gate.drivers)
        text += f": over by ${gate.over_by_usd:,.0f}; driven by {drivers}"
    elif gate.status == "warning":
        text += f" (above {WARN_AT:.0%})"
    return text
