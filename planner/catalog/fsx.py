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
    valid = sorted(set(first) | {step * k for k in range(1, int(gib // step) + 2)})
    below = [v for v in valid if v < gib]
    above = [v for v in valid if v > gib]
    return (below[-1] if below else None), above[0]


def describe(deployment: str, sizes: dict[str, Any] | None = None) -> str:
    first, step = _rule(deployment, sizes)
    return f"{', '.join(f'{f:,}' for f in first)}, then multiples of {step:,} GiB"
