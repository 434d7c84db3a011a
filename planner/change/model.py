"""A change between two Plans and its classes: the operations (+ ~ +- - >), what a change destroys,
terminates or disrupts, and the Change record the diff, its impact, the gate and the reports share."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


CREATE, UPDATE, REPLACE, DELETE, MOVE = "create", "update", "replace", "delete", "move"
OPS = (CREATE, UPDATE, REPLACE, DELETE, MOVE)
SYMBOL = {CREATE: "+", UPDATE: "~", REPLACE: "+-", DELETE: "-", MOVE: ">"}
VERB = {CREATE: "created", UPDATE: "updated", REPLACE: "replaced", DELETE: "deleted", MOVE: "moved"}

DESTROYS_DATA = "destroys-data"
TERMINATES_CAPACITY = "terminates-capacity"
DISRUPTS_NETWORKING = "disrupts-networking"
HARMLESS = "harmless"
CLASSES = (DESTROYS_DATA, TERMINATES_CAPACITY, DISRUPTS_NETWORKING, HARMLESS)  # worst first
GATED = (DESTROYS_DATA, TERMINATES_CAPACITY)  # what `check --diff` fails on unless allowed


@dataclass(frozen=True)
class InputChange:
    path: str
    old: Any
    new: Any
    forces_replace: bool


@dataclass(frozen=True)
class Link:
    """One step of a cascade: `resource`'s `input` refers to `refers_to`, which changes."""

    resource: str
    input: str
    refers_to: str

    def to_json(self) -> dict[str, str]:
        return {"resource": self.resource, "input": self.input, "refers_to": self.refers_to}


@dataclass(frozen=True)
class Change:
    op: str
    name: str
    type: str
    stack: str
    inputs: tuple[InputChange, ...] = field(default_factory=tuple)
    source: dict[str, Any] | None = None
    chain: tuple[Link, ...] = ()  # first link: this resource's input; last: the resource that changed itself
    because: str = ""  # the chain in words
    klass: str = HARMLESS
    impact: dict[str, Any] = field(default_factory=dict)  # instances, gpus, block_instance_hours, note
    moved_from: str | None = None  # the stack it was in, when it changes stack
    pool: str | None = None
    renamed_from: str | None = None  # its name in the old Plan, when its pool was renamed
    cause_source: dict[str, Any] | None = None  # the spec line behind the root of the chain

    def to_json(self) -> dict[str, Any]:
        return {"op": self.op, "name": self.name, "type": self.type, "stack": self.stack, "source": self.source,
                "inputs": [{"path": c.path, "old": c.old, "new": c.new, "forces_replace": c.forces_replace} for c in self.inputs],
                "class": self.klass, "because": self.because, "chain": [link.to_json() for link in self.chain],
                "impact": self.impact, "moved_from": self.moved_from, "renamed_from": self.renamed_from, "pool": self.pool,
                "cause_source": self.cause_source}
