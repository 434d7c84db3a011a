"""The stages of a run, each adding its steps and findings to one :class:`Run`: validate and plan,
the day-2 diff gate, cost, policy and preflight. Nothing here prints; `progress` is passed in."""
from __future__ import annotations

import importlib
from typing import Any, Callable

from ..errors import EXIT_INVALID, SpecError, UltraplanError, UsageError
from ..findings import Finding, Level, Source
from .rules import rule_info


def optional_module(name: str) -> Any | None:
    """A sibling module (cost, preflight) or None when it is not part of this installation."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            return None
        raise


def monthly_cost(plan: Any) -> float:
    """The cost module's run-rate estimate, handed to the policy runner (rules never import cost)."""
    from .. import cost

    return cost.estimate(plan).monthly_usd


class Run:
    """Accumulates the report of one run, and what later stages and the HTML page reuse."""

    def __init__(self, spec: str | None, fail_on: Level, command: str = "check") -> None:
        from ..report import Report

        self.report = Report(command, spec_file=spec, fail_on=fail_on)
        self.exit_override: int | None = None
        self.input_message: str | None = None
        self.estimate: Any = None
        self.cost_error: str | None = None  # why there is no estimate, as the HTML page says it

    def step(self, name: str, status: str, summary: str = "", data: dict[str, Any] | None = None) -> None:
        from ..report import Step

        self.report.steps.append(Step(name, status, summary, data))

    def add(self, finding: Finding, category: str, label: str | None = None) -> None:
        from ..report import Entry

        self.report.entries.append(Entry(finding, category, label))
        if self.report.rule(finding.check_id) is None:
            info = rule_info(finding.check_id, finding.level)
            if info is not None:
                self.report.rules.append(info)

    def input_error(self, step: str, exc: UltraplanError) -> None:
        """A Plan JSON or snapshot that cannot be used: a finding, so every report still says why."""
        self.add(Finding("input.invalid", Level.ERROR, str(exc), source=Source(self.report.spec_file, None)), "input")
        self.step(step, "failed", str(exc).splitlines()[0] if str(exc) else "invalid input")
        self.exit_override = exc.exit_code
        self.input_message = str(exc)

    def spec_error(self, step: str, exc: SpecError) -> None:
        """Every spec problem as a finding under its spec rule's id (docs/rules.md)."""
        from ..errors import with_excerpts
        from ..spec.rules import rule_id

        for issue in with_excerpts(exc.issues):
            where = f"{issue.path}: " if issue.path else ""
            self.add(Finding(rule_id(issue), Level.ERROR, where + issue.message, hint=issue.hint,
                             source=Source(issue.file or self.report.spec_file, issue.line, issue.column,
                                           issue.excerpt)), "spec")
        self.step(step, "failed", f"{len(exc.issues)} problem(s) in the spec")
        self.exit_override = EXIT_INVALID

    def skipped_rules(self, skipped: dict[str, str]) -> None:
        """Spec rules the spec skips, echoed like every skip (never silent)."""
        for rid, reason in skipped.items():
            self.report.skipped.append((rid, reason))
            if self.report.rule(rid) is None:
                info = rule_info(rid, Level.ERROR)
                if info is not None:
                    self.report.rules.append(info)


def plan_step(run: Run, spec: str | None, plan_path: str | None, previous: Any | None = None,
              shard_size: int | None = None) -> Any | None:
    """The pipeline's validate stage (planner.run.stages): the same verdict `ultraplan validate` gives."""
    from . import stages as pipeline
    from ..inputs import is_plan_file

    if plan_path or (spec and is_plan_file(spec)):
        from ..plan.model import load_plan

        path = plan_path or spec
        try:
            plan = load_plan(path)
        except UltraplanError as exc:
            run.input_error("plan", exc)
            return None
        run.report.spec_file = plan.spec_file or run.report.spec_file
        run.step("validate", "skipped", f"a Plan JSON was given ({path}); the spec was not re-validated")
        run.step("plan", "ok", f"read {path}: {sum(1 for _ in plan.resources())} resources in {len(plan.stacks)} stacks")
        return plan
    if not spec:
        raise UsageError("give a SPEC file, or --plan PLAN.json")
    try:
        result = pipeline.validate(spec, previous=previous, shard_size=shard_size)
    except SpecError as exc:
        run.spec_error("validate", exc)
        run.step("plan", "not-run", "the spec is invalid")
        return None
    doc, plan = result.doc, result.plan
    # validate's warning (no prices for the region: "could not price") is a finding here as in
    # `validate`; the cost step then prices every line as unpriced, the same warning verdict. What cost
    # could not price line by line (cost.unpriced) is the cost step's own verdict, not said twice.
    warnings = [w for w in result.warnings
                if w.check_id != "cost.unpriced" or optional_module("planner.cost") is None]
    for finding in warnings:
        run.add(finding, "cost")
    run.step("validate", "warning" if warnings else "ok",
             f"cluster '{doc.spec.name}' in {doc.spec.region}, {len(doc.spec.compute)} pool(s)"
             + "".join(f"; {w.message}" for w in warnings))
    run.skipped_rules(result.skipped)
    for finding in result.notes():
        run.add(finding, "plan")
    summary = plan.summary or {}
    from ..findings import counted

    def number(key: str, noun: str) -> str:
        value = summary.get(key)
        return counted(value, noun) if isinstance(value, int) else f"? {noun}s"

    run.step("plan", "ok", f"{counted(sum(1 for _ in plan.resources()), 'resource')} in "
                           f"{counted(len(plan.stacks), 'stack')}, {number('gpus', 'accelerator')}, "
                           f"{number('instances', 'instance')}")
    return plan


def diff_step(run: Run, plan: Any, before: Any, old: str) -> None:
    """The day-2 gate (planner/change/gate.py): what the change from the deployed Plan destroys or terminates."""
    from ..change.diff import diff
    from ..change.report import diff_json, totals_lines
    from ..change.gate import RULES, diff_findings
    from ..change.moves import state_moves
    from ..report import RuleInfo

    changes = diff(before, plan)
    moves = state_moves(changes, plan.name)
    for check_id, (title, help_text) in RULES.items():
        run.report.rules.append(RuleInfo(check_id, title, help_text, Level.ERROR if check_id in (
            "change.destroys-data", "change.terminates-capacity") else Level.WARNING, category="change"))
    findings = diff_findings(changes, moves, plan)
    for finding in findings:
        run.add(finding, "change")
    blocked = [f for f in findings if f.level == Level.ERROR]
    status = "failed" if blocked else ("warning" if any(f.level == Level.WARNING for f in findings) else "ok")
    summary = "; ".join(text for _, text in totals_lines(changes, moves)) or "no changes"
    run.step("diff", status, f"against {old}: {summary}")
    run.report.extra["diff"] = diff_json(plan.name, changes, moves, against=old)


def cost_step(run: Run, plan: Any) -> Callable[[Any], float] | None:
    """Estimate; budget `over` fails the gate. Returns the monthly figure for the policy runner."""
    cost = optional_module("planner.cost")
    if cost is None:
        run.step("cost", "not-run", "planner.cost is not installed")
        run.cost_error = "planner.cost is not installed"
        return None
    from . import stages as pipeline

    try:
        estimate = pipeline.cost_of(plan)
    except SpecError as exc:
        run.spec_error("cost", exc)
        run.cost_error = f"could not estimate cost: {exc}"
        return None
    except UltraplanError as exc:  # e.g. no prices for the region
        level = Level.ERROR if plan.budget else Level.WARNING  # fail closed when a budget depends on it
        run.add(Finding("cost.estimate", level, f"could not estimate cost: {exc}",
                        source=Source(plan.spec_file, (plan.budget or {}).get("source", {}).get("line"))), "cost")
        run.step("cost", "failed" if plan.budget else "warning", str(exc))
        run.cost_error = f"could not estimate cost: {exc}"
        return None
    run.estimate = estimate
    budget = estimate.budget
    _budget_findings(run, plan, budget)
    status = {"over": "failed", "warning": "warning"}.get(budget.status, "warning" if estimate.unpriced else "ok")
    unpriced = f"; could not price {len(estimate.unpriced)} item(s)" if estimate.unpriced else ""
    secondary = estimate.secondary_prices
    if secondary:
        n = sum(s["lines"] for s in secondary)
        unpriced += f"; {n} line(s) from a secondary source"
        run.add(Finding("cost.prices.secondary", Level.INFO,
                        f"secondary source: {n} line(s) priced from a third-party dataset derived from the AWS "
                        f"Price List API, not from AWS ({', '.join(s['item'] for s in secondary)})",
                        hint=f"run `ultraplan catalog refresh --prices --region {plan.region}` and name the file "
                             "in budget.prices", source=Source(plan.spec_file, None)), "cost")
    run.step("cost", status, f"${estimate.monthly_usd:,.0f}/month, ${estimate.hourly_usd:,.2f}/hour; "
                             f"budget {budget.status}{unpriced}",
             {"monthly_usd": estimate.monthly_usd, "hourly_usd": estimate.hourly_usd, "budget": budget.status})
    run.report.extra["cost"] = {"monthly_usd": estimate.monthly_usd, "hourly_usd": estimate.hourly_usd,
                                "total_usd": estimate.total_usd, "budget": budget.to_json(),
                                "secondary": secondary}
    return lambda _plan: estimate.monthly_usd


def _budget_findings(run: Run, plan: Any, budget: Any) -> None:
    """Each budget gate at warning or over, and the cost module's other notes, as findings."""
    for gate in budget.gates:
        if gate.status not in ("over", "warning"):
            continue
        text = next((m for m in budget.messages if m.startswith(f"{gate.name} budget")),
                    f"{gate.name} budget: estimate ${gate.actual_usd:,.0f} against ${gate.limit_usd:,.0f}")
        run.add(Finding(f"cost.budget.{gate.name}", Level.ERROR if gate.status == "over" else Level.WARNING, text,
                        hint="shrink or shorten pools, change capacity type, or raise the budget",
                        source=Source(gate.source.file or plan.spec_file, gate.source.line)), "cost")
    for message in budget.messages:
        if not any(message.startswith(f"{g.name} budget") for g in budget.gates):
            run.add(Finding("cost.budget.note", Level.WARNING if budget.configured else Level.INFO, message,
                            source=Source(plan.spec_file, None)), "cost")


def policy_step(run: Run, plan: Any, monthly: Callable[[Any], float] | None) -> None:
    from policies.report import fill_report

    from . import stages as pipeline

    try:
        result = pipeline.policies_of(plan, monthly_cost=monthly or monthly_cost)
    except SpecError as exc:
        run.spec_error("policy", exc)
        return
    fill_report(run.report, result)
    # A rule that crashed is a bug (exit 4, as `ultraplan policy` says), not a violation of the gate.
    crashed = [v for v in result.violations if v.unverified is not None and v.unverified.error == "internal"]
    mandatory = len([v for v in result.mandatory_violations if v not in crashed])
    advisory = len(result.violations) - len(crashed) - mandatory
    status = "failed" if mandatory else ("unverified" if crashed else ("warning" if advisory else "ok"))
    run.step("policy", status, f"{mandatory} mandatory, {advisory} advisory violation(s); "
                               f"{len(result.passed)} passed, {len(result.skipped)} skipped")


def accept_ids() -> list[str] | None:
    """The preflight check ids `--accept-unverified` may name (None without the preflight module)."""
    preflight = optional_module("planner.preflight")
    return preflight.REGISTRY.ids() if preflight is not None else None


def load_account(account_file: str | None) -> Any | None:
    """Read the account snapshot first, so a bad file stops the run before any work (exit 2)."""
    if not account_file:
        return None
    preflight = optional_module("planner.preflight")
    return preflight.load_snapshot(account_file) if preflight is not None else None


def preflight_step(run: Run, plan: Any, snapshot: Any | None, asked: bool, live: bool, dry_run: bool,
                   timeout: float | None = None, accept: dict[str, str] | None = None,
                   progress: Callable[[str], None] | None = None) -> None:
    if not asked and not live:
        run.step("preflight", "skipped", "no --account snapshot or --preflight (live AWS) given")
        return
    preflight = optional_module("planner.preflight")
    if preflight is None:
        run.step("preflight", "not-run", "planner.preflight is not installed")
        return
    from ..report import RuleInfo

    kwargs = {"timeout": timeout} if timeout is not None else {}
    account = snapshot if snapshot is not None else preflight.live_account(plan.region, **kwargs)
    result = preflight.run(plan, account, launch_dry_run=dry_run, progress=progress if live else None, accept=accept)
    for info in preflight.REGISTRY:
        run.report.rules.append(RuleInfo(info.check_id, info.title, info.doc, info.level, category="preflight"))
    for finding in result.findings:
        run.add(finding, "preflight")
    for check_id, reason in result.skipped.items():
        run.report.skipped.append((check_id, reason))
    run.report.accepted.update(result.accepted)
    run.report.internal_errors.extend(result.internal_errors)
    statuses = result.statuses()
    run.report.passed.extend(sorted(cid for cid, st in statuses.items() if st.value == "passed"))
    unverified = result.unverified()
    worst = result.worst
    status = "failed" if result.failed else ("warning" if worst == Level.WARNING else
                                             ("unverified" if result.unaccepted() else "ok"))
    summary = (f"{sum(1 for f in result.findings if f.unverified is None)} finding(s) from {len(result.checks)} checks, "
               f"{result.calls} calls ({result.account})")
    if unverified:
        summary += f"; {len(unverified)} check(s) unverified"
    if result.unreachable:
        summary += "; AWS could not be reached"
    run.step("preflight", status, summary)
