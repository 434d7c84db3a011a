"""`ultraplan report SPEC --out report.html`: the HTML report a person reviews (and, with --markdown,
the pull-request comment), built from the same run as `ultraplan check`.

    ultraplan report cluster.yaml --out report.html
    ultraplan report cluster.yaml --diff base-plan.json --out report.html --markdown comment.md

Exit codes: 0 the report was written (findings do not fail it: `ultraplan check` is the gate);
2 the spec or the command line is invalid (the report is still written and lists the problems);
3 AWS could not be reached for preflight.
"""
from __future__ import annotations

import sys
from typing import Any

import click

from ..errors import EXIT_OK, UsageError
from ..findings import Level
from .common import now_option


def _old_plan(path: str) -> Any:
    """The base Plan: a Plan JSON (`ultraplan plan --out`) or a spec to compile."""
    from .common import load_plan_or_spec

    return load_plan_or_spec(path)  # a Plan by its format marker, not its file name


def _estimate(plan: Any) -> tuple[Any, str | None]:
    try:
        from ..cost import estimate
    except ModuleNotFoundError:  # pragma: no cover - a build without the cost module
        return None, "planner.cost is not installed"
    from ..errors import UltraplanError

    try:
        report = estimate(plan)
    except UltraplanError as exc:
        return None, f"could not estimate cost: {exc}"
    if report.unpriced and not report.lines:  # nothing priced (no prices for the region): no chart of zeros
        return None, f"could not price: {report.unpriced[0].reason}"
    return report, None


def write_reports(report: Any, plan: Any, *, html_out: str | None, markdown_out: str | None = None,
                  diff_against: str | None = None) -> None:
    """Compute what the HTML page shows beyond the Report (cost timeline, diff) and write the files.
    Used by `report` and by `check --html`."""
    from ..plan import write_atomic
    from ..report import render_markdown
    from ..report.changes import changes_summary
    from ..report.html import render_html

    cost = cost_error = before = changes = None
    if plan is not None:
        cost, cost_error = _estimate(plan)
        if diff_against:
            from ..diff import diff

            old = _old_plan(diff_against)
            before, _ = _estimate(old)
            changes = diff(old, plan)
            report.extra["changes"] = changes_summary(changes, diff_against, cost, before)
    for path, render in ((html_out, lambda: render_html(report, plan, cost=cost, cost_error=cost_error,
                                                        cost_before=before, changes=changes, base=diff_against)),
                         (markdown_out, lambda: render_markdown(report))):
        if path:
            try:
                write_atomic(path, render())
            except OSError as exc:
                raise UsageError(f"{path}: cannot write ({exc.strerror})") from None


@click.command()
@click.argument("spec", required=False, type=click.Path(dir_okay=False))
@click.option("--out", "html_out", type=click.Path(dir_okay=False), default="report.html", show_default=True,
              help="Where to write the HTML report (one self-contained file, opens offline).")
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False),
              help="Report on a Plan JSON (`ultraplan plan --out`) instead of compiling SPEC.")
@click.option("--diff", "diff_against", type=click.Path(dir_okay=False, exists=True),
              help="The base branch's Plan JSON (or spec): show what changes and the cost before → after.")
@click.option("--markdown", "markdown_out", type=click.Path(dir_okay=False),
              help="Also write the Markdown pull-request comment here.")
@click.option("--account", "account_file", type=click.Path(dir_okay=False),
              help="Include preflight against an account snapshot (`ultraplan account snapshot`).")
@click.option("--fail-on", type=click.Choice(["error", "warning"]), default="error", show_default=True,
              help="The level the report's PASS/FAIL verdict uses (the exit code does not follow it).")
@now_option()
def report(spec: str | None, html_out: str, plan_file: str | None, diff_against: str | None,
           markdown_out: str | None, account_file: str | None, fail_on: str) -> None:
    """Write an HTML report of SPEC: summary, topology picture, cost timeline, findings by rule and,
    with --diff, what changes against the base Plan.

    Exit 0 when written (checks that could not verify are shown as unverified, never as passed);
    2 invalid spec or options (the report still lists the problems). Gate in CI with `ultraplan check`.
    """
    from .check_cmd import _cost_step, _plan_step, _policy_step, _preflight_step, _Run, _snapshot
    from .common import check_distinct_outputs

    check_distinct_outputs({"--out": html_out, "--markdown": markdown_out})

    run = _Run(spec, Level.parse(fail_on))
    run.report.command = "report"
    snapshot = _snapshot(account_file)
    # Compiled against the base Plan, subnets keep its CIDRs: the same diff `plan --diff` shows.
    plan = _plan_step(run, spec, plan_file, _old_plan(diff_against) if diff_against else None)
    if plan is not None:
        run.report.name = plan.name
        run.report.spec_file = run.report.spec_file or plan.spec_file
        monthly = _cost_step(run, plan)
        _policy_step(run, plan, monthly)
        if run.exit_override is None:
            _preflight_step(run, plan, snapshot, bool(account_file), False, False)
    write_reports(run.report, plan, html_out=html_out, markdown_out=markdown_out, diff_against=diff_against)
    for path in (html_out, markdown_out):
        if path:
            click.echo(f"wrote {path}", err=True)
    click.echo(run.report.summary_line(), err=True)
    sys.exit(run.exit_override if run.exit_override is not None else EXIT_OK)
