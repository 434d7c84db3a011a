"""The HTML report: one self-contained file (no CDN, no network) with the plan's summary, a topology
picture, the cost timeline, the findings grouped by rule and, against a base Plan, what changes.

    html = render_html(report, plan, cost=estimate, cost_before=old_estimate, changes=changes, base="main")

The page is a Jinja2 template (autoescaped); the pictures are drawn in the browser by libraries
embedded in the file: Graphviz compiled to WebAssembly (Viz.js) lays out the DOT from
`topology.to_dot`, Apache ECharts draws the chart from `costchart.chart_data`. Both are vendored
under assets/vendor (tools/vendor_report_assets.py) and read only when a report is written.
"""
from __future__ import annotations

import json
import os
from functools import lru_cache
from importlib import metadata
from typing import Any

from ..change.diff import SYMBOL, Change, counts
from ..plan.model import Plan
from ..records import pool_of
from .grouping import by_cause, group_by_rule
from .model import Report
from .topology import DOMAINS_DRAWN, PALETTE, family_colours, to_dot

HERE = os.path.dirname(os.path.abspath(__file__))
ITEMS_PER_RULE = 200  # findings listed in one rule's folded detail; the rest are counted
DIFF_ROWS = 300  # change rows (grouped by op, stack and type); the rest are counted


@lru_cache(maxsize=None)
def _asset(*parts: str) -> str:
    with open(os.path.join(HERE, *parts), encoding="utf-8") as fh:
        return fh.read()


def _template():
    try:
        import jinja2
    except ModuleNotFoundError:  # pragma: no cover - jinja2 is a declared dependency
        from ..errors import UsageError

        raise UsageError("the HTML report needs jinja2: pip install 'jinja2>=3.1'") from None
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(HERE, "templates")),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return env.get_template("report.html.j2")


def _n(value: Any) -> str:
    return f"{value:,}" if isinstance(value, (int, float)) and not isinstance(value, bool) else ("?" if value is None else str(value))


def usd(value: float | None) -> str:
    """Dollars the way a reviewer reads them: $38.0B, $452.1M, $12,345."""
    if value is None:
        return "?"
    sign, v = ("-" if value < 0 else ""), abs(value)
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6)):
        if v >= size:
            return f"{sign}${v / size:,.2f}{unit}"
    return f"{sign}${v:,.0f}"


def _tiles(plan: Plan) -> list[tuple[str, str]]:
    s = plan.summary or {}
    bw = s.get("efa_bandwidth_gbps")
    bw_text = f"{bw / 1000:,.1f} Tbps" if bw else (f"≥ {(s.get('efa_bandwidth_gbps_known') or 0) / 1000:,.1f} Tbps"
                                                  if s.get("efa_bandwidth_gbps_known") else "unconfirmed")
    return [("GPUs / accelerators", _n(s.get("gpus"))), ("NVLink domains", _n(s.get("nvlink_domains"))),
            ("UltraServers", _n(s.get("ultraservers"))), ("instances", _n(s.get("instances"))),
            ("vCPUs", _n(s.get("vcpus"))), ("EFA interfaces", _n(s.get("efa_interfaces"))),
            ("EFA bandwidth", bw_text), ("resources", f"{_n(s.get('resources'))} in {_n(s.get('stacks'))} stacks")]


def _runs(pool: dict[str, Any]) -> str:
    record = pool_of(pool)
    cap, sched = record.capacity, record.schedule
    if cap.block:
        return f"block from {cap.start or 'term start'} for {cap.days or '?'} days"
    if sched is not None and (sched.start or sched.end or sched.months):
        end = sched.end or (f"{sched.months} months" if sched.months else "term end")
        return f"{sched.start or 'term start'} → {end}"
    return "whole term"


def _pools(plan: Plan) -> list[dict[str, str]]:
    colours = family_colours(plan)
    return [{"name": p.get("name"), "type": p.get("ultraserver_type") or p.get("instance_type"), "count": _n(p.get("count")),
             "instances": _n(p.get("instances")), "gpus": _n(p.get("gpus")),
             "capacity": pool_of(p).capacity.type, "zone": p.get("availability_zone"),
             "subnet": p.get("subnet") or p.get("existing_subnet_id") or "?",
             "efa": _n(p.get("efa_interfaces_per_instance")), "runs": _runs(p),
             "colour": colours.get(p.get("family") or "", "#888888")} for p in plan.pools]


def _stacks(plan: Plan) -> list[dict[str, str]]:
    out = []
    for stack in plan.stacks:
        by_type: dict[str, int] = {}
        for r in stack.resources:
            short = r.type.rsplit(":", 1)[-1]
            by_type[short] = by_type.get(short, 0) + 1
        out.append({"name": f"{plan.name}-{stack.name}", "count": _n(len(stack.resources)),
                    "types": ", ".join(f"{t} × {_n(n)}" for t, n in by_type.items())})
    return out


def _spec_lines(path: str | None) -> list[str]:
    if not path:
        return []
    from ..inputs import MAX_SPEC_BYTES, read_text

    try:  # bounded, regular files only (a report names the spec; it need not still be one)
        return read_text(path, MAX_SPEC_BYTES, "spec").splitlines()
    except (OSError, ValueError):
        return []


def _groups(report: Report, spec_text: list[str]) -> list[dict[str, Any]]:
    out = []
    for g in group_by_rule(report):
        lines = g.lines
        hints = {e.finding.hint for e in g.entries}
        fix = g.rule.remediation or (next(iter(hints)) if len(hints) == 1 else None)
        causes = by_cause(g.entries)  # one missing tag on 34 resources is one item
        items = [{"file": c.first.finding.source.file or report.spec_file or "", "line": c.first.finding.source.line,
                  "where": c.subject(), "message": c.first.finding.message,
                  "hint": c.first.finding.hint if c.first.finding.hint != fix else None}  # the shared fix once
                 for c in causes[:ITEMS_PER_RULE]]
        excerpt = [(n, spec_text[n - 1]) for n in lines[:8] if 0 < n <= len(spec_text)]
        messages = g.messages
        out.append({"id": g.rule.id, "title": g.rule.title if g.rule.title != g.rule.id else "", "label": g.label,
                    "css": g.level.name.lower(), "count": len(g.entries),
                    "lines": ", ".join(map(str, lines[:20])) + (f" (+{len(lines) - 20})" if len(lines) > 20 else ""),
                    "first": messages[0], "more": len(messages) - 1, "findings": items,
                    "cut": sum(len(c.entries) for c in causes[ITEMS_PER_RULE:]), "excerpt": excerpt,
                    "remediation": fix})
    return out


def diff_rows(changes: list[Change], limit: int = DIFF_ROWS) -> tuple[list[dict[str, str]], int]:
    """Changes grouped by (op, stack, type): 6,944 new groups are one row. Returns rows and rows left out."""
    grouped: dict[tuple[str, str, str], list[Change]] = {}
    for c in changes:
        grouped.setdefault((c.op, c.stack, c.type), []).append(c)
    rows = []
    for (op, stack, type_), items in grouped.items():
        names = items[0].name if len(items) == 1 else f"{items[0].name} … {items[-1].name} ({len(items):,})"
        paths = list(dict.fromkeys(ic.path + (" (forces replacement)" if ic.forces_replace else "")
                                   for c in items for ic in c.inputs))
        rows.append({"op": op, "symbol": SYMBOL[op], "stack": stack, "type": type_.rsplit(":", 1)[-1], "names": names,
                     "inputs": ", ".join(paths[:8]) + (f" (+{len(paths) - 8})" if len(paths) > 8 else "")})
    return rows[:limit], max(0, len(rows) - limit)


def _diff(changes: list[Change] | None, base: str | None, cost: Any, before: Any) -> dict[str, Any] | None:
    if changes is None:
        return None
    rows, cut = diff_rows(changes)
    data: dict[str, Any] = {"base": base or "the base Plan", "counts": list(counts(changes).items()), "rows": rows,
                            "cut": cut}
    if cost is not None and before is not None:
        data["cost"] = {"before_total": usd(before.total_usd), "after_total": usd(cost.total_usd),
                        "delta_total": ("+" if cost.total_usd >= before.total_usd else "") + usd(cost.total_usd - before.total_usd),
                        "before_monthly": usd(before.monthly_usd), "after_monthly": usd(cost.monthly_usd)}
    return data


def _json_for_script(data: Any) -> str:
    """JSON safe inside <script>: '<' is written as \\u003c, so no '</script>' or '<!--' can appear."""
    return json.dumps(data, separators=(",", ":"), default=str).replace("<", "\\u003c")


def _colours(plan: Plan | None, cost_data: dict[str, Any] | None) -> dict[str, dict[str, str]]:
    """Series colours: a generation keeps its pool family's colour from the topology picture."""
    if not cost_data:
        return {}
    fam = family_colours(plan) if plan else {}
    out: dict[str, dict[str, str]] = {"generation": {}, "phase": {}}
    for s in cost_data["by"]["generation"]:
        family = s["name"].split(" ", 1)[0]
        out["generation"][s["name"]] = fam.get(family) or ("#bab0ac" if s["name"] == "shared" else "#9c9c9c")
    for i, s in enumerate(cost_data["by"]["phase"]):
        out["phase"][s["name"]] = PALETTE[i % len(PALETTE)]
    return out


def render_html(report: Report, plan: Plan | None = None, *, cost: Any = None, cost_error: str | None = None,
                cost_before: Any = None, changes: list[Change] | None = None, base: str | None = None) -> str:
    """The whole page as one string. `cost`/`cost_before` are planner.cost estimates (or None)."""
    from .costchart import chart_data

    cost_data = chart_data(cost, cost_before) if cost is not None else None
    spec_text = _spec_lines(report.spec_file or (plan.spec_file if plan else None))
    try:
        version = metadata.version("ultraplan")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        version = "(source)"
    context = {
        "command": report.command, "name": report.name or (plan.name if plan else None),
        "region": plan.region if plan else None, "ok": report.exit_code == 0, "verdict": report.verdict,
        "summary_line": report.summary_line(),
        "spec_file": report.spec_file, "plan": plan, "version": version,
        "catalog_as_of": (plan.catalog or {}).get("as_of") if plan else None,
        "tiles": _tiles(plan) if plan else [], "pools": _pools(plan) if plan else [],
        "stacks": _stacks(plan) if plan else [], "resources_total": _n(sum(len(s.resources) for s in plan.stacks)) if plan else "0",
        "notes": [{"level": n.get("level"), "message": n.get("message"), "line": (n.get("source") or {}).get("line")}
                  for n in (plan.notes if plan else [])],
        "domains_drawn": DOMAINS_DRAWN,
        "cost": cost_data, "cost_error": cost_error,
        "cost_total": usd(cost.total_usd) if cost is not None else None,
        "cost_monthly": usd(cost.monthly_usd) if cost is not None else None,
        "cost_before": usd(cost_before.total_usd) if cost_before is not None else None,
        "groups": _groups(report, spec_text), "skipped": report.skipped, "passed": report.passed_checks(),
        "diff": _diff(changes, base, cost, cost_before),
        "steps": report.steps,
        "data_json": _json_for_script({"dot": to_dot(plan) if plan else None, "cost": cost_data,
                                       "colours": _colours(plan, cost_data)}),
        "css": _asset("assets", "report.css"), "report_js": _asset("assets", "report.js"),
        "echarts_js": _asset("assets", "vendor", "echarts.common.min.js"),
        "viz_js": _asset("assets", "vendor", "viz-global.js"),
    }
    return _template().render(**context)
