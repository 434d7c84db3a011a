"""What every report format renders: findings with their rules, the steps of a run, and the gate.

Formats (text, json, sarif, junit, markdown) only format a :class:`Report`; they decide nothing.
The gate: the run fails when a finding is at or above ``fail_on`` or a step failed; exit code 1.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import EXIT_FINDINGS, EXIT_OK
from ..findings import Finding, Level

OK, FAILED, WARNING, SKIPPED, NOT_RUN = "ok", "failed", "warning", "skipped", "not-run"


@dataclass(frozen=True)
class RuleInfo:
    """A rule or check as reports describe it (SARIF rules, JUnit test cases, docs)."""

    id: str
    title: str
    help: str = ""  # the docstring: what it checks and why
    level: Level = Level.ERROR  # the level its findings take by default
    label: str | None = None  # the level as its own world names it, e.g. "mandatory"
    remediation: str | None = None
    category: str = "policy"
    tags: tuple[str, ...] = ()
    severity: str | None = None  # low | medium | high | critical


@dataclass(frozen=True)
class Entry:
    """A finding and where it came from (category: policy, preflight, spec, cost, ...)."""

    finding: Finding
    category: str = "policy"
    label: str | None = None  # e.g. "mandatory"/"advisory" for policies; default: the Level's name

    @property
    def level_label(self) -> str:
        return self.label or self.finding.level.name.lower()


@dataclass
class Step:
    """One stage of a run (validate, plan, cost, policy, preflight) and how it ended."""

    name: str
    status: str  # ok | failed | warning | skipped | not-run
    summary: str = ""
    data: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "status": self.status, "summary": self.summary}
        if self.data is not None:
            out["data"] = self.data
        return out


@dataclass
class Report:
    command: str  # "policy", "check", "preflight", ...
    spec_file: str | None = None
    name: str | None = None  # the cluster's name
    entries: list[Entry] = field(default_factory=list)
    rules: list[RuleInfo] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)  # rule ids that ran and found nothing
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (rule id, reason): echoed, never silent
    not_applicable: list[tuple[str, str]] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    fail_on: Level = Level.ERROR
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. {"cost": {...}} for JSON consumers
    skip_sources: dict[str, Any] = field(default_factory=dict)  # rule id -> Source of the skip in the spec
    parts: list["Report"] = field(default_factory=list)  # one report per spec when several were checked

    # -- the gate ----------------------------------------------------------------------------
    def failing(self) -> list[Entry]:
        return [e for e in self.entries if e.finding.level >= self.fail_on]

    @property
    def failed_steps(self) -> list[Step]:
        return [s for s in self.steps if s.status == FAILED]

    @property
    def ok(self) -> bool:
        return not self.failing() and not self.failed_steps

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_FINDINGS

    # -- lookups -----------------------------------------------------------------------------
    def rule(self, rule_id: str) -> RuleInfo | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def all_rules(self) -> list[RuleInfo]:
        """The declared rules plus a plain entry for any finding id that has none (e.g. a preflight check)."""
        rules = list(self.rules)
        known = {r.id for r in rules}
        for e in self.entries:
            if e.finding.check_id not in known:
                known.add(e.finding.check_id)
                rules.append(RuleInfo(e.finding.check_id, e.finding.check_id, level=e.finding.level,
                                      category=e.category))
        return rules

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in self.entries:
            out[e.level_label] = out.get(e.level_label, 0) + 1
        return out

    def summary_line(self) -> str:
        counts = ", ".join(f"{n} {label}" for label, n in sorted(self.counts().items())) or "no findings"
        parts = [counts, f"{len(self.passed)} passed"]
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        verdict = "PASS" if self.ok else "FAIL"
        return f"{verdict}: " + ", ".join(parts) + f" (fail on {self.fail_on.name.lower()})"
