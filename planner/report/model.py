"""What every report format renders: findings with their rules, the steps of a run, and the gate.

Formats (text, json, sarif, junit, markdown, html) only format a :class:`Report`; they decide nothing.
Every check ends passed, failed, skipped or unverified (:meth:`Report.statuses`); an unverified
check is never shown or counted as passed.
The gate (:attr:`Report.exit_code`): 1 when a finding is at or above ``fail_on`` or a step failed;
else 4 when a check crashed (a bug); else 3 when a check that was asked for could not verify and
the user did not accept it (``accepted``: id -> reason); else 0.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, EXIT_UNVERIFIED, verdict_exit_code
from ..findings import Finding, Level, Status, check_status

# Step statuses. UNVERIFIED: the step ran but some of its checks could not verify.
OK, FAILED, WARNING, SKIPPED, NOT_RUN, UNVERIFIED = "ok", "failed", "warning", "skipped", "not-run", "unverified"


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
    def unverified(self) -> bool:
        return self.finding.unverified is not None

    @property
    def level_label(self) -> str:
        if self.unverified:
            return "unverified"
        return self.label or self.finding.level.name.lower()


@dataclass
class Step:
    """One stage of a run (validate, plan, cost, policy, preflight) and how it ended."""

    name: str
    status: str  # ok | failed | warning | unverified | skipped | not-run
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
    accepted: dict[str, str] = field(default_factory=dict)  # unverified check id -> why the user accepts it
    internal_errors: list[str] = field(default_factory=list)  # check ids that crashed (a bug)

    # -- the gate ----------------------------------------------------------------------------
    def failing(self) -> list[Entry]:
        return [e for e in self.entries if not e.unverified and e.finding.level >= self.fail_on]

    @property
    def failed_steps(self) -> list[Step]:
        return [s for s in self.steps if s.status == FAILED]

    @property
    def ok(self) -> bool:
        """No finding at or above fail_on and no failed step (unverified checks are judged by exit_code)."""
        return not self.failing() and not self.failed_steps

    def unverified_entries(self) -> list[Entry]:
        return [e for e in self.entries if e.unverified]

    def unverified_checks(self) -> list[str]:
        """Ids of checks that could not verify (and found nothing failing), accepted ones included."""
        return [cid for cid, st in self.statuses().items() if st == Status.UNVERIFIED]

    def unaccepted(self) -> list[str]:
        return [cid for cid in self.unverified_checks() if cid not in self.accepted]

    @property
    def verdict(self) -> str:
        """PASS, FAIL, ERROR (a check crashed) or UNVERIFIED: the word every format shows."""
        return {EXIT_OK: "PASS", EXIT_FINDINGS: "FAIL", EXIT_INTERNAL: "ERROR", EXIT_UNVERIFIED: "UNVERIFIED"}[self.exit_code]

    @property
    def exit_code(self) -> int:
        return verdict_exit_code(not self.ok, bool(self.internal_errors), bool(self.unaccepted()))

    def statuses(self) -> dict[str, Status]:
        """Every rule's status: skipped, failed, unverified or passed. A rule is passed only when it is
        listed in `passed` and has no unverified finding; a rule with no result at all is not listed."""
        by_id: dict[str, list[Finding]] = {}
        for e in self.entries:
            by_id.setdefault(e.finding.check_id, []).append(e.finding)
        out: dict[str, Status] = {}
        for cid in [*self.passed, *by_id]:
            out[cid] = check_status(by_id.get(cid, ()))
        for cid, _ in self.skipped:
            out[cid] = Status.SKIPPED
        return out

    def passed_checks(self) -> list[str]:
        """The rules that passed: never one with an unverified or failing finding."""
        statuses = self.statuses()
        return [cid for cid in self.passed if statuses.get(cid) == Status.PASSED]

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
        """Findings by level label; unverified checks are counted once each, as `unverified`."""
        out: dict[str, int] = {}
        for e in self.entries:
            if not e.unverified:
                out[e.level_label] = out.get(e.level_label, 0) + 1
        return out

    def summary_line(self) -> str:
        counts = ", ".join(f"{n} {label}" for label, n in sorted(self.counts().items())) or "no findings"
        parts = [counts, f"{len(self.passed_checks())} passed"]
        unverified = self.unverified_checks()
        if unverified:
            accepted = sum(1 for cid in unverified if cid in self.accepted)
            parts.append(f"{len(unverified)} unverified" + (f" ({accepted} accepted)" if accepted else ""))
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        return f"{self.verdict}: " + ", ".join(parts) + f" (fail on {self.fail_on.name.lower()})"
