"""The policy registry: every rule is a small function with an id, a level, a description, remediation
text, an optional config schema and a docstring that is its documentation.

Two kinds, as in CrossGuard:

- a **resource** rule, ``func(resource, config) -> Iterable[str]``, sees one resource as a plain dict
  ``{"type": <type token>, "name": <logical name>, "inputs": {<camelCase inputs>}}`` and yields one
  message per violation;
- a **stack** rule, ``func(ctx, config) -> Iterable[Violation]``, sees every resource at once through a
  :class:`policies.context.StackContext` (references resolved, pool records when the Plan is known).

``config`` is the rule's configuration after the engine's merge (schema defaults, then the per-policy
values). Nothing here imports pulumi_policy; ``policies/__main__.py`` adapts these objects to it.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

ADVISORY = "advisory"
MANDATORY = "mandatory"
REMEDIATE = "remediate"
DISABLED = "disabled"
ENFORCEMENT_LEVELS = (ADVISORY, MANDATORY, REMEDIATE, DISABLED)

RESOURCE = "resource"
STACK = "stack"


class NotApplicable(Exception):
    """Raised by a rule that cannot apply here (no config set, nothing of its kind); the reason is reported."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Violation:
    """One violation a stack rule reports: what is wrong and, where known, on which resource / pool."""

    message: str
    resource: str | None = None
    pool: str | None = None


@dataclass(frozen=True)
class Policy:
    id: str
    kind: str  # RESOURCE or STACK
    level: str  # default enforcement level: advisory | mandatory | disabled
    description: str
    remediation: str
    doc: str
    func: Callable[..., Iterable[Any]]
    resource_types: tuple[str, ...] = ()  # resource rules: type tokens it looks at (empty: every type)
    config_schema: Mapping[str, Any] | None = None  # {"properties": {...}, "required": [...]}
    severity: str = "high"  # low | medium | high | critical (CrossGuard severities)
    tags: tuple[str, ...] = ()
    fix_at: str | None = None  # spec key where the fix goes (e.g. "tags"): violations point at its line

    @property
    def title(self) -> str:
        return self.description

    def defaults(self) -> dict[str, Any]:
        """The config values the schema defaults to (what the engine passes when nothing is set)."""
        props = (self.config_schema or {}).get("properties", {})
        return {k: v["default"] for k, v in props.items() if "default" in v}

    def applies_to(self, type_token: str) -> bool:
        return not self.resource_types or type_token in self.resource_types


@dataclass
class PolicyRegistry:
    _policies: dict[str, Policy] = field(default_factory=dict)

    def _register(self, policy: Policy) -> None:
        if policy.id in self._policies:
            raise ValueError(f"duplicate policy id {policy.id}")
        if policy.level not in (ADVISORY, MANDATORY, DISABLED):
            raise ValueError(f"{policy.id}: bad default level {policy.level}")
        self._policies[policy.id] = policy

    def _decorator(self, kind: str, policy_id: str, *, level: str, description: str, remediation: str,
                   types: Iterable[str] = (), config: Mapping[str, Any] | None = None,
                   severity: str = "high", tags: Iterable[str] = (), fix_at: str | None = None):
        def decorate(func):
            doc = (func.__doc__ or "").strip()
            self._register(Policy(
                id=policy_id, kind=kind, level=level, description=description, remediation=remediation,
                doc=" ".join(doc.split()), func=func, resource_types=tuple(types),
                config_schema=config, severity=severity, tags=tuple(tags), fix_at=fix_at,
            ))
            return func

        return decorate

    def resource(self, policy_id: str, **kwargs):
        """Register a resource rule: ``func(resource: dict, config) -> Iterable[str]``."""
        return self._decorator(RESOURCE, policy_id, **kwargs)

    def stack(self, policy_id: str, **kwargs):
        """Register a stack rule: ``func(ctx: StackContext, config) -> Iterable[Violation]``."""
        return self._decorator(STACK, policy_id, **kwargs)

    def __iter__(self) -> Iterator[Policy]:
        return iter(self._policies.values())

    def __len__(self) -> int:
        return len(self._policies)

    def __contains__(self, policy_id: object) -> bool:
        return policy_id in self._policies

    def get(self, policy_id: str) -> Policy | None:
        return self._policies.get(policy_id)

    def ids(self) -> list[str]:
        return list(self._policies)


REGISTRY = PolicyRegistry()

_RULE_MODULES = ("network", "reachability", "compute", "schedule", "launch", "storage", "state", "iam", "tags", "cost")


def load_rules() -> PolicyRegistry:
    """Import every rule module (each registers its rules on import) and return the registry."""
    for name in _RULE_MODULES:
        importlib.import_module(f"policies.rules.{name}")
    return REGISTRY
