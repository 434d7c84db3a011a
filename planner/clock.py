"""The planning clock: the one place that says what time it is (docs/clock.md).

A Plan depends on the moment it is made: a Capacity Block that has started is sized to run now
instead of getting a scale-out action in the past (Auto Scaling refuses one), a block past its
scale-in is an error, and cost terms of undated plans start today. So "now" is explicit:

1. `now=` passed to a library function (tests and other tools inject it);
2. `--now` on a command (the command runs inside `using(...)`);
3. the environment variable `ULTRAPLAN_NOW` (CI and the Pulumi program: reproducible runs);
4. the system clock, in UTC.

Every value is an ISO 8601 date (`2026-12-06`, midnight UTC) or date-time (`2026-12-06T09:30:00Z`,
an offset is converted to UTC, no offset means UTC). Nothing else in the package reads the system
clock for planning.
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import os
from typing import Iterator

ENV_VAR = "ULTRAPLAN_NOW"
EXAMPLE = "2026-12-06T09:30:00Z"

_override: contextvars.ContextVar[tuple[dt.datetime, str] | None] = contextvars.ContextVar("ultraplan_now", default=None)


def parse(text: str, what: str = "--now") -> dt.datetime:
    """An ISO 8601 date or date-time as an aware UTC datetime; UsageError naming `what` otherwise."""
    from .errors import UsageError

    value = str(text).strip()
    try:
        if "T" not in value and " " not in value:
            day = dt.date.fromisoformat(value)
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(f"{what}: {text!r} is not an ISO 8601 date or date-time in UTC "
                         f"(e.g. 2026-12-06 or {EXAMPLE})") from None
    return utc(moment)


def utc(moment: dt.datetime) -> dt.datetime:
    """`moment` in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def now() -> dt.datetime:
    """The planning clock (aware, UTC): `using(...)`, else ULTRAPLAN_NOW, else the system clock."""
    return reading()[0]


def today() -> dt.date:
    return now().date()


def reading() -> tuple[dt.datetime, str]:
    """(now, where it came from): `--now`, `ULTRAPLAN_NOW` or `system`."""
    override = _override.get()
    if override is not None:
        return override
    text = os.environ.get(ENV_VAR, "").strip()
    if text:
        return parse(text, ENV_VAR), ENV_VAR
    return dt.datetime.now(dt.timezone.utc), "system"


def source() -> str:
    return reading()[1]


def stamp(moment: dt.datetime) -> str:
    """`2026-12-06T09:30:00Z`: how the Plan and messages write a moment."""
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


@contextlib.contextmanager
def using(moment: dt.datetime | str, source_: str = "--now") -> Iterator[dt.datetime]:
    """Run a block with the clock set to `moment` (what a command's `--now` does)."""
    value = parse(moment, source_) if isinstance(moment, str) else utc(moment)
    token = _override.set((value, source_))
    try:
        yield value
    finally:
        _override.reset(token)


@contextlib.contextmanager
def scope() -> Iterator[None]:
    """Whatever `using` sets inside is undone on exit, even when an inner block never closed (a
    command line that failed to parse after its --now): the CLI's `main` runs in one."""
    token = _override.set(_override.get())
    try:
        yield
    finally:
        _override.reset(token)
