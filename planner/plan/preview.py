"""Human views of a Plan: a tree like `pulumi preview` and a one-screen summary (rich renderables).

Nothing here prints: the CLI hands the renderables to a console.
"""
from __future__ import annotations

from collections import Counter
from itertools import groupby
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ..change.diff import SYMBOL, Change, counts
from .model import Plan
from ..findings import counted
from ..records import pool_of

COLLAPSE_AFTER = 3  # runs of one type in one pool longer than this are shown as one line


def _fmt(n: float | int | None, unit: str = "") -> str:
    if n is None:
        return "unknown"
    return f"{n:,.0f}{unit}"


def plan_tree(plan: Plan, *, expand: bool = False) -> Tree:
    root = Tree(Text.assemble(("Plan ", "bold"), (plan.name, "bold cyan"), f"  ({plan.region})"))
    for stack in plan.stacks:
        node = root.add(Text.assemble(("▸ ", "dim"), (f"{plan.name}-{stack.name}", "bold"), f"  {len(stack.resources)} to create"))
        for (type_, pool), run in groupby(stack.resources, key=lambda r: (r.type, r.pool)):
            run = list(run)
            if expand or len(run) <= COLLAPSE_AFTER:
                for r in run:
                    node.add(Text.assemble(("+ ", "green"), (r.type, "dim"), "  ", r.name))
            else:
                node.add(Text.assemble(("+ ", "green"), (type_, "dim"), "  ", f"{run[0].name} … {run[-1].name}",
                                       (f"  ({len(run):,} resources)", "green")))
    total = sum(len(s.resources) for s in plan.stacks)
    root.add(Text(f"Resources: + {total:,} to create in {len(plan.stacks)} stacks", style="bold green"))
    return root


def summary_table(plan: Plan) -> Table:
    s = plan.summary
    table = Table(title=f"{plan.name}: summary", show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("GPUs / accelerators", _fmt(s["gpus"]))
    table.add_row("NVLink domains", _fmt(s["nvlink_domains"]))
    table.add_row("UltraServers", _fmt(s["ultraservers"]))
    table.add_row("Instances", _fmt(s["instances"]))
    table.add_row("vCPUs", _fmt(s["vcpus"]))
    table.add_row("EFA interfaces", _fmt(s["efa_interfaces"]))
    bw = s["efa_bandwidth_gbps"]
    unknown = s.get("efa_bandwidth_unknown_pools") or []
    known = s.get("efa_bandwidth_gbps_known") or 0
    table.add_row("Aggregate EFA bandwidth", (f"{bw / 1000:,.1f} Tbps" if bw is not None else
                                              f"at least {known / 1000:,.1f} Tbps; unknown for {', '.join(unknown)} (no sourced figure)"))
    for sub in s["subnets"]:
        total = sub["ips_total"]
        use = f"{sub['ips_used']:,} of {total:,} IPs" if total else f"{sub['ips_used']:,} IPs needed (existing subnet: preflight checks free IPs)"
        table.add_row(f"Subnet {sub['name']}", f"{sub['cidr'] or 'existing'} in {sub['az']}: {use}")
    table.add_row("Resources", f"{s['resources']:,} in {s['stacks']} stacks")
    _limit_rows(table, s.get("account_limits"))
    return table


def _limit_rows(table: Table, limits: dict | None) -> None:
    """What the plan adds to the account's countable limits (preflight compares them with quotas)."""
    if not limits:
        return
    nat = limits.get("nat_gateways_per_zone") or {}
    table.add_row("Account limits", (
        f"{counted(limits['auto_scaling_groups'], 'auto-scaling group')}, "
        f"{counted(limits['launch_templates'], 'launch template')}, "
        f"{counted(limits['placement_groups'], 'placement group')}, {counted(limits['elastic_ips'], 'Elastic IP')}, "
        f"NAT gateways {', '.join(f'{n:,} in {z}' for z, n in nat.items()) or 'none'}, "
        f"{counted(limits['rules_per_security_group'], 'rule')} in the fullest security group direction, "
        f"{counted(limits['network_interfaces'], 'network interface')} (preflight compares them with the quotas)"))


def pools_table(plan: Plan) -> Table:
    table = Table(title="Pools", header_style="bold")
    for col in ("pool", "type", "count", "inst.", "GPUs", "capacity", "EFA", "IPs"):
        table.add_column(col, justify="left" if col in ("pool", "type", "capacity") else "right", overflow="fold")
    for p in plan.pools:
        table.add_row(p["name"], p["ultraserver_type"] or p["instance_type"], f"{p['count']:,}", f"{p['instances']:,}",
                      f"{p['gpus']:,}", pool_of(p).capacity.type, str(p["efa_interfaces_per_instance"]), str(p["ips_per_instance"]))
    table.caption = "EFA and IPs are per instance; zones and subnets are in the summary"
    return table


def notes_view(plan: Plan) -> Group | None:
    if not plan.notes:
        return None
    lines = []
    for n in plan.notes:
        style = {"warning": "yellow", "info": "cyan"}.get(n["level"], "")
        src = n.get("source") or {}
        where = f"{src.get('file')}:{src.get('line')}: " if src.get("line") else ""
        lines.append(Text.assemble((f"{n['level']}: ", style), where, n["message"]))
    return Group(*lines)


_CLASS_STYLE = {"destroys-data": "bold red", "terminates-capacity": "bold red", "disrupts-networking": "yellow",
                "harmless": "green", "move": "cyan"}


def diff_totals(changes: list[Change], moves: list[Any]) -> Group:
    """What the changes cost, worst first: shown before the tree, so nobody scrolls past it."""
    from ..change.report import totals_lines

    lines = [Text.assemble(("  ", ""), (text, _CLASS_STYLE.get(klass, ""))) for klass, text in totals_lines(changes, moves)]
    return Group(*(lines or [Text("  No changes.", style="bold")]))


def diff_tree(changes: list[Change], *, title: str, moves: list[Any] | None = None) -> Group:
    """Totals, then a tree like `pulumi preview --diff` (each change with its class and its cause),
    then the heading for the `pulumi state move` commands (`move_commands`)."""
    root = Tree(Text("By stack", style="bold"))
    styles = {"create": "green", "update": "yellow", "replace": "magenta", "delete": "red", "move": "cyan"}
    by_stack: dict[str, list[Change]] = {}
    for c in changes:
        by_stack.setdefault(c.stack, []).append(c)
    for stack, items in by_stack.items():
        node = root.add(Text(f"▸ {stack}", style="bold"))
        for c in items:
            tag = f"  [{c.op}]" if c.op in ("replace", "delete", "move") else ""
            klass = "" if c.klass == "harmless" else f"  {c.klass}"
            line = node.add(Text.assemble((f"{SYMBOL[c.op]} ", styles[c.op]), (c.type, "dim"), "  ", c.name,
                                          (tag, styles[c.op]), (klass, _CLASS_STYLE[c.klass])))
            if c.renamed_from:
                line.add(Text(f"name: {c.renamed_from} → {c.name} (pool renamed)", style="cyan"))
            if c.moved_from:
                line.add(Text(f"stack: {c.moved_from} → {c.stack}", style="cyan"))
            if c.chain:
                line.add(Text(f"because {c.because}", style="magenta" if c.op == "replace" else ""))
            if c.impact.get("instances"):
                line.add(Text(f"{counted(c.impact['instances'], 'instance')}, {counted(c.impact['gpus'], 'GPU')}"
                              + (f"; {c.impact['note']}" if c.impact.get("note") else ""), style="red"))
            elif c.impact.get("note"):
                line.add(Text(c.impact["note"], style="red"))
            for ic in c.inputs:
                line.add(Text.assemble(f"{ic.path}: ", (_short(ic.old), "red"), " → ", (_short(ic.new), "green"),
                                       ("  (forces replacement)" if ic.forces_replace else "", "magenta")))
    n = counts(changes)
    # A resource renamed with its pool is an update *and* a move: count every stack change here, as
    # the headline's "moves" does, not only the changes whose sole effect is the move.
    moving = sum(1 for c in changes if c.moved_from)
    root.add(Text(f"Changes: + {n['create']} to create, ~ {n['update']} to update, +- {n['replace']} to replace, "
                  f"- {n['delete']} to delete, > {moving} to move" if changes else "No changes.", style="bold"))
    parts: list[Any] = [Text(title, style="bold"), diff_totals(changes, moves or []), Text(""), root]
    if moves:
        parts += [Text(""), Text("Carry these resources over before `pulumi up` (pulumi state move):", style="bold cyan")]
    return Group(*parts)


def move_commands(moves: list[Any]) -> list[str]:
    """The shell lines for the moves; the CLI prints them unwrapped, so they can be copied as they are."""
    return [cmd for m in moves for cmd in m.commands]


def _short(value: Any, limit: int = 60) -> str:
    text = "(none)" if value is None else (f"ref {value['$ref']}.{value['attr']}" if isinstance(value, dict) and "$ref" in value else repr(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def type_counts(plan: Plan) -> Counter:
    return Counter(r.type for r in plan.resources())
