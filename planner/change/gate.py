"""The day-2 gate: findings for a Plan diff, for `ultraplan check SPEC --diff OLD`.

- `change.destroys-data` / `change.terminates-capacity` (error): a change that loses a file system's
  data or running instances, unless the spec allows it by name with a reason
  (`changes: {allow_replace: {lustre: "moving to PERSISTENT_2"}}`; a pool's name covers its
  resources); an allowed one is reported as `change.allowed` (info), with the reason;
- `change.disrupts-networking` (warning): a network resource replaced or deleted;
- `change.moves` (warning): resources change stack (`plan --diff` prints the `pulumi state move` commands);
- `change.allow-unused` (warning): an allow_replace entry that matches no such change (a stale
  permission would let a later, unintended change through).

Each finding points at the spec line behind the root of the change's chain (the resource whose own
input changed), so a reviewer lands on the edit that causes it.
"""
from __future__ import annotations

from typing import Any

from .diff import DISRUPTS_NETWORKING, GATED, TERMINATES_CAPACITY, VERB, Change
from .report import CLASS_TITLE
from ..findings import Finding, Level, Source
from .moves import StateMove

RULES: dict[str, tuple[str, str]] = {
    "change.destroys-data": ("A change does not destroy data", "A file system (or standalone volume) is replaced or "
                             "deleted: its data is lost. Allow it by name with a reason in changes.allow_replace."),
    "change.terminates-capacity": ("A change does not terminate running capacity", "Instances are terminated: a group "
                                   "replaced, deleted, scaled in, or moved off a replaced subnet or placement group. "
                                   "Allow it by name with a reason in changes.allow_replace."),
    "change.disrupts-networking": ("A change does not disrupt networking", "A VPC, subnet, route, gateway, endpoint or "
                                   "security group (rule) is replaced or deleted."),
    "change.moves": ("Resources that change stack are carried over", "Run the `pulumi state move` commands before "
                     "`pulumi up`, or Pulumi deletes and re-creates them."),
    "change.allowed": ("Changes allowed by changes.allow_replace", "A gated change the spec allows, with its reason."),
    "change.allow-unused": ("Every changes.allow_replace entry is used", "An entry that matches no gated change; remove "
                            "it so it cannot let a later, unintended change through."),
}


def _source(change: Change, spec_file: str | None) -> Source:
    src = Source.from_json(change.cause_source or change.source)
    return Source(src.file or spec_file, src.line)


def _impact_text(change: Change) -> str:
    impact = change.impact
    parts = []
    if impact.get("instances"):
        parts.append(f"{impact['instances']:,} instances, {impact['gpus']:,} GPUs")
    if impact.get("block_instance_hours"):
        parts.append(f"{impact['block_instance_hours']:,.1f} paid capacity-block instance-hours")
    if impact.get("note"):
        parts.append(impact["note"])
    return f" ({'; '.join(parts)})" if parts else ""


def diff_findings(changes: list[Change], moves: list[StateMove], plan: Any) -> list[Finding]:
    allow: dict[str, str] = (plan.changes or {}).get("allow_replace") or {}
    lines: dict[str, Any] = (plan.changes or {}).get("lines") or {}
    out: list[Finding] = []
    used: set[str] = set()
    for c in changes:
        what = f"{c.name}: {VERB[c.op]}" + (f" because {c.because}" if c.because else "")
        if c.klass in GATED:
            key = c.name if c.name in allow else (c.pool if c.pool in allow else None)
            if key is not None:
                used.add(key)
                out.append(Finding("change.allowed", Level.INFO, f"{what}{_impact_text(c)}; allowed: {allow[key]}",
                                   pool=c.pool, resource=c.name, source=Source(plan.spec_file, lines.get(key))))
                continue
            name = c.pool if c.klass == TERMINATES_CAPACITY and c.pool else c.name  # a pool covers its groups
            out.append(Finding(f"change.{c.klass}", Level.ERROR, f"{what}: {CLASS_TITLE[c.klass]}{_impact_text(c)}",
                               hint=f'avoid the change, or allow it: changes: {{allow_replace: {{{name}: "<reason>"}}}}',
                               pool=c.pool, resource=c.name, source=_source(c, plan.spec_file)))
        elif c.klass == DISRUPTS_NETWORKING:
            out.append(Finding("change.disrupts-networking", Level.WARNING, f"{what}: {CLASS_TITLE[c.klass]}",
                               pool=c.pool, resource=c.name, source=_source(c, plan.spec_file)))
    if moves:
        n = sum(len(m.names) for m in moves)
        out.append(Finding("change.moves", Level.WARNING,
                           f"{n} resource(s) change stack ({', '.join(f'{m.source} → {m.dest}' for m in moves)})",
                           hint="before `pulumi up`, run the `pulumi state move` commands that `ultraplan plan SPEC "
                                "--diff OLD` prints (also in this report's JSON: diff.state_moves)",
                           source=Source(plan.spec_file, None)))
    for key in sorted(set(allow) - used):
        out.append(Finding("change.allow-unused", Level.WARNING,
                           f"changes.allow_replace.{key} matches no change that destroys data or terminates capacity",
                           hint="remove it once the change it allowed is deployed",
                           source=Source(plan.spec_file, lines.get(key))))
    return out

