"""SARIF 2.1.0 for GitHub code scanning: one run, the rules with help text, one result per finding
located at the spec file and line that produced the resource.

GitHub reads: `runs[].tool.driver.{name, rules[].{id, shortDescription, fullDescription, help,
defaultConfiguration.level, properties.tags, properties.security-severity}}` and
`results[].{ruleId, level, message.text, locations[].physicalLocation.{artifactLocation.uri, region.startLine},
partialFingerprints}`; the uri is relative to the repository root (the working directory in CI).
"""
from __future__ import annotations

import hashlib
import json
import os
import pathlib
import urllib.parse
from importlib import metadata
from typing import Any

from ..findings import Finding, Level
from .model import Report, RuleInfo

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/ultraplan/ultraplan"
SARIF_LEVEL = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "note"}
# GitHub's security-severity scale (0-10) for rules tagged "security".
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def _version() -> str:
    try:
        return metadata.version("ultraplan")
    except metadata.PackageNotFoundError:  # pragma: no cover - not installed
        return "0.0.0"


def artifact_uri(path: str | None, root: str | None = None) -> str:
    """A repository-relative, forward-slash, percent-encoded URI reference (what code scanning matches
    against the checkout), or an absolute file:// URI for a file outside `root`."""
    return artifact_location(path, root)["uri"]


def artifact_location(path: str | None, root: str | None = None) -> dict[str, str]:
    """SARIF artifactLocation: relative to %SRCROOT% (the repository root) when the file is inside it,
    otherwise an absolute file:// URI with no base (a bare '/abs/path' is not a valid SARIF uri)."""
    if not path:
        path = "ultraplan.yaml"
    root = os.path.abspath(root or os.getcwd())
    absolute = os.path.abspath(path)
    rel = os.path.relpath(absolute, root)
    if rel == ".." or rel.startswith(".." + os.sep) or os.path.isabs(rel):
        return {"uri": pathlib.Path(absolute).as_uri()}
    return {"uri": urllib.parse.quote(rel.replace(os.sep, "/")), "uriBaseId": "%SRCROOT%"}


def root_uri(root: str | None = None) -> str:
    """%SRCROOT% as an absolute file:// URI ending in '/', as SARIF requires of a base."""
    return pathlib.Path(os.path.abspath(root or os.getcwd())).as_uri().rstrip("/") + "/"


def _rule_json(rule: RuleInfo) -> dict[str, Any]:
    help_text = rule.help or rule.title
    if rule.remediation:
        help_text += f"\n\nRemediation: {rule.remediation}"
    markdown = f"**{rule.title}**\n\n{rule.help or ''}"
    if rule.remediation:
        markdown += f"\n\n**Remediation:** {rule.remediation}"
    properties: dict[str, Any] = {"tags": [rule.category, *rule.tags]}
    if rule.label:
        properties["enforcementLevel"] = rule.label
    if rule.severity in SECURITY_SEVERITY and "security" in rule.tags:
        properties["security-severity"] = SECURITY_SEVERITY[rule.severity]
    return {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.id.replace(".", "-").split("-")),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.help or rule.title},
        "help": {"text": help_text, "markdown": markdown},
        "defaultConfiguration": {"level": SARIF_LEVEL[rule.level]},
        "properties": properties,
    }


def _fingerprint(f: Finding) -> str:
    key = "|".join([f.check_id, f.resource or "", f.pool or "", f.message])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _result(f: Finding, index: int, spec_file: str | None, root: str | None) -> dict[str, Any]:
    text = f.message if not f.resource else f"{f.resource}: {f.message}"
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": artifact_location(f.source.file or spec_file, root),
            "region": _region(f),
        },
    }
    if f.resource:
        location["logicalLocations"] = [{"name": f.resource, "kind": "resource"}]
    result: dict[str, Any] = {
        "ruleId": f.check_id,
        "ruleIndex": index,
        "level": SARIF_LEVEL[f.level],
        "message": {"text": text + (f" Fix: {f.hint}" if f.hint else "")},
        "locations": [location],
        "partialFingerprints": {"ultraplanFinding/v1": _fingerprint(f)},
    }
    props: dict[str, Any] = {k: v for k, v in (("pool", f.pool), ("resource", f.resource)) if v}
    if f.unverified is not None:
        # SARIF 3.27.9: kind "open" = not enough information to decide; a non-"fail" kind takes level "none".
        result["kind"], result["level"] = "open", "none"
        result["message"]["text"] = f"UNVERIFIED: {result['message']['text']}"
        props.update(status="unverified", operation=f.unverified.operation, error=f.unverified.error)
    if props:
        result["properties"] = props
    return result


def _region(f: Finding) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": max(1, f.source.line or 1)}
    if f.source.column:
        region["startColumn"] = f.source.column
    if f.source.excerpt is not None:
        region["snippet"] = {"text": f.source.excerpt}
    return region


def _suppressed(rule_id: str, reason: str, index: int, source: Any, spec_file: str | None,
                root: str | None) -> dict[str, Any]:
    """A rule skipped in the spec (policies.skip) as a suppressed result carrying the reason."""
    file = getattr(source, "file", None) or spec_file
    line = getattr(source, "line", None)
    location = {"physicalLocation": {"artifactLocation": artifact_location(file, root),
                                     "region": {"startLine": max(1, line or 1)}}}
    return {
        "ruleId": rule_id, "ruleIndex": index, "kind": "notApplicable", "level": "none",
        "message": {"text": f"{rule_id} was skipped in the spec: {reason}"},
        "locations": [location],
        "suppressions": [{"kind": "inSource", "status": "accepted", "justification": reason,
                          "location": location}],
        "partialFingerprints": {"ultraplanSkip/v1": hashlib.sha256(f"skip|{rule_id}|{file}".encode()).hexdigest()[:32]},
    }


def _unverified_notification(report: Report, check_id: str) -> dict[str, Any]:
    why = [e.finding.unverified for e in report.unverified_entries() if e.finding.check_id == check_id]
    ops = ", ".join(sorted({f"{w.operation} ({w.error})" for w in why if w and w.operation})) or \
        ", ".join(sorted({w.error for w in why if w}))
    accepted = report.accepted.get(check_id)
    text = f"could not verify {check_id}: {ops}" + (f" (accepted: {accepted})" if accepted else "")
    return {"level": "note" if accepted else "error", "message": {"text": text}, "descriptor": {"id": check_id}}


def to_sarif(report: Report, root: str | None = None) -> dict[str, Any]:
    rules = report.all_rules()
    known = {r.id for r in rules}
    for rid, _ in report.skipped:
        if rid not in known:  # a suppressed result needs its rule
            known.add(rid)
            rules.append(RuleInfo(rid, rid, level=Level.WARNING))
    index = {r.id: n for n, r in enumerate(rules)}
    results = [_result(e.finding, index[e.finding.check_id], report.spec_file, root) for e in report.entries]
    for part in report.parts or [report]:  # each spec's skips at its own policies.skip line
        for rid, reason in part.skipped:
            if rid not in index:
                index[rid] = len(rules)
                rules.append(RuleInfo(rid, rid, level=Level.WARNING))
            results.append(_suppressed(rid, reason, index[rid], part.skip_sources.get(rid), part.spec_file, root))
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "ultraplan", "version": _version(), "semanticVersion": _version(),
                            "informationUri": INFORMATION_URI, "rules": [_rule_json(r) for r in rules]}},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": root_uri(root)}},
        "results": results,
        "invocations": [{"executionSuccessful": not report.unaccepted() and not report.internal_errors,
                         "exitCode": report.exit_code, "toolExecutionNotifications": [
                             _unverified_notification(report, cid) for cid in report.unverified_checks()]}],
        "automationDetails": {"id": f"ultraplan/{report.command}/{report.name or 'cluster'}/"},
        "properties": {"passed": report.passed_checks(),
                       "unverified": report.unverified_checks(),
                       "status": {cid: st.value for cid, st in report.statuses().items()},
                       "skipped": [{"id": i, "reason": r} for i, r in report.skipped]},
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(report: Report, root: str | None = None) -> str:
    return json.dumps(to_sarif(report, root), indent=2)
