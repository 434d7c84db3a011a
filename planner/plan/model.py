"""The Plan: plain data between the spec and every consumer (stacks, preview, cost, preflight, policies).

A Plan is stacks of resources. Each resource has a Pulumi type token, a logical name unique in the
whole Plan, inputs named as the Pulumi engine names them (camelCase), the names of resources it
depends on, the spec line that asked for it and, for compute, the pool it belongs to. A reference to
another resource's output is the JSON object ``{"$ref": "<resource name>", "attr": "<output>"}``
(``attr`` in camelCase, e.g. ``id``, ``arn``, ``name``, ``latestVersion``); it may point into another
stack, which the Pulumi program resolves through a StackReference.

``pools`` carries what the compiler decided for each compute pool (instances, interfaces, IPs,
capacity, dates) so that consumers read decisions instead of re-deriving them. See docs/plan-format.md.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Any, Iterator

from ..fileshape import is_ref  # noqa: F401 (read here by the pack, stacks and the compiler)
from ..findings import Source
from ..records import PoolRecord

PLAN_FORMAT_VERSION = 1
PLAN_FORMAT = "ultraplan-plan"  # the marker that tells a Plan from a spec (planner.inputs), always the first key


def ref(name: str, attr: str = "id") -> dict[str, str]:
    """A reference to another Plan resource's output."""
    return {"$ref": name, "attr": attr}


def iter_refs(value: Any) -> Iterator[dict[str, str]]:
    """Every reference inside an input value, depth first."""
    if isinstance(value, dict):
        if "$ref" in value:
            yield value
            return
        for v in value.values():
            yield from iter_refs(v)
    elif isinstance(value, list):
        for v in value:
            yield from iter_refs(v)


@dataclass(slots=True)
class Resource:
    type: str
    name: str
    inputs: dict[str, Any]
    depends_on: list[str] = field(default_factory=list)
    source: Source = field(default_factory=Source)
    pool: str | None = None
    # Pulumi resource options the program applies (camelCase, as the engine names them):
    # {"protect": true, "retainOnDelete": true} on stateful and foundational resources.
    options: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = {
            "type": self.type,
            "name": self.name,
            "inputs": self.inputs,
            "depends_on": self.depends_on,
            "source": self.source.to_json(),
        }
        if self.pool is not None:
            data["pool"] = self.pool
        if self.options:
            data["options"] = self.options
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Resource":
        return cls(
            type=data["type"],
            name=data["name"],
            inputs=data.get("inputs", {}),
            depends_on=list(data.get("depends_on", [])),
            source=Source.from_json(data.get("source")),
            pool=data.get("pool"),
            options=dict(data.get("options") or {}),
        )


@dataclass(slots=True)
class Stack:
    name: str
    resources: list[Resource] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "resources": [r.to_json() for r in self.resources]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Stack":
        return cls(name=data["name"], resources=[Resource.from_json(r) for r in data.get("resources", [])])


@dataclass(slots=True)
class Plan:
    name: str
    region: str
    spec_file: str | None
    stacks: list[Stack]
    pools: list[PoolRecord] = field(default_factory=list)
    network: dict[str, Any] = field(default_factory=dict)
    storage: dict[str, Any] | None = None
    tags: dict[str, str] = field(default_factory=dict)
    budget: dict[str, Any] | None = None
    policies: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    catalog: dict[str, Any] = field(default_factory=dict)
    notes: list[dict[str, Any]] = field(default_factory=list)
    # spec `changes`: {"allow_replace": {name: reason}, "lines": {name: spec line}} (the diff gate)
    changes: dict[str, Any] = field(default_factory=dict)
    # A fleet cell's identity (fleet, cell, account, assume_role_arn): the stacks' provider assumes the
    # role; empty for a plain spec, and then absent from the JSON (single-spec Plans are unchanged).
    cell: dict[str, Any] = field(default_factory=dict)
    version: int = PLAN_FORMAT_VERSION

    # -- queries -----------------------------------------------------------------------------
    def resources(self) -> Iterator[Resource]:
        for stack in self.stacks:
            yield from stack.resources

    def by_name(self) -> dict[str, Resource]:
        return {r.name: r for r in self.resources()}

    def stack_of(self) -> dict[str, str]:
        return {r.name: s.name for s in self.stacks for r in s.resources}

    def stack(self, name: str) -> Stack:
        for s in self.stacks:
            if s.name == name:
                return s
        raise KeyError(f"no stack {name!r} in plan (stacks: {', '.join(s.name for s in self.stacks)})")

    def pool(self, name: str) -> PoolRecord:
        for p in self.pools:
            if p["name"] == name:
                return p
        raise KeyError(name)

    # -- JSON --------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "format": PLAN_FORMAT,
            "version": self.version,
            "name": self.name,
            "region": self.region,
            "spec_file": self.spec_file,
            "tags": self.tags,
            "summary": self.summary,
            "network": self.network,
            "storage": self.storage,
            "pools": [p.to_json() for p in self.pools],
            "budget": self.budget,
            "policies": self.policies,
            "catalog": self.catalog,
            "notes": self.notes,
            "changes": self.changes,
            **({"cell": self.cell} if self.cell else {}),
            "stacks": [s.to_json() for s in self.stacks],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Plan":
        return cls(
            version=data.get("version", PLAN_FORMAT_VERSION),
            name=data["name"],
            region=data["region"],
            spec_file=data.get("spec_file"),
            tags=data.get("tags", {}),
            summary=data.get("summary", {}),
            network=data.get("network", {}),
            storage=data.get("storage"),
            pools=[PoolRecord.from_json(p) for p in data.get("pools", [])],
            budget=data.get("budget"),
            policies=data.get("policies", {}),
            catalog=data.get("catalog", {}),
            notes=data.get("notes", []),
            changes=data.get("changes") or {},
            cell=data.get("cell") or {},
            stacks=[Stack.from_json(s) for s in data.get("stacks", [])],
        )

    def dumps(self, *, indent: int | None = None) -> str:
        # Compact by default: json's C encoder is only used without indent, ~10x faster at frontier scale.
        return json.dumps(self.to_json(), indent=indent, separators=None if indent else (",", ":"), default=str)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: str, text: str) -> None:
    """Write a file so that a reader never sees half of it: temp file in the same folder, then rename.

    The file gets the mode a plain `open(path, "w")` would give (0644 under the usual umask 022), or
    keeps the mode of the file it replaces. A symlink is followed: its target is replaced and the
    link stays (docs: "Output files"). A directory, or a folder that does not exist, is an OSError.
    """
    target = os.path.realpath(path) if os.path.islink(path) else path
    if os.path.isdir(target):
        raise IsADirectoryError(21, "Is a directory", path)
    folder = os.path.dirname(os.path.abspath(target))
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".ultraplan-", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _plan_shape():
    """The shape of a Plan file: every field a consumer reads, typed (the pool record from
    planner/records.py; the inputs consumers read by resource type from planner/tokens.py)."""
    from ..fileshape import ANY, BOOL, CIDR, INT, NUM, STR, Both, ListOf, MapOf, Obj, Opt, Where
    from ..tokens import input_shapes

    source = Opt(Obj({}, {"file": Opt(STR), "line": Opt(INT)}))
    reference = Obj({"$ref": STR, "attr": STR})
    inputs = Both(MapOf(ANY), Where(lambda v: type(v) is dict and "$ref" in v, reference))  # JSON: plain dicts
    resource = Both(Obj({"type": STR, "name": STR, "inputs": inputs},
                        {"depends_on": ListOf(STR), "source": source, "pool": Opt(STR),
                         "options": Obj({}, {"protect": BOOL, "retainOnDelete": BOOL})}),
                    input_shapes())
    subnet = Obj({}, {"name": Opt(STR), "availability_zone": Opt(STR), "cidr": Opt(CIDR), "existing_subnet_id": Opt(STR),
                      "ips_needed": Opt(INT), "ips_total": Opt(INT), "reserved_ips": Opt(INT), "pools": ListOf(STR)})
    public_subnet = Obj({}, {"availability_zone": Opt(STR), "cidr": Opt(CIDR), "network_border_group": Opt(STR)})
    from ..records import DATE

    savings_plan = Obj({"type": STR, "years": INT, "start": DATE, "pools": ListOf(STR)})
    budget = Obj({}, {"monthly_usd": Opt(NUM), "total_usd": Opt(NUM), "term_months": INT, "start": Opt(DATE),
                      "savings_plans": ListOf(savings_plan), "source": source})
    note = Obj({}, {"level": STR, "message": STR, "pool": Opt(STR), "source": source})
    changes = Obj({}, {"allow_replace": MapOf(STR), "lines": MapOf(Opt(INT))})
    return Both(Obj(
        {"format": STR, "version": INT, "name": STR, "region": STR, "stacks": ListOf(Obj({"name": STR},
                                                                                       {"resources": ListOf(resource)}))},
        {"spec_file": Opt(STR), "tags": MapOf(STR), "summary": MapOf(ANY),
         "network": Obj({}, {"subnets": Opt(ListOf(subnet)), "public_subnets": Opt(ListOf(public_subnet)),
                             "vpc_id": Opt(STR), "vpc_cidr": Opt(CIDR), "secondary_cidrs": Opt(ListOf(CIDR)),
                             "egress": Opt(STR), "existing_subnet_id": Opt(STR), "region_zone": Opt(STR)}),
         "storage": Opt(MapOf(ANY)), "pools": ListOf(PoolRecord.shape()), "budget": Opt(budget),
         "policies": Obj({}, {"config": MapOf(ANY), "skip": MapOf(STR), "lines": MapOf(Opt(INT))}),
         "catalog": MapOf(ANY), "notes": ListOf(note), "changes": Opt(changes)}))


_LARGE_EXPONENT = re.compile(r"\d[eE][+]?\d{3,}")


class _NonFinite:
    name = "a finite number"

    def check(self, value: Any, path: str) -> None:
        from ..fileshape import _Mismatch

        raise _Mismatch(path, "expected a finite number, got NaN or infinity")


def load_plan(path: str) -> Plan:
    """Read a Plan JSON written by `ultraplan plan --out`; a bad file is an InputFileError (exit 2)
    naming the file and the field. The file must carry the Plan format marker and a version this
    ultraplan reads; it is at most planner.inputs.MAX_PLAN_BYTES."""
    from ..errors import InputFileError
    from ..inputs import MAX_PLAN_BYTES, not_a_spec, read_text
    from ..fileshape import conform

    text = read_text(path, MAX_PLAN_BYTES, "plan file")
    # NaN and Infinity (which Python's json reads), or an exponent that overflows to infinity: rare,
    # so only then is the whole Plan walked to name the field (a hook on every float costs ~1 s at
    # frontier scale).
    odd: list[str] = [m.group(0) for m in _LARGE_EXPONENT.finditer(text, 0)][:1]

    def constant(literal: str) -> float:
        odd.append(literal)
        return float(literal)

    try:
        data = json.loads(text, parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise InputFileError(path, f"line {exc.lineno}", f"not an ultraplan plan JSON ({exc.msg}, column {exc.colno})",
                             "a Plan is the JSON `ultraplan plan --out` writes") from None
    except RecursionError:
        raise InputFileError(path, "<root>", "nested too deeply") from None
    if not isinstance(data, dict) or data.get("format") != PLAN_FORMAT:
        why = not_a_spec(data) if isinstance(data, dict) and data.get("format") else None
        raise InputFileError(path, "format", why or f"not an ultraplan Plan (expected \"format\": \"{PLAN_FORMAT}\" "
                             "first; a spec goes in the SPEC argument)")
    if data.get("version") != PLAN_FORMAT_VERSION:
        raise InputFileError(path, "version", f"Plan format version {data.get('version')!r} is not supported "
                             f"(this ultraplan reads version {PLAN_FORMAT_VERSION})", "re-run `ultraplan plan --out`")
    shape = _plan_shape()
    if odd:  # rare: walk the whole Plan to name the field
        from ..fileshape import Both, Where, finite

        shape = Both(Where(lambda v: not finite(v), _NonFinite(), scalars=True), shape)
    conform(data, shape, path, "re-run `ultraplan plan --out`, or fix the field")
    from ..catalog import regions

    if data["region"] not in regions():  # as `validate` refuses it in a spec: nothing can be priced or checked
        import difflib

        close = difflib.get_close_matches(data["region"], list(regions()), n=2)
        raise InputFileError(path, "region", f"unknown region {data['region']!r}",
                             f"did you mean {' or '.join(close)}?" if close else "e.g. us-east-1")
    return Plan.from_json(data)
