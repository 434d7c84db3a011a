"""The files a person reads from a run: the HTML report (topology, cost timeline, findings and,
against a base Plan, what changes) and the Markdown pull-request comment."""
from __future__ import annotations

from typing import Any

from ..errors import UltraplanError, UsageError


def _estimate(plan: Any) -> tuple[Any, str | None]:
    try:
        from ..cost import estimate
    except ModuleNotFoundError:  # pragma: no cover - a build without the cost module
        return None, "planner.cost is not installed"
    try:
        return _priced(estimate(plan), None)
    except UltraplanError as exc:
        return None, f"could not estimate cost: {exc}"


def _priced(report: Any, error: str | None) -> tuple[Any, str | None]:
    """Nothing priced (no prices for the region): no chart of zeros, the reason instead."""
    if report is not None and report.unpriced and not report.lines:
        return None, f"could not price: {report.unpriced[0].reason}"
    return report, error


def base_plan(path: str) -> Any:
    """The base Plan: a Plan JSON (`ultraplan plan --out`) or a spec to compile, told by its format
    marker, not its file name."""
    from ..inputs import is_plan_file

    if is_plan_file(path):
        from ..plan.model import load_plan

        return load_plan(path)
    import planner

    return planner.compile_spec(path)


def write_pages(result: Any, *, html_out: str | None, markdown_out: str | None = None,
                diff_against: str | None = None) -> None:
    """Write the HTML report and the Markdown comment of a :class:`planner.run.RunResult`; with
    `diff_against` (a Plan JSON or spec), what changes and the cost before and after."""
    from ..plan.model import write_atomic
    from ..report import render_markdown
    from ..report.changes import changes_summary
    from ..report.html import render_html

    report, plan = result.report, result.plan
    cost, cost_error = _priced(result.estimate, result.cost_error)
    before, changes = None, None
    if plan is not None and cost is None and cost_error is None:
        cost, cost_error = _estimate(plan)  # a run that never reached the cost step
    if plan is not None and diff_against:
        from ..change.diff import diff

        old = base_plan(diff_against)
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
