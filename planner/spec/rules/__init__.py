"""Spec rules: every condition a spec must meet, one small registered function each, with an id, a
level, a docstring and a source (docs/rules.md is generated from the registry). planner.spec.load
runs them; SARIF, JUnit and the JSON report name each problem by its rule's id."""
from .registry import (DECLARED, POOL, REGISTRY, SPEC, PoolContext, SpecContext, SpecRule, load_rules,
                       rule_id, stamped)

__all__ = ["DECLARED", "POOL", "REGISTRY", "SPEC", "PoolContext", "SpecContext", "SpecRule", "load_rules",
           "rule_id", "stamped"]
