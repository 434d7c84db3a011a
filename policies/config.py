"""The spec's `policies:` section: validated, and merged the way the Pulumi engine merges policy config.

```yaml
policies:
  config:                       # the format of `pulumi preview --policy-pack-config`
    all: mandatory              # enforcement level for every policy (or {enforcementLevel: ...})
    required-tags: {requiredTags: [team, cost-center]}
    efa-placement-group: disabled
  skip:                         # id -> reason; reported in every output, never silent
    vpc-dns-enabled: "existing VPC owned by the network team"
```

Merge (as the engine does): a policy's own level, overridden by ``all``, overridden by the policy's
own entry; properties are the schema defaults overridden by the policy's entry. Anything wrong (an
unknown id, a property the schema does not know, a value of the wrong type, a skip without a reason)
is a SpecError naming the field and its line (exit 2).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Any

from planner.errors import SpecError, SpecIssue

from .registry import DISABLED, ENFORCEMENT_LEVELS, MANDATORY, REMEDIATE, PolicyRegistry

ENFORCEMENT_KEY = "enforcementLevel"


@dataclass
class Settings:
    """What the runner needs: each policy's effective level and config, and the skips with reasons."""

    levels: dict[str, str] = field(default_factory=dict)
    config: dict[str, dict[str, Any]] = field(default_factory=dict)
    skip: dict[str, str] = field(default_factory=dict)


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return hint + "`ultraplan policy list` shows the ids"


def schema_errors(schema: Mapping[str, Any], value: Any, path: str) -> list[str]:
    """Errors of `value` against the small JSON Schema subset policy configs use (type, items, enum,
    minimum); a message per error, naming the path."""
    errors: list[str] = []
    kind = schema.get("type")
    checks = {
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, Mapping),
    }
    if kind in checks and not checks[kind](value):
        article = "an" if kind[0] in "aeiou" else "a"
        return [f"{path} must be {article} {kind}, got {type(value).__name__} {value!r}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path} must be one of {schema['enum']}, got {value!r}")
    if "minimum" in schema and isinstance(value, (int, float)) and value < schema["minimum"]:
        errors.append(f"{path} must be at least {schema['minimum']}, got {value!r}")
    if kind == "array" and "items" in schema:
        for n, item in enumerate(value):
            errors.extend(schema_errors(schema["items"], item, f"{path}[{n}]"))
    return errors


PREFLIGHT_PREFIX = "preflight."
SPEC_RULE_PREFIX = "spec."  # a spec rule (planner/spec/rules), skippable where docs/rules.md says so


class _Issues:
    def __init__(self, section: Mapping[str, Any], spec_file: str | None) -> None:
        self.lines: Mapping[str, int] = section.get("lines") or {}
        self.spec_file = spec_file
        self.items: list[SpecIssue] = []

    def add(self, path: str, message: str, hint: str | None = None, rule: str = "spec.policies.setting") -> None:
        line = None
        key = path
        while key:  # the closest recorded line: the field, its parent, ..., "policies"
            if key in self.lines:
                line = self.lines[key]
                break
            key = key.rpartition(".")[0]
        self.items.append(SpecIssue(path=path, message=message, line=line, file=self.spec_file, hint=hint, rule=rule))


def _level(value: Any, path: str, issues: _Issues) -> str | None:
    if isinstance(value, str) and value in ENFORCEMENT_LEVELS:
        return MANDATORY if value == REMEDIATE else value  # no remediation offline: the engine reports it as mandatory
    issues.add(path, f"unknown enforcement level {value!r}", f"use one of {', '.join(ENFORCEMENT_LEVELS)}",
               rule="spec.policies.level")
    return None


def resolve(section: Mapping[str, Any] | None, registry: PolicyRegistry, *, spec_file: str | None = None) -> Settings:
    """Validate the spec's `policies` section (as the Plan carries it) and merge it; SpecError if bad."""
    section = section or {}
    issues = _Issues(section, spec_file)
    settings = Settings(levels={p.id: p.level for p in registry}, config={p.id: p.defaults() for p in registry})
    config = section.get("config") or {}
    skip = section.get("skip") or {}
    if not isinstance(config, Mapping):
        issues.add("policies.config", "must be a mapping of policy id to settings")
        config = {}
    if not isinstance(skip, Mapping):
        issues.add("policies.skip", "must be a mapping of policy id to the reason for skipping it",
                   rule="spec.policies.skip-reason")
        skip = {}
    if "all" in config:
        _apply_all(config["all"], settings, issues)
    for policy_id, value in config.items():
        if policy_id != "all":
            _apply_policy(str(policy_id), value, registry, settings, issues)
    for policy_id, reason in skip.items():
        _apply_skip(str(policy_id), reason, registry, settings, issues)
    if issues.items:
        raise SpecError(issues.items)
    return settings


def _apply_all(value: Any, settings: Settings, issues: _Issues) -> None:
    """`all`: one enforcement level for every policy (the engine takes nothing else there)."""
    if isinstance(value, Mapping):
        extra = [k for k in value if k != ENFORCEMENT_KEY]
        if extra:
            issues.add("policies.config.all", f"'all' takes only {ENFORCEMENT_KEY}, not {', '.join(map(str, extra))}")
        value = value.get(ENFORCEMENT_KEY)
    level = _level(value, "policies.config.all", issues)
    if level:
        settings.levels = {k: level for k in settings.levels}


def _apply_policy(policy_id: str, value: Any, registry: PolicyRegistry, settings: Settings, issues: _Issues) -> None:
    """One policy's entry: a level, or a mapping of enforcementLevel and the settings its schema has."""
    path = f"policies.config.{policy_id}"
    policy = registry.get(policy_id)
    if policy is None:
        issues.add(path, f"unknown policy '{policy_id}'", _suggest(policy_id, registry.ids()), rule="spec.policies.known-id")
        return
    if isinstance(value, str):
        value = {ENFORCEMENT_KEY: value}
    if not isinstance(value, Mapping):
        issues.add(path, f"must be an enforcement level or a mapping, got {value!r}")
        return
    props = dict((policy.config_schema or {}).get("properties", {}))
    for key, item in value.items():
        if key == ENFORCEMENT_KEY:
            level = _level(item, f"{path}.{key}", issues)
            if level:
                settings.levels[policy_id] = level
        elif key not in props:
            options = [ENFORCEMENT_KEY, *props]
            close = difflib.get_close_matches(str(key), options, n=1, cutoff=0.5)
            issues.add(f"{path}.{key}", f"policy '{policy_id}' has no setting '{key}'",
                       (f"did you mean '{close[0]}'? " if close else "") + f"settings: {', '.join(options)}")
        else:
            for message in schema_errors(props[key], item, f"{path}.{key}"):
                issues.add(f"{path}.{key}", message)
            settings.config[policy_id][key] = item
    for key in (policy.config_schema or {}).get("required", []):
        if key not in settings.config[policy_id] and settings.levels[policy_id] != DISABLED:
            issues.add(path, f"policy '{policy_id}' needs setting '{key}'")


def _apply_skip(policy_id: str, reason: Any, registry: PolicyRegistry, settings: Settings, issues: _Issues) -> None:
    path = f"policies.skip.{policy_id}"
    if policy_id.startswith((PREFLIGHT_PREFIX, SPEC_RULE_PREFIX)):
        return  # a preflight check or a spec rule, not a policy: planner.preflight / planner.spec.load apply it
    if policy_id not in registry:
        issues.add(path, f"unknown policy '{policy_id}'", _suggest(policy_id, registry.ids()), rule="spec.policies.known-id")
    elif not isinstance(reason, str) or not reason.strip():
        issues.add(path, "a skip needs a reason", f"write `{policy_id}: \"why this policy does not apply\"`",
                   rule="spec.policies.skip-reason")
    else:
        settings.skip[policy_id] = reason.strip()


def pulumi_policy_config(section: Mapping[str, Any] | None) -> dict[str, Any]:
    """The spec's section as a `pulumi preview --policy-pack-config` file: its `config` verbatim, and
    each skipped policy disabled (the engine has no skip with a reason; the reason stays in the spec)."""
    section = section or {}
    out: dict[str, Any] = {k: v for k, v in (section.get("config") or {}).items()}
    for policy_id in section.get("skip") or {}:
        if str(policy_id).startswith(SPEC_RULE_PREFIX):
            continue  # a spec rule, applied before the Plan exists; the engine knows only policies
        entry = out.get(policy_id)
        entry = dict(entry) if isinstance(entry, Mapping) else {}
        entry[ENFORCEMENT_KEY] = DISABLED
        out[policy_id] = entry
    return out
