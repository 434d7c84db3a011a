"""The project's own error types, each with the exit code the CLI maps it to (see README: Exit codes)."""
from __future__ import annotations

from dataclasses import dataclass, field

EXIT_OK = 0
EXIT_FINDINGS = 1  # a gate failed: mandatory policy violation, preflight error, budget exceeded
EXIT_INVALID = 2  # the spec or the command line is invalid
EXIT_SERVICE = 3  # an outside service (AWS) could not be reached


@dataclass(frozen=True)
class SpecIssue:
    """One thing wrong with a spec: where (field path, file, line), what, and what would be right."""

    path: str
    message: str
    line: int | None = None
    file: str | None = None
    hint: str | None = None

    def render(self) -> str:
        where = self.file or "<spec>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        text = f"{where}: {self.path or '<root>'}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class UltraplanError(Exception):
    """Base class: the CLI catches it in one place and exits with `exit_code`."""

    exit_code = EXIT_INVALID


@dataclass
class SpecError(UltraplanError):
    """The spec is invalid; carries every issue found, not just the first."""

    issues: list[SpecIssue] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return "\n".join(i.render() for i in self.issues)


class UsageError(UltraplanError):
    """A command-line argument or input file (other than the spec) is invalid."""


class ServiceError(UltraplanError):
    """An outside service could not be reached at all."""

    exit_code = EXIT_SERVICE
