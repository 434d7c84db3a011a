"""Report formats for Findings: text (rich), JSON, SARIF 2.1.0, JUnit XML, Markdown.

    report = Report("policy", spec_file=..., entries=[Entry(finding, "policy", "mandatory")], rules=[...])
    print(render(report, "sarif"))

Any command can build a :class:`Report`; formats only format it. No pulumi, no boto3 here.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable

from .model import FAILED, NOT_RUN, OK, SKIPPED, WARNING, Entry, Report, RuleInfo, Step

FORMATS = ("text", "json", "sarif", "junit", "markdown")

# format -> "module:function"; imported when used, so a JSON report does not load rich (text) and
# SARIF (about a tenth of a `check` run's start-up).
_RENDERERS = {
    "text": "text:render_text",
    "json": "jsonfmt:render_json",
    "sarif": "sarif:render_sarif",
    "junit": "junit:render_junit",
    "markdown": "markdown:render_markdown",
}
_LAZY = {"print_text": "text", "render_text": "text", "render_json": "jsonfmt", "to_json": "jsonfmt",
         "render_junit": "junit", "render_markdown": "markdown", "render_sarif": "sarif", "to_sarif": "sarif"}


def _function(spec: str) -> Callable[..., Any]:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = _function(f"{_LAZY[name]}:{name}")
    globals()[name] = value
    return value


def render(report: Report, fmt: str) -> str:
    """The report in one of FORMATS, as a string."""
    spec = _RENDERERS.get(fmt)
    if spec is None:
        raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")
    return _function(spec)(report)


__all__ = [
    "FAILED", "FORMATS", "NOT_RUN", "OK", "SKIPPED", "WARNING", "Entry", "Report", "RuleInfo", "Step",
    "print_text", "render", "render_json", "render_junit", "render_markdown", "render_sarif", "render_text",
    "to_json", "to_sarif",
]
