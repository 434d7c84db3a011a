"""Rollout waves: a fleet (or a change to it) as ordered waves with a blast radius.

`waves(units, max_gpus, max_domains, canary)` is a pure function over Units (one stack deploy of one
cell, or one step of a launch-template pin move) and their dependencies: each unit comes after every
unit it depends on (an earlier wave, or earlier in the same wave), each unit exactly once, the
canary cell's units first (up to and including its first unit that touches running capacity, in a
wave of its own), and no wave changes or terminates more than `max_gpus` accelerators or
`max_domains` NVLink domains. A unit bigger than the limits alone cannot be split here: it gets a
wave of its own and is reported `over` (the rollout then fails, naming it).

`fleet_units(new, old)` derives the units: with no old fleet, every stack of every cell is created
(creating capacity touches nothing that runs, so it counts against no limit); with an old fleet,
every stack with changes, counting the accelerators of the groups it updates, replaces or deletes.
A launch-template change is rolled out by pins (planner/compile/compute.py): first the template is
updated with every group of its pool pinned to the version running now (`current`), then each unit
moves the pins of some groups to the new version (`next`), wave by wave; a wave's pins are written to
the stacks' `ultraplan:pins` config before `pulumi up`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable

CURRENT, NEXT = "current", "next"


@dataclass(frozen=True)
class Unit:
    """One step: deploy `stack` of `cell` (Pulumi stack `pulumi_stack`), changing `groups`."""

    id: str
    cell: str
    stack: str
    pulumi_stack: str
    gpus: int = 0
    domains: int = 0
    after: tuple[str, ...] = ()  # unit ids that must go first
    groups: tuple[str, ...] = ()  # auto-scaling groups it changes or terminates
    action: str = "deploy"  # deploy | destroy | pin-current | pin-next
    pool: str | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "cell": self.cell, "stack": self.stack, "pulumi_stack": self.pulumi_stack,
                "action": self.action, "pool": self.pool, "gpus": self.gpus, "domains": self.domains,
                "groups": list(self.groups), "after": list(self.after), "note": self.note}


@dataclass
class Wave:
    index: int
    units: list[Unit] = field(default_factory=list)
    canary: bool = False

    @property
    def gpus(self) -> int:
        return sum(u.gpus for u in self.units)

    @property
    def domains(self) -> int:
        return sum(u.domains for u in self.units)


@dataclass
class Rollout:
    fleet: str
    max_gpus: int
    max_domains: int
    waves: list[Wave]
    pins: dict[int, dict[str, dict[str, Any]]] = field(default_factory=dict)  # wave -> cell -> {group|pool: version}

    @property
    def over(self) -> list[Wave]:
        return [w for w in self.waves if w.gpus > self.max_gpus or w.domains > self.max_domains]

    def to_json(self) -> dict[str, Any]:
        return {"fleet": self.fleet, "max_gpus": self.max_gpus, "max_domains": self.max_domains,
                "stop_on_failure": True, "ok": not self.over,
                "waves": [{"wave": w.index, "canary": w.canary, "gpus": w.gpus, "domains": w.domains,
                           "over": w.gpus > self.max_gpus or w.domains > self.max_domains,
                           "units": [u.to_json() for u in w.units],
                           "pins": self.pins.get(w.index, {})} for w in self.waves]}


def _fits(wave: list[Unit], unit: Unit, max_gpus: int, max_domains: int) -> bool:
    return (sum(u.gpus for u in wave) + unit.gpus <= max_gpus
            and sum(u.domains for u in wave) + unit.domains <= max_domains)


def waves(units: Iterable[Unit], max_gpus: int, max_domains: int, canary: str | None = None) -> list[Wave]:
    """Units into waves (see the module docstring). Deterministic: ties keep the units' order.

    The canary goes first: the canary cell's first unit that touches capacity, with everything it
    depends on (or, when none touches capacity, all the canary cell's units and their dependencies),
    in waves of their own marked `canary`; then everything else."""
    units = list(units)
    ids = {u.id for u in units}
    if len(ids) != len(units):
        raise ValueError("unit ids must be unique")
    order = {u.id: i for i, u in enumerate(units)}
    ordered = _topo(units, order)  # raises on a cycle
    out: list[Wave] = []
    done: set[str] = set()
    if canary is not None:
        first = next((u for u in ordered if u.cell == canary and (u.gpus or u.domains)), None)
        seeds = [first] if first is not None else [u for u in ordered if u.cell == canary]
        chosen: dict[str, Unit] = {}
        for seed in seeds:
            chosen.update({u.id: u for u in _closure(seed, units)})
        if chosen:
            for w in _pack([u for u in ordered if u.id in chosen], done, ids, max_gpus, max_domains, len(out)):
                w.canary = True
                out.append(w)
    out += _pack([u for u in ordered if u.id not in done], done, ids, max_gpus, max_domains, len(out))
    return out


def _pack(todo: list[Unit], done: set[str], ids: set[str], max_gpus: int, max_domains: int,
          offset: int) -> list[Wave]:
    """Greedy: each wave takes, in order, every unit whose dependencies are placed and that fits; a
    unit over the limits alone gets a wave of its own. `done` grows with what is placed."""
    out: list[Wave] = []
    remaining = list(todo)
    while remaining:
        wave = Wave(offset + len(out) + 1)
        placed = set(done)
        progress = True
        while progress and remaining:
            progress = False
            for u in list(remaining):
                if not all(d in placed or d not in ids for d in u.after):
                    continue
                over_alone = u.gpus > max_gpus or u.domains > max_domains
                if over_alone and wave.units:
                    continue
                if not over_alone and not _fits(wave.units, u, max_gpus, max_domains):
                    continue
                wave.units.append(u)
                placed.add(u.id)
                remaining.remove(u)
                progress = True
                if over_alone:
                    break
            if wave.units and (wave.units[-1].gpus > max_gpus or wave.units[-1].domains > max_domains):
                break
        if not wave.units:
            raise ValueError(f"units depend on each other in a cycle: {', '.join(u.id for u in remaining)}")
        done |= {u.id for u in wave.units}
        out.append(wave)
    return out


def _topo(units: list[Unit], order: dict[str, int]) -> list[Unit]:
    by_id = {u.id: u for u in units}
    seen: set[str] = set()
    out: list[Unit] = []

    def visit(u: Unit, trail: tuple[str, ...] = ()) -> None:
        if u.id in seen:
            return
        if u.id in trail:
            raise ValueError(f"units depend on each other in a cycle: {', '.join(trail)}")
        for d in sorted(u.after, key=lambda x: order.get(x, 0)):
            if d in by_id:
                visit(by_id[d], trail + (u.id,))
        seen.add(u.id)
        out.append(u)

    for u in units:
        visit(u)
    return out


def _closure(unit: Unit, units: list[Unit]) -> list[Unit]:
    by_id = {u.id: u for u in units}
    out: dict[str, Unit] = {}
    stack = [unit]
    while stack:
        u = stack.pop()
        if u.id in out:
            continue
        out[u.id] = u
        stack += [by_id[d] for d in u.after if d in by_id]
    return list(out.values())


# -- units of a fleet ----------------------------------------------------------------------------
def stack_needs(plan: Any) -> dict[str, set[str]]:
    """Plan stack -> the stacks deployed before it: those it references, and (by convention, as
    stacks/wiring.py) the shared stacks (network, storage) before every compute stack."""
    from ..plan.model import iter_refs

    stack_of = plan.stack_of()
    names = [s.name for s in plan.stacks]
    shared = [n for n in names if not n.startswith("compute-")]
    needs: dict[str, set[str]] = {n: set() for n in names}
    for s in plan.stacks:
        for r in s.resources:
            for ref in iter_refs(r.inputs):
                other = stack_of.get(ref["$ref"])
                if other and other != s.name:
                    needs[s.name].add(other)
            for d in r.depends_on:
                other = stack_of.get(d)
                if other and other != s.name:
                    needs[s.name].add(other)
        needs[s.name] |= set(shared if s.name.startswith("compute-") else shared[:shared.index(s.name)])
        needs[s.name].discard(s.name)
    return needs


def _group_sizes(plan: Any) -> dict[str, tuple[int, int]]:
    """Auto-scaling group -> (accelerators, NVLink domains) it holds."""
    out = {}
    for p in plan.pools:
        groups = p.get("groups") or []
        if not groups:
            continue
        per = int(p.get("gpus") or 0) // len(groups)
        domains = int(p.get("nvlink_domains") or 0) // len(groups)
        for g in groups:
            out[g] = (per, domains)
    return out


def _uid(cell: str, stack: str, suffix: str = "") -> str:
    return f"{cell}/{stack}" + (f"#{suffix}" if suffix else "")


def fleet_units(new: Any, old: Any | None = None) -> tuple[list[Unit], dict[str, dict[str, Any]]]:
    """The units of deploying `new` (a FleetPlan), or of changing `old` into it; and, per cell, the
    launch-template pools moved by pins (cell -> pool -> its groups in order)."""
    from ..change.diff import diff
    from ..change.impact import ASG as ASG_TYPE

    units: list[Unit] = []
    pinned: dict[str, dict[str, Any]] = {}
    old_cells = {c.name: c for c in (old.cells if old is not None else [])}
    for cp in new.cells:
        plan, cell = cp.plan, cp.name
        prefix = plan.cell.get("stack_prefix") or cell
        needs = stack_needs(plan)
        sizes = _group_sizes(plan)
        before = old_cells.get(cell)
        if before is None:
            for s in plan.stacks:
                units.append(Unit(_uid(cell, s.name), cell, s.name, f"{prefix}-{s.name}",
                                  after=tuple(_uid(cell, n) for n in sorted(needs[s.name])),
                                  note="create"))
            continue
        changes = diff(before.plan, plan)
        stack_of = plan.stack_of()
        lt_pools = {c.pool for c in changes if c.op == "update" and c.type == LT_TYPE and c.pool}
        by_stack: dict[str, list[Any]] = {}
        for c in changes:
            by_stack.setdefault(c.stack, []).append(c)
        pools = {p["name"]: p for p in plan.pools}
        old_sizes = _group_sizes(before.plan)
        sizes = {**old_sizes, **sizes}  # a deleted group's GPUs are in the old Plan
        gone = [s for s in before.plan.stacks if s.name not in needs]
        old_needs = stack_needs(before.plan)
        for s in gone:  # a stack the change removes: after the stacks that read from it are gone or updated
            readers = sorted(n for n, deps in old_needs.items() if s.name in deps)
            groups = tuple(r.name for r in s.resources if r.type == ASG_TYPE)
            units.append(Unit(_uid(cell, s.name), cell, s.name, f"{prefix}-{s.name}",
                              sum(sizes.get(g, (0, 0))[0] for g in groups), sum(sizes.get(g, (0, 0))[1] for g in groups),
                              tuple(_uid(cell, n) for n in readers), groups, "destroy",
                              note="the stack is removed (`pulumi destroy`)"))
        for s in plan.stacks:
            members = by_stack.get(s.name, [])
            if not members:
                continue
            # Groups that change only because their pool's template changed move by pins instead.
            direct = [c for c in members if not (c.type == ASG_TYPE and c.pool in lt_pools and _only_template(c))]
            if not direct:
                continue
            groups = tuple(c.name for c in direct if c.type == ASG_TYPE and c.op != "create")
            gpus = sum(sizes.get(g, (0, 0))[0] for g in groups)
            domains = sum(sizes.get(g, (0, 0))[1] for g in groups)
            has_lt = any(c.type == LT_TYPE and c.pool in lt_pools for c in direct)
            units.append(Unit(_uid(cell, s.name), cell, s.name, f"{prefix}-{s.name}", gpus, domains,
                              tuple(_uid(cell, n) for n in sorted(needs[s.name]) if by_stack.get(n)),
                              groups, "pin-current" if has_lt else "deploy",
                              note=f"{len(direct)} change(s)" + ("; the template changes with every group pinned to the "
                                                                 "version running now" if has_lt else "")))
        for pool_name in sorted(lt_pools):
            pool = pools.get(pool_name)
            if pool is None:
                continue
            lt_stack = stack_of[pool["launch_template"]]
            pinned.setdefault(cell, {})[pool_name] = list(pool["groups"])
            for g in pool["groups"]:
                per, dom = sizes.get(g, (0, 0))
                units.append(Unit(_uid(cell, stack_of[g], g), cell, stack_of[g], f"{prefix}-{stack_of[g]}", per, dom,
                                  (_uid(cell, lt_stack),), (g,), "pin-next", pool_name,
                                  f"{g} moves to the pool's new launch template version"))
    new_cells = {c.name for c in new.cells}
    for name, cp in old_cells.items():  # a cell the change removes: every stack destroyed, readers first
        if name in new_cells:
            continue
        prefix = cp.plan.cell.get("stack_prefix") or name
        needs, sizes = stack_needs(cp.plan), _group_sizes(cp.plan)
        for s in cp.plan.stacks:
            readers = sorted(n for n, deps in needs.items() if s.name in deps)
            groups = tuple(r.name for r in s.resources if r.type == ASG_TYPE)
            units.append(Unit(_uid(name, s.name), name, s.name, f"{prefix}-{s.name}",
                              sum(sizes.get(g, (0, 0))[0] for g in groups), sum(sizes.get(g, (0, 0))[1] for g in groups),
                              tuple(_uid(name, n) for n in readers), groups, "destroy",
                              note="the cell is removed (`pulumi destroy`)"))
    return units, pinned


from ..tokens import LAUNCH_TEMPLATE as LT_TYPE  # noqa: E402 - one door for type tokens


def _only_template(change: Any) -> bool:
    """An update whose only changed input is the launch template version (a cascade from the template)."""
    if change.op != "update":
        return False
    paths = [i.path for i in change.inputs]
    return all(p.startswith("launchTemplate") for p in paths) if paths else bool(change.chain)


def plan_rollout(new: Any, old: Any | None = None, versions: dict[str, int] | None = None) -> Rollout:
    """The fleet's rollout (module docstring), with each wave's pins per cell. `versions` maps
    "cell/pool" to the launch template version running now (else the old fleet's pin of the pool);
    with it a pin is a number (current N, next N + 1: each template update adds one version),
    without it the words `current` and `next`."""
    r = new.doc.fleet.rollout
    max_gpus = r.max_gpus if r else 2**62
    max_domains = r.max_domains if r else 2**62
    canary = (r.canary if r and r.canary else new.cells[0].name) if new.cells else None
    units, pinned = fleet_units(new, old)
    result = waves(units, max_gpus, max_domains, canary)
    pins: dict[int, dict[str, dict[str, Any]]] = {}
    moved: dict[str, set[str]] = {}
    for w in result:
        for u in w.units:
            if u.action == "pin-next":
                moved.setdefault(u.cell, set()).update(u.groups)
        state: dict[str, dict[str, Any]] = {}
        for cell, pools in pinned.items():
            cell_pins: dict[str, Any] = {}
            for pool, groups in pools.items():
                done = [g for g in groups if g in moved.get(cell, set())]
                if len(done) == len(groups):
                    continue  # every group on the new version: the pool's pins are gone (latestVersion)
                running = _running(old, cell, pool, versions)
                cell_pins[pool] = running if running is not None else CURRENT
                cell_pins.update({g: (running + 1 if running is not None else NEXT) for g in done})
            if cell_pins:
                state[cell] = cell_pins
        pins[w.index] = state
    return Rollout(new.name, max_gpus, max_domains, result, pins)


def _running(old: Any, cell: str, pool: str, versions: dict[str, int] | None) -> int | None:
    if versions and f"{cell}/{pool}" in versions:
        return versions[f"{cell}/{pool}"]
    if old is not None:
        cp = next((c for c in old.cells if c.name == cell), None)
        if cp is not None and pool in cp.cell.pins:
            return int(cp.cell.pins[pool])
    return None


# -- output ------------------------------------------------------------------------------------
def text(rollout: Rollout, width: int = 80) -> list[str]:
    """The waves as a person reads them, wrapped to `width` (80 in a pipe or CI log)."""
    import textwrap

    return [part for line in _text(rollout) for part in
            (textwrap.wrap(line, width, subsequent_indent=" " * (len(line) - len(line.lstrip()) + 2),
                           break_on_hyphens=False, break_long_words=False) or [""])]


def _text(rollout: Rollout) -> list[str]:
    out = [f"Rollout of fleet {rollout.fleet}: {len(rollout.waves)} wave(s), at most {rollout.max_gpus:,} accelerators "
           f"and {rollout.max_domains:,} NVLink domains changed or terminated per wave; stop on the first failure"]
    for w in rollout.waves:
        head = f"wave {w.index}{' (canary)' if w.canary else ''}: {w.gpus:,} accelerators, {w.domains:,} domains"
        if w.gpus > rollout.max_gpus or w.domains > rollout.max_domains:
            head += " OVER THE LIMIT"
        out.append(head)
        symbolic = any(v in (CURRENT, NEXT) for pins in rollout.pins.get(w.index, {}).values() for v in pins.values())
        if symbolic and w.index == 1:
            out.append("  pins are `current`/`next`: give --current-version CELL/POOL=N to get version numbers")
        by_stack: dict[tuple[str, str], list[Unit]] = {}
        for u in w.units:
            by_stack.setdefault((u.pulumi_stack, u.action), []).append(u)
        for (stack, action), members in by_stack.items():
            groups = sum(len(u.groups) for u in members)
            what = {"deploy": "deploy", "destroy": f"destroy ({groups} group(s) terminated)",
                    "pin-current": "deploy, groups pinned to the running template version",
                    "pin-next": f"move {groups} group(s) to the new template version"}[action]
            out.append(f"  {stack}: {what}")
    return out


def matrix(rollout: Rollout) -> dict[str, Any]:
    """A GitHub Actions matrix: one entry per wave, run one at a time (max-parallel: 1) with
    fail-fast, so the first failure stops the waves after it. `stacks` is space-separated in deploy
    order; `pins` is JSON: Pulumi stack -> {group or pool: version} to set as its `ultraplan:pins`
    config before `pulumi up` (an empty map: no pins)."""
    include = []
    for w in rollout.waves:
        stacks: list[str] = []
        pins: dict[str, Any] = {}
        state = rollout.pins.get(w.index, {})
        for u in w.units:
            if u.pulumi_stack not in stacks:
                stacks.append(u.pulumi_stack)
                pins[u.pulumi_stack] = state.get(u.cell, {})
        include.append({"wave": w.index, "name": f"wave {w.index}{' (canary)' if w.canary else ''}: {w.gpus} GPUs",
                        "stacks": " ".join(stacks), "gpus": w.gpus, "domains": w.domains,
                        "pins": json.dumps(pins, separators=(",", ":"), sort_keys=True)})
    return {"include": include}
