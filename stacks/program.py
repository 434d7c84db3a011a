"""The Pulumi program: materialise one stack (shard) of a Plan, 1:1, as pulumi_aws resources.

``build(plan, shard)`` registers, for every Plan resource of ``shard``, exactly one resource of the
pulumi_aws class its type token names, with the same logical name and the same inputs:

- camelCase input names become the SDK's snake_case keyword arguments through the SDK's own name
  tables (``stacks.sdk``); the runtime translates them back, so the engine sees the Plan's names;
- ``{"$ref": name, "attr": a}`` becomes that resource's output ``a`` when it lives in this stack, or
  ``StackReference(<producer>).get_output("name.a")`` when it lives in another one; the producer
  exports every such output (``stacks.wiring``);
- ``depends_on`` becomes ``ResourceOptions.depends_on`` (a dependency on a resource in another stack
  becomes one on that stack's StackReference: the deploy order already guarantees the rest);
- ``options`` (``protect``, ``retainOnDelete``) become the same ResourceOptions;
- a pool's resources carry an alias to the stack root, so that one carried into this stack by
  ``pulumi state move`` (which may leave it without its pool component) is adopted, not replaced.

All resources use one explicit AWS provider pinned to ``plan.region``, so a stack can never deploy a
Plan into a region other than the one it was planned (and priced, and preflighted) for.

Nothing happens at import time; ``main()`` is what ``stacks/__main__.py`` runs under the Pulumi CLI.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import pulumi

from planner.plan.model import Plan, Resource, Stack, iter_refs

from .components import GroupArgs, ResourceGroup
from .sdk import PlanInputError, resource_class, to_kwargs
from .wiring import Wiring, export_key, wiring

PROVIDER_TOKEN = "pulumi:providers:aws"
CONFIG_NAMESPACE = "ultraplan"


@dataclass(frozen=True)
class StackNaming:
    """How Plan stack names map to Pulumi stack names: ``<prefix>-<shard>`` in ``org/project``.

    With the local file backend the organization is literally ``organization``; with Pulumi Cloud
    it is the org that owns the stacks."""

    prefix: str
    project: str = "ultraplan"
    org: str = "organization"

    def stack(self, shard: str) -> str:
        return f"{self.prefix}-{shard}"

    def qualified(self, shard: str) -> str:
        return f"{self.org}/{self.project}/{self.stack(shard)}"


@dataclass
class Built:
    """What ``build`` registered (for tests and callers that want to await outputs)."""

    shard: str
    resources: dict[str, pulumi.CustomResource] = field(default_factory=dict)
    exports: dict[str, pulumi.Output] = field(default_factory=dict)
    groups: dict[str, ResourceGroup] = field(default_factory=dict)
    stack_references: dict[str, pulumi.StackReference] = field(default_factory=dict)
    provider: Optional[pulumi.ProviderResource] = None
    options: dict[str, pulumi.ResourceOptions] = field(default_factory=dict)  # what each resource was given


def build(
    plan: Plan,
    shard: str,
    *,
    naming: Optional[StackNaming] = None,
    wires: Optional[Wiring] = None,
    export: Callable[[str, Any], None] = pulumi.export,
) -> Built:
    """Register the Plan resources of stack ``shard`` and export what other stacks read from it."""
    stack = plan.stack(shard)
    naming = naming or StackNaming(prefix=plan.name, project=pulumi.get_project() or "ultraplan",
                                   org=_organization())
    builder = _ShardBuilder(plan, shard, naming, wires or wiring(plan))
    groups = _groups(stack, builder.built)
    for resource in _ordered(stack.resources):
        builder.register(resource, parent=groups[resource.pool or ""])
    for key, output in builder.outputs_to_export().items():
        export(key, output)
    for group in groups.values():
        group.finish()
    return builder.built


class _ShardBuilder:
    """Registers one shard's resources, resolving references in the shard or through StackReferences."""

    def __init__(self, plan: Plan, shard: str, naming: StackNaming, wires: Wiring) -> None:
        self.shard, self.naming, self.wires = shard, naming, wires
        self.built = Built(shard=shard, provider=_provider(plan))
        needed = _needed(plan.stack(shard))
        self.classes = {r.name: resource_class(r.type) for r in plan.resources() if r.name in needed}

    def register(self, resource: Resource, parent: pulumi.Resource) -> None:
        kwargs = to_kwargs(self.classes[resource.name], resource.inputs, self.reference, resource.name)
        options = resource.options or {}
        opts = pulumi.ResourceOptions(parent=parent, provider=self.built.provider,
                                      depends_on=[self.dependency(d) for d in resource.depends_on] or None,
                                      protect=options.get("protect"), retain_on_delete=options.get("retainOnDelete"),
                                      aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)] if resource.pool else None)
        self.built.options[resource.name] = opts
        self.built.resources[resource.name] = self.classes[resource.name].cls(resource.name, opts=opts, **kwargs)

    def reference(self, ref: dict[str, str], path: str) -> Any:
        """The Output a ``{"$ref", "attr"}`` at ``path`` stands for."""
        name, attr = ref["$ref"], ref.get("attr", "id")
        if name not in self.classes:
            raise PlanInputError(f"{path}: reference to {name!r}, which is not in the plan")
        py_attr = self.classes[name].output_attr(attr)  # validates the attr, in this stack or another
        if name in self.built.resources:
            return getattr(self.built.resources[name], py_attr)
        home = self.wires.stack_of[name]
        if home == self.shard:  # _ordered() registers producers first, so only a cycle lands here
            raise PlanInputError(f"{path}: {name!r} is referenced before it exists")
        return self.stack_reference(home).require_output(export_key(name, attr))  # fails loudly if missing

    def dependency(self, name: str) -> pulumi.Resource:
        if name in self.built.resources:
            return self.built.resources[name]
        if name not in self.wires.stack_of:
            raise PlanInputError(f"depends_on {name!r}, which is not in the plan")
        return self.stack_reference(self.wires.stack_of[name])  # deployed before this stack

    def stack_reference(self, producer: str) -> pulumi.StackReference:
        refs = self.built.stack_references
        if producer not in refs:
            refs[producer] = pulumi.StackReference(self.naming.qualified(producer))
        return refs[producer]

    def outputs_to_export(self) -> dict[str, pulumi.Output]:
        for name, attr in self.wires.exports.get(self.shard, []):
            resource = self.built.resources[name]
            self.built.exports[export_key(name, attr)] = getattr(resource, self.classes[name].output_attr(attr))
        return self.built.exports


def _needed(stack: Stack) -> set[str]:
    """This stack's resources and every resource they reference (to look up output names)."""
    names = {r.name for r in stack.resources}
    for r in stack.resources:
        names.update(ref["$ref"] for ref in iter_refs(r.inputs))
    return names


def _organization() -> str:
    try:
        return pulumi.get_organization() or "organization"
    except Exception:  # older engines without organization support
        return "organization"


def _provider(plan: Plan) -> pulumi.ProviderResource:
    """One AWS provider pinned to the Plan's region; a fleet cell's also assumes the cell's role and
    refuses any account but the cell's (allowed_account_ids), so a cell's stacks cannot land in
    another cell's account (pulumi-aws Provider: assumeRoles, allowedAccountIds)."""
    from pulumi_aws.provider import Provider

    cell = plan.cell or {}
    extra: dict[str, Any] = {}
    if cell.get("account"):
        extra["allowed_account_ids"] = [cell["account"]]
    if cell.get("assume_role_arn"):
        extra["assume_roles"] = [{"role_arn": cell["assume_role_arn"],
                                  "session_name": f"ultraplan-{cell.get('fleet', 'fleet')}-{cell.get('cell', 'cell')}"[:64]}]
    return Provider("aws", region=plan.region, **extra)


def _groups(stack: Stack, built: Built) -> dict[str, ResourceGroup]:
    """One component per pool present in the stack, and one (named after the stack) for the rest."""
    members: dict[str, list[str]] = {}
    for r in stack.resources:
        members.setdefault(r.pool or "", []).append(r.name)
    groups: dict[str, ResourceGroup] = {}
    for key, names in members.items():
        args = GroupArgs(shard=stack.name, pool=key or None, resources=tuple(names))
        groups[key] = ResourceGroup(key or stack.name, args)
    built.groups = {key or stack.name: g for key, g in groups.items()}
    return groups


def _ordered(resources: list[Resource]) -> list[Resource]:
    """Plan order, except that a resource comes after the same-stack resources it references or
    depends on (Kahn's algorithm, ties broken by Plan order)."""
    from heapq import heappop, heappush

    index = {r.name: i for i, r in enumerate(resources)}
    waiting_on: dict[str, set[str]] = {}
    users: dict[str, list[str]] = {r.name: [] for r in resources}
    for r in resources:
        before = {ref["$ref"] for ref in iter_refs(r.inputs)} | set(r.depends_on)
        before = {b for b in before if b in index and b != r.name}
        waiting_on[r.name] = before
        for b in before:
            users[b].append(r.name)
    ready = [index[n] for n, w in waiting_on.items() if not w]
    ready.sort()
    out: list[Resource] = []
    while ready:
        r = resources[heappop(ready)]
        out.append(r)
        for u in users[r.name]:
            waiting_on[u].discard(r.name)
            if not waiting_on[u]:
                heappush(ready, index[u])
    if len(out) != len(resources):
        stuck = sorted(set(index) - {r.name for r in out})
        raise PlanInputError(f"resources reference each other in a cycle: {', '.join(stuck)}")
    return out


# ---------------------------------------------------------------------------------------------
# Entry point under the Pulumi CLI


def project_root() -> str:
    """Where Pulumi.yaml lives: the engine tells us; else the parent of this package."""
    try:
        root = pulumi.runtime.get_root_directory()
    except Exception:
        root = None
    return root or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _pins(text: str) -> dict[str, int]:
    """`ultraplan:pins`: JSON group or pool name -> launch template version (a rollout wave's pins)."""
    import json

    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise PlanInputError(f"ultraplan:pins is not JSON: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1
                                             for v in data.values()):
        raise PlanInputError("ultraplan:pins must map group or pool names to launch template version numbers "
                             "(`ultraplan rollout --current-version CELL/POOL=N` gives numbers)")
    return data


def main() -> Built:
    """Read the stack config, plan the spec, build the configured shard."""
    from planner import compile_spec

    config = pulumi.Config(CONFIG_NAMESPACE)
    root = project_root()
    fleet = (config.get("fleet") or "").strip()
    spec = fleet or config.require("spec")
    shard = config.require("shard")
    pins = _pins(config.get("pins") or "")
    shard_size = (config.get("shardSize") or "").strip()  # a string: see Pulumi.yaml
    previous = (config.get("previous") or "").strip()
    spec_path = spec if os.path.isabs(spec) else os.path.join(root, spec)
    kwargs: dict = {"shard_size": int(shard_size)} if shard_size else {}
    if previous:
        # The deployed Plan: its subnets keep their CIDRs, exactly as `ultraplan plan --diff` showed.
        from planner.plan.model import load_plan

        kwargs["previous"] = load_plan(previous if os.path.isabs(previous) else os.path.join(root, previous))
    if fleet:
        from planner.fleet import load_fleet, plan_fleet

        cell = config.require("cell")
        cells = plan_fleet(load_fleet(spec_path), only=cell, pins={cell: pins} if pins else None,
                           shard_size=kwargs.get("shard_size")).cells
        if not cells:
            raise PlanInputError(f"ultraplan:cell {cell!r} is not a cell of {spec}")
        plan = cells[0].plan
    else:
        plan = compile_spec(spec_path, pins=pins or None, **kwargs)
    naming = StackNaming(
        prefix=config.get("stackPrefix") or plan.cell.get("stack_prefix") or plan.name,
        project=pulumi.get_project(),
        org=config.get("org") or _organization(),
    )
    if shard not in {s.name for s in plan.stacks}:
        raise PlanInputError(
            f"ultraplan:shard {shard!r} is not a stack of {spec} (stacks: {', '.join(s.name for s in plan.stacks)})"
        )
    pulumi.log.info(f"ultraplan: {spec} -> stack {shard} ({len(plan.stack(shard).resources)} resources)")
    return build(plan, shard, naming=naming)
