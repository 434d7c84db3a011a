"""JSON report: `violations` [{policy, level, resource, message, source {file, line}, ...}], `passed`,
`unverified` [{policy, operation, error, message, accepted}] (never in `passed`), `skipped`,
`status` {id: passed|failed|skipped|unverified}, `steps`, and the gate (`ok`, `verdict`, `exit_code`)."""
from __future__ import annotations

import json
from typing import Any

from .model import Entry, Report


def entry_json(entry: Entry) -> dict[str, Any]:
    f = entry.finding
    return {
        "policy": f.check_id,
        "level": entry.level_label,
        "severity": f.level.name.lower(),
        "category": entry.category,
        "resource": f.resource,
        "pool": f.pool,
        "message": f.message,
        "hint": f.hint,
        "source": f.source.to_json(),
    }


def unverified_json(report: Report, entry: Entry) -> dict[str, Any]:
    f, why = entry.finding, entry.finding.unverified
    return {
        "policy": f.check_id,
        "category": entry.category,
        "operation": why.operation if why else None,
        "error": why.error if why else None,
        "message": f.message,
        "hint": f.hint,
        "pool": f.pool,
        "resource": f.resource,
        "source": f.source.to_json(),
        "accepted": report.accepted.get(f.check_id),
    }


def to_json(report: Report) -> dict[str, Any]:
    out: dict[str, Any] = {
        "tool": "ultraplan",
        "command": report.command,
        "spec": report.spec_file,
        "name": report.name,
        "ok": report.ok,
        "verdict": report.verdict,
        "exit_code": report.exit_code,
        "fail_on": report.fail_on.name.lower(),
        "summary": report.summary_line(),
        "violations": [entry_json(e) for e in report.entries if not e.unverified],
        "unverified": [unverified_json(report, e) for e in report.unverified_entries()],
        "passed": report.passed_checks(),
        "status": {cid: st.value for cid, st in report.statuses().items()},
        "skipped": [{"policy": i, "reason": r, "source": _source(report, i)} for i, r in report.skipped],
        "not_applicable": [{"policy": i, "reason": r} for i, r in report.not_applicable],
    }
    if report.steps:
        out["steps"] = [s.to_json() for s in report.steps]
    out.update(report.extra)
    return out


def _source(report: Report, rule_id: str) -> dict[str, Any] | None:
    src = report.skip_sources.get(rule_id)
    return src.to_json() if src is not None else None


def render_json(report: Report) -> str:
    return json.dumps(to_json(report), indent=2, default=str)
