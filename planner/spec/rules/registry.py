"""The spec-rule registry: every condition a spec must meet is a small function registered with an
id, a level, a docstring (its documentation) and a source (where the fact comes from), exactly as
policies (policies/registry.py) and preflight checks (planner/preflight) are.

Two kinds of rule run over a parsed spec (planner.spec.load is the runner):

- a **spec** rule, ``func(ctx: SpecContext) -> Iterable[SpecIssue]``, sees the whole spec;
- a **pool** rule, ``func(ctx: SpecContext, pool: PoolContext)``, sees one compute pool at a time
  (``needs_type``: only when its instance or UltraServer type resolved in the catalog).

A third kind is **declared**: a condition checked where the data is (the spec's shape by pydantic,
subnet fitting by the compiler, dates by the cost timeline, policy settings by the pack). It has an
id and documentation here, and the site that finds it stamps the id on its SpecIssue (`rule_id`).

A rule registered ``skippable=True`` can be skipped by a spec (``policies.skip.<id>: <reason>``):
only rules whose fact may be stale in the bundled catalog and that the compiler does not rely on.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Iterator

from ...errors import SpecIssue
from ...findings import Level
from ..yamlload import dotted

SPEC = "spec"
POOL = "pool"
DECLARED = "declared"
PREFIX = "spec."


@dataclass(frozen=True)
class SpecRule:
    id: str
    level: Level
    title: str
    doc: str
    source: str
    scope: str  # SPEC | POOL | DECLARED
    func: Callable[..., Iterable[SpecIssue]] | None = None
    skippable: bool = False
    needs_type: bool = True  # pool rules: run only when the pool's type is known to the catalog
    where: str = ""  # declared rules: the module that checks it
    module: str = ""  # the rule module that registered it (its place in the run order)


@dataclass
class SpecContext:
    """What a rule sees: the parsed document (spec and line numbers) and the catalog."""

    doc: Any  # planner.spec.load.SpecDocument
    catalog: Any  # planner.catalog.Catalog
    _memo: dict[str, Any] = field(default_factory=dict)

    @property
    def spec(self) -> Any:
        return self.doc.spec

    def once(self, key: str, compute: Callable[[], Any]) -> Any:
        """A value computed once per spec and shared by the rules (e.g. an index of pool names), so a
        pool rule stays linear in the number of pools."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def issue(self, path: tuple[Any, ...], message: str, hint: str | None = None) -> SpecIssue:
        """An issue at `path` (a tuple of keys and indexes), with its YAML line."""
        return SpecIssue(dotted(path), message, self.doc.line(*path), self.doc.file, hint)


@dataclass(frozen=True)
class PoolContext:
    """One compute pool as the pool rules see it: its index, path and resolved catalog types."""

    index: int
    pool: Any  # planner.spec.model.Pool
    path: tuple[Any, ...]
    ultra: Any = None  # the UltraServer type, for an UltraServer pool
    itype: Any = None  # the instance type (an UltraServer's member), None when unresolved

    @property
    def capacity(self) -> Any:
        return self.pool.capacity


@dataclass
class SpecRuleRegistry:
    _rules: dict[str, SpecRule] = field(default_factory=dict)
    _ordered: bool = False  # put in run order by load_rules

    def _add(self, rule: SpecRule) -> None:
        if rule.id in self._rules:
            raise ValueError(f"duplicate spec rule id {rule.id}")
        if not rule.id.startswith(PREFIX):
            raise ValueError(f"spec rule ids start with '{PREFIX}': {rule.id}")
        if not rule.doc:
            raise ValueError(f"spec rule {rule.id} has no docstring")
        self._rules[rule.id] = rule

    def _decorator(self, scope: str, rule_id: str, *, source: str, level: Level = Level.ERROR,
                   skippable: bool = False, needs_type: bool = True):
        def decorate(func):
            doc = " ".join((func.__doc__ or "").split())
            self._add(SpecRule(rule_id, level, doc.split(". ")[0].rstrip(".") + "." if doc else "", doc, source,
                               scope, func, skippable, needs_type, module=func.__module__.rpartition(".")[2]))
            return func

        return decorate

    def spec(self, rule_id: str, **kwargs):
        """Register a spec rule: ``func(ctx: SpecContext) -> Iterable[SpecIssue]``."""
        return self._decorator(SPEC, rule_id, **kwargs)

    def pool(self, rule_id: str, **kwargs):
        """Register a pool rule: ``func(ctx: SpecContext, pool: PoolContext) -> Iterable[SpecIssue]``."""
        return self._decorator(POOL, rule_id, **kwargs)

    def declare(self, rule_id: str, doc: str, *, source: str, where: str, level: Level = Level.ERROR) -> str:
        """A condition checked at its own site (`where`); returns the id for that site to stamp."""
        doc = " ".join(doc.split())
        self._add(SpecRule(rule_id, level, doc.split(". ")[0].rstrip(".") + ".", doc, source, DECLARED, where=where,
                           module="declared"))
        return rule_id

    def __iter__(self) -> Iterator[SpecRule]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def get(self, rule_id: str) -> SpecRule | None:
        return self._rules.get(rule_id)

    def ids(self) -> list[str]:
        return list(self._rules)


REGISTRY = SpecRuleRegistry()

# Registration order is run order (and so the order of issues that share a line).
_RULE_MODULES = ("region", "network", "local_zones", "pools", "capacity", "storage", "cluster", "user_data",
                 "declared")


def load_rules() -> SpecRuleRegistry:
    """Import every rule module (each registers its rules on import) and return the registry, in run
    order: module by module as _RULE_MODULES lists them, each module's rules as written (whichever
    module happened to be imported first)."""
    if REGISTRY._ordered:
        return REGISTRY
    for name in _RULE_MODULES:
        importlib.import_module(f"{__package__}.{name}")
    rank = {name: i for i, name in enumerate(_RULE_MODULES)}
    order = sorted(REGISTRY._rules.values(), key=lambda r: rank[r.module])  # stable: keeps each module's order
    REGISTRY._rules = {r.id: r for r in order}
    REGISTRY._ordered = True
    return REGISTRY


def stamped(rule: SpecRule, issues: Iterable[SpecIssue]) -> Iterator[SpecIssue]:
    for issue in issues:
        yield replace(issue, rule=rule.id)


def rule_id(issue: SpecIssue) -> str:
    """The id a report shows for a spec issue: its rule's, or `spec.invalid` when unclassified."""
    return issue.rule or "spec.invalid"
