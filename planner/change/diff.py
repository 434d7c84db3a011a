"""Compare two Plans the way `pulumi preview --diff` reports changes, and say what each one costs.

Operations: + create, ~ update, +- replace (an input that forces it, or a replaced resource it
refers to), - delete, > move (same resource, another stack: `pulumi state move` carries it over).

Replacement cascades: when a resource is replaced its id changes, so every resource whose
replace-on-change input (catalog/replace_on_change.yaml) refers to it is replaced too, transitively;
one whose other inputs refer to it is updated. Each change carries the chain that causes it
("lustre: replaced because subnetIds refers to subnet-us-east-1a, replaced because cidrBlock
changed") and a class (planner/change/impact.py): destroys data, terminates running capacity (instances,
GPUs, paid capacity-block hours), disrupts networking, or harmless.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

from planner import tokens as T

from ..catalog import replace_on_change
from ..plan.model import Plan, Resource, iter_refs
from ..records import pool_of

# What importers of planner.change.diff have always found here.
from .model import (  # noqa: F401
    CREATE, UPDATE, REPLACE, DELETE, MOVE, OPS, SYMBOL, VERB, DESTROYS_DATA, TERMINATES_CAPACITY,
    DISRUPTS_NETWORKING, HARMLESS, CLASSES, GATED, InputChange, Link, Change)


@functools.lru_cache(maxsize=1)
def _replace_data() -> dict[str, dict[str, Any]]:
    data = replace_on_change()
    return {t: (entry if isinstance(entry, dict) else {"replace": entry}) for t, entry in data["types"].items()}


def replace_keys() -> dict[str, frozenset[str]]:
    """type token -> inputs whose change always forces a replacement."""
    return {t: frozenset(e.get("replace") or ()) for t, e in _replace_data().items()}


def _forces(type_: str, key: str, old: Any, new: Any) -> bool:
    entry = _replace_data().get(type_) or {}
    if key in (entry.get("replace") or ()):
        return True
    when = (entry.get("when") or {}).get(key)
    if when == "decrease":
        return isinstance(old, (int, float)) and isinstance(new, (int, float)) and new < old
    return False


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


def _top(path: str) -> str:
    return path.split(".")[0].split("[")[0]


def _changed(old: Resource, new: Resource) -> tuple[InputChange, ...]:
    inputs = tuple(InputChange(p, a, b, _forces(new.type, _top(p), a, b)) for p, a, b in _walk(old.inputs, new.inputs, ""))
    options = tuple(InputChange(f"options.{p}", a, b, False) for p, a, b in _walk(old.options, new.options, ""))
    return inputs + options


def _own_reason(change: Change) -> str:
    forcing = [c.path for c in change.inputs if c.forces_replace]
    paths = forcing or [c.path for c in change.inputs]
    names = list(dict.fromkeys(_top(p) if not p.startswith("options.") else p for p in paths))
    if not names:
        return ""
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"{shown} changed"


def _is_ref(value: Any) -> bool:
    return isinstance(value, dict) and "$ref" in value


def _ref_swaps(change: Change) -> list[InputChange]:
    """The inputs that decide the change (the forcing ones, else all) when every one of them now
    refers to another resource (FSx's subnet in another zone); else []."""
    deciding = [c for c in change.inputs if c.forces_replace] or list(change.inputs)
    swapped = [c for c in deciding if _is_ref(c.old) and _is_ref(c.new) and c.old["$ref"] != c.new["$ref"]]
    return swapped if swapped and len(swapped) == len(deciding) else []


def _swap_cause(change: Change, new_by: dict[str, Resource]) -> tuple[str, dict[str, Any] | None]:
    """Why a resource whose input now refers to another resource changes, and the spec line behind it:
    the line of what put that other resource in the Plan (a subnet's zone field), not the changed
    resource's own line, which nobody edited."""
    swaps = _ref_swaps(change)
    target = new_by.get(swaps[0].new["$ref"]) if swaps else None
    if target is None:
        return "", None
    moved = ", ".join(dict.fromkeys(f"{c.old['$ref']} → {c.new['$ref']}" for c in swaps))
    return f" ({moved})", target.source.to_json()


def diff(old: Plan, new: Plan, *, now: dt.datetime | None = None) -> list[Change]:
    """Every change from `old` to `new`: direct ones, then the cascade of replacements, each classed.
    `now` (UTC) prices the capacity-block hours a termination loses; default: the planning clock."""
    from . import impact

    changes = _direct(old, new)
    changes = _cascade(new, changes)
    if now is None:
        from .. import clock

        now = clock.now()
    by_name = {c.name: c for c in changes}
    return [impact.classify(c, old, new, now, by_name) for c in changes]


def _renamed_name(name: str, old_pool: str, new_pool: str) -> str | None:
    """`asg-gpu-u0001` of pool gpu -> `asg-eval-u0001` of pool eval (names are `<kind>-<pool>[...]`)."""
    kind, _, rest = name.partition("-")
    return f"{kind}-{new_pool}{rest[len(old_pool):]}" if rest.startswith(old_pool) else None


def pool_renames(old: Plan, new: Plan) -> dict[str, str]:
    """new resource name -> old name, for pools that were only renamed: a pool gone from the old Plan
    whose resources, renamed, are exactly (names and types) those of a pool new in the new Plan."""
    old_pools = {p.get("name") for p in old.pools}
    new_pools = {p.get("name") for p in new.pools}
    gone, came = sorted(old_pools - new_pools), sorted(new_pools - old_pools)
    if not gone or not came:
        return {}
    members: dict[tuple[str, str], dict[str, str]] = {}
    for side, plan, pools in (("old", old, gone), ("new", new, came)):
        for r in plan.resources():
            if r.pool in pools:
                members.setdefault((side, r.pool), {})[r.name] = r.type
    out: dict[str, str] = {}
    taken: set[str] = set()
    for p in gone:
        before = members.get(("old", p), {})
        for q in came:
            after = members.get(("new", q), {})
            if q in taken or not before:
                continue
            mapped = {_renamed_name(n, p, q): (n, t) for n, t in before.items()}
            if set(mapped) == set(after) and all(after[m] == t for m, (_, t) in mapped.items()):
                out.update({m: n for m, (n, _) in mapped.items()})
                taken.add(q)
                break
    return out


def _with_refs_renamed(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        if "$ref" in value:
            return {**value, "$ref": names.get(value["$ref"], value["$ref"])}
        return {k: _with_refs_renamed(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_refs_renamed(v, names) for v in value]
    return value


def _direct(old: Plan, new: Plan) -> dict[str, Change]:
    old_by = old.by_name()
    old_stack, new_stack = old.stack_of(), new.stack_of()
    renames = pool_renames(old, new)
    old_to_new = {o: n for n, o in renames.items()}
    changes: dict[str, Change] = {}
    for res in new.resources():
        before = old_by.get(res.name)
        renamed_from = None
        if before is None and res.name in renames:
            renamed_from = renames[res.name]
            old_res = old_by[renamed_from]
            before = Resource(old_res.type, res.name, _with_refs_renamed(old_res.inputs, old_to_new), old_res.depends_on,
                              old_res.source, old_res.pool, old_res.options)
        src = res.source.to_json()
        stack = new_stack[res.name]
        if before is None:
            changes[res.name] = Change(CREATE, res.name, res.type, stack, (), src, pool=res.pool)
            continue
        if before.type != res.type:
            changes[res.name] = Change(REPLACE, res.name, res.type, stack, (InputChange("type", before.type, res.type, True),),
                                       src, pool=res.pool)
            continue
        delta = _changed(before, res)
        was_in = old_stack[renamed_from or res.name]
        moved = was_in if was_in != stack else None
        if delta or moved:
            op = REPLACE if any(c.forces_replace for c in delta) else (UPDATE if delta else MOVE)
            changes[res.name] = Change(op, res.name, res.type, stack, delta, src, moved_from=moved, pool=res.pool,
                                       renamed_from=renamed_from)
    new_names = set(new_stack)
    for res in old.resources():
        if res.name not in new_names and res.name not in old_to_new:
            changes[res.name] = Change(DELETE, res.name, res.type, old_stack[res.name], (), res.source.to_json(), pool=res.pool)
    new_pools = {p.get("name"): p for p in new.pools}
    new_by = new.by_name()
    for name, c in changes.items():
        if c.op == DELETE:
            # point at what asks for it to go: the pool that now has fewer resources, else the spec
            pool = new_pools.get(c.pool) if c.pool else None
            because = (_fired_scale_out(old_by[name], pool) if pool else None) or (
                f"pool {c.pool} no longer has it" if pool else
                f"pool {c.pool} is no longer in the spec" if c.pool else "it is no longer in the spec")
            where = (pool or {}).get("source") or {"file": new.spec_file, "line": None}
            changes[name] = replace(c, because=because, cause_source=where)
        elif c.op in (UPDATE, REPLACE, MOVE):
            reason = _own_reason(c) if c.inputs else f"its stack changed ({c.moved_from} → {c.stack})"
            opened = _opened_block(c, new_pools.get(c.pool) if c.pool else None)
            if opened:
                reason = f"{reason}: {opened}"
            swapped, swap_source = ("", None) if c.renamed_from else _swap_cause(c, new_by)
            reason += swapped
            if c.renamed_from:
                reason = f"its pool was renamed ({c.renamed_from} → {c.name})" + (f"; {reason}" if c.inputs else "")
            changes[name] = replace(c, because=reason, cause_source=swap_source or c.source)
        else:
            changes[name] = replace(c, cause_source=c.source)
    return changes


SCHEDULE = T.SCHEDULED_ACTION


def _running_block(pool: Any) -> Any:
    """The pool's capacity when it is a block that had opened when the Plan was made, else None."""
    cap = pool_of(pool).capacity if pool else None
    return cap if cap is not None and cap.running else None


def _fired_scale_out(before: Resource, pool: dict[str, Any] | None) -> str | None:
    """Why a block's scheduled scale-out leaves the Plan once the block has opened: it has run, and
    Auto Scaling deletes a one-time action once it runs (EC2 Auto Scaling UG, scheduled scaling), so
    the delete finds nothing to remove (the provider treats "not found" as deleted)."""
    cap = _running_block(pool)
    raises = isinstance(before.inputs.get("desiredCapacity"), int) and before.inputs["desiredCapacity"] > 0
    if before.type != SCHEDULE or cap is None or not raises:
        return None
    return (f"the block opened at {cap.get('starts_at')}: this one-time scale-out has run (Auto Scaling deletes it "
            "once it runs) and the group is now sized to the block itself")


def _opened_block(change: Change, pool: dict[str, Any] | None) -> str | None:
    """A block's group sized up in place because its block has opened (compile/blocks.py)."""
    cap = _running_block(pool)
    paths = {_top(c.path) for c in change.inputs}
    if change.type != T.AUTOSCALING_GROUP or cap is None or not paths <= {"minSize", "desiredCapacity"}:
        return None
    return f"the block opened at {cap.get('starts_at')} and the group runs it at its scheduled size"


def _dependents(plan: Plan) -> dict[str, list[tuple[Resource, str, str]]]:
    """referenced name -> [(resource, top-level input, attr)] over every reference in `plan`."""
    out: dict[str, list[tuple[Resource, str, str]]] = {}
    for r in plan.resources():
        for key, value in r.inputs.items():
            for ref in iter_refs(value):
                out.setdefault(ref["$ref"], []).append((r, key, ref.get("attr", "id")))
    return out


# Outputs that stay the same across an in-place update; any other (e.g. latestVersion) changes with it.
_STABLE_ATTRS = {"id", "arn", "name", "urn"}
# Outputs AWS assigns once, at creation: an in-place update keeps them (Amazon FSx API Reference,
# FileSystem.DNSName and LustreFileSystemConfiguration.MountName).
_CREATE_ONLY_ATTRS = {T.LUSTRE: {"dnsName", "mountName"}}
# Outputs that change in an in-place update only when the input of the same name does (the Lustre
# version is upgraded in place when fileSystemTypeVersion changes, and only then).
_FOLLOWS_INPUT = {T.LUSTRE: {"fileSystemTypeVersion"}}


def _unchanged_output(cause: Change, attr: str) -> bool:
    """Whether an in-place update of `cause` leaves its output `attr` as it was."""
    if attr in _STABLE_ATTRS or attr in _CREATE_ONLY_ATTRS.get(cause.type, ()):
        return True
    return attr in _FOLLOWS_INPUT.get(cause.type, ()) and all(_top(c.path) != attr for c in cause.inputs)


def _cascade(new: Plan, changes: dict[str, Change]) -> list[Change]:
    """Breadth first from every replaced (or updated, for outputs that change) resource, so each
    resource gets the shortest chain to a change of its own."""
    dependents = _dependents(new)
    stack_of = new.stack_of()
    queue = deque(name for name, c in changes.items() if c.op in (REPLACE, UPDATE))
    while queue:
        name = queue.popleft()
        cause = changes[name]
        for dep, key, attr in dependents.get(name, []):
            current = changes.get(dep.name)
            if current is not None and current.op in (CREATE, REPLACE):
                continue
            if cause.op == UPDATE and _unchanged_output(cause, attr):
                continue  # an in-place update keeps this output: nothing downstream changes
            forces = cause.op == REPLACE and _forces(dep.type, key, None, None)
            link = Link(dep.name, key, name)
            because = f"{key} refers to {name}, {VERB[cause.op]} because {cause.because}"
            chain = (link,) + cause.chain
            if forces:
                base = current or Change(REPLACE, dep.name, dep.type, stack_of[dep.name], (), dep.source.to_json(), pool=dep.pool)
                changes[dep.name] = replace(base, op=REPLACE, chain=chain, because=because, cause_source=cause.cause_source)
                queue.append(dep.name)
            elif current is None or (current.op in (UPDATE, MOVE) and not current.chain):
                base = current or Change(UPDATE, dep.name, dep.type, stack_of[dep.name], (), dep.source.to_json(), pool=dep.pool)
                own = f"; also {base.because}" if current is not None and current.because else ""
                changes[dep.name] = replace(base, op=UPDATE, chain=chain, because=because + own,
                                            cause_source=cause.cause_source)
                queue.append(dep.name)  # its changing outputs (e.g. latestVersion) update others
    order = {n: i for i, n in enumerate(stack_of)}
    rest = len(order)
    return sorted(changes.values(), key=lambda c: (order.get(c.name, rest), c.name))


def counts(changes: list[Change]) -> dict[str, int]:
    out = {op: 0 for op in OPS}
    for c in changes:
        out[c.op] += 1
    return out


def totals(changes: list[Change]) -> dict[str, Any]:
    """What the changes cost, worst class first: how many changes, instances, GPUs and paid
    capacity-block instance-hours each class puts at stake."""
    out: dict[str, Any] = {}
    for klass in CLASSES:
        members = [c for c in changes if c.klass == klass]
        out[klass] = {
            "changes": len(members),
            "resources": [c.name for c in members] if klass != HARMLESS else [],
            "instances": sum(c.impact.get("instances", 0) for c in members),
            "gpus": sum(c.impact.get("gpus", 0) for c in members),
            "block_instance_hours": round(sum(c.impact.get("block_instance_hours", 0) for c in members), 1),
        }
    return out
