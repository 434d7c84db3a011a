"""Compare two Plans the way `pulumi preview` reports changes: + create, ~ update, +- replace, - delete."""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import Any

import yaml

from .catalog import HERE as CATALOG_DIR
from .plan import Plan, Resource

CREATE, UPDATE, REPLACE, DELETE = "create", "update", "replace", "delete"
SYMBOL = {CREATE: "+", UPDATE: "~", REPLACE: "+-", DELETE: "-"}


@dataclass(frozen=True)
class InputChange:
    path: str
    old: Any
    new: Any
    forces_replace: bool


@dataclass(frozen=True)
class Change:
    op: str
    name: str
    type: str
    stack: str
    inputs: tuple[InputChange, ...] = field(default_factory=tuple)
    source: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"op": self.op, "name": self.name, "type": self.type, "stack": self.stack, "source": self.source,
                "inputs": [{"path": c.path, "old": c.old, "new": c.new, "forces_replace": c.forces_replace} for c in self.inputs]}


@functools.lru_cache(maxsize=1)
def replace_keys() -> dict[str, frozenset[str]]:
    with open(os.path.join(CATALOG_DIR, "replace_on_change.yaml"), encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return {t: frozenset(keys or ()) for t, keys in data["types"].items()}


def _walk(old: Any, new: Any, path: str) -> list[tuple[str, Any, Any]]:
    if isinstance(old, dict) and isinstance(new, dict) and "$ref" not in old and "$ref" not in new:
        out = []
        for key in list(old) + [k for k in new if k not in old]:
            out += _walk(old.get(key), new.get(key), f"{path}.{key}" if path else key)
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for i, (a, b) in enumerate(zip(old, new)):
            out += _walk(a, b, f"{path}[{i}]")
        return out
    return [] if old == new else [(path, old, new)]


def _changed(old: Resource, new: Resource) -> tuple[InputChange, ...]:
    forcing = replace_keys().get(new.type, frozenset())
    return tuple(InputChange(p, a, b, p.split(".")[0].split("[")[0] in forcing) for p, a, b in _walk(old.inputs, new.inputs, ""))


def diff(old: Plan, new: Plan) -> list[Change]:
    old_by, new_by = old.by_name(), new.by_name()
    old_stack, new_stack = old.stack_of(), new.stack_of()
    changes = []
    for res in new.resources():
        before = old_by.get(res.name)
        if before is None or before.type != res.type:
            if before is not None:
                changes.append(Change(REPLACE, res.name, res.type, new_stack[res.name], (InputChange("type", before.type, res.type, True),), res.source.to_json()))
            else:
                changes.append(Change(CREATE, res.name, res.type, new_stack[res.name], (), res.source.to_json()))
            continue
        delta = _changed(before, res)
        if old_stack[res.name] != new_stack[res.name]:
            # Pulumi cannot move a resource between stacks: it is deleted in one and created in the other.
            delta = (InputChange("stack", old_stack[res.name], new_stack[res.name], True),) + delta
        if delta:
            op = REPLACE if any(c.forces_replace for c in delta) else UPDATE
            changes.append(Change(op, res.name, res.type, new_stack[res.name], delta, res.source.to_json()))
    for res in old.resources():
        if res.name not in new_by:
            changes.append(Change(DELETE, res.name, res.type, old_stack[res.name], (), res.source.to_json()))
    return changes


def counts(changes: list[Change]) -> dict[str, int]:
    out = {CREATE: 0, UPDATE: 0, REPLACE: 0, DELETE: 0}
    for c in changes:
        out[c.op] += 1
    return out
