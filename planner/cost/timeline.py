"""When things run: each pool's window, the term, and the month-by-month cost over the term.

A pool runs from `schedule.start` (default: the term's start) to `schedule.end` or start + `months`
(default: the term's end). A capacity block is paid for its own days only: from `capacity.start` for
`capacity.days` (or to `capacity.end`), whatever the schedule says. Lines that belong to no pool
(network, storage) run the whole term. Months are calendar months and hours are real hours
(days × 24), so a 14-day block costs exactly 336 block-hours; the run rate (`monthly_usd`) uses 730 h.
"""
from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, timedelta
from typing import Any, Iterable

from ..errors import SpecError, SpecIssue
from ..findings import Source
from .model import Line, MonthCost, Share, Term, Window
from ..records import pool_of


def parse_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def add_months(day: date, months: int) -> date:
    """The same day `months` later (clamped to the month's last day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _pool_path(index: int, *rest: str) -> str:
    return ".".join([f"compute[{index}]", *rest])


def pool_window(pool: Any, index: int) -> Window:
    """The days a pool is paid for (PoolRecord.window()); raises SpecError (with the pool's line) for
    dates out of order."""
    record = pool_of(pool)
    src = Source.from_json(record.source)
    run = record.window()

    def bad(path: str, message: str) -> SpecError:
        return SpecError([SpecIssue(path, message, src.line, src.file, rule="spec.cost.pool-window")])

    if record.capacity.block:
        if run.days is not None:
            return Window(days=run.days)  # a planned block: from the term's start
        if run.start and run.end and run.end <= run.start:
            raise bad(_pool_path(index, "capacity", "end"),
                      f"capacity block end {run.end} is not after its start {run.start}")
        return Window(run.start, run.end)
    start, end = run.start, run.end
    if end is None and run.months:
        if start is None:  # `months` from the term's start, resolved once the term is known
            return Window(None, None, run.months)
        end = add_months(start, run.months)
    if start and end and end <= start:
        raise bad(_pool_path(index, "end"), f"pool {record.name}: end {end} is not after start {start}")
    return Window(start, end)


def resolve(window: Window, term: Term) -> Window:
    if window.months is not None:
        return Window(term.start, add_months(term.start, window.months))
    if window.days is not None:
        return Window(term.start, term.start + timedelta(days=window.days))
    return window


def make_term(plan_budget: dict[str, Any] | None, windows: Iterable[Window], today: date) -> Term:
    """The term: from budget.start (or the earliest dated pool, or `today`) for budget.term_months
    (or up to the last dated pool end, at least 12 months, marked `assumed`)."""
    windows = list(windows)
    budget = plan_budget or {}
    starts = [w.start for w in windows if w.start]
    start = parse_date(budget.get("start")) or (min(starts) if starts else today)
    months = budget.get("term_months")
    if months:
        return Term(start, int(months), add_months(start, int(months)), assumed=False)
    ends = [w.end for w in windows if w.end]
    months = max(12, months_between(start, max(ends))) if ends else 12
    return Term(start, months, add_months(start, months), assumed=True)


def check_within_term(pools: list[dict[str, Any]], windows: list[Window], term: Term,
                      budget: dict[str, Any] | None) -> None:
    """A pool dated outside an explicit term is a spec error: the term would not pay for it."""
    if term.assumed:
        return
    bsrc = Source.from_json((budget or {}).get("source"))
    issues = []
    for pool, w in zip(pools, windows):
        psrc = Source.from_json(pool.get("source"))
        where = f"pool {pool.get('name')} (line {psrc.line})" if psrc.line else f"pool {pool.get('name')}"
        if w.start and w.start >= term.end:
            issues.append(SpecIssue(
                "budget.term_months",
                f"the term ({term.months} months from {term.start}) ends {term.end}, before {where} starts ({w.start})",
                bsrc.line, bsrc.file or psrc.file,
                f"raise term_months to more than {months_between(term.start, w.start)} or start the pool earlier",
                rule="spec.budget.term"))
        elif w.end and w.end > term.end:
            issues.append(SpecIssue(
                "budget.term_months",
                f"the term ({term.months} months from {term.start}) ends {term.end}, but {where} runs until {w.end}",
                bsrc.line, bsrc.file or psrc.file,
                f"raise term_months to at least {months_between(term.start, w.end)} or end the pool earlier",
                rule="spec.budget.term"))
        if w.start and w.start < term.start:
            issues.append(SpecIssue(
                "budget.start", f"the term starts {term.start}, but {where} starts {w.start}",
                bsrc.line, bsrc.file or psrc.file, "move budget.start earlier or the pool later", rule="spec.budget.term"))
    if issues:
        raise SpecError(issues)


def months_between(start: date, end: date) -> int:
    """The fewest whole months from `start` that reach `end` (0 when end <= start). Computed, not
    counted: a pool dated centuries out must not cost one loop turn a month."""
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    while months > 0 and add_months(start, months - 1) >= end:
        months -= 1
    while add_months(start, months) < end:
        months += 1
    return months


def check_dates(pools: list[dict[str, Any]], budget: dict[str, Any] | None, today: date) -> list[SpecIssue]:
    """Every date problem the timeline would raise, without pricing anything: windows out of order,
    pools outside an explicit term. The pipeline's `validate` runs it, so `validate` and `cost`
    agree on a spec's dates."""
    try:
        raw = [pool_window(p, i) for i, p in enumerate(pools)]
        term = make_term(budget, raw, today)
        check_within_term(pools, [resolve(w, term) for w in raw], term, budget)
    except SpecError as exc:
        return list(exc.issues)
    return []


def overlap_hours(a0: date, a1: date, b0: date, b1: date) -> float:
    days = (min(a1, b1) - max(a0, b0)).days
    return days * 24.0 if days > 0 else 0.0


def timeline(lines: list[Line], term: Term) -> tuple[list[MonthCost], dict[str | None, list[float]]]:
    """Cost per month of the term, plus cost per month per pool (None: no pool) for budget drivers.

    Lines are grouped by window first, so the work grows with the number of distinct windows (pools),
    not with the number of lines (thousands of UltraServer groups)."""
    rates: dict[Window, float] = defaultdict(float)
    pool_rates: dict[tuple[Window, str | None], float] = defaultdict(float)
    for line in lines:
        rates[line.window] += line.hourly_usd
        pool_rates[(line.window, line.pool)] += line.hourly_usd
    # Months run from the term start day (a term starting on the 15th has months 15th → 15th).
    bounds = [add_months(term.start, i) for i in range(term.months + 1)]
    months: list[MonthCost] = []
    per_pool: dict[str | None, list[float]] = {}
    hours_cache: dict[Window, list[float]] = {}
    for w in set(rates) | {w for w, _ in pool_rates}:
        ws, we = w.start or term.start, w.end or term.end
        hours_cache[w] = [overlap_hours(ws, we, bounds[i], bounds[i + 1]) for i in range(term.months)]
    for i in range(term.months):
        usd = sum(rate * hours_cache[w][i] for w, rate in rates.items())
        months.append(MonthCost(bounds[i].strftime("%Y-%m"), usd, (bounds[i + 1] - bounds[i]).days * 24.0))
    for (w, pool), rate in pool_rates.items():
        row = per_pool.setdefault(pool, [0.0] * term.months)
        for i, h in enumerate(hours_cache[w]):
            row[i] += rate * h
    return months, per_pool


def line_term_usd(line: Line, term: Term) -> float:
    ws, we = line.window.start or term.start, line.window.end or term.end
    return line.hourly_usd * overlap_hours(ws, we, term.start, term.end)


def shares(totals: dict[str, float], grand_total: float, unpriced: dict[str, int] | None = None) -> list[Share]:
    unpriced = unpriced or {}
    names = set(totals) | set(unpriced)
    items = sorted(((n, totals.get(n, 0.0)) for n in names), key=lambda kv: (-kv[1], kv[0]))
    return [Share(name, usd, usd / grand_total if grand_total else 0.0, unpriced.get(name, 0)) for name, usd in items]
