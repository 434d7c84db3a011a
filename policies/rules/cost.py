"""Cost rules. The monthly figure comes from the caller (the cost module, passed in); no rule imports it."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..context import StackContext
from ..registry import MANDATORY, REGISTRY, NotApplicable, Violation


@REGISTRY.stack(
    "max-monthly-cost", level=MANDATORY, severity="high", tags=("cost",),
    description="The cluster's estimated monthly cost stays under maxMonthlyUsd.",
    remediation="Shrink or shorten pools, move to capacity blocks or savings plans, or raise "
                "maxMonthlyUsd in policies.config after approval.",
    config={"properties": {"maxMonthlyUsd": {
        "type": "number", "minimum": 0,
        "description": "Ceiling on the estimated monthly cost in USD (no default: the rule applies when set).",
    }}},
)
def max_monthly_cost(ctx: StackContext, config: Mapping[str, Any]) -> Iterable[Violation]:
    """A spec that quietly doubles a pool doubles a bill of millions; this gate stops it in review.
    The estimate is `planner.cost`'s monthly figure for the whole Plan, handed to the runner by the
    caller. When the ceiling is set but the estimate cannot be computed the rule fails closed (a
    violation that says so), never a silent pass. Inside `pulumi preview` there is no estimate, so
    the rule reports not applicable there."""
    ceiling = config.get("maxMonthlyUsd")
    if ceiling is None:
        raise NotApplicable("maxMonthlyUsd is not set")
    if ctx.monthly_cost is None:
        if not ctx.complete:
            raise NotApplicable("no cost estimate inside the Pulumi engine; run `ultraplan policy`")
        yield Violation(f"cannot check the {ceiling:,.0f} USD/month ceiling: no cost estimate available")
        return
    try:
        monthly = float(ctx.monthly_cost())
    except Exception as exc:  # a broken estimate must not pass the gate
        yield Violation(f"cannot check the {ceiling:,.0f} USD/month ceiling: cost estimate failed ({exc})")
        return
    if monthly > ceiling:
        yield Violation(f"estimated {monthly:,.0f} USD/month exceeds maxMonthlyUsd {ceiling:,.0f}")
