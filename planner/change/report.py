"""The diff between two Plans as data and words: totals first (what is lost), then every change with
its class and the chain that causes it, then the `pulumi state move` commands. Formats: the JSON of
`plan --diff --format json`, Markdown, and plain lines the rich text view reuses. Nothing here prints."""
from __future__ import annotations

from typing import Any

from .diff import CLASSES, DESTROYS_DATA, DISRUPTS_NETWORKING, HARMLESS, SYMBOL, TERMINATES_CAPACITY, Change, counts, totals
from .moves import StateMove

CLASS_TITLE = {
    DESTROYS_DATA: "destroys data",
    TERMINATES_CAPACITY: "terminates running capacity",
    DISRUPTS_NETWORKING: "disrupts networking",
    HARMLESS: "harmless",
}


def _names(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def totals_lines(changes: list[Change], moves: list[StateMove]) -> list[tuple[str, str]]:
    """(class, sentence) for every class with changes, worst first, then the moves."""
    out = []
    for klass, t in totals(changes).items():
        if not t["changes"]:
            continue
        text = f"{CLASS_TITLE[klass]}: {t['changes']} change{'s' if t['changes'] != 1 else ''}"
        if klass == TERMINATES_CAPACITY:
            text += f", {t['instances']:,} instances, {t['gpus']:,} GPUs"
            if t["block_instance_hours"]:
                text += f", {t['block_instance_hours']:,.1f} paid capacity-block instance-hours at stake"
        if t["resources"]:
            text += f" ({_names(t['resources'])})"
        out.append((klass, text))
    moved = sum(len(m.names) for m in moves)
    if moved:
        out.append(("move", f"moves: {moved} resource{'s' if moved != 1 else ''} change stack; run the "
                            "`pulumi state move` commands (`plan --diff` prints them) before `pulumi up`, "
                            "or they are deleted and re-created"))
    return out


def diff_json(name: str, changes: list[Change], moves: list[StateMove], *, against: str | None = None,
              notes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """`plan --diff --format json`: the fields of earlier versions (name, counts, changes) plus totals,
    state_moves and the new Plan's warnings about addresses."""
    return {"name": name, "against": against, "counts": counts(changes), "totals": totals(changes),
            "changes": [c.to_json() for c in changes], "state_moves": [m.to_json() for m in moves],
            "notes": list(notes or [])}


def _cell(text: object) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def diff_markdown(name: str, changes: list[Change], moves: list[StateMove], *, against: str | None = None) -> str:
    n = counts(changes)
    lines = [f"## ultraplan plan --diff: {name}" + (f" against `{against}`" if against else ""), ""]
    if not changes:
        return "\n".join(lines + ["No changes.", ""])
    lines += [f"**{n['create']} to create, {n['update']} to update, {n['replace']} to replace, {n['delete']} to delete, "
              f"{n['move']} to move**", ""]
    icon = {DESTROYS_DATA: "🛑", TERMINATES_CAPACITY: "🛑", DISRUPTS_NETWORKING: "⚠️", HARMLESS: "✅", "move": "↪️"}
    lines += [f"- {icon[k]} {text}" for k, text in totals_lines(changes, moves)]
    lines += ["", "| op | resource | stack | class | because |", "|---|---|---|---|---|"]
    order = {k: i for i, k in enumerate(CLASSES)}
    for c in sorted(changes, key=lambda c: order[c.klass]):
        impact = c.impact
        extra = f" ({impact['instances']:,} instances, {impact['gpus']:,} GPUs)" if impact.get("instances") else ""
        stack = f"{c.moved_from} → {c.stack}" if c.moved_from else c.stack
        lines.append(f"| `{SYMBOL[c.op]}` {c.op} | `{c.name}` | {stack} | {CLASS_TITLE[c.klass]}{extra} | {_cell(c.because)} |")
    if moves:
        lines += ["", "Carry these resources over before `pulumi up`:", "", "```sh"] + [cmd for m in moves for cmd in m.commands] + ["```"]
    return "\n".join(lines + [""])


def plan_markdown(plan) -> str:
    """`plan --format markdown` without --diff: the summary and the stacks, for a pull-request comment."""
    s = plan.summary or {}
    lines = [f"## ultraplan plan: {plan.name}", "", "| | |", "|---|---|"]
    rows = [("GPUs / accelerators", s.get("gpus")), ("NVLink domains", s.get("nvlink_domains")),
            ("UltraServers", s.get("ultraservers")), ("Instances", s.get("instances")), ("vCPUs", s.get("vcpus")),
            ("EFA interfaces", s.get("efa_interfaces"))]
    lines += [f"| {name} | {value:,} |" for name, value in rows if isinstance(value, int)]
    for sub in s.get("subnets") or []:
        lines.append(f"| Subnet `{sub['name']}` | {_cell(sub.get('cidr') or 'existing')} in {_cell(sub.get('az'))}: "
                     f"{sub.get('ips_used', 0):,} IPs needed |")
    total = sum(len(st.resources) for st in plan.stacks)
    lines += [f"| Resources | {total:,} in {len(plan.stacks):,} stack{'s' if len(plan.stacks) != 1 else ''} |", "",
              "| stack | resources |", "|---|---:|"]
    lines += [f"| `{st.name}` | {len(st.resources):,} |" for st in plan.stacks]
    notes = [n for n in plan.notes or [] if n.get("level") in ("warning", "error")]
    if notes:
        lines += ["", "Notes:", ""] + [f"- **{n.get('level')}**" + (f" `{n['pool']}`" if n.get("pool") else "")
                                        + f": {_cell(n.get('message'))}" for n in notes]
    return "\n".join(lines + [""])
