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

import click

from ..errors import EXIT_OK
from ..findings import Level
from .common import now_option


@click.command()
@click.argument("spec", required=False, type=click.Path(dir_okay=False))
@click.option("--out", "html_out", type=click.Path(dir_okay=False), default="report.html", show_default=True,
              help="Where to write the HTML report (one self-contained file, opens offline).")
@click.option("--plan", "plan_path", type=click.Path(dir_okay=False),
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
def report(spec: str | None, html_out: str, plan_path: str | None, diff_against: str | None,
           markdown_out: str | None, account_file: str | None, fail_on: str) -> None:
    """Write an HTML report of SPEC: summary, topology picture, cost timeline, findings by rule and,
    with --diff, what changes against the base Plan.

    Exit 0 when written (checks that could not verify are shown as unverified, never as passed);
    2 invalid spec or options (the report still lists the problems). Gate in CI with `ultraplan check`.
    """
    from .. import run as library
    from ..run.pages import base_plan, write_pages
    from .files import check_distinct_outputs

    check_distinct_outputs({"--out": html_out, "--markdown": markdown_out})
    snapshot = library.load_account(account_file)
    # Compiled against the base Plan, subnets keep its CIDRs: the same diff `plan --diff` shows.
    result = library.check(spec, plan_path=plan_path, previous=base_plan(diff_against) if diff_against else None,
                           account=snapshot, account_asked=bool(account_file), fail_on=Level.parse(fail_on),
                           command="report", mark_not_run=False)
    write_pages(result, html_out=html_out, markdown_out=markdown_out, diff_against=diff_against)
    for path in (html_out, markdown_out):
        if path:
            click.echo(f"wrote {path}", err=True)
    click.echo(result.report.summary_line(), err=True)
    sys.exit(result.exit_override if result.exit_override is not None else EXIT_OK)
