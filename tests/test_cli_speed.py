"""`ultraplan --help` stays cheap: listing the commands imports none of them (no pydantic, no catalog,
no rich), so its start-up is Python's own plus click. How fast that is, bench/scale_bench.py measures;
here: what it imports, and that the listing says what each command's own help says."""
from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT
from planner.cli import COMMANDS, SHORT_HELP
from planner.cli.lazy import _load

PROBE = r"""
import json, sys
from planner.cli import main
try:
    main(["--help"])
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("pydantic", "rich", "yaml", "boto3", "pulumi")
                        or m in ("planner.spec.model", "planner.catalog", "planner.compile", "planner.spec.load"))), file=sys.stderr)
"""


def test_help_imports_no_command_module():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "validate" in out.stdout and "check" in out.stdout
    assert json.loads(out.stderr.strip().splitlines()[-1]) == []


def test_the_listing_says_what_each_command_says():
    for name in COMMANDS:
        command = _load(name, COMMANDS)
        if command is not None and name in SHORT_HELP:
            assert SHORT_HELP[name] == command.get_short_help_str(10_000), name


def test_planner_exports_resolve_on_first_use():
    import planner

    assert planner.compile_plan.__module__ == "planner.compile"
    assert callable(planner.load_spec) and planner.SpecError.__name__ == "SpecError"
