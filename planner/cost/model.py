"""The cost report's data: lines, unpriced items, the term, the timeline and the budget result.

Plain frozen-ish dataclasses with `to_json()`; rendering lives in `render.py`, nothing here prints.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..catalog.prices import HOURS_PER_MONTH
from ..findings import Source

SHARED = "shared"  # generation/phase label of lines that belong to no pool (network, storage)
WHOLE_TERM = "whole term"


@dataclass(frozen=True, slots=True)
class Window:
    """When a line runs: [start, end) in days; None = from the term's start / to the term's end."""

    start: date | None = None
    end: date | None = None
    months: int | None = None  # `months` given without a start: counted from the term's start
    days: int | None = None  # a capacity block's `days` without a start: counted from the term's start

    def label(self) -> str:
        if self.start is None and self.end is None:
            return WHOLE_TERM
        start = self.start.isoformat() if self.start else "term start"
        end = self.end.isoformat() if self.end else "term end"
        return f"{start} → {end}"

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start.isoformat() if self.start else None,
                "end": self.end.isoformat() if self.end else None}


@dataclass(slots=True)
class Line:
    """One priced thing: `quantity` units of `unit` at `unit_price_usd` each per hour.

    Every line's unit is per hour (instance-hour, UltraServer-hour, GB-hour, gateway-hour, ...), so
    hourly_usd = quantity × unit_price_usd holds for every line; storage priced per GB-month is spread
    over 730 h, and `list_price` keeps the figure as AWS quotes it.
    """

    resource: str
    resource_type: str
    pool: str | None
    item: str
    market: str
    quantity: float
    unit: str
    unit_price_usd: float
    source: str
    as_of: str
    list_price: str
    window: Window = field(default_factory=Window)
    generation: str = SHARED
    phase: str = WHOLE_TERM
    spec_source: Source = field(default_factory=Source)
    note: str | None = None
    term_usd: float = 0.0
    active_now: bool = True
    price_basis: str = "list"  # list (the catalog's public price) | negotiated (a rate card's)
    stale: str | None = None  # why the list price is out of date (capacity-block rates re-set quarterly)
    secondary: bool = False  # priced from a third-party dataset (its source says "secondary source: ...")

    @property
    def hourly_usd(self) -> float:
        return self.quantity * self.unit_price_usd

    @property
    def monthly_usd(self) -> float:
        return self.hourly_usd * HOURS_PER_MONTH

    def to_json(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "type": self.resource_type,
            "pool": self.pool,
            "item": self.item,
            "market": self.market,
            "quantity": self.quantity,
            "unit": self.unit,
            "unit_price_usd": self.unit_price_usd,
            "hourly_usd": self.hourly_usd,
            "monthly_usd": self.monthly_usd,
            "term_usd": self.term_usd,
            "active_now": self.active_now,
            "runs": self.window.to_json(),
            "generation": self.generation,
            "phase": self.phase,
            "list_price": self.list_price,
            "price_basis": self.price_basis,
            "source": self.source,
            "stale": self.stale,
            "secondary": self.secondary,
            "as_of": self.as_of,
            "note": self.note,
            "spec_source": self.spec_source.to_json(),
        }


@dataclass(frozen=True, slots=True)
class Unpriced:
    """Something the Plan deploys that has a cost we do not know; never counted as zero."""

    resource: str
    resource_type: str
    pool: str | None
    item: str | None
    market: str | None
    quantity: float | None
    unit: str | None
    reason: str
    spec_source: Source = field(default_factory=Source)
    generation: str = SHARED
    phase: str = WHOLE_TERM

    def to_json(self) -> dict[str, Any]:
        return {"resource": self.resource, "type": self.resource_type, "pool": self.pool, "item": self.item,
                "market": self.market, "quantity": self.quantity, "unit": self.unit, "reason": self.reason,
                "generation": self.generation, "phase": self.phase, "spec_source": self.spec_source.to_json()}


@dataclass(frozen=True, slots=True)
class UsageCost:
    """A price that applies per use (GB processed): known, but the Plan cannot say how much use."""

    resource: str
    item: str
    unit: str
    unit_price_usd: float
    source: str
    note: str

    def to_json(self) -> dict[str, Any]:
        return {"resource": self.resource, "item": self.item, "unit": self.unit,
                "unit_price_usd": self.unit_price_usd, "source": self.source, "note": self.note}


@dataclass(frozen=True, slots=True)
class Term:
    start: date
    months: int
    end: date  # exclusive
    assumed: bool  # True when the Plan has no budget.term_months

    def to_json(self, total_usd: float) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "months": self.months,
                "assumed": self.assumed, "total_usd": total_usd}


@dataclass(frozen=True, slots=True)
class MonthCost:
    month: str  # YYYY-MM
    usd: float
    hours: float

    def to_json(self) -> dict[str, Any]:
        return {"month": self.month, "usd": self.usd}


@dataclass(frozen=True, slots=True)
class Share:
    name: str
    usd: float
    share: float  # of the term total, 0..1
    unpriced: int = 0  # unpriced items in this group: its true cost is higher than `usd`

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "usd": self.usd, "share": self.share, "unpriced": self.unpriced}


@dataclass(frozen=True, slots=True)
class Gate:
    """One budget gate (monthly or total) and how the estimate compares with it."""

    name: str  # monthly | total
    limit_usd: float
    actual_usd: float
    status: str  # ok | warning | over
    at: str | None  # the month of the peak, for the monthly gate
    drivers: tuple[Share, ...]
    source: Source = field(default_factory=Source)

    @property
    def used(self) -> float:
        return self.actual_usd / self.limit_usd

    @property
    def over_by_usd(self) -> float:
        return max(0.0, self.actual_usd - self.limit_usd)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "limit_usd": self.limit_usd, "actual_usd": self.actual_usd,
                "used_pct": round(self.used * 100, 2), "status": self.status, "over_by_usd": self.over_by_usd,
                "at": self.at, "drivers": [d.to_json() for d in self.drivers], "source": self.source.to_json()}


@dataclass(frozen=True, slots=True)
class BudgetResult:
    status: str  # ok | warning | over
    gates: tuple[Gate, ...] = ()
    messages: tuple[str, ...] = ()
    configured: bool = False

    def to_json(self) -> dict[str, Any]:
        named = {g.name: g.to_json() for g in self.gates}
        return {"status": self.status, "configured": self.configured, "monthly": named.get("monthly"),
                "total": named.get("total"), "messages": list(self.messages)}


@dataclass
class CostReport:
    plan_name: str
    region: str
    currency: str
    now: date
    term: Term
    lines: list[Line]
    unpriced: list[Unpriced]
    usage: list[UsageCost]
    free: dict[str, int]  # resource type -> count of resources that cost nothing
    timeline: list[MonthCost]
    budget: BudgetResult
    by_generation: list[Share]
    by_phase: list[Share]
    by_pool: list[Share]
    prices_as_of: str = ""
    price_files: tuple[str, ...] = ()
    coverage: dict[str, Any] = field(default_factory=dict)  # share of accelerator-hours priced
    rate_card: dict[str, Any] | None = None  # name, source of the negotiated prices used, if any

    @property
    def hourly_usd(self) -> float:
        """What the lines running at `now` cost per hour."""
        return sum(line.hourly_usd for line in self.lines if line.active_now)

    @property
    def monthly_usd(self) -> float:
        """Run rate at `now`: hourly × 730 h."""
        return self.hourly_usd * HOURS_PER_MONTH

    @property
    def total_usd(self) -> float:
        """Cost over the whole term (sum of the timeline)."""
        return sum(m.usd for m in self.timeline)

    @property
    def stale_prices(self) -> list[dict[str, Any]]:
        """Each distinct out-of-date list price the lines use, once, with why."""
        seen: dict[tuple[str, str], dict[str, Any]] = {}
        for line in self.lines:
            if line.stale and (line.item, line.market) not in seen:
                seen[(line.item, line.market)] = {"item": line.item, "market": line.market, "as_of": line.as_of,
                                                  "reason": line.stale}
        return list(seen.values())

    @property
    def secondary_prices(self) -> list[dict[str, Any]]:
        """Each distinct price taken from a secondary source (a third-party dataset), once, with how
        many lines use it: `catalog refresh --prices` replaces them with the Price List API's."""
        seen: dict[tuple[str, str], dict[str, Any]] = {}
        for line in self.lines:
            if line.secondary:
                entry = seen.setdefault((line.item, line.market), {"item": line.item, "market": line.market,
                                                                    "source": line.source, "as_of": line.as_of,
                                                                    "lines": 0})
                entry["lines"] += 1
        return list(seen.values())

    @property
    def peak_month(self) -> MonthCost | None:
        return max(self.timeline, key=lambda m: m.usd, default=None)

    def to_json(self) -> dict[str, Any]:
        peak = self.peak_month
        return {
            "plan": self.plan_name,
            "region": self.region,
            "currency": self.currency,
            "now": self.now.isoformat(),
            "hourly_usd": self.hourly_usd,
            "monthly_usd": self.monthly_usd,
            "peak_month": peak.to_json() if peak else None,
            "term": self.term.to_json(self.total_usd),
            "timeline": [m.to_json() for m in self.timeline],
            "breakdown": {"generation": [s.to_json() for s in self.by_generation],
                          "phase": [s.to_json() for s in self.by_phase],
                          "pool": [s.to_json() for s in self.by_pool]},
            "budget": self.budget.to_json(),
            "lines": [line.to_json() for line in self.lines],
            "unpriced": [u.to_json() for u in self.unpriced],
            "coverage": self.coverage,
            "usage_based": [u.to_json() for u in self.usage],
            "free": self.free,
            "prices": {"as_of": self.prices_as_of, "files": list(self.price_files), "stale": self.stale_prices,
                       "secondary": self.secondary_prices, "rate_card": self.rate_card},
        }
