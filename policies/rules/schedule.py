"""Scheduled actions against the planning clock (planner/clock.py): none may start in the past.

Facts: ../shared/reference/aws-gpu-facts.md ("Launch and runtime": scheduled actions cannot be in the past).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from planner import tokens as T

from ..context import inputs
from ..registry import MANDATORY, REGISTRY

SCHEDULE = T.SCHEDULED_ACTION


def _moment(value: Any) -> datetime | None:
    from planner.clock import utc

    try:
        return utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        return None


@REGISTRY.resource(
    "schedule-in-future", level=MANDATORY, severity="high", tags=("capacity",),
    types=(SCHEDULE,),
    description="Every scheduled scaling action starts after the planning clock: Auto Scaling refuses one in the past.",
    remediation="Re-plan now (a Plan made once a Capacity Block has opened sizes its groups itself and schedules only "
                "the scale-in), or give the action a startTime ahead of now.",
)
def schedule_in_future(resource: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    """EC2 Auto Scaling API, PutScheduledUpdateGroupAction: "If you try to schedule your action in
    the past, Amazon EC2 Auto Scaling returns an error message", so `pulumi up` fails on it; and a
    one-time action is deleted once it has run (EC2 Auto Scaling UG, scheduled scaling), so an action
    in the past is also one that already fired, or never will. "Now" is the planning clock: `--now`,
    ULTRAPLAN_NOW or the system clock offline, the clock of `pulumi preview` in the engine. A
    startTime that is not a date-time (unknown during a preview) is not judged."""
    from planner import clock

    text = inputs(resource).get("startTime")
    at = _moment(text) if isinstance(text, str) else None
    if at is None:
        return
    now, source = clock.reading()
    if at <= now:
        yield (f"startTime {text} is not after the planning clock {clock.stamp(now)} ({source}): Auto Scaling refuses "
               "a scheduled action in the past")
