"""The run as a library: validate -> plan -> (diff gate) -> cost -> policy -> preflight, one typed
result. Every command that runs the pipeline (`check`, `report`), the HTML report and bench/ call
:func:`check`; the CLI only parses arguments and prints what it returns (as cfn-lint's `api.lint`).

    from planner.run import check
    result = check("examples/p5-on-demand-fsx.yaml", account="snapshot.json")
    result.exit_code, result.report.entries, result.plan, result.estimate

Nothing here prints: progress (live preflight) goes to the `progress` callable given.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from ..findings import Level
from .steps import Run, accept_ids, load_account, monthly_cost, optional_module

if TYPE_CHECKING:  # the types only: importing them here would load the cost module and the report formats
    from ..cost.model import CostReport
    from ..plan.model import Plan
    from ..report import Report

STEPS = ("validate", "plan", "diff", "cost", "policy", "preflight")


@dataclass
class RunResult:
    """What one run of one spec produced: the report every format renders, the Plan and the cost
    estimate (None when the run stopped before them), why there is no estimate, and the exit code."""

    report: "Report"
    plan: "Plan | None" = None
    estimate: "CostReport | None" = None
    cost_error: str | None = None
    exit_override: int | None = None  # invalid input (2) decides the exit code whatever the findings
    input_message: str | None = None  # why the run stopped on a bad input file

    @property
    def exit_code(self) -> int:
        return self.exit_override if self.exit_override is not None else self.report.exit_code


def check(spec: str | None = None, *, plan_path: str | None = None, previous: Any = None,
          diff_against: str | None = None, account: Any = None, account_asked: bool = False, live: bool = False,
          launch_dry_run: bool = False, timeout: float | None = None, accept: dict[str, str] | None = None,
          fail_on: Level = Level.ERROR, command: str = "check", now: Any = None, shard_size: int | None = None,
          progress: Callable[[str], None] | None = None, mark_not_run: bool = True) -> RunResult:
    """One spec (or a Plan JSON, `plan_path`) through every stage into one report.

    `previous` is the deployed Plan: the spec compiles against it (subnets keep their CIDRs) and,
    with `diff_against` (its label, e.g. the file name), the day-2 gate runs. `account` is an
    account snapshot already loaded (:func:`load_account`); `account_asked` says the user asked for
    preflight against one, `live` for preflight against AWS. `now` (a datetime or ISO text) is the
    planning clock for the whole run (default: planner.clock: --now, ULTRAPLAN_NOW or the system
    clock). A step whose module is not installed is reported as not run, never as passed
    (`mark_not_run`: also list the steps never reached)."""
    if now is not None:
        from .. import clock

        with clock.using(now, "now"):
            return check(spec, plan_path=plan_path, previous=previous, diff_against=diff_against, account=account,
                         account_asked=account_asked, live=live, launch_dry_run=launch_dry_run, timeout=timeout,
                         accept=accept, fail_on=fail_on, command=command, progress=progress,
                         mark_not_run=mark_not_run, shard_size=shard_size)
    from .steps import cost_step, diff_step, plan_step, policy_step, preflight_step

    run = Run(spec, fail_on, command)
    plan = plan_step(run, spec, plan_path, previous, shard_size)
    if plan is not None:
        run.report.name = plan.name
        run.report.spec_file = run.report.spec_file or plan.spec_file
        if previous is not None and diff_against is not None:
            diff_step(run, plan, previous, diff_against)
        monthly = cost_step(run, plan)
        policy_step(run, plan, monthly)
        if run.exit_override is None:
            preflight_step(run, plan, account, account_asked, live, launch_dry_run, timeout, accept, progress)
    return finish(run, plan, with_diff=diff_against is not None, mark_not_run=mark_not_run)


def finish(run: Run, plan: Any, *, with_diff: bool = False, mark_not_run: bool = True) -> RunResult:
    """Every step the run did not reach marked not-run, and the result."""
    for name in STEPS if mark_not_run else ():
        if (name != "diff" or with_diff) and not any(s.name == name for s in run.report.steps):
            run.step(name, "not-run", "an earlier step failed")
    return RunResult(run.report, plan, run.estimate, run.cost_error, run.exit_override, run.input_message)


def stopped(spec: str | None, fail_on: Level, step: str, exc: Any) -> RunResult:
    """A run that could not start (an unusable account snapshot): a report that says why."""
    run = Run(spec, fail_on)
    run.input_error(step, exc)
    for name in ("validate", "plan", "cost", "policy"):
        run.step(name, "not-run", "the account snapshot cannot be used")
    return RunResult(run.report, exit_override=run.exit_override, input_message=run.input_message)


__all__ = ["RunResult", "Run", "accept_ids", "check", "finish", "load_account", "monthly_cost", "optional_module",
           "stopped"]
