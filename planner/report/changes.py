"""What a change does, for reports: resource changes against a base Plan and the cost before → after.

`changes_summary` is plain JSON kept in `Report.extra["changes"]`, so every format (JSON, Markdown,
HTML) shows the same figures.
"""
from __future__ import annotations

from typing import Any

from ..change.diff import Change, counts


def changes_summary(changes: list[Change], base: str | None, cost: Any = None, before: Any = None) -> dict[str, Any]:
    """Counts by operation, the replaced/deleted resources (what a reviewer must see), cost before → after."""
    out: dict[str, Any] = {"base": base, "counts": counts(changes),
                           "replace_or_delete": [c.name for c in changes if c.op in ("replace", "delete")][:50]}
    if cost is not None and before is not None:
        out["cost"] = {"before": {"monthly_usd": before.monthly_usd, "total_usd": before.total_usd},
                       "after": {"monthly_usd": cost.monthly_usd, "total_usd": cost.total_usd}}
    return out
