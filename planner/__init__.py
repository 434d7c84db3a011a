"""ultraplan: plan AWS GPU clusters (UltraServers, EFA) as Pulumi stacks from one YAML spec.

    import planner
    doc = planner.load_spec("examples/p5-on-demand-fsx.yaml")   # validated, with YAML lines
    plan = planner.compile_plan(doc)                            # plain data: stacks of resources
    plan = planner.compile_spec("examples/frontier.yaml")          # every spec-only check, then the Plan

Names are imported on first use (PEP 562), so `import planner.errors` (what `ultraplan --help`
needs) does not load pydantic, the catalog and the compiler.
"""
from __future__ import annotations

import importlib
from typing import Any

# public name -> module that defines it
_EXPORTS = {
    "Catalog": "planner.catalog", "load_catalog": "planner.catalog",
    "DEFAULT_SHARD_SIZE": "planner.compile", "compile_plan": "planner.compile",
    "ServiceError": "planner.errors", "SpecError": "planner.errors", "UltraplanError": "planner.errors",
    "UsageError": "planner.errors",
    "Plan": "planner.plan.model", "load_plan": "planner.plan.model",
    "SpecDocument": "planner.spec.load", "load_spec": "planner.spec.load", "parse_spec": "planner.spec.load",
}

__all__ = sorted([*_EXPORTS, "compile_spec"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'planner' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def compile_spec(path: str, *, shard_size: int | None = None, catalog: Any = None, previous: Any = None,
                 now: Any = None, pins: dict[str, int] | None = None) -> Any:
    """Load a spec file, run every spec-only check (planner.run.stages.validate) and return its Plan
    (`previous`: the deployed Plan, for sticky addresses; `now`: the planning clock, a datetime,
    default planner.clock: --now, ULTRAPLAN_NOW or the system clock).

    Every command compiles through here, so none accepts a spec that `ultraplan validate` rejects."""
    from .run.stages import validate

    return validate(path, catalog=catalog, shard_size=shard_size, previous=previous, now=now, pins=pins).plan


# The old name of compile_spec, kept for callers written before the rename (`plan_file` also named
# a Plan JSON's path, which the CLI now calls `plan_path`).
plan_file = compile_spec
