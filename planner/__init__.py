"""ultraplan: plan AWS GPU clusters (UltraServers, EFA) as Pulumi stacks from one YAML spec.

    import planner
    doc = planner.load_spec("examples/p5-on-demand-fsx.yaml")   # validated, with YAML lines
    plan = planner.compile_plan(doc)                            # plain data: stacks of resources
    plan = planner.plan_file("examples/frontier.yaml")          # both in one call
"""
from __future__ import annotations

from .catalog import Catalog, load_catalog
from .compile import DEFAULT_SHARD_SIZE, compile_plan
from .errors import ServiceError, SpecError, UltraplanError, UsageError
from .plan import Plan, load_plan
from .validate import SpecDocument, load_spec, parse_spec

__all__ = [
    "Catalog", "DEFAULT_SHARD_SIZE", "Plan", "ServiceError", "SpecDocument", "SpecError", "UltraplanError", "UsageError",
    "compile_plan", "load_catalog", "load_plan", "load_spec", "parse_spec", "plan_file",
]


def plan_file(path: str, *, shard_size: int = DEFAULT_SHARD_SIZE, catalog: Catalog | None = None,
              previous: Plan | None = None) -> Plan:
    """Load, validate and compile a spec file (`previous`: the deployed Plan, for sticky addresses)."""
    return compile_plan(load_spec(path, catalog), catalog, shard_size=shard_size, previous=previous)
