"""The one pipeline every command runs: validate -> plan -> cost -> policy (-> preflight).

`validate` is every check that needs only the spec and the catalog, so that `ultraplan validate`
(and the pre-commit hook that runs it) gives the verdict `plan`, `cost`, `policy` and `check` give:

1. the spec's shape and meaning (`planner.spec.load`: fields, catalog, dates, capacity rules);
2. the compile itself (subnet fitting, CIDR allocation, generated names): it is pure and fast, and
   the only way to know a pool fits is to fit it;
3. the spec's `policies` settings (unknown policy ids, bad config values), read as the pack reads them;
4. the dates the cost timeline needs (pools outside an explicit budget term);
5. price availability for the region: a warning, because a spec without a budget is still valid.

`compile_spec` (what every command calls) is `validate(...).plan`, so no command can accept a spec
another rejects. Consumers stay separate: `cost_of` and `policies_of` take the Plan.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import gc
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from ..errors import SpecError, SpecIssue, UltraplanError
from ..findings import Finding, Level, Source


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection during a stage. Each stage allocates tens of thousands of small
    dicts and lists that live until it ends (Plan resources, views, cost lines) and makes almost no
    cycles, so the collector's generation scans during it are pure overhead (bench/scale_bench.py
    measures the difference); the collector runs as usual between stages."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class Validated:
    """A spec that passed every spec-only check: its document, its Plan and the warnings."""

    doc: Any  # planner.spec.load.SpecDocument
    plan: Any  # planner.plan.model.Plan
    warnings: list[Finding] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # spec rules the spec skips: id -> reason

    def notes(self) -> list[Finding]:
        """The compiler's notes (unconfirmed catalog facts, default images, planned blocks) as Findings."""
        return plan_notes(self.plan)


def validate(path: str, *, catalog: Any = None, shard_size: int | None = None,
             today: dt.date | None = None, previous: Any = None, now: dt.datetime | None = None,
             pins: dict[str, int] | None = None) -> Validated:
    """Load, validate and compile the spec at `path`; SpecError with every problem found. `now`:
    the planning clock (default: planner.clock); `today` only moves the date checks."""
    from ..spec.load import load_spec

    with gc_paused():
        doc = load_spec(path, catalog)
        return validate_document(doc, catalog=catalog, shard_size=shard_size, today=today, previous=previous, now=now,
                                 pins=pins)


def validate_document(doc: Any, *, catalog: Any = None, shard_size: int | None = None,
                      today: dt.date | None = None, previous: Any = None, now: dt.datetime | None = None,
                      pins: dict[str, int] | None = None) -> Validated:
    """The spec-only checks after loading (see the module docstring); SpecError if any fails."""
    from .. import clock
    from ..compile import DEFAULT_SHARD_SIZE, compile_plan

    plan = compile_plan(doc, catalog, shard_size=shard_size or DEFAULT_SHARD_SIZE, previous=previous, now=now,
                        pins=pins)
    issues = (policy_settings_issues(plan) + date_issues(plan, today or (clock.utc(now) if now else clock.now()).date())
              + [_at_its_line(i, doc) for i in budget_file_issues(plan)])
    if issues:
        raise SpecError(issues)
    from ..spec.load import skipped_rules

    return Validated(doc, plan, price_warnings(plan), skipped_rules(doc.spec))


def policy_settings_issues(plan: Any) -> list[SpecIssue]:
    """The spec's `policies` section as the pack reads it: unknown ids, bad config, empty reasons."""
    try:
        from policies.config import resolve
        from policies.registry import load_rules
    except ModuleNotFoundError:  # the pack is not part of this installation: nothing to check against
        return []
    try:
        resolve(plan.policies, load_rules(), spec_file=plan.spec_file)
    except SpecError as exc:
        return list(exc.issues)
    return []


def date_issues(plan: Any, today: dt.date) -> list[SpecIssue]:
    """Pool windows against the budget term, as the cost timeline will read them."""
    from ..cost.timeline import check_dates

    return check_dates(plan.pools, plan.budget, today)


def budget_file_issues(plan: Any) -> list[SpecIssue]:
    """What `cost` reads besides the prices, read as `cost` reads it: the rate card `budget.rates`
    names (it must exist and parse) and `budget.savings_plans` (on-demand pools of this spec, one
    commitment per pool at a time), so `validate` refuses what `cost` and `check` would."""
    from ..cost import plan_rate_card
    from ..cost.rates import check_savings_plans, parse_savings_plans
    from ..findings import Source

    issues: list[SpecIssue] = []
    try:
        plan_rate_card(plan)
    except SpecError as exc:
        issues += exc.issues
    plans = parse_savings_plans(plan.budget)
    if plans:
        try:
            check_savings_plans(plans, {p["name"]: p for p in plan.pools},
                                Source.from_json((plan.budget or {}).get("source")))
        except SpecError as exc:
            issues += exc.issues
    return issues


def _at_its_line(issue: SpecIssue, doc: Any) -> SpecIssue:
    """The issue at the line of the field it names (the cost module knows only the budget's line)."""
    import re

    from ..spec.yamlload import line_of

    path = tuple(int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", issue.path))
    line = line_of(getattr(doc, "lines", {}) or {}, path) if issue.file in (None, getattr(doc, "file", None)) else None
    return SpecIssue(issue.path, issue.message, line or issue.line, issue.file, issue.hint, rule=issue.rule) if line else issue


def price_warnings(plan: Any) -> list[Finding]:
    """What `cost` could not price, as `cost` and `check` report it: one "could not price" warning
    (a Region without a price file, or lines no price file covers), never an error here; the cost
    step fails closed when a budget depends on it."""
    try:
        from ..catalog.prices import has_region
        from ..cost import plan_prices

        prices = plan_prices(plan)  # the bundled files and the spec's budget.prices
    except (ImportError, OSError, ValueError) as exc:
        return [Finding("cost.prices", Level.WARNING, f"the prices could not be read: {exc}",
                        source=Source(plan.spec_file, None))]
    level_note = "the budget cannot be checked" if plan.budget else "`ultraplan cost` cannot price it"
    line = (plan.budget or {}).get("source", {}).get("line") if plan.budget else None
    if not has_region(prices, plan.region):
        have = ", ".join(prices.region_names()) or "none"
        return [Finding("cost.prices", Level.WARNING,
                        f"could not price: no prices for region {plan.region} (price files cover: {have}): "
                        f"{level_note}",
                        hint=f"run `ultraplan catalog refresh --prices --region {plan.region}`",
                        source=Source(plan.spec_file, line))]
    try:
        unpriced = cost_of(plan, prices).unpriced
    except UltraplanError:  # the cost step reports its own error, with its exit code
        return []
    if not unpriced:
        return []
    items = sorted({u.item or u.resource_type for u in unpriced})
    shown = ", ".join(items[:4]) + (f" and {len(items) - 4} more" if len(items) > 4 else "")
    budget_note = "; the budget is checked over the priced lines only" if plan.budget else ""
    return [Finding("cost.unpriced", Level.WARNING,
                    f"could not price {len(unpriced)} item(s) in {plan.region} ({shown}): not in any "
                    f"total{budget_note}",
                    hint="`ultraplan cost` lists each with its reason; `ultraplan catalog refresh --prices "
                         f"--region {plan.region}` fetches what the AWS Price List API prices (name its file in budget.prices)",
                    source=Source(plan.spec_file, line))]


def plan_notes(plan: Any) -> list[Finding]:
    out = []
    for note in plan.notes or []:
        level = {"warning": Level.WARNING, "error": Level.ERROR}.get(note.get("level"), Level.INFO)
        out.append(Finding("plan.note", level, note.get("message", ""), pool=note.get("pool"),
                           source=Source.from_json(note.get("source")) if note.get("source") else
                           Source(plan.spec_file, None)))
    return out


def cost_of(plan: Any, prices: Any = None, *, now: dt.date | None = None, today: dt.date | None = None) -> Any:
    """The cost stage: `planner.cost.estimate` over the Plan (SpecError/UsageError as it raises them);
    `today` defaults to the planning clock's date."""
    from .. import clock
    from ..cost import estimate

    with gc_paused():
        return estimate(plan, prices, now=now, today=today or clock.today())


def policies_of(plan: Any, monthly_cost: Callable[[Any], float] | None = None) -> Any:
    """The policy stage: the pack over the Plan, offline."""
    from policies.runner import run_policies

    with gc_paused():
        return run_policies(plan, monthly_cost=monthly_cost)
