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
    # One group per rule and level: a rule whose findings come at several levels (plan.note: info and
    # warning) gets a row per level, so its warnings are never counted with its infos.
    groups: dict[tuple[str, str], RuleGroup] = {}
    for entry in report.entries:
        rid = entry.finding.check_id
        key = (rid, entry.level_label)
        groups.setdefault(key, RuleGroup(rules.get(rid) or RuleInfo(rid, rid))).entries.append(entry)
    return sorted(groups.values(), key=lambda g: (-g.level, -len(g.entries), g.rule.id))


def where(entry: Entry) -> str:
    """What a finding is about: its resource, else its pool, else nothing."""
    return entry.finding.resource or entry.finding.pool or ""


@dataclass
class CauseGroup:
    """Findings of one rule with one cause: the same level, message, fix and spec line, about
    different resources ("18 resources: missing tag owner" at the line of `tags:`)."""

    entries: list[Entry]

    @property
    def first(self) -> Entry:
        return self.entries[0]

    @property
    def about(self) -> list[str]:
        return [w for w in dict.fromkeys(where(e) for e in self.entries) if w]

    def subject(self, shown: int = 3) -> str:
        """`asg-gpu` for one, `18 resources: vpc, rt-private, igw and 15 more` for many (pools when
        the findings are about pools)."""
        about = self.about
        if len(self.entries) == 1 or len(about) <= 1:
            return about[0] if about else ""
        kind = "resources" if any(e.finding.resource for e in self.entries) else "pools"
        names = ", ".join(about[:shown]) + (f" and {len(about) - shown} more" if len(about) > shown else "")
        return f"{len(about)} {kind}: {names}"


    @property
    def places(self) -> list[tuple[str, int | None]]:
        """Distinct (file, line) of the group, in order."""
        return list(dict.fromkeys((e.finding.source.file or "", e.finding.source.line) for e in self.entries))


def _cause(entry: Entry, anywhere: bool) -> tuple:
    f = entry.finding
    where = () if anywhere else (f.source.file, f.source.line, f.source.column)
    return (f.check_id, int(f.level), entry.label, entry.category, f.message, f.hint,
            str(f.unverified) if f.unverified else None, *where)


def by_cause(entries: list[Entry], anywhere: bool = False) -> list[CauseGroup]:
    """Entries grouped by rule and cause, in first-seen order: the same message and fix at the same
    spec line (or, `anywhere`, at any line of any spec: a run over many specs). SARIF does not use
    this: it keeps one result per location, as code scanning expects."""
    groups: dict[tuple, CauseGroup] = {}
    for e in entries:
        groups.setdefault(_cause(e, anywhere), CauseGroup([])).entries.append(e)
    return list(groups.values())
