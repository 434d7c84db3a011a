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
    """A repository-relative, forward-slash path (what code scanning matches against the checkout)."""
    if not path:
        return "ultraplan.yaml"
    root = root or os.getcwd()
    if os.path.isabs(path):
        rel = os.path.relpath(path, root)
        if not rel.startswith(".."):
            path = rel
    return path.replace(os.sep, "/").removeprefix("./")


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
            "artifactLocation": {"uri": artifact_uri(f.source.file or spec_file, root), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": max(1, f.source.line or 1)},
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
    props = {k: v for k, v in (("pool", f.pool), ("resource", f.resource)) if v}
    if props:
        result["properties"] = props
    return result


def to_sarif(report: Report, root: str | None = None) -> dict[str, Any]:
    rules = report.all_rules()
    index = {r.id: n for n, r in enumerate(rules)}
    notifications = [{"level": "note", "message": {"text": f"skipped {rid}: {reason}"},
                      "descriptor": {"id": rid}} for rid, reason in report.skipped]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "ultraplan", "version": _version(), "semanticVersion": _version(),
                            "informationUri": INFORMATION_URI, "rules": [_rule_json(r) for r in rules]}},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": "file:///" + (root or os.getcwd()).lstrip("/").replace(os.sep, "/") + "/"}},
        "results": [_result(e.finding, index[e.finding.check_id], report.spec_file, root) for e in report.entries],
        "invocations": [{"executionSuccessful": True, "exitCode": report.exit_code,
                         "toolExecutionNotifications": notifications}],
        "automationDetails": {"id": f"ultraplan/{report.command}/{report.name or 'cluster'}/"},
        "properties": {"passed": list(report.passed),
                       "skipped": [{"id": i, "reason": r} for i, r in report.skipped]},
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(report: Report, root: str | None = None) -> str:
    return json.dumps(to_sarif(report, root), indent=2)
