"""Report formats for Findings: text (rich), JSON, SARIF 2.1.0, JUnit XML, Markdown.

    report = Report("policy", spec_file=..., entries=[Entry(finding, "policy", "mandatory")], rules=[...])
    print(render(report, "sarif"))

Any command can build a :class:`Report`; formats only format it. No pulumi, no boto3 here.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

from .model import FAILED, NOT_RUN, OK, SKIPPED, WARNING, Entry, Report, RuleInfo, Step


@dataclass(frozen=True)
class Format:
    """A report format: the function that renders a Report as text ("module:function", a module
    under planner.report when it starts with "."), and, when commands also write it to a file,
    the help of its `--<name> FILE` option (`file_rank` orders those options)."""

    name: str
    target: str
    file_help: str | None = None
    file_rank: int = 100


# name -> Format. A new format is one module and one line here (or a `register_format` call);
# commands take `--format <name>` and, with file_help, `--<name> FILE` from this registry.
# Renderers are imported when used, so a JSON report does not load rich (text) and SARIF.
FORMATS: dict[str, Format] = {}


def register_format(name: str, target: str, file_help: str | None = None, file_rank: int = 100) -> Format:
    if name in FORMATS:
        raise ValueError(f"report format {name!r} is registered twice")
    FORMATS[name] = Format(name, target, file_help, file_rank)
    return FORMATS[name]


register_format("text", ".text:render_text")
register_format("json", ".jsonfmt:render_json", "Also write the JSON report here.", 4)
register_format("sarif", ".sarif:render_sarif", "Also write SARIF 2.1.0 here.", 1)
register_format("junit", ".junit:render_junit", "Also write JUnit XML here.", 2)
register_format("markdown", ".markdown:render_markdown", "Also write Markdown here (e.g. $GITHUB_STEP_SUMMARY).", 3)


def file_formats() -> list[Format]:
    """The formats commands also write to a file, in the order their options are listed."""
    return sorted((f for f in FORMATS.values() if f.file_help), key=lambda f: f.file_rank)

_LAZY = {"print_text": "text", "render_text": "text", "render_json": "jsonfmt", "to_json": "jsonfmt",
         "render_junit": "junit", "render_markdown": "markdown", "render_sarif": "sarif", "to_sarif": "sarif"}


def _function(spec: str) -> Callable[..., Any]:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module, __name__) if module.startswith(".") else
                   importlib.import_module(module), name)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = _function(f".{_LAZY[name]}:{name}")
    globals()[name] = value
    return value


def render(report: Report, fmt: str) -> str:
    """The report in one of FORMATS, as a string."""
    known = FORMATS.get(fmt)
    if known is None:
        raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")
    return _function(known.target)(report)


__all__ = [
    "FAILED", "FORMATS", "Format", "NOT_RUN", "OK", "SKIPPED", "WARNING", "Entry", "Report", "RuleInfo", "Step",
    "print_text", "render", "render_json", "render_junit", "render_markdown", "render_sarif", "render_text",
    "to_json", "to_sarif", "file_formats", "register_format",
]
