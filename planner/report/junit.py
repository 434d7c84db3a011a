"""JUnit XML: one test case per rule (failure when it found something at or above the gate, error
when it could not verify, skipped with the reason when the spec skipped it), plus one per step of a
`check` run. CI systems show it
as test results."""
from __future__ import annotations

from collections import defaultdict
from typing import Any
from xml.etree import ElementTree as ET

from .model import FAILED, NOT_RUN, SKIPPED, UNVERIFIED, Entry, Report


def _line(e: Any) -> str:
    """One finding as a CI log line, with its fix (the same hint every format shows)."""
    text = f"{_location(e)}: [{e.level_label}] {e.finding.message}"
    return text + (f" (fix: {e.finding.hint})" if e.finding.hint else "")


def _location(e: Entry) -> str:
    src = e.finding.source
    where = src.file or "<spec>"
    if src.line:
        where += f":{src.line}"
    return where + (f" {e.finding.resource}" if e.finding.resource else "")


def to_junit(report: Report) -> ET.Element:
    by_rule: dict[str, list[Entry]] = defaultdict(list)
    for e in report.entries:
        by_rule[e.finding.check_id].append(e)
    skipped = dict(report.skipped)
    not_applicable = dict(report.not_applicable)

    root = ET.Element("testsuites", name=f"ultraplan {report.command}")
    suites: dict[str, ET.Element] = {}
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"tests": 0, "failures": 0, "errors": 0, "skipped": 0})

    def suite(category: str) -> ET.Element:
        if category not in suites:
            suites[category] = ET.SubElement(root, "testsuite", name=f"ultraplan.{category}")
        return suites[category]

    if report.steps:
        for step in report.steps:
            case = ET.SubElement(suite("steps"), "testcase", classname="ultraplan.steps", name=step.name)
            totals["steps"]["tests"] += 1
            if step.status == FAILED:
                ET.SubElement(case, "failure", message=step.summary or "failed", type="step")
                totals["steps"]["failures"] += 1
            elif step.status == UNVERIFIED:
                ET.SubElement(case, "error", message=step.summary or "unverified", type="unverified")
                totals["steps"]["errors"] += 1
            elif step.status in (SKIPPED, NOT_RUN):
                ET.SubElement(case, "skipped", message=step.summary or step.status)
                totals["steps"]["skipped"] += 1
            elif step.summary:
                ET.SubElement(case, "system-out").text = step.summary

    for rule in report.all_rules():
        cat = rule.category
        case = ET.SubElement(suite(cat), "testcase", classname=f"ultraplan.{cat}", name=rule.id)
        totals[cat]["tests"] += 1
        entries = by_rule.get(rule.id, [])
        failing = [e for e in entries if not e.unverified and e.finding.level >= report.fail_on]
        unverified = [e for e in entries if e.unverified]
        if unverified and not failing:
            # JUnit's <error>: the test could not run. Never a pass, whatever the CI shows for it.
            accepted = report.accepted.get(rule.id)
            body = "\n".join(_line(e) for e in entries)
            ET.SubElement(case, "error", message=f"unverified: {unverified[0].finding.message}"
                          + (f" (accepted: {accepted})" if accepted else ""), type="unverified").text = body
            totals[cat]["errors"] += 1
        elif failing:
            body = "\n".join(_line(e) for e in entries)
            ET.SubElement(case, "failure", message=f"{len(failing)} violation(s): {failing[0].finding.message}",
                          type=failing[0].level_label).text = body
            totals[cat]["failures"] += 1
        elif rule.id in skipped:
            ET.SubElement(case, "skipped", message=f"skipped: {skipped[rule.id]}")
            totals[cat]["skipped"] += 1
        elif entries:
            ET.SubElement(case, "system-out").text = "\n".join(_line(e) for e in entries)
        elif rule.id in not_applicable:
            ET.SubElement(case, "system-out").text = f"not applicable: {not_applicable[rule.id]}"

    for cat, el in suites.items():
        for key, value in totals[cat].items():
            el.set(key, str(value))
    root.set("tests", str(sum(t["tests"] for t in totals.values())))
    root.set("failures", str(sum(t["failures"] for t in totals.values())))
    root.set("errors", str(sum(t["errors"] for t in totals.values())))
    return root


def render_junit(report: Report) -> str:
    element = to_junit(report)
    ET.indent(element)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(element, encoding="unicode") + "\n"
