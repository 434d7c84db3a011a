"""Compare two cost reports resource by resource, like an Infracost pull-request comment.

Both Plans are priced with the same catalog and the same `now`, so a delta is the change in what
would be deployed, never a change of prices or clock.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model import CostReport


@dataclass(frozen=True, slots=True)
class ResourceDelta:
    resource: str
    pool: str | None
    change: str  # added | removed | changed
    old_monthly_usd: float
    new_monthly_usd: float
    old_term_usd: float
    new_term_usd: float

    @property
    def monthly_delta_usd(self) -> float:
        return self.new_monthly_usd - self.old_monthly_usd

    @property
    def term_delta_usd(self) -> float:
        return self.new_term_usd - self.old_term_usd

    def to_json(self) -> dict[str, Any]:
        return {"resource": self.resource, "pool": self.pool, "change": self.change,
                "old_monthly_usd": self.old_monthly_usd, "new_monthly_usd": self.new_monthly_usd,
                "monthly_delta_usd": self.monthly_delta_usd, "old_term_usd": self.old_term_usd,
                "new_term_usd": self.new_term_usd, "term_delta_usd": self.term_delta_usd}


@dataclass(frozen=True)
class CostDiff:
    old: CostReport
    new: CostReport
    resources: tuple[ResourceDelta, ...]

    @property
    def monthly_delta_usd(self) -> float:
        return self.new.monthly_usd - self.old.monthly_usd

    @property
    def term_delta_usd(self) -> float:
        return self.new.total_usd - self.old.total_usd

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.new.currency,
            "old": {"plan": self.old.plan_name, "monthly_usd": self.old.monthly_usd, "term_usd": self.old.total_usd,
                    "term_months": self.old.term.months},
            "new": {"plan": self.new.plan_name, "monthly_usd": self.new.monthly_usd, "term_usd": self.new.total_usd,
                    "term_months": self.new.term.months},
            "monthly_delta_usd": self.monthly_delta_usd,
            "term_delta_usd": self.term_delta_usd,
            "resources": [r.to_json() for r in self.resources],
        }


def _per_resource(report: CostReport) -> dict[str, tuple[str | None, float, float]]:
    """resource -> (pool, monthly run rate at `now`, term cost); a resource may have several lines."""
    out: dict[str, tuple[str | None, float, float]] = {}
    for line in report.lines:
        pool, monthly, term = out.get(line.resource, (line.pool, 0.0, 0.0))
        out[line.resource] = (pool, monthly + (line.monthly_usd if line.active_now else 0.0), term + line.term_usd)
    return out


def diff_reports(old: CostReport, new: CostReport, *, tolerance_usd: float = 0.005) -> CostDiff:
    """Resources added, removed or changed in cost between `old` and `new` (biggest change first)."""
    before, after = _per_resource(old), _per_resource(new)
    deltas = []
    for name in before.keys() | after.keys():
        if name not in before:
            pool, m, t = after[name]
            deltas.append(ResourceDelta(name, pool, "added", 0.0, m, 0.0, t))
        elif name not in after:
            pool, m, t = before[name]
            deltas.append(ResourceDelta(name, pool, "removed", m, 0.0, t, 0.0))
        else:
            pool, m0, t0 = before[name]
            _, m1, t1 = after[name]
            if abs(m1 - m0) > tolerance_usd or abs(t1 - t0) > tolerance_usd:
                deltas.append(ResourceDelta(name, pool, "changed", m0, m1, t0, t1))
    deltas.sort(key=lambda d: (-abs(d.term_delta_usd), -abs(d.monthly_delta_usd), d.resource))
    return CostDiff(old, new, tuple(deltas))
