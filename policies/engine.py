"""From pulumi-policy's validation arguments to the plain dicts the rules take (used by __main__.py).

Duck-typed on the argument objects, so this module imports no pulumi_policy and tests can feed it
stand-ins. Two things differ from the offline Plan:

- during `pulumi preview` outputs of resources not yet created are unknown; reading one raises
  pulumi_policy's UnknownValueError. Unknown values become ``{"$unknown": True}`` here so a rule
  still checks everything else (a public IP flag, encryption, IMDS settings are literals).
- the engine gives no ``{"$ref": ...}`` objects; in a stack validation each property lists the
  resources it depends on, so an id-like value (a security group, subnet, launch template,
  placement group, instance profile) whose property depends on exactly one resource of the matching
  type becomes a ``$ref`` to that resource's name. Values read through a StackReference stay literal
  strings: cross-stack relations are only checked offline (`ultraplan policy`).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from planner import tokens as T

from .context import (
    ASG, INSTANCE, LAUNCH_TEMPLATE, PLACEMENT_GROUP, SECURITY_GROUP, SUBNET, VPC, StackContext, resource_view,
)

UNKNOWN = {"$unknown": True}

# Input keys whose value is another resource's id, and the type that resource has.
_KEY_TYPES = {
    "securityGroupId": SECURITY_GROUP, "referencedSecurityGroupId": SECURITY_GROUP,
    "sourceSecurityGroupId": SECURITY_GROUP, "securityGroups": SECURITY_GROUP,
    "securityGroupIds": SECURITY_GROUP, "vpcSecurityGroupIds": SECURITY_GROUP,
    "subnetId": SUBNET, "subnetIds": SUBNET, "vpcZoneIdentifiers": SUBNET,
    "vpcId": VPC, "placementGroup": PLACEMENT_GROUP, "groupName": PLACEMENT_GROUP,
    "launchTemplate.id": LAUNCH_TEMPLATE, "iamInstanceProfile.arn": T.INSTANCE_PROFILE,
    "instanceId": INSTANCE,
    # A schedule or lifecycle hook names its group: linked, capacity-block-lifecycle finds a group's
    # schedules in the engine too (they share its stack).
    "autoscalingGroupName": ASG,
}


def _is_unknown_error(exc: BaseException) -> bool:
    return type(exc).__name__ == "UnknownValueError"


def _get(container: Any, key: Any) -> Any:
    try:
        return container[key]
    except Exception as exc:  # pulumi_policy.proxy.UnknownValueError, without importing it
        if _is_unknown_error(exc):
            return UNKNOWN
        raise


def plain(value: Any, link: Any = None, path: tuple[str, ...] = ()) -> Any:
    """A deep copy of `value` as dicts and lists; unknowns as UNKNOWN; `link(path, leaf)` may turn a
    leaf into a reference."""
    if value is UNKNOWN:
        return link(path, value) if link else dict(UNKNOWN)
    if isinstance(value, Mapping):
        return {k: plain(_get(value, k), link, (*path, str(k))) for k in list(iter(value))}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [plain(_get(value, i), link, path) for i in range(len(value))]
    return link(path, value) if link else value


def resource_from_args(args: Any) -> dict[str, Any]:
    """ResourceValidationArgs -> {"type", "name", "inputs", "options"} (the engine passes `protect` in
    args.opts; it does not pass retainOnDelete)."""
    opts = getattr(args, "opts", None)
    options = {"protect": bool(getattr(opts, "protect", False)), "retainOnDelete": None}  # None: not told
    return resource_view(args.resource_type, args.name, plain(args.props), options=options)


def _linker(property_dependencies: Mapping[str, Sequence[Any]]):
    def link(path: tuple[str, ...], leaf: Any) -> Any:
        wanted = (_KEY_TYPES.get(".".join(path[-2:])) or _KEY_TYPES.get(path[-1])) if path else None
        if wanted is None or not (leaf is UNKNOWN or isinstance(leaf, str)):
            return dict(UNKNOWN) if leaf is UNKNOWN else leaf
        deps = [d for d in property_dependencies.get(path[0], []) if getattr(d, "resource_type", None) == wanted]
        if len(deps) == 1:
            attr = "arn" if path[-1] == "arn" else "id"
            return {"$ref": deps[0].name, "attr": attr}
        return dict(UNKNOWN) if leaf is UNKNOWN else leaf

    return link


def stack_context_from_args(args: Any) -> StackContext:
    """StackValidationArgs -> a StackContext of one Pulumi stack (no pool records, no cost)."""
    views = []
    for r in args.resources:
        inputs = plain(r.props, _linker(getattr(r, "property_dependencies", {}) or {}))
        views.append(resource_view(r.resource_type, r.name, inputs))
    return StackContext(views, pools=[], complete=False, monthly_cost=None)


def urn_of(args: Any, name: str | None) -> str | None:
    """The URN of a resource of the stack by logical name (stack rules report by name)."""
    if not name:
        return None
    return next((r.urn for r in args.resources if r.name == name), None)


def merged_config(defaults: Mapping[str, Any], configured: Mapping[str, Any] | None) -> dict[str, Any]:
    """Schema defaults under what the engine passes (it may or may not have filled the defaults in)."""
    out = dict(defaults)
    out.update({k: v for k, v in (configured or {}).items() if k != "enforcementLevel"})
    return out


def messages(values: Iterable[Any]) -> list[str]:
    return [v if isinstance(v, str) else v.message for v in values]
