"""`ultraplan solve GOALS --out SPEC`: the cheapest (or largest) purchase plan that meets the goals."""
from __future__ import annotations

import json
from typing import Any

import click

from ..errors import EXIT_FINDINGS
from .common import format_option, now_option


def _purchases(spec: dict[str, Any]) -> list[dict[str, Any]]:
    import datetime as dt

    from ..spec import Pool

    out = []
    for data in spec["compute"]:
        p = Pool.model_validate(data)  # the solver's spec output, read as the spec model reads it
        cap = p.capacity
        row = {"pool": p.name, "item": p.ultraserver or p.instance_type,
               "purchase": cap.type, "zone": p.availability_zone, "count": p.count,
               "start": str(cap.start or p.start), "end": str(p.end) if p.end else None,
               "days": cap.days}
        if cap.type == "capacity-block":  # a block can be bought at most 8 weeks before it starts
            row["buy_from"] = str(cap.start - dt.timedelta(weeks=8))
        out.append(row)
    for sp in ((spec.get("budget") or {}).get("savings_plans") or []):
        for name in sp["pools"]:
            for row in out:
                if row["pool"] == name:
                    row["purchase"] = f"{'savings-plan' if sp['type'] == 'compute' else 'instance-savings-plan'}-{sp['years']}y"
    return out


def _json(sol, out: str) -> str:
    ex = sol.explanation
    return json.dumps({
        "status": sol.status, "gap": sol.gap, "seconds": round(sol.seconds, 3), "objective": sol.doc.goals.objective,
        "total_usd": round(sol.total_usd, 2), "objective_usd": round(sol.objective_usd, 2),
        "fixed_usd": round(sol.fixed_usd, 2), "usd_per_gpu_hour": ex.get("usd_per_gpu_hour"),
        "gpu_hours": ex.get("gpu_hours"), "binding": ex.get("binding", []), "purchases": _purchases(sol.spec),
        "cost_by_year": ex["cost_by_year"], "cost_by_option": ex["cost_by_option"], "ramp": ex["ramp"],
        "not_considered": ex["not_considered"], "prices": ex["prices"], "cost_check": sol.cost_check,
        **({"fleet": sol.fleet} if sol.fleet else {"spec": out}),
    }, indent=1, default=str)


def _text(sol, out: str) -> str:
    ex, goals = sol.explanation, sol.doc.goals
    gap = "unknown" if sol.gap is None else f"{sol.gap * 100:.4g} %"
    lines = [f"Solved {goals.name} ({goals.objective}): {sol.status}, gap {gap}, {sol.seconds:.2f} s (HiGHS)",
             f"Total over {goals.term.months} months from {goals.term.start}: ${sol.total_usd:,.2f} "
             f"(compute ${sol.objective_usd:,.2f} + network ${sol.fixed_usd:,.2f})"]
    if goals.budget.total_usd:
        lines.append(f"  budget.total_usd ${goals.budget.total_usd:,.0f}: {sol.total_usd / goals.budget.total_usd:.1%} used")
    if ex.get("usd_per_gpu_hour"):
        lines.append(f"$/GPU-hour achieved: ${ex['usd_per_gpu_hour']:.4f} over {ex['gpu_hours']:,.0f} GPU-hours")
    lines.append("Ramp (GPUs online): " + ", ".join(f"{r['from']}: {r['gpus']:,}" for r in ex["ramp"]))
    lines.append("Cost by year:")
    lines += [f"  {y}  ${v:>18,.0f}" for y, v in ex["cost_by_year"].items()]
    lines.append("Cost by option:")
    lines += [f"  {k:<52} ${v:>18,.0f}" if len(k) <= 52 else f"  {k}\n  {'':<52} ${v:>18,.0f}"
              for k, v in ex["cost_by_option"].items()]
    lines.append("Binding constraints (and what relaxing each by 10 % would buy):")
    # A target's name already says its date: "from" is printed when it adds something.
    lines += [f"  {b['constraint']}" + (f", from {b['from']}" if b.get("from") and not b["constraint"].endswith(
        f"from {b['from']}") else "") + f": {b['relaxing_10pct_buys']}"
              for b in ex.get("binding", [])] or ["  none"]
    if ex["not_considered"]:
        lines.append("Not considered:")
        lines += [f"  {d['option']}: {d['reason']}" for d in ex["not_considered"]]
    lines.append("Prices used:")
    lines += [f"  {p}" for p in ex["prices"]]
    if ex.get("block_purchase_note"):
        lines.append(f"Note: {ex['block_purchase_note']}")
    check = sol.cost_check
    lines.append(f"Check: `ultraplan cost {out}` = ${check['cost_total_usd']:,.2f} "
                 f"(differs by ${abs(check['difference_usd']):.2f}); {check['unpriced']} unpriced; budget {check['budget_status']}")
    for s in check.get("stale_prices") or []:
        lines.append(f"  stale: {s['item']} {s['market']} as of {s['as_of']}")
    if sol.fleet:
        lines.append(f"Wrote {sol.fleet['file']} and {len(sol.fleet['cells'])} cell spec(s):")
        lines += [f"  cell {n}: {c['pools']} pool(s), {c['gpus']:,} GPUs in its pools, "
                  f"${c['total_usd']:,.2f}" for n, c in sol.fleet["cells"].items()]
        deps = sol.fleet["dependencies"]
        lines.append(f"Fleet check: {len(sol.fleet['check_errors'])} error(s)"
                     + (f"; {len(deps)} stated increase(s) depended on" if deps else ""))
        return "\n".join(lines)
    lines.append(f"Wrote {out}: {len(sol.spec['compute'])} phased pools"
                 + (f", {len(sol.spec['budget'].get('savings_plans') or [])} savings plan(s)" if sol.spec['budget'].get('savings_plans') else ""))
    return "\n".join(lines)


@click.command("solve")
@click.argument("goals", type=click.Path(dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(),
              help="Where to write the produced spec; with goals cells, the folder of the produced fleet.")
@format_option()
@click.option("--time-limit", type=click.FloatRange(min=1.0), default=60.0, show_default=True,
              help="Seconds HiGHS may search; the gap to the best bound is reported when the limit is hit.")
@click.option("--no-explain", is_flag=True, help="Skip the re-solves that measure what relaxing each binding constraint buys.")
@now_option()
def solve(goals: str, out: str, fmt: str, time_limit: float, no_explain: bool) -> None:
    """Find the mix of UltraServers, instances, capacity blocks, reservations, on-demand and savings
    plans, bought when, that meets GOALS' GPU ramp at the lowest cost (or gives the most GPU-hours
    within the budget), within quotas and zones; write it to --out as a phased spec.

    Exits 1 when the goals are infeasible (naming the constraint and the smallest change that fixes
    it), 2 for an invalid goals file. See docs/solve.md.
    """
    from .. import clock
    from ..solve import Infeasible, load_goals
    from ..solve import solve as run
    from ..solve.spec_out import write_text

    doc = load_goals(goals)
    import os

    if doc.goals.cells and os.path.exists(out) and not os.path.isdir(out):
        from ..errors import UsageError

        raise UsageError(f"--out {out}: goals with cells write a fleet (fleet.yaml and cells/*.yaml): give a folder")
    if not doc.goals.cells and os.path.isdir(out):
        from ..errors import UsageError

        raise UsageError(f"--out {out} is a folder: give the spec file to write")
    try:
        sol = run(doc, out_path=out, time_limit=time_limit, today=clock.today(), explain=not no_explain,
                  progress=_progress)
    except Infeasible as exc:
        if fmt == "json":
            click.echo(json.dumps({"status": "infeasible", "problems": exc.problems}, indent=1))
        else:
            lines = [f"infeasible: the goals in {goals} cannot all be met"]
            for p in exc.problems:
                lines += [f"  {p['constraint']}: {p['message']}", f"    fix: {p['fix']}"]
            click.echo(_wrap(lines))
            for p in exc.problems:  # a command to paste: alone on its line, never wrapped
                if p.get("command"):
                    click.echo(p["command"])
        raise SystemExit(EXIT_FINDINGS)
    if sol.fleet:  # already written, cell by cell, then priced back and checked from the files
        click.echo(_json(sol, out) if fmt == "json" else _wrap(_text(sol, out).split("\n")))
        if sol.fleet["check_errors"]:
            click.echo(f"error: the written fleet fails its check: {sol.fleet['check_errors'][0]['message']}", err=True)
            raise SystemExit(EXIT_FINDINGS)
        return
    write_text(out, sol.spec_text)
    click.echo(_json(sol, out) if fmt == "json" else _wrap(_text(sol, out).split("\n")))


def _progress(message: str) -> None:
    """Progress on stderr (stdout stays the result), wrapped to the terminal like the rest."""
    from .common import wrap_lines

    for line in wrap_lines(f"solve: {message}"):
        click.echo(line, err=True)


def _wrap(lines: list[str]) -> str:
    """Fit the terminal (80 columns in a pipe or CI log): long lines wrap under their own indent."""
    import textwrap

    from .common import terminal_width

    width = terminal_width()
    out = []
    for line in lines:
        indent = " " * (len(line) - len(line.lstrip()) + 2)
        out.append(textwrap.fill(line, width=width, subsequent_indent=indent, break_on_hyphens=False,
                                 break_long_words=False) if len(line) > width else line)
    return "\n".join(out)
