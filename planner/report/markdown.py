"""Markdown for a pull-request comment or a GitHub job summary ($GITHUB_STEP_SUMMARY).

One row per rule (count, spec lines, first message), the findings folded in <details>, text escaped
so globs like `p5en.*` render as written, cost before → after when the report carries a diff, and the
whole kept under GitHub's comment limit (`mdtext.fit`).
"""
from __future__ import annotations

import html
from typing import Any

from .grouping import RuleGroup, by_cause, group_by_rule
from .mdtext import COMMENT_LIMIT, code, fit, text
from .model import FAILED, OK, Report

_STEP_ICON = {OK: "✅", FAILED: "❌", "warning": "⚠️", "skipped": "⏭️", "not-run": "➖", "unverified": "❔"}
ITEMS_PER_RULE = 50  # findings listed in one rule's folded details; the rest are counted
LINES_PER_RULE = 12  # spec lines named in the table row


def _cell(value: object) -> str:
    return text(value, limit=300)


def render_markdown(report: Report, limit: int = COMMENT_LIMIT) -> str:
    icon = {0: "✅", 3: "❔"}.get(report.exit_code, "❌")  # 3: could not verify, never shown as a pass
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
    lines += _changes(report.extra.get("changes"))
    groups = group_by_rule(report)
    lines += _rule_table(report, groups)
    tail: list[str] = []
    if report.skipped:
        tail.append("**Skipped** (from the spec's `policies.skip`):")
        tail += [f"- {code(rid, in_table=False)}: {text(reason)}" for rid, reason in report.skipped]
        tail.append("")
    if report.unverified_checks():  # in the table as "unverified"; never among the passed
        tail.append("**Unverified** (could not check; exit 3 unless accepted):")
        tail += [f"- {code(cid, in_table=False)}" + (f": accepted: {text(report.accepted[cid])}" if cid in report.accepted else "")
                 for cid in report.unverified_checks()]
        tail.append("")
    if report.passed_checks():
        tail += ["<details><summary>Passed rules</summary>", "",
                 ", ".join(code(p, in_table=False) for p in report.passed_checks()), "", "</details>", ""]
    return fit(lines, [_details(report, g) for g in groups], tail, limit=limit, what="rules' finding lists")


# -- findings by rule ----------------------------------------------------------------------------
def _spec_lines(report: Report, group: RuleGroup) -> str:
    numbers = group.lines
    if not numbers:
        return ""
    files = group.files or ([report.spec_file] if report.spec_file else [])
    if len(files) > 1:  # several specs in one run: each line with its file
        pairs = sorted({(e.finding.source.file or "", e.finding.source.line) for e in group.entries
                        if e.finding.source.line})
        more = f" (+{len(pairs) - LINES_PER_RULE})" if len(pairs) > LINES_PER_RULE else ""
        return ", ".join(code(f"{f}:{n}") for f, n in pairs[:LINES_PER_RULE]) + more
    name = files[0] if files else None
    shown = ", ".join(str(n) for n in numbers[:LINES_PER_RULE])
    more = f" (+{len(numbers) - LINES_PER_RULE})" if len(numbers) > LINES_PER_RULE else ""
    if name and len(numbers) == 1:
        return code(f"{name}:{numbers[0]}")
    return (code(name) + " lines " if name else "lines ") + shown + more


def _rule_table(report: Report, groups: list[RuleGroup]) -> list[str]:
    if not groups:
        return []
    out = ["### Findings by rule", "", "| level | rule | count | spec lines | what |", "|---|---|---:|---|---|"]
    for g in groups:
        messages = g.messages
        what = _cell(messages[0]) + (f" *(+{len(messages) - 1} other messages)*" if len(messages) > 1 else "")
        out.append(f"| {g.label} | {code(g.rule.id)} | {len(g.entries)} | {_spec_lines(report, g)} | {what} |")
    out.append("")
    return out


def _details(report: Report, g: RuleGroup) -> str:
    n = len(g.entries)
    # Inside an HTML line GitHub does not parse Markdown: the summary is HTML, escaped as HTML.
    out = [f"<details><summary><code>{html.escape(g.rule.id)}</code>: {n} finding{'s' if n != 1 else ''}</summary>", ""]
    causes = by_cause(g.entries)  # one missing tag on 34 resources is one item
    for cause in causes[:ITEMS_PER_RULE]:
        f = cause.first.finding
        loc = f.source.file or report.spec_file
        at = code(f"{loc}:{f.source.line}", in_table=False) + " " if loc and f.source.line else ""
        subject = cause.subject()
        about = f"**{text(subject)}**: " if subject else ""
        out.append(f"- {at}{about}{text(f.message)}")
    if len(causes) > ITEMS_PER_RULE:
        out.append(f"- … {sum(len(c.entries) for c in causes[ITEMS_PER_RULE:])} more")
    fix = g.rule.remediation or next((e.finding.hint for e in g.entries if e.finding.hint), None)
    if fix:
        out += ["", f"Fix: {text(fix)}"]
    out += ["", "</details>", ""]
    return "\n".join(out)


# -- what changes against the base Plan ----------------------------------------------------------
def _usd(value: float) -> str:
    return f"\\${value:,.0f}"  # escaped: two dollars on a line are math on GitHub


def _delta(before: float, after: float) -> str:
    diff = after - before
    pct = f" ({diff / before:+.1%})" if before else ""
    return ("+" if diff >= 0 else "-") + _usd(abs(diff)) + pct


def _changes(changes: dict[str, Any] | None) -> list[str]:
    if not changes:
        return []
    base = changes.get("base")
    n = changes.get("counts") or {}
    out = [f"### Changes against {code(base, in_table=False) if base else 'the base Plan'}", "",
           # The symbols in code spans: a line starting with "+ " would be a list item.
           f"`+` {n.get('create', 0)} to create · `~` {n.get('update', 0)} to update · "
           f"`+-` {n.get('replace', 0)} to replace · `-` {n.get('delete', 0)} to delete", ""]
    gone = changes.get("replace_or_delete") or []
    if gone:
        out += ["Replaced or deleted: " + ", ".join(code(r, in_table=False) for r in gone[:20])
                + (f" and {len(gone) - 20} more" if len(gone) > 20 else ""), ""]
    cost = changes.get("cost")
    if cost:
        b, a = cost["before"], cost["after"]
        out += ["| cost | before | after | change |", "|---|---:|---:|---:|",
                f"| run rate per month | {_usd(b['monthly_usd'])} | {_usd(a['monthly_usd'])} | {_delta(b['monthly_usd'], a['monthly_usd'])} |",
                f"| term total | {_usd(b['total_usd'])} | {_usd(a['total_usd'])} | {_delta(b['total_usd'], a['total_usd'])} |",
                "", f"Cost: {_usd(b['total_usd'])} → {_usd(a['total_usd'])} over the term.", ""]
    return out
