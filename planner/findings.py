"""One result type for every check (spec lint, preflight, policy): a frozen Finding with a level.

Checks return Findings; reports format them; nothing here prints.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable


class Level(enum.IntEnum):
    """Ordered so that `--fail-on LEVEL` is a comparison."""

    INFO = 10
    WARNING = 20
    ERROR = 30

    @classmethod
    def parse(cls, text: str) -> "Level":
        return cls[text.strip().upper()]

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.name.lower()


@dataclass(frozen=True)
class Source:
    """The spec file and line that asked for a thing."""

    file: str | None = None
    line: int | None = None
    column: int | None = None  # where a caret goes under the value (spec problems)
    excerpt: str | None = None  # the spec line as written (spec problems)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "line": self.line}
        if self.column is not None:
            out["column"] = self.column
        if self.excerpt is not None:
            out["excerpt"] = self.excerpt
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "Source":
        data = data or {}
        return cls(file=data.get("file"), line=data.get("line"))


class Status(str, enum.Enum):
    """How a check ended. Only PASSED is a pass: an UNVERIFIED check (it could not run: access
    denied, throttled past retries, an unreadable answer, the deadline) is never shown or counted
    as passed, in any format."""

    PASSED = "passed"
    FAILED = "failed"  # it found something (at its level)
    SKIPPED = "skipped"  # the user skipped it, with a reason
    UNVERIFIED = "unverified"  # it could not run; the AWS operation and error say why

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


@dataclass(frozen=True)
class Unverified:
    """Why a check could not verify what it checks: the AWS operation it needed (None when no call
    was involved, e.g. a quota code the catalog lacks) and the error (kind and AWS's words)."""

    operation: str | None
    error: str  # denied | throttled | timeout | unreachable | unreadable | deadline | not-captured | internal | ...
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"operation": self.operation, "error": self.error, "reason": self.reason}


@dataclass(frozen=True)
class Finding:
    check_id: str
    level: Level
    message: str
    hint: str | None = None
    pool: str | None = None
    resource: str | None = None
    source: Source = field(default_factory=Source)
    # Set when this finding says "could not check": the check is then UNVERIFIED, not failed or passed.
    unverified: Unverified | None = None

    @property
    def status(self) -> Status:
        return Status.UNVERIFIED if self.unverified is not None else Status.FAILED

    def to_json(self) -> dict[str, Any]:
        out = {
            "id": self.check_id,
            "level": self.level.name.lower(),
            "status": self.status.value,
            "message": self.message,
            "hint": self.hint,
            "pool": self.pool,
            "resource": self.resource,
            "source": self.source.to_json(),
        }
        if self.unverified is not None:
            out["unverified"] = self.unverified.to_json()
        return out


def worst(findings: Iterable[Finding]) -> Level | None:
    """The worst level among findings that verified something (an unverified one is no verdict)."""
    levels = [f.level for f in findings if f.unverified is None]
    return max(levels) if levels else None


def check_status(findings: Iterable[Finding], *, skipped: bool = False) -> Status:
    """One check's status from its findings: failed when it found something at warning or above,
    else unverified when part of it could not run, else passed (info notes do not fail a check)."""
    if skipped:
        return Status.SKIPPED
    findings = list(findings)
    if any(f.unverified is None and f.level >= Level.WARNING for f in findings):
        return Status.FAILED
    if any(f.unverified is not None for f in findings):
        return Status.UNVERIFIED
    return Status.PASSED


def parse_accepts(items: Iterable[str], known: Iterable[str] | None = None, option: str = "--accept-unverified") -> dict[str, str]:
    """`ID=REASON` pairs (a reason is required, an id must be known when `known` is given)."""
    from .errors import UsageError

    known_ids = list(known) if known is not None else None
    out: dict[str, str] = {}
    for item in items:
        check_id, sep, reason = item.partition("=")
        check_id = check_id.strip()
        if known_ids is not None and check_id not in known_ids:
            import difflib

            close = difflib.get_close_matches(check_id, known_ids, n=1)
            raise UsageError(f"{option} {check_id}: no such check" + (f" (did you mean {close[0]}?)" if close else ""))
        if not sep or not reason.strip():
            raise UsageError(f"{option} {check_id}: give a reason ({option} {check_id}=why)")
        out[check_id] = reason.strip()
    return out


@dataclass(frozen=True)
class CheckInfo:
    """What a registry knows of a check: its id, level, title and the docstring that documents it."""

    check_id: str
    level: Level
    title: str
    doc: str
    func: Callable[..., Iterable[Finding]]


class Registry:
    """Collects checks by decorator so that listings and docs come from the code itself."""

    def __init__(self) -> None:
        self._checks: dict[str, CheckInfo] = {}

    def check(self, check_id: str, level: Level, title: str | None = None):
        def decorate(func):
            if check_id in self._checks:
                raise ValueError(f"duplicate check id {check_id}")
            doc = (func.__doc__ or "").strip()
            self._checks[check_id] = CheckInfo(check_id, level, title or doc.split("\n")[0], doc, func)
            return func

        return decorate

    def __iter__(self):
        return iter(self._checks.values())

    def __len__(self) -> int:
        return len(self._checks)

    def get(self, check_id: str) -> CheckInfo | None:
        return self._checks.get(check_id)

    def ids(self) -> list[str]:
        return list(self._checks)


def counted(n: int, one: str, many: str | None = None) -> str:
    """`1 instance`, `2 instances`, `499,968 GPUs`: a count with its noun, thousands separated."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"
