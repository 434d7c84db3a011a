"""Capacity Blocks against the planning clock: what a block's groups get depends on when the Plan is made.

EC2 Auto Scaling API, PutScheduledUpdateGroupAction: "If you try to schedule your action in the past,
Amazon EC2 Auto Scaling returns an error message", and a one-time action is deleted once it has run
(EC2 Auto Scaling UG, scheduled scaling). So a Plan never holds an action at or before its clock
(planner/clock.py):

- before the block opens: the group starts empty, scales out on a schedule at the start and in
  before the end (docs/capacity.md, "Capacity Block lifecycle");
- once it has opened: the group itself is sized to the block (min = max = desired = its size), and
  only the scale-in remains scheduled. A Plan made after a fired scale-out (or after `pulumi
  refresh` dropped it) therefore no longer contains it, and never re-creates it in the past;
- at or after the scale-in (and so after the end): nothing can be deployed; a spec error naming
  the pool's capacity field, its line and the dates.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..clock import stamp as _stamp
from ..errors import SpecError, SpecIssue
from .pools import BlockWindow, ResolvedPool, block_end, block_window

BEFORE_START = "before-start"
RUNNING = "running"


@dataclass(frozen=True)
class BlockTiming:
    """A block's window and where the planning clock falls in it."""

    window: BlockWindow
    phase: str  # BEFORE_START or RUNNING (a block past its scale-in never compiles)

    @property
    def running(self) -> bool:
        return self.phase == RUNNING


def phase_at(window: BlockWindow, now: dt.datetime) -> str | None:
    """BEFORE_START, RUNNING, or None when `now` is at or past the scale-in (nothing deployable)."""
    if now < window.start:
        return BEFORE_START
    if now < window.scale_in:
        return RUNNING
    return None


def time_blocks(doc: Any, pools: list[ResolvedPool], now: dt.datetime, clock_source: str) -> None:
    """Give each dated capacity-block pool its timing at `now`; SpecError naming every block whose
    scale-in has passed (each with its capacity field, line and dates)."""
    issues = []
    for p in pools:
        cap = p.spec.capacity
        if cap.type != "capacity-block" or not cap.start or not block_end(cap):
            continue
        window = block_window(p)
        phase = phase_at(window, now)
        if phase is None:
            issues.append(_past_issue(doc, p, window, now, clock_source))
        else:
            p.timing = BlockTiming(window, phase)
    if issues:
        raise SpecError(issues)


def _past_issue(doc: Any, p: ResolvedPool, window: BlockWindow, now: dt.datetime, clock_source: str) -> SpecIssue:
    cap = p.spec.capacity
    key = "end" if cap.end else "days"
    path = ("compute", p.index, "capacity", key)
    when = f"it is {_stamp(now)} now ({clock_source})"
    if now >= window.end:
        what = (f"the capacity block of pool {p.name} ran from {_stamp(window.start)} to {_stamp(window.end)} and "
                f"has ended ({when}): there is no capacity left to launch into")
    else:
        what = (f"the capacity block of pool {p.name} runs from {_stamp(window.start)} to {_stamp(window.end)}; its "
                f"groups scale in at {_stamp(window.scale_in)} ({window.lead_minutes} min before the end, ahead of "
                f"EC2's reclaim) and {when}: that scale-in can no longer be scheduled (Auto Scaling refuses "
                "scheduled actions in the past)")
    return SpecIssue(
        f"compute[{p.index}].capacity.{key}", what, doc.line(*path) or doc.line("compute", p.index, "capacity"), doc.file,
        "extend the block (EC2 can extend a Capacity Block) and set the new end, buy a new block and set its start and "
        "reservation ids, or remove the pool; to plan as of another moment give --now or ULTRAPLAN_NOW")
