"""From a PolicyResult to what planner.report formats: entries labelled mandatory/advisory, rules with
their documentation, passed / skipped / not-applicable policies."""
from __future__ import annotations

from planner.findings import Level
from planner.report import Entry, Report, RuleInfo

from .registry import ADVISORY, Policy
from .runner import DISABLED_STATUS, NOT_APPLICABLE, PolicyResult


def rule_info(policy: Policy, level: str | None = None) -> RuleInfo:
    level = level or policy.level
    return RuleInfo(
        id=policy.id, title=policy.description, help=policy.doc,
        level=Level.WARNING if level == ADVISORY else Level.ERROR, label=level,
        remediation=policy.remediation, category="policy", tags=policy.tags, severity=policy.severity,
    )


def fill_report(report: Report, result: PolicyResult) -> Report:
    """Add the policy run to a report (used by `ultraplan policy` and `ultraplan check`)."""
    for outcome in result.outcomes:
        report.rules.append(rule_info(outcome.policy, outcome.level if outcome.level != "disabled" else None))
        report.entries.extend(Entry(f, "policy", outcome.level) for f in outcome.violations)
        if any(f.unverified is not None and f.unverified.error == "internal" for f in outcome.violations):
            report.internal_errors.append(outcome.policy.id)  # the rule crashed: a bug, exit 4
        if outcome.status == "passed":
            report.passed.append(outcome.policy.id)
        elif outcome.status == "skipped":
            report.skipped.append((outcome.policy.id, outcome.reason or ""))
            report.skip_sources[outcome.policy.id] = outcome.source
        elif outcome.status in (NOT_APPLICABLE, DISABLED_STATUS):
            report.not_applicable.append((outcome.policy.id, outcome.reason or outcome.status))
    return report


def policy_report(result: PolicyResult, *, name: str | None = None, fail_on: Level = Level.ERROR) -> Report:
    return fill_report(Report("policy", spec_file=result.spec_file, name=name, fail_on=fail_on), result)
