"""`ultraplan check SPEC`: validate + plan + cost + policy (+ preflight) in one run, one report, one exit code.

Meant for CI: `ultraplan check cluster.yaml --sarif ultraplan.sarif --junit ultraplan.xml`.
Exit codes: 0 nothing at or above --fail-on; 1 the gate failed (a mandatory policy violation, a
preflight error, the budget exceeded); 2 the spec, its policy settings or the command line is
invalid (the report still lists the spec problems); 3 AWS could not be reached for preflight.
A step whose module is not installed is reported as not run, never as passed.
"""
from __future__ import annotations

import importlib
import sys
from typing import Any, Callable

import click

from ..errors import EXIT_INVALID, SpecError, UltraplanError, UsageError
from ..findings import Finding, Level, Source
from .common import now_option
from .policy_cmd import emit_report, report_options


def _module(name: str) -> Any | None:
    """A sibling module (cost, preflight) or None when it is not part of this installation."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            return None
        raise


# What `check` itself reports besides policies and preflight, described for SARIF and JUnit.
_OWN_RULES = {
    "spec.invalid": ("The spec is valid", "The spec loads and validates (`ultraplan validate`): every field is "
                     "known, typed and consistent with the catalog, and the `policies` settings name real policies "
                     "and settings.", "spec"),
    "cost.budget.monthly": ("The estimated monthly cost stays within budget.monthly_usd",
                            "planner.cost prices the Plan month by month; status over fails the gate, above 90 % "
                            "is a warning (docs/cost.md).", "cost"),
    "cost.budget.total": ("The estimated term total stays within budget.total_usd",
                          "planner.cost sums the timeline over the term; status over fails the gate, above 90 % "
                          "is a warning (docs/cost.md).", "cost"),
    "cost.budget.note": ("Budget notes", "What limits the budget check, e.g. items without a known price.", "cost"),
    "cost.estimate": ("The cost can be estimated", "planner.cost has prices for the Plan's region and dates; "
                      "without them a configured budget fails closed.", "cost"),
    "plan.note": ("Compiler notes", "What the compiler decided that a reviewer should know: catalog facts not "
                  "confirmed by a primary source, default images, capacity blocks not bought yet.", "plan"),
    "input.invalid": ("The input files can be read", "The Plan JSON or account snapshot given on the command "
                      "line exists and has the expected shape.", "input"),
}


class _Run:
    """Accumulates the report of one `check` run."""

    def __init__(self, spec: str | None, fail_on: Level) -> None:
        from ..report import Report

        self.report = Report("check", spec_file=spec, fail_on=fail_on)
        self.exit_override: int | None = None
        self.input_message: str | None = None

    def step(self, name: str, status: str, summary: str = "", data: dict[str, Any] | None = None) -> None:
        from ..report import Step

        self.report.steps.append(Step(name, status, summary, data))

    def add(self, finding: Finding, category: str, label: str | None = None) -> None:
        from ..report import Entry, RuleInfo

        self.report.entries.append(Entry(finding, category, label))
        own = _OWN_RULES.get(finding.check_id)
        if own and self.report.rule(finding.check_id) is None:
            title, help_text, cat = own
            self.report.rules.append(RuleInfo(finding.check_id, title, help_text, finding.level, category=cat))

    def input_error(self, step: str, exc: UltraplanError) -> None:
        """A Plan JSON or snapshot that cannot be used: a finding, so every report still says why."""
        self.add(Finding("input.invalid", Level.ERROR, str(exc), source=Source(self.report.spec_file, None)), "input")
        self.step(step, "failed", str(exc).splitlines()[0] if str(exc) else "invalid input")
        self.exit_override = exc.exit_code
        self.input_message = str(exc)

    def spec_error(self, step: str, exc: SpecError) -> None:
        from ..errors import with_excerpts

        for issue in with_excerpts(exc.issues):
            where = f"{issue.path}: " if issue.path else ""
            self.add(Finding("spec.invalid", Level.ERROR, where + issue.message, hint=issue.hint,
                             source=Source(issue.file or self.report.spec_file, issue.line, issue.column,
                                           issue.excerpt)), "spec")
        self.step(step, "failed", f"{len(exc.issues)} problem(s) in the spec")
        self.exit_override = EXIT_INVALID


def _plan_step(run: _Run, spec: str | None, plan_file: str | None, previous: Any | None = None,
               shard_size: int | None = None) -> Any | None:
    """The pipeline's validate stage (planner.pipeline): the same verdict `ultraplan validate` gives."""
    from .. import pipeline
    from ..inputs import is_plan_file

    if plan_file or (spec and is_plan_file(spec)):
        from ..plan import load_plan

        path = plan_file or spec
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
    # `validate`; the cost step then prices every line as unpriced, the same warning verdict.
    run.step("validate", "warning" if result.warnings else "ok",
             f"cluster '{doc.spec.name}' in {doc.spec.region}, {len(doc.spec.compute)} pool(s)"
             + "".join(f"; {w.message}" for w in result.warnings))
    for finding in result.warnings:
        run.add(finding, "cost")
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


def _diff_step(run: _Run, plan: Any, before: Any, old: str) -> None:
    """The day-2 gate (planner/gate.py): what the change from the deployed Plan destroys or terminates."""
    from ..diff import diff
    from ..diffreport import diff_json, totals_lines
    from ..gate import RULES, diff_findings
    from ..moves import state_moves
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


def _cost_step(run: _Run, plan: Any) -> Callable[[Any], float] | None:
    """Estimate; budget `over` fails the gate. Returns the monthly figure for the policy runner."""
    cost = _module("planner.cost")
    if cost is None:
        run.step("cost", "not-run", "planner.cost is not installed")
        return None
    from .. import pipeline

    try:
        estimate = pipeline.cost_of(plan)
    except SpecError as exc:
        run.spec_error("cost", exc)
        return None
    except UltraplanError as exc:  # e.g. no prices for the region
        level = Level.ERROR if plan.budget else Level.WARNING  # fail closed when a budget depends on it
        run.add(Finding("cost.estimate", level, f"could not estimate cost: {exc}",
                        source=Source(plan.spec_file, (plan.budget or {}).get("source", {}).get("line"))), "cost")
        run.step("cost", "failed" if plan.budget else "warning", str(exc))
        return None
    budget = estimate.budget
    _budget_findings(run, plan, budget)
    status = {"over": "failed", "warning": "warning"}.get(budget.status, "warning" if estimate.unpriced else "ok")
    unpriced = f"; could not price {len(estimate.unpriced)} item(s)" if estimate.unpriced else ""
    run.step("cost", status, f"${estimate.monthly_usd:,.0f}/month, ${estimate.hourly_usd:,.2f}/hour; "
                             f"budget {budget.status}{unpriced}",
             {"monthly_usd": estimate.monthly_usd, "hourly_usd": estimate.hourly_usd, "budget": budget.status})
    run.report.extra["cost"] = {"monthly_usd": estimate.monthly_usd, "hourly_usd": estimate.hourly_usd,
                                "total_usd": estimate.total_usd, "budget": budget.to_json()}
    return lambda _plan: estimate.monthly_usd


def _budget_findings(run: _Run, plan: Any, budget: Any) -> None:
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


def _policy_step(run: _Run, plan: Any, monthly: Callable[[Any], float] | None) -> None:
    from policies.report import fill_report

    from .. import pipeline
    from .policy_cmd import monthly_cost

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


def _accept_ids() -> list[str] | None:
    preflight = _module("planner.preflight")
    return preflight.REGISTRY.ids() if preflight is not None else None


def _snapshot(account_file: str | None) -> Any | None:
    """Read the account snapshot first, so a bad file stops the run before any work (exit 2)."""
    if not account_file:
        return None
    preflight = _module("planner.preflight")
    return preflight.load_snapshot(account_file) if preflight is not None else None


def _preflight_step(run: _Run, plan: Any, snapshot: Any | None, asked: bool, live: bool, dry_run: bool,
                    timeout: float | None = None, accept: dict[str, str] | None = None) -> None:
    if not asked and not live:
        run.step("preflight", "skipped", "no --account snapshot or --preflight (live AWS) given")
        return
    preflight = _module("planner.preflight")
    if preflight is None:
        run.step("preflight", "not-run", "planner.preflight is not installed")
        return
    from ..report import RuleInfo

    kwargs = {"timeout": timeout} if timeout is not None else {}
    account = snapshot if snapshot is not None else preflight.live_account(plan.region, **kwargs)
    progress = (lambda msg: click.echo(msg, err=True)) if live else None
    result = preflight.run(plan, account, launch_dry_run=dry_run, progress=progress, accept=accept)
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


@click.command()
@click.argument("specs", nargs=-1, type=click.Path(), metavar="[SPEC|FOLDER]...")
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False),
              help="Check a Plan JSON (from `ultraplan plan --out`, possibly edited) instead of compiling SPEC.")
@click.option("--account", "account_file", type=click.Path(dir_okay=False),
              help="Run preflight against an account snapshot (`ultraplan account snapshot`).")
@click.option("--preflight", "live", is_flag=True, help="Run preflight against the live account (read-only; needs credentials).")
@click.option("--launch-dry-run", is_flag=True, help="With preflight: also dry-run one launch per pool.")
@click.option("--html", "html_out", type=click.Path(dir_okay=False),
              help="Also write the HTML report here (as `ultraplan report`: topology, cost chart, findings).")
@click.option("--diff", "old", type=click.Path(dir_okay=False),
              help="The Plan JSON deployed now: fail when the change destroys data or terminates running capacity "
                   "that the spec's changes.allow_replace does not allow; its subnets keep their CIDRs.")
@click.option("--timeout", type=click.FloatRange(min=0.1, max=3600), default=None,
              help="With --preflight: overall deadline in seconds (default 120); what is left then is unverified.")
@click.option("--accept-unverified", "accepts", multiple=True, metavar="ID=REASON",
              help="Accept that check ID could not verify (it is still reported as unverified, never as "
                   "passed, but does not exit 3). Repeatable.")
@click.option("--shard-size", type=click.IntRange(1, 100_000), default=None,
              help="Most resources in one compute stack, as `plan --shard-size` (default 500): the policies and "
                   "the diff gate see the stacks `pulumi up` will.")
@report_options
@now_option()
def check(specs: tuple[str, ...], plan_file: str | None, account_file: str | None, live: bool, launch_dry_run: bool,
          html_out: str | None, old: str | None, timeout: float | None, accepts: tuple[str, ...],
          shard_size: int | None, fmt: str, fail_on: str, sarif_out: str | None, junit_out: str | None,
          markdown_out: str | None, json_out: str | None) -> None:
    """Validate, plan, price, policy-check (and preflight) SPEC in one run: one report, one exit code.

    SPEC may be several files or a folder (every .yaml/.yml under it): one report for all of them,
    the worst exit code. Exit 0 when nothing reaches --fail-on; 1 a gate failed (mandatory policy
    violation, preflight error, budget over, with --diff a change that destroys data or terminates
    running capacity not allowed by changes.allow_replace); 2 invalid spec, settings or options; 3 a
    preflight check could not verify (denied, throttled, unreachable, deadline) and was not accepted;
    4 an internal error (a bug).
    """
    from ..findings import parse_accepts
    from ..report.merge import merge
    from .common import check_distinct_outputs, expand_specs, worst_exit

    accept = parse_accepts(accepts, _accept_ids())
    from . import fleet_cmd

    fleet = fleet_cmd.fleet_target(specs)
    if fleet:
        if plan_file or account_file or live or old or html_out or launch_dry_run:
            raise UsageError("a fleet is checked cell by cell against each cell's account_snapshot: drop --plan, "
                             "--account, --preflight, --diff, --html and --launch-dry-run")
        return fleet_cmd.check(fleet, fmt, fail_on, {"sarif": sarif_out, "junit": junit_out,
                                                     "markdown": markdown_out, "json": json_out})
    check_distinct_outputs({"--sarif": sarif_out, "--junit": junit_out, "--markdown": markdown_out,
                            "--json": json_out, "--html": html_out})  # before any work or any write
    files: list[str | None] = list(expand_specs(specs)) if specs else [None]
    if plan_file and specs:
        raise UsageError("give SPEC files or --plan PLAN.json, not both")
    if html_out and len(files) > 1:
        raise UsageError("--html writes the report of one spec: give one SPEC, or run `ultraplan report` on each")
    reports = {"sarif": sarif_out, "junit": junit_out, "markdown": markdown_out, "json": json_out}
    try:
        snapshot = _snapshot(account_file)
    except UltraplanError as exc:  # the reports still say why the run stopped
        run = _Run(files[0], Level.parse(fail_on))
        run.input_error("preflight", exc)
        for name in ("validate", "plan", "cost", "policy"):
            run.step(name, "not-run", "the account snapshot cannot be used")
        emit_report(run.report, fmt, reports)
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    before = None
    if old:
        from ..plan import load_plan

        if len(files) > 1:
            raise UsageError("--diff compares one cluster with its deployed Plan: give one SPEC (or --plan)")
        before = load_plan(old)  # a bad file stops the run before any work (exit 2)
    runs = [_check_one(spec, plan_file, snapshot, account_file, live, launch_dry_run, Level.parse(fail_on), html_out,
                       before, old, timeout, accept, shard_size)
            for spec in files]
    report = merge([r for r, _, _ in runs], "check")
    emit_report(report, fmt, reports)
    code = worst_exit([c for _, c, _ in runs])
    messages = [m for _, _, m in runs if m]
    for message in messages:
        click.echo(f"error: {message}", err=True)
    if code == EXIT_INVALID and not messages:
        click.echo("error: the spec or its policy settings are invalid (see the report above)", err=True)
    sys.exit(code)


def _check_one(spec: str | None, plan_file: str | None, snapshot: Any | None, account_file: str | None, live: bool,
               launch_dry_run: bool, fail_on: Level, html_out: str | None = None, before: Any | None = None,
               old: str | None = None, timeout: float | None = None,
               accept: dict[str, str] | None = None, shard_size: int | None = None) -> tuple[Any, int, str | None]:
    """One spec through every step (with `before`, the deployed Plan, the diff gate): its report, its
    exit code and why it stopped on bad input."""
    run = _Run(spec, fail_on)
    plan = _plan_step(run, spec, plan_file, before, shard_size)
    if plan is not None:
        run.report.name = plan.name
        run.report.spec_file = run.report.spec_file or plan.spec_file
        if before is not None:
            _diff_step(run, plan, before, old)
        monthly = _cost_step(run, plan)
        _policy_step(run, plan, monthly)
        if run.exit_override is None:
            _preflight_step(run, plan, snapshot, bool(account_file), live, launch_dry_run, timeout, accept)
    for name in ("validate", "plan") + ("diff",) * bool(old) + ("cost", "policy", "preflight"):
        if not any(s.name == name for s in run.report.steps):
            run.step(name, "not-run", "an earlier step failed")
    if html_out:
        from .report_cmd import write_reports

        write_reports(run.report, plan, html_out=html_out)
    return run.report, run.exit_override if run.exit_override is not None else run.report.exit_code, run.input_message
