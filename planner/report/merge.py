"""One report for several specs (`ultraplan check clusters/`): every finding keeps its spec file and
line; the steps, skips and passes say which spec they belong to; the gate covers them all.

The per-spec reports stay in `parts`, so formats that place things per file (SARIF suppressions at
the `policies.skip` line of each spec, the text report's sections) can still do so.
"""
from __future__ import annotations

from dataclasses import replace

from .model import Entry, Report, Step


def merge(reports: list[Report], command: str) -> Report:
    if len(reports) == 1:
        return reports[0]
    out = Report(command, spec_file=None, name=f"{len(reports)} specs", fail_on=reports[0].fail_on)
    out.parts = list(reports)
    known: set[str] = set()
    for rep in reports:
        label = rep.spec_file or rep.name or "?"
        for e in rep.entries:
            source = e.finding.source if e.finding.source.file else replace(e.finding.source, file=rep.spec_file)
            out.entries.append(Entry(replace(e.finding, source=source), e.category, e.label))
        for rule in rep.rules:
            if rule.id not in known:
                known.add(rule.id)
                out.rules.append(rule)
        out.steps += [Step(f"{s.name} ({label})", s.status, s.summary, s.data) for s in rep.steps]
        out.skipped += [(rid, f"{label}: {reason}") for rid, reason in rep.skipped]
        out.not_applicable += rep.not_applicable
        out.accepted.update(rep.accepted)
        out.internal_errors += [cid for cid in rep.internal_errors if cid not in out.internal_errors]
        out.extra.setdefault("specs", []).append({"spec": rep.spec_file, "name": rep.name, **rep.extra})
    failing_ids = {e.finding.check_id for e in out.entries}
    passed: list[str] = []
    for rep in reports:
        passed += [rid for rid in rep.passed if rid not in failing_ids and rid not in passed]
    out.passed = passed
    return out
