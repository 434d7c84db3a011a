"""ultraplan's policy pack: CrossGuard rules that run inside `pulumi preview` and offline on a Plan.

The rules are plain functions over plain dicts (a resource's type token, logical name and camelCase
inputs), registered in :data:`policies.registry.REGISTRY`. Two drivers call the same functions:

- ``policies/__main__.py`` wraps them in pulumi-policy objects and builds the ``PolicyPack`` (which
  starts a gRPC server and blocks, so nothing else builds it);
- :func:`policies.runner.run_policies` feeds every resource of a Plan to them, plus the stack-level
  rules over the whole Plan, for ``ultraplan policy`` and ``ultraplan check``.

Importing this package imports neither pulumi nor pulumi_policy.
"""
from __future__ import annotations

from .registry import REGISTRY, Policy, load_rules

__all__ = ["REGISTRY", "Policy", "load_rules"]
