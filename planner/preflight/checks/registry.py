"""The preflight check registry: each check module registers its checks here on import."""
from __future__ import annotations

from ...findings import Registry

REGISTRY = Registry()
check = REGISTRY.check
