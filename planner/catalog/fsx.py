"""FSx for Lustre storage sizes as data (fsx_lustre.yaml), queried by small pure functions."""
from __future__ import annotations

import functools
import os
from typing import Any

import yaml

HERE = os.path.dirname(__file__)


@functools.lru_cache(maxsize=1)
def lustre_sizes() -> dict[str, Any]:
    with open(os.path.join(HERE, "fsx_lustre.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _rule(deployment: str, sizes: dict[str, Any] | None = None) -> tuple[tuple[int, ...], int]:
    entry = (sizes or lustre_sizes())["capacity_gib"][deployment]
    return tuple(int(x) for x in entry["first"]), int(entry["step"])


def valid_capacity(deployment: str, gib: float, sizes: dict[str, Any] | None = None) -> bool:
    """Whether a file system of `deployment` can be created with `gib` GiB."""
    first, step = _rule(deployment, sizes)
    return gib == int(gib) and (int(gib) in first or (gib > 0 and int(gib) % step == 0))


def neighbours(deployment: str, gib: float, sizes: dict[str, Any] | None = None) -> tuple[int | None, int]:
    """The largest valid size below `gib` (None when there is none) and the smallest above it."""
    first, step = _rule(deployment, sizes)
    # Computed, not enumerated: a size of 10**30 GiB must not build a set of every multiple below it.
    k_below = -(-gib // step) - 1  # the largest k with step * k < gib
    k_above = gib // step + 1  # the smallest k with step * k > gib
    below = [v for v in first if v < gib] + ([int(step * k_below)] if k_below >= 1 else [])
    above = [v for v in first if v > gib] + [int(step * k_above)]
    return (max(below) if below else None), min(above)


def describe(deployment: str, sizes: dict[str, Any] | None = None) -> str:
    first, step = _rule(deployment, sizes)
    return f"{', '.join(f'{f:,}' for f in first)}, then multiples of {step:,} GiB"
