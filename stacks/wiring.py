"""How the stacks of one Plan are wired: which outputs each stack exports, in which order they deploy.

Pure functions of the Plan (no pulumi import), so the program, ``stacks.configure`` and the tests
agree on the same answers. A stack exports exactly the outputs that other stacks reference, under the
stable key ``<resource name>.<attr>`` (``efa-sg.id``, ``lt-trainers.latestVersion``); a consumer reads
them through one ``pulumi.StackReference`` per producing stack.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from planner.plan.model import Plan, Resource, iter_refs

from .sdk import PlanInputError


def export_key(name: str, attr: str) -> str:
    """The stack output under which a producing stack publishes ``name``'s output ``attr``."""
    return f"{name}.{attr}"


@dataclass(frozen=True)
class Wiring:
    """Cross-stack facts of one Plan."""

    stack_of: dict[str, str]  # resource name -> Plan stack name
    exports: dict[str, list[tuple[str, str]]]  # Plan stack -> [(resource name, attr)] others read
    needs: dict[str, list[str]]  # Plan stack -> Plan stacks it reads from (deploy those first)

    def export_keys(self, stack: str) -> list[str]:
        return [export_key(n, a) for n, a in self.exports.get(stack, [])]


def wiring(plan: Plan) -> Wiring:
    """Every cross-stack reference and dependency in ``plan``, sorted for stable output."""
    stack_of = plan.stack_of()
    exports: dict[str, set[tuple[str, str]]] = defaultdict(set)
    needs: dict[str, set[str]] = defaultdict(set)
    for stack in plan.stacks:
        for resource in stack.resources:
            for name, attr in _references(resource):
                home = stack_of.get(name)
                if home is None:
                    raise PlanInputError(f"{resource.name} references {name!r}, which is not in the plan")
                if home != stack.name:
                    exports[home].add((name, attr))
                    needs[stack.name].add(home)
            for name in resource.depends_on:
                home = stack_of.get(name)
                if home is None:
                    raise PlanInputError(f"{resource.name} depends on {name!r}, which is not in the plan")
                if home != stack.name:
                    needs[stack.name].add(home)
    order = {s.name: i for i, s in enumerate(plan.stacks)}
    return Wiring(
        stack_of=stack_of,
        exports={s: sorted(v) for s, v in exports.items()},
        needs={s: sorted(v, key=order.__getitem__) for s, v in needs.items()},
    )


def _references(resource: Resource) -> list[tuple[str, str]]:
    return [(r["$ref"], r.get("attr", "id")) for r in iter_refs(resource.inputs)]


def is_compute(stack: str) -> bool:
    return stack.startswith("compute-")


def deploy_waves(plan: Plan, wires: Wiring | None = None) -> list[list[str]]:
    """Plan stacks grouped into waves, deployed one wave after another; the stacks of one wave can
    deploy in parallel (the compute shards). A stack comes after every stack it reads from and,
    by convention, after the shared stacks listed before it (network -> storage -> compute-<pool>-<k>), so
    FSx exists before the first instance boots even though no input references it."""
    wires = wires or wiring(plan)
    names = [s.name for s in plan.stacks]
    shared = [s for s in names if not is_compute(s)]
    before: dict[str, set[str]] = {}
    for s in names:
        conventional = shared if is_compute(s) else shared[: shared.index(s)]
        before[s] = set(wires.needs.get(s, [])) | set(conventional)
    wave_of: dict[str, int] = {}
    remaining = list(names)
    while remaining:
        ready = [s for s in remaining if before[s] <= set(wave_of)]
        if not ready:
            raise PlanInputError(f"stacks reference each other in a cycle: {', '.join(remaining)}")
        for s in ready:
            wave_of[s] = 1 + max((wave_of[p] for p in before[s]), default=-1)
        remaining = [s for s in remaining if s not in wave_of]
    waves: list[list[str]] = [[] for _ in range(max(wave_of.values(), default=-1) + 1)]
    for s in names:
        waves[wave_of[s]].append(s)
    return waves
