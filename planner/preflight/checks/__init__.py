"""Preflight checks, one concern a module, each registered here with an id, a level and a docstring.

`REGISTRY` lists them in the order they run; docs/preflight.md documents every id and a test keeps
the two in step. A check takes the run's `Context` and yields Findings; a question the account
cannot answer becomes a warning from `Context.could_not`, never a silent pass.
"""
from __future__ import annotations

from .registry import REGISTRY, check  # noqa: F401

# Import order is run order: zones first (other checks resolve zones through them).
from . import zones, offerings, instance_types, images, quotas, capacity, block_times, network, vpc_quotas, limits, dry_run  # noqa: E402,F401,I001
