"""Findings grouped by rule, the way a reviewer reads them: one group per rule with its count, its
worst level and the spec lines to look at, the findings themselves kept for a folded detail view.

Shared by the Markdown (pull-request comment) and HTML reports.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..findings import Level
from .model import Entry, Report, RuleInfo


@dataclass
class RuleGroup:
    rule: RuleInfo
    entries: list[Entry] = field(default_factory=list)

    @property
    def level(self) -> Level:
        return max(e.finding.level for e in self.entries)

    @property
    def label(self) -> str:
        worst = max(self.entries, key=lambda e: e.finding.level)
        return worst.level_label

    @property
    def lines(self) -> list[int]:
        """Distinct spec lines of the group's findings, in order."""
        return sorted({e.finding.source.line for e in self.entries if e.finding.source.line})

    @property
    def files(self) -> list[str]:
        return sorted({e.finding.source.file for e in self.entries if e.finding.source.file})

    @property
    def messages(self) -> list[str]:
        """Distinct messages, in first-seen order (18 resources missing one tag give one message)."""
        return list(dict.fromkeys(e.finding.message for e in self.entries))


def group_by_rule(report: Report) -> list[RuleGroup]:
    """Groups ordered worst level first, then by count (largest first), then by rule id."""
    rules = {r.id: r for r in report.all_rules()}
    groups: dict[str, RuleGroup] = {}
    for entry in report.entries:
        rid = entry.finding.check_id
        groups.setdefault(rid, RuleGroup(rules.get(rid) or RuleInfo(rid, rid))).entries.append(entry)
    return sorted(groups.values(), key=lambda g: (-g.level, -len(g.entries), g.rule.id))


def where(entry: Entry) -> str:
    """What a finding is about: its resource, else its pool, else nothing."""
    return entry.finding.resource or entry.finding.pool or ""
