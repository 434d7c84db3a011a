"""Cost reports as text (a rich table), JSON, and Markdown for a pull-request comment.

Functions return strings; the CLI prints them. Thousands of identical lines (one auto-scaling group
per UltraServer) are shown as one row with a count in text and Markdown; JSON keeps every line.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Iterable

from rich.console import Console
from rich.table import Table

from .diff import CostDiff, ResourceDelta
from .model import CostReport, Line


# -- numbers -------------------------------------------------------------------------------------------
def usd(x: float) -> str:
    sign = "-" if x < 0 else ""
    x = abs(x)
    if x == 0:
        return "$0"
    if x < 1:
        return f"{sign}${x:.4f}"
    if x < 100:
        return f"{sign}${x:,.2f}"
    return f"{sign}${x:,.0f}"


def short(x: float) -> str:
    """$38.0B, $5.4M, $12.3K."""
    sign = "-" if x < 0 else ""
    x = abs(x)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if x >= size:
            return f"{sign}${x / size:,.2f}{suffix}"
    return f"{sign}${x:,.2f}"


def signed(x: float) -> str:
    return ("+" if x > 0 else "") + usd(x)


def unit_price(x: float) -> str:
    return f"${x:,.6g}" if x < 1 else f"${x:,.4f}".rstrip("0").rstrip(".")


def qty(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.3f}"


# -- grouping ----------------------------------------------------------------------------------------
@dataclass
class Row:
    names: list[str]
    pool: str | None
    item: str
    market: str
    unit: str
    unit_price_usd: float
    runs: str
    source: str
    quantity: float = 0.0
    hourly_usd: float = 0.0
    monthly_usd: float = 0.0
    term_usd: float = 0.0
    notes: set[str] = field(default_factory=set)

    @property
    def resource(self) -> str:
        if len(self.names) == 1:
            return self.names[0]
        return f"{self.names[0]} … {self.names[-1]} (×{len(self.names)})"


def group_lines(lines: Iterable[Line]) -> list[Row]:
    rows: dict[tuple, Row] = {}
    for line in lines:
        key = (line.pool, line.resource_type, line.item, line.market, line.unit, line.unit_price_usd, line.window,
               line.price_basis, line.source)
        row = rows.get(key)
        if row is None:
            # Every row says whether its price is AWS's list price or a negotiated (rate card) one.
            stale = " [STALE: older than the current quarter]" if line.stale else ""
            row = rows[key] = Row([], line.pool, line.item, line.market, line.unit, line.unit_price_usd,
                                  line.window.label() if line.window.start or line.window.end else line.phase,
                                  f"{line.price_basis}: {line.source}{stale}")
        row.names.append(line.resource)
        row.quantity += line.quantity
        row.hourly_usd += line.hourly_usd
        row.monthly_usd += line.monthly_usd
        row.term_usd += line.term_usd
        if line.note and len(row.names) == 1:
            row.notes.add(line.note)
    return list(rows.values())


def _sources(rows: list[Row]) -> tuple[dict[str, int], list[str]]:
    index: dict[str, int] = {}
    for row in rows:
        index.setdefault(row.source, len(index) + 1)
    return index, [f"[{i}] {s}" for s, i in index.items()]


def _by_year(report: CostReport) -> list[tuple[str, float]]:
    years: dict[str, float] = {}
    for m in report.timeline:
        years[m.month[:4]] = years.get(m.month[:4], 0.0) + m.usd
    return list(years.items())


# -- JSON ------------------------------------------------------------------------------------------------
# Without `indent` json uses its C encoder: at frontier scale (thousands of lines) indent=1 made the
# pure-Python encoder 3.5x slower with ~20 MB more peak memory. Pipe through `jq .` to read it.
def render_json(report: CostReport) -> str:
    return json.dumps(report.to_json())


def render_diff_json(diff: CostDiff) -> str:
    return json.dumps(diff.to_json())


# -- text ------------------------------------------------------------------------------------------------
def _console(width: int, color: bool = False) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=width, force_terminal=color, color_system="standard" if color else None,
                   highlight=False), buf


_BUDGET_STYLE = {"OK": "bold green", "WARNING": "bold yellow", "OVER": "bold red"}


def _print_line(console: Console, text: str) -> None:
    """A summary line wrapped to the width, lines after the first indented under its start (4 more
    than its own indent); `Budget: ...` in its colour when colour is on."""
    from rich.text import Text

    indent = len(text) - len(text.lstrip(" "))
    line = Text(text)
    if text.startswith("Budget: "):
        line.stylize(_BUDGET_STYLE.get(text.split(": ", 1)[1], ""), 8)
    lines = list(line.wrap(console, console.width, overflow="fold"))
    if len(lines) > 1:
        head = len(lines[0].plain)
        while head < len(line.plain) and line.plain[head] == " ":
            head += 1
        pad = min(indent + 4, 20)
        lines = lines[:1] + list(line[head:].wrap(console, console.width - pad, overflow="fold"))
        lines = lines[:1] + [Text(" " * pad) + rest for rest in lines[1:]]
    for one in lines:
        console.print(one, soft_wrap=True)


# Columns in the order they give way when the terminal is narrow: the money and what it is for stay.
_DROP_ORDER = ("Runs", "Unit", "Unit price", "Hourly", "Qty", "Pool")


def render_text(report: CostReport, width: int = 160, color: bool = False) -> str:
    console, buf = _console(width, color)
    rows = group_lines(report.lines)
    src_index, src_notes = _sources(rows)
    console.print(f"Cost of {report.plan_name} ({report.region}, {report.currency}, prices as of {report.prices_as_of})")
    if report.rate_card:
        import textwrap

        text = f"Rate card: {report.rate_card['name']} ({report.rate_card['source']}): negotiated lines say so"
        for line in textwrap.wrap(text, console.width, subsequent_indent="    ", break_on_hyphens=False):
            console.print(line, soft_wrap=True, markup=False, highlight=False)
    columns = [("Resource", "left"), ("Pool", "left"), ("Qty", "right"), ("Unit", "left"), ("Unit price", "right"),
               ("Hourly", "right"), ("Monthly", "right"), (f"Term ({report.term.months} mo)", "right"),
               ("Runs", "left"), ("Src", "right")]
    cells = [[row.resource, row.pool or "-", qty(row.quantity), row.unit, unit_price(row.unit_price_usd),
              usd(row.hourly_usd), usd(row.monthly_usd), usd(row.term_usd), row.runs, f"[{src_index[row.source]}]"]
             for row in rows]
    keep = _fitting_columns([c for c, _ in columns], cells, width)
    table = Table(show_lines=False, header_style="bold")
    for i, (col, justify) in enumerate(columns):
        if i in keep:
            # Resource names fold; figures never do (a folded number reads as two numbers).
            table.add_column(col, justify=justify, overflow="fold", no_wrap=col != "Resource")
    for row in cells:
        table.add_row(*(cell for i, cell in enumerate(row) if i in keep))
    console.print(table)
    hidden = [c for i, (c, _) in enumerate(columns) if i not in keep]
    if hidden:
        console.print(f"({', '.join(hidden)} hidden at this width: widen the terminal (COLUMNS) or use "
                      "--format json)")
    for note in src_notes:
        _print_line(console, note)
    console.print()
    for text in _summary(report):
        _print_line(console, text)
    return buf.getvalue()


def _fitting_columns(names: list[str], cells: list[list[str]], width: int, resource_min: int = 24) -> set[int]:
    """Indexes of the columns to show: all that fit in `width`, dropping by _DROP_ORDER; the resource
    column counts at most `resource_min` wide since it folds."""
    widths = [max([len(n)] + [len(r[i]) for r in cells]) for i, n in enumerate(names)]
    widths[0] = min(widths[0], resource_min)
    keep = set(range(len(names)))
    for name in (None, *_DROP_ORDER):
        if name is not None:
            keep.discard(names.index(name))
        if sum(widths[i] + 3 for i in keep) + 1 <= width:
            break
    return keep


def _summary(report: CostReport) -> list[str]:
    out = []
    peak = report.peak_month
    out.append(f"Hourly now ({report.now}): {usd(report.hourly_usd)}   Monthly run rate (730 h): {usd(report.monthly_usd)}")
    if peak:
        out.append(f"Peak month: {peak.month} {usd(peak.usd)}")
    term = report.term
    assumed = " (assumed: no budget.term_months)" if term.assumed else ""
    out.append(f"Term: {term.months} month{'s' if term.months != 1 else ''}, {term.start} → {term.end}{assumed}: total {usd(report.total_usd)} ({short(report.total_usd)})")
    total_gate = next((g for g in report.budget.gates if g.name == "total"), None)
    if total_gate:
        out.append(f"  vs budget.total_usd {usd(total_gate.limit_usd)} ({short(total_gate.limit_usd)}): "
                   f"{total_gate.used:.1%} of the commitment")
    cov = report.coverage
    if cov and cov.get("unpriced_pools"):
        out.append(f"Priced: {cov['priced_share']:.1%} of the term's accelerator-hours "
                   f"(unpriced pools: {', '.join(cov['unpriced_pools'])}); the totals leave the rest out")
    out.append(f"Budget: {report.budget.status.upper()}")
    out.extend(f"  {m}" for m in report.budget.messages)
    for title, shares_ in (("By generation", report.by_generation), ("By phase", report.by_phase)):
        out.append(f"{title} (share of the term total):")
        out.extend(f"  {s.name:<40} {usd(s.usd):>20} {s.share:>7.1%}{_unpriced_mark(s)}" for s in shares_)
    if len(report.timeline) > 24:
        out.append("Timeline by year:")
        out.extend(f"  {year}  {usd(v):>22}" for year, v in _by_year(report))
    else:
        out.append("Timeline by month:")
        out.extend(f"  {m.month}  {usd(m.usd):>22}" for m in report.timeline)
    out.extend(secondary_note(report))
    stale = report.stale_prices
    if stale:
        out.append(f"Stale prices ({len(stale)}): quoted before the current quarter, the real rate may differ")
        out.extend(f"  {s['item']} {s['market']} (as of {s['as_of']}): {s['reason']}" for s in stale)
    if report.unpriced:
        out.append(f"Could not price ({len(report.unpriced)}): not in any total above")
        for u in _group_unpriced(report):
            out.append(f"  {u}")
    else:
        out.append("Unpriced: none")
    if report.usage:
        out.append("Usage-based, not in the estimate:")
        seen = set()
        for u in report.usage:
            if u.item in seen:
                continue
            seen.add(u.item)
            n = sum(1 for x in report.usage if x.item == u.item)
            out.append(f"  {u.item} ×{n}: {usd(u.unit_price_usd)} per {u.unit} ({u.note})")
    if report.free:
        n = sum(report.free.values())
        kinds = ", ".join(f"{t.rsplit(':', 1)[-1]} ×{c}" for t, c in sorted(report.free.items()))
        out.append(f"Free: {n} resources ({kinds})")
    return out


def secondary_note(report: CostReport) -> list[str]:
    """The lines priced from a secondary source (a third-party dataset, not AWS), said in every format."""
    secondary = report.secondary_prices
    if not secondary:
        return []
    n = sum(s["lines"] for s in secondary)
    out = [f"Secondary source: {n} line(s) priced from a third-party dataset derived from the AWS Price List "
           f"API, not from AWS; `ultraplan catalog refresh --prices --region {report.region}` replaces them"]
    out.extend(f"  {s['item']} {s['market']} ({s['lines']} line(s), as of {s['as_of']})" for s in secondary)
    return out


def _unpriced_mark(share) -> str:
    return f"  + {share.unpriced} unpriced item(s), not in this figure" if share.unpriced else ""


def _group_unpriced(report: CostReport) -> list[str]:
    groups: dict[tuple, list[str]] = {}
    for u in report.unpriced:
        groups.setdefault((u.pool, u.item, u.reason), []).append(u.resource)
    out = []
    for (pool, item, reason), names in groups.items():
        who = names[0] if len(names) == 1 else f"{names[0]} … {names[-1]} (×{len(names)})"
        out.append(f"{who} [{pool or 'shared'}] {item or ''}: {reason}")
    return out


# -- Markdown ----------------------------------------------------------------------------------------------
STATUS_MD = {"ok": "✅ ok", "warning": "⚠️ warning", "over": "❌ over budget"}


def render_markdown(report: CostReport) -> str:
    term = report.term
    lines = [f"### ultraplan cost: `{report.plan_name}` ({report.region})", ""]
    lines += ["| | Hourly now | Monthly run rate | Term total |", "|---|---:|---:|---:|",
              f"| **Estimate** | {usd(report.hourly_usd)} | {usd(report.monthly_usd)} | "
              f"{usd(report.total_usd)} ({term.months} months from {term.start}) |"]
    for g in report.budget.gates:
        limit = f"{usd(g.limit_usd)} ({g.used:.1%} used)"
        lines.append(f"| Budget ({g.name}) | | {limit if g.name == 'monthly' else ''} | {limit if g.name == 'total' else ''} |")
    cov = report.coverage
    if cov and cov.get("unpriced_pools"):
        lines += ["", f"**Priced: {cov['priced_share']:.1%} of the accelerator-hours** (unpriced pools: "
                  f"{', '.join(cov['unpriced_pools'])}); the totals leave the rest out."]
    lines += ["", f"**Budget:** {STATUS_MD.get(report.budget.status, report.budget.status)}"]
    lines += [f"- {m}" for m in report.budget.messages]
    lines += ["", "| Generation | Term | Share |", "|---|---:|---:|"]
    lines += [f"| {s.name} | {usd(s.usd)}{' + ' + str(s.unpriced) + ' unpriced' if s.unpriced else ''} | {s.share:.1%} |"
              for s in report.by_generation]
    lines += ["", "| Phase | Term | Share |", "|---|---:|---:|"]
    lines += [f"| {s.name} | {usd(s.usd)}{' + ' + str(s.unpriced) + ' unpriced' if s.unpriced else ''} | {s.share:.1%} |"
              for s in report.by_phase]
    rows = group_lines(report.lines)
    lines += ["", "<details><summary>Lines</summary>", "",
              "| Resource | Pool | Qty | Unit | Unit price | Monthly | Term | Source |",
              "|---|---|---:|---|---:|---:|---:|---|"]
    lines += [f"| `{r.resource}` | {r.pool or '-'} | {qty(r.quantity)} | {r.unit} | {unit_price(r.unit_price_usd)} | "
              f"{usd(r.monthly_usd)} | {usd(r.term_usd)} | {r.source} |" for r in rows]
    lines += ["", "</details>"]
    secondary = secondary_note(report)
    if secondary:
        lines += ["", f"**{secondary[0].split(':', 1)[0]}:**{secondary[0].split(':', 1)[1]}"]
        lines += [f"- {s.strip()}" for s in secondary[1:]]
    if report.unpriced:
        lines += ["", f"**Could not price ({len(report.unpriced)})**, not in the totals:"]
        lines += [f"- {u}" for u in _group_unpriced(report)]
    lines += ["", f"<sub>Prices as of {report.prices_as_of}; monthly = hourly × 730 h; usage-based charges "
              f"(NAT data processed) are not included.</sub>", ""]
    return "\n".join(lines)


# -- diff ------------------------------------------------------------------------------------------------
def _group_deltas(deltas: Iterable[ResourceDelta]) -> list[tuple[str, ResourceDelta, int, float, float]]:
    groups: dict[tuple, list[ResourceDelta]] = {}
    for d in deltas:
        key = (d.pool, d.change, round(d.monthly_delta_usd, 4), round(d.term_delta_usd, 4),
               d.resource.rstrip("0123456789"))
        groups.setdefault(key, []).append(d)
    out = []
    for ds in groups.values():
        name = ds[0].resource if len(ds) == 1 else f"{ds[0].resource} … {ds[-1].resource} (×{len(ds)})"
        out.append((name, ds[0], len(ds), sum(d.monthly_delta_usd for d in ds), sum(d.term_delta_usd for d in ds)))
    out.sort(key=lambda t: -abs(t[4]))
    return out


def _pct(new: float, old: float) -> str:
    return f" ({(new - old) / old:+.1%})" if old else ""


def render_diff_text(diff: CostDiff, width: int = 140) -> str:
    # Five narrow columns: rich folds the resource names to fit any width from 60 up.
    console, buf = _console(width)
    old, new = diff.old, diff.new
    console.print(f"Cost diff: {old.plan_name} → {new.plan_name}")
    console.print(f"Monthly run rate: {usd(old.monthly_usd)} → {usd(new.monthly_usd)}: "
                  f"{signed(diff.monthly_delta_usd)}{_pct(new.monthly_usd, old.monthly_usd)}")
    console.print(f"Term total: {usd(old.total_usd)} ({old.term.months} mo) → {usd(new.total_usd)} "
                  f"({new.term.months} mo): {signed(diff.term_delta_usd)}{_pct(new.total_usd, old.total_usd)}")
    table = Table()
    for col, justify in (("", "left"), ("Resource", "left"), ("Pool", "left"), ("Monthly Δ", "right"), ("Term Δ", "right")):
        table.add_column(col, justify=justify, overflow="fold")
    mark = {"added": "+", "removed": "-", "changed": "~"}
    for name, d, _, m, t in _group_deltas(diff.resources):
        table.add_row(mark[d.change], name, d.pool or "-", signed(m), signed(t))
    if diff.resources:
        console.print(table)
    else:
        console.print("No cost change per resource.")
    return buf.getvalue()


def render_diff_markdown(diff: CostDiff) -> str:
    old, new = diff.old, diff.new
    lines = [f"### ultraplan cost diff: `{old.plan_name}` → `{new.plan_name}`", "",
             "| | Before | After | Change |", "|---|---:|---:|---:|",
             f"| Monthly run rate | {usd(old.monthly_usd)} | {usd(new.monthly_usd)} | "
             f"{signed(diff.monthly_delta_usd)}{_pct(new.monthly_usd, old.monthly_usd)} |",
             f"| Term total | {usd(old.total_usd)} ({old.term.months} mo) | {usd(new.total_usd)} ({new.term.months} mo) | "
             f"{signed(diff.term_delta_usd)}{_pct(new.total_usd, old.total_usd)} |", ""]
    if diff.resources:
        lines += ["| | Resource | Pool | Monthly Δ | Term Δ |", "|---|---|---|---:|---:|"]
        mark = {"added": "➕", "removed": "➖", "changed": "~"}
        for name, d, _, m, t in _group_deltas(diff.resources):
            lines.append(f"| {mark[d.change]} | `{name}` | {d.pool or '-'} | {signed(m)} | {signed(t)} |")
    else:
        lines.append("No cost change per resource.")
    lines += ["", f"**Budget after the change:** {STATUS_MD.get(new.budget.status, new.budget.status)}"]
    lines += [f"- {m}" for m in new.budget.messages]
    lines.append("")
    return "\n".join(lines)
