"""The cost consumer: price a Plan (not the spec) over its term, with budget gates.

    report = planner.cost.estimate(plan)            # bundled price catalog
    report.hourly_usd, report.monthly_usd, report.total_usd, report.budget.status   # ok|warning|over
    report.to_json()

`estimate` reads what the compiler decided (resources, pool records, budget) and the price catalog;
it never imports the compiler or another consumer, and never prints. Unknown prices become explicit
`unpriced` entries, never zero. See docs/cost.md.
"""
from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import replace
from datetime import date

from planner import tokens as T

from ..catalog.prices import PriceBook, load_prices, stale_reason
from ..errors import SpecError, UsageError
from ..findings import Source
from ..spec.ratecard import RateCard, load_rate_card
from ..plan.model import Plan
from .budget import check_budget_values, evaluate
from .lines import PoolInfo, generation_of, price_plan
from .rates import Applier, check_savings_plans, parse_savings_plans
from .model import SHARED, WHOLE_TERM, BudgetResult, CostReport, Line, MonthCost, Unpriced, Window
from .timeline import (check_within_term, line_term_usd, make_term, overlap_hours, pool_window, resolve, shares,
                       timeline)

__all__ = ["estimate", "CostReport", "Line", "Unpriced", "BudgetResult", "MonthCost"]


def estimate(plan: Plan, prices: PriceBook | None = None, *, now: date | None = None,
             today: date | None = None, rates: RateCard | None = None) -> CostReport:
    """Price every resource of `plan` for its term.

    `now` is the day "hourly now" is measured at (default: the term's start); with no dated pool
    and no budget.start, the term starts at `now`, else at `today` (default: the planning clock's
    date, planner.clock).
    `rates` (a rate card) overrides list prices; default: the Plan's `budget.rates`, if any (a path
    is read relative to the spec). `budget.savings_plans` re-price the pools they cover.
    Raises SpecError for dates out of order or outside the term. A region without prices is not an
    error: every line it needs is unpriced, saying why ("could not price"), as `validate` and
    `check` report it too.
    """
    prices = prices if prices is not None else plan_prices(plan)
    check_budget_values(plan.budget)

    raw_windows = [pool_window(p, i) for i, p in enumerate(plan.pools)]
    if today is None:
        from .. import clock

        today = clock.today()
    term = make_term(plan.budget, raw_windows, now or today)
    windows = [resolve(w, term) for w in raw_windows]
    check_within_term(plan.pools, windows, term, plan.budget)
    at = now or term.start

    pools = {}
    for pool, raw, window in zip(plan.pools, raw_windows, windows):
        phase = WHOLE_TERM if raw == Window() else window.label()
        pools[pool["name"]] = PoolInfo(pool, window, generation_of(pool), phase)

    priced = price_plan(plan, prices, pools)
    card = rates if rates is not None else plan_rate_card(plan)
    plans = parse_savings_plans(plan.budget)
    if plans:
        check_savings_plans(plans, {p["name"]: p for p in plan.pools}, Source.from_json((plan.budget or {}).get("source")))
    if card is not None or plans:
        priced.lines, priced.unpriced = Applier(card, plans, pools, term).lines(priced.lines, priced.unpriced)
    clock = today
    for line in priced.lines:
        if line.price_basis == "list":
            line.stale = stale_reason(line.market, line.as_of, clock)
        line.term_usd = line_term_usd(line, term)
        start, end = line.window.start or term.start, line.window.end or term.end
        line.active_now = start <= at < end

    months, per_pool = timeline(priced.lines, term)
    pool_months = {(pool or SHARED): row for pool, row in per_pool.items()}
    total = sum(m.usd for m in months)
    budget = evaluate(plan.budget, months, pool_months, total, len(priced.unpriced))

    return CostReport(
        plan_name=plan.name, region=plan.region, currency=prices.currency, now=at, term=term,
        lines=priced.lines, unpriced=priced.unpriced, usage=priced.usage, free=priced.free,
        timeline=months, budget=budget, by_generation=_shares_by("generation", priced, total),
        by_phase=_shares_by("phase", priced, total), by_pool=_shares_by("pool", priced, total),
        prices_as_of=_as_of(priced.lines) or prices.as_of(plan.region), price_files=prices.files,
        rate_card=({"name": card.name, "source": card.source, "entries": len(card.rates)} if card else None),
        coverage=_coverage(plan.pools, windows, term, priced))


def _as_of(lines: list[Line]) -> str:
    """The newest date of the list prices the lines use (not of every entry the Region's files hold)."""
    return max((line.as_of for line in lines if line.price_basis == "list" and line.as_of), default="")


def plan_price_files(plan: Plan) -> list[str]:
    """The price files the Plan's `budget.prices` names, as paths (relative to the spec file)."""
    names = (plan.budget or {}).get("prices") or []
    base = os.path.dirname(os.path.abspath(plan.spec_file)) if plan.spec_file else os.getcwd()
    return [n if os.path.isabs(n) else os.path.join(base, n) for n in names]


def plan_prices(plan: Plan, extra_files: tuple[str, ...] = ()) -> PriceBook:
    """The bundled prices, then the spec's `budget.prices` files, then `extra_files` (`--prices`)."""
    from ..errors import InputFileError

    files = [*plan_price_files(plan), *extra_files]
    if not files:
        return load_prices()
    for path in plan_price_files(plan):
        if not os.path.isfile(path):
            src = Source.from_json((plan.budget or {}).get("source"))
            raise InputFileError(src.file or plan.spec_file or path, "budget.prices",
                                 f"price file {path} does not exist (write one with `ultraplan catalog refresh "
                                 f"--prices --region {plan.region} --out {path}`)")
    return load_prices(extra_files=tuple(files))


def plan_rate_card(plan: Plan) -> RateCard | None:
    """The rate card the Plan's budget names (a path relative to the spec file, or inline), or None."""
    ref = (plan.budget or {}).get("rates")
    if not ref:
        return None
    base = os.path.dirname(os.path.abspath(plan.spec_file)) if plan.spec_file else None
    src = Source.from_json((plan.budget or {}).get("source"))
    try:
        return load_rate_card(ref, base, field="budget.rates", file=src.file or plan.spec_file, line=src.line)
    except SpecError as exc:  # every problem of the card is one spec rule's (docs/rules.md)
        raise SpecError([replace(i, rule=i.rule or "spec.budget.rates") for i in exc.issues]) from None


def _coverage(pools: list[dict], windows: list[Window], term, priced) -> dict:
    """What share of the term's accelerator-hours is priced: a report with unpriced GPU pools says
    how much of the cluster its totals leave out."""
    unpriced_pools = {u.pool for u in priced.unpriced if u.resource_type == T.AUTOSCALING_GROUP}
    total = covered = 0.0
    for pool, window in zip(pools, windows):
        hours = overlap_hours(window.start or term.start, window.end or term.end, term.start, term.end)
        acc_hours = float(pool.get("gpus") or 0) * hours
        total += acc_hours
        if pool["name"] not in unpriced_pools:
            covered += acc_hours
    return {"accelerator_hours": total, "accelerator_hours_priced": covered,
            "priced_share": covered / total if total else 1.0,
            "unpriced_pools": sorted(p for p in unpriced_pools if p)}


def _shares_by(attr: str, priced, total: float):
    """Each generation's / phase's / pool's term cost and share, with its count of unpriced items."""
    usd: dict[str, float] = defaultdict(float)
    unpriced: dict[str, int] = defaultdict(int)
    for line in priced.lines:
        usd[getattr(line, attr) or SHARED] += line.term_usd
    for item in priced.unpriced:
        unpriced[getattr(item, attr) or SHARED] += 1
    return shares(usd, total, unpriced)
