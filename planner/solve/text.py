"""What `ultraplan solve` prints about a solution: the purchases, the cost by year and option, the
binding constraints and the check of the written spec (or fleet), as text lines and as JSON.
Nothing here prints."""
from __future__ import annotations

import json
from typing import Any


def purchases(spec: dict[str, Any]) -> list[dict[str, Any]]:
    import datetime as dt

    from ..spec.model import Pool

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


def solution_json(sol: Any, out: str) -> str:
    ex = sol.explanation
    return json.dumps({
        "status": sol.status, "gap": sol.gap, "seconds": round(sol.seconds, 3), "objective": sol.doc.goals.objective,
        "total_usd": round(sol.total_usd, 2), "objective_usd": round(sol.objective_usd, 2),
        "fixed_usd": round(sol.fixed_usd, 2), "usd_per_gpu_hour": ex.get("usd_per_gpu_hour"),
        "gpu_hours": ex.get("gpu_hours"), "binding": ex.get("binding", []), "purchases": purchases(sol.spec),
        "cost_by_year": ex["cost_by_year"], "cost_by_option": ex["cost_by_option"], "ramp": ex["ramp"],
        "not_considered": ex["not_considered"], "prices": ex["prices"], "cost_check": sol.cost_check,
        **({"fleet": sol.fleet} if sol.fleet else {"spec": out}),
    }, indent=1, default=str)


def solution_text(sol: Any, out: str) -> str:
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
                 f"(differs by ${abs(check['difference_usd']):.2f}); "
                 + (f"could not price {check['unpriced']} item(s)" if check['unpriced'] else "every line priced")
                 + f"; budget {check['budget_status']}")
    for s in check.get("stale_prices") or []:
        lines.append(f"  stale: {s['item']} {s['market']} as of {s['as_of']}")
    for s in check.get("secondary_prices") or []:
        lines.append(f"  secondary source: {s['item']} {s['market']} as of {s['as_of']} (third-party dataset; "
                     "`ultraplan catalog refresh --prices` replaces it)")
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
