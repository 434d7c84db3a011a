"""What rules see: plain resource dicts, a stack context, and small helpers over camelCase inputs.

A reference to another resource's output is ``{"$ref": <name>, "attr": <output>}`` (the Plan's form,
also what the engine adapter builds from Pulumi's property dependencies); a literal id such as
``sg-0abc`` (an existing group, or a value read through a StackReference) is compared as a string.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Callable, Iterable, Mapping, Sequence  # concrete ABCs: typing's aliases make isinstance slow
from typing import Any

from planner import tokens as T
from planner.plan.model import is_ref  # noqa: F401 - one definition; the rules import it from here

# Type tokens the rules look at (pulumi-aws 7 names; see docs/plan-format.md).
VPC = T.VPC
SUBNET = T.SUBNET
SECURITY_GROUP = T.SECURITY_GROUP
SG_RULE = T.SECURITY_GROUP_RULE
SG_INGRESS = T.INGRESS_RULE
SG_EGRESS = T.EGRESS_RULE
LAUNCH_TEMPLATE = T.LAUNCH_TEMPLATE
INSTANCE = T.INSTANCE
EBS_VOLUME = T.EBS_VOLUME
ASG = T.AUTOSCALING_GROUP
PLACEMENT_GROUP = T.PLACEMENT_GROUP
LUSTRE = T.LUSTRE
IAM_ROLE = T.ROLE
IAM_POLICY = T.IAM_POLICY
IAM_ROLE_POLICY = T.ROLE_POLICY
IAM_USER_POLICY = T.USER_POLICY
IAM_GROUP_POLICY = T.GROUP_POLICY
IAM_ROLE_POLICY_ATTACHMENT = T.ROLE_POLICY_ATTACHMENT

EFA_INTERFACE_TYPES = ("efa", "efa-only")
ANYWHERE = ("0.0.0.0/0", "::/0")


# Rules run on every resource of a Plan (tens of thousands at frontier scale): the checks below test
# the concrete dict/list a Plan holds first and fall back to the typing ABCs (whose isinstance goes
# through __subclasscheck__, ~10x slower) only for other mappings and sequences.
def _is_mapping(value: Any) -> bool:
    return type(value) is dict or isinstance(value, Mapping)


def ref_name(value: Any) -> str | None:
    return value["$ref"] if is_ref(value) else None


def same_target(a: Any, b: Any) -> bool:
    """Two inputs point at the same thing: the same referenced resource, or the same literal id."""
    if is_ref(a) or is_ref(b):
        return ref_name(a) is not None and ref_name(a) == ref_name(b)
    return isinstance(a, str) and a != "" and a == b


def target_key(value: Any) -> str | None:
    """A hashable key for what an input points at (resource name for refs, the literal otherwise)."""
    if is_ref(value):
        return f"$ref:{value['$ref']}"
    return value if isinstance(value, str) and value else None


def is_true(value: Any) -> bool:
    """pulumi-aws takes some booleans as strings ("true"/"false") in launch templates."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if type(value) is list:
        return list(value)
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        return [value]
    return list(value)


def dig(value: Any, *path: str) -> Any:
    """value[path0][path1]... or None when any step is missing or not a mapping."""
    for key in path:
        if not _is_mapping(value):
            return None
        value = value.get(key)
    return value


def inputs(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    return resource.get("inputs") or {}


def efa_interfaces(launch_template: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [ni for ni in as_list(inputs(launch_template).get("networkInterfaces"))
            if _is_mapping(ni) and ni.get("interfaceType") in EFA_INTERFACE_TYPES]


def reservation_target(launch_template: Mapping[str, Any]) -> Any:
    """The capacity reservation (id) or resource group (ARN) a launch template launches into, if any."""
    target = dig(inputs(launch_template), "capacityReservationSpecification", "capacityReservationTarget")
    if not _is_mapping(target):
        return None
    return target.get("capacityReservationId") or target.get("capacityReservationResourceGroupArn")


def market_type(launch_template: Mapping[str, Any]) -> Any:
    return dig(inputs(launch_template), "instanceMarketOptions", "marketType")


@dataclass
class StackContext:
    """Every resource a stack rule sees, with lookups.

    ``complete`` is True offline (the whole Plan: every stack, pool records, refs by name) and False in
    the engine, where Pulumi analyses one stack at a time and cross-stack values are plain strings.
    ``monthly_cost`` is the cost module's figure, passed in by the caller (never imported by a rule).
    """

    resources: list[dict[str, Any]]
    pools: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = True
    monthly_cost: Callable[[], float] | None = None
    _by_name: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    _by_type: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)
    _groups_by_template: dict[str, list[dict[str, Any]]] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # Indexes built once, so a rule that looks things up per resource stays linear in the Plan.
        self._by_name = {r["name"]: r for r in self.resources}
        for r in self.resources:
            self._by_type.setdefault(r["type"], []).append(r)

    def by_name(self, name: str) -> dict[str, Any] | None:
        return self._by_name.get(name)

    def of_type(self, *tokens: str) -> list[dict[str, Any]]:
        if len(tokens) == 1:
            return list(self._by_type.get(tokens[0], ()))
        wanted = set(tokens)
        return [r for r in self.resources if r["type"] in wanted]

    def groups_using(self, launch_template: str) -> list[dict[str, Any]]:
        """The auto-scaling groups whose launchTemplate (id or name) refers to this launch template,
        from an index built on first use (one pass over the groups, not one per template)."""
        if self._groups_by_template is None:
            index: dict[str, list[dict[str, Any]]] = {}
            for group in self._by_type.get(ASG, ()):
                spec = inputs(group).get("launchTemplate")
                value = (spec.get("id") or spec.get("name")) if _is_mapping(spec) else None
                target = self.resolve(value)
                if target is not None:
                    index.setdefault(target["name"], []).append(group)
            self._groups_by_template = index
        return list(self._groups_by_template.get(launch_template, ()))

    def resolve(self, value: Any) -> dict[str, Any] | None:
        """The resource a reference points at, when it is in this context."""
        name = ref_name(value)
        return self._by_name.get(name) if name else None

    def in_pool(self, pool: str, *tokens: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r.get("pool") == pool and (not tokens or r["type"] in tokens)]


def resource_view(type_token: str, name: str, inputs_: Mapping[str, Any], pool: str | None = None,
                  options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What a rule sees of one resource. `options`: the Pulumi resource options known here (offline:
    the Plan's `protect`/`retainOnDelete`; in the engine: `protect` only, from args.opts)."""
    return {"type": type_token, "name": name, "inputs": inputs_, "pool": pool, "options": dict(options or {})}


def names(resources: Iterable[Mapping[str, Any]]) -> list[str]:
    return [r["name"] for r in resources]
