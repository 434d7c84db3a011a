"""A report format written for tests/test_report_formats.py: proof that a new format is one module
plus one registry line (one row a finding: id, level, file, line, message)."""
from __future__ import annotations

import csv
import io


def render_csv(report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "level", "file", "line", "message"])
    for e in report.entries:
        f = e.finding
        writer.writerow([f.check_id, e.level_label, f.source.file or "", f.source.line or "", f.message])
    return out.getvalue()
