"""Markdown for a pull-request comment or a GitHub job summary ($GITHUB_STEP_SUMMARY)."""
from __future__ import annotations

from .model import FAILED, OK, Report

_STEP_ICON = {OK: "✅", FAILED: "❌", "warning": "⚠️", "skipped": "⏭️", "not-run": "➖"}


def _cell(text: object) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    icon = "✅" if report.ok else "❌"
    title = f"ultraplan {report.command}"
    if report.name:
        title += f": {report.name}"
    lines = [f"## {icon} {title}", "", f"**{report.summary_line()}**"]
    if report.spec_file:
        lines[-1] += f" · spec `{report.spec_file}`"
    lines.append("")
    if report.steps:
        lines += ["| step | status | summary |", "|---|---|---|"]
        lines += [f"| {s.name} | {_STEP_ICON.get(s.status, '')} {s.status} | {_cell(s.summary)} |" for s in report.steps]
        lines.append("")
    if report.entries:
        lines += ["| level | rule | resource | location | message |", "|---|---|---|---|---|"]
        for e in sorted(report.entries, key=lambda e: (-e.finding.level, e.finding.check_id)):
            f = e.finding
            loc = f"`{f.source.file}:{f.source.line}`" if f.source.file and f.source.line else _cell(f.source.file)
            lines.append(f"| {e.level_label} | `{f.check_id}` | {_cell(f.resource or f.pool)} | {loc} | {_cell(f.message)} |")
        lines.append("")
    if report.skipped:
        lines.append("**Skipped** (from the spec's `policies.skip`):")
        lines += [f"- `{rid}`: {reason}" for rid, reason in report.skipped]
        lines.append("")
    if report.passed:
        lines += ["<details><summary>Passed rules</summary>", "",
                  ", ".join(f"`{p}`" for p in report.passed), "", "</details>", ""]
    return "\n".join(lines)
