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


@dataclass(frozen=True)
class Finding:
    check_id: str
    level: Level
    message: str
    hint: str | None = None
    pool: str | None = None
    resource: str | None = None
    source: Source = field(default_factory=Source)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.check_id,
            "level": self.level.name.lower(),
            "message": self.message,
            "hint": self.hint,
            "pool": self.pool,
            "resource": self.resource,
            "source": self.source.to_json(),
        }


def worst(findings: Iterable[Finding]) -> Level | None:
    levels = [f.level for f in findings]
    return max(levels) if levels else None


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
