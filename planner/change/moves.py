"""`pulumi state move` commands for resources that change stack between two Plans.

Pulumi cannot move a resource between stacks during `pulumi up`: it would delete it in one stack
and create it in the other (for an auto-scaling group: terminate and relaunch its instances).
`pulumi state move --source SRC --dest DEST URN...` carries the resources' state over instead
(Pulumi CLI docs, "pulumi state move"; "Moving resources between stacks"), so the next `pulumi up`
of either stack sees nothing to do. Run the commands before `pulumi up`.

URNs follow what stacks/program.py registers: `urn:pulumi:<stack>::<project>::<parent type>$<type>::<name>`,
where the parent is the pool's `ultraplan:index:Pool` component (or the stack's `ultraplan:index:Group`).
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any, Iterable

from .diff import REPLACE, Change

PROJECT = "ultraplan"  # Pulumi.yaml `name`
POOL_TYPE = "ultraplan:index:Pool"  # stacks/components.py
GROUP_TYPE = "ultraplan:index:Group"


@dataclass(frozen=True)
class StateMove:
    source: str  # Pulumi stack names
    dest: str
    urns: tuple[str, ...]  # in the source stack, under the new names
    names: tuple[str, ...]
    renames: tuple[tuple[str, str], ...] = ()  # (URN under the old name, new name): a renamed pool

    @property
    def command(self) -> str:
        return (f"pulumi state move --source {shlex.quote(self.source)} --dest {shlex.quote(self.dest)} --yes "
                + " ".join(shlex.quote(u) for u in self.urns))

    @property
    def commands(self) -> list[str]:
        """`pulumi state rename` for a renamed pool's resources (Pulumi CLI docs, "pulumi state
        rename"), then the move."""
        renames = [f"pulumi state rename --stack {shlex.quote(self.source)} --yes {shlex.quote(u)} {shlex.quote(n)}"
                   for u, n in self.renames]
        return renames + [self.command]

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "dest": self.dest, "resources": list(self.names), "urns": list(self.urns),
                "command": self.command, "commands": self.commands}


def urn(stack: str, change: Change, project: str = PROJECT, name: str | None = None) -> str:
    parent = POOL_TYPE if change.pool else GROUP_TYPE
    return f"urn:pulumi:{stack}::{project}::{parent}${change.type}::{name or change.name}"


def state_moves(changes: Iterable[Change], prefix: str, project: str = PROJECT) -> list[StateMove]:
    """One command per (source, destination) pair of Pulumi stacks `<prefix>-<plan stack>`. A replaced
    resource needs none: it is deleted in its old stack and created in its new one anyway."""
    groups: dict[tuple[str, str], list[Change]] = {}
    for c in changes:
        if c.moved_from and c.op != REPLACE:
            groups.setdefault((c.moved_from, c.stack), []).append(c)
    out = []
    for (src, dst), members in groups.items():
        source, dest = f"{prefix}-{src}", f"{prefix}-{dst}"
        renames = tuple((urn(source, c, project, c.renamed_from), c.name) for c in members if c.renamed_from)
        out.append(StateMove(source, dest, tuple(urn(source, c, project) for c in members), tuple(c.name for c in members),
                             renames))
    return out
