"""Report formats for Findings: text (rich), JSON, SARIF 2.1.0, JUnit XML, Markdown.

    report = Report("policy", spec_file=..., entries=[Entry(finding, "policy", "mandatory")], rules=[...])
    print(render(report, "sarif"))

Any command can build a :class:`Report`; formats only format it. No pulumi, no boto3 here.
"""
from __future__ import annotations

from .jsonfmt import render_json, to_json
from .junit import render_junit
from .markdown import render_markdown
from .model import FAILED, NOT_RUN, OK, SKIPPED, WARNING, Entry, Report, RuleInfo, Step
from .sarif import render_sarif, to_sarif
from .text import print_text, render_text

FORMATS = ("text", "json", "sarif", "junit", "markdown")

_RENDERERS = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
    "junit": render_junit,
    "markdown": render_markdown,
}


def render(report: Report, fmt: str) -> str:
    """The report in one of FORMATS, as a string."""
    try:
        return _RENDERERS[fmt](report)
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}") from None


__all__ = [
    "FAILED", "FORMATS", "NOT_RUN", "OK", "SKIPPED", "WARNING", "Entry", "Report", "RuleInfo", "Step",
    "print_text", "render", "render_json", "render_junit", "render_markdown", "render_sarif", "render_text",
    "to_json", "to_sarif",
]
