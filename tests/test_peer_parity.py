"""The mistakes AWS ParallelCluster 3.16.1 catches before launch, each as a spec under
tests/data/parity/, caught at the earliest stage that can: validate (exit 2) when the spec alone
shows it, preflight (against the demo account snapshot) when only the account does.

Each spec marks the line the error must name with `# expect: <field path>` (validate) or
`# expect: <preflight check id>`; the test reads the markers, so a moved line moves the expectation.
"""
from __future__ import annotations

import copy
import glob
import json
import os
import re

import pytest
from conftest import ROOT

from planner import compile_spec
from planner.errors import SpecError
from planner.findings import Level
from planner.preflight import run
from planner.preflight.snapshot import SnapshotAccount
from planner.spec.load import load_spec

PARITY = os.path.join(ROOT, "tests", "data", "parity")
SPECS = sorted(glob.glob(os.path.join(PARITY, "*.yaml")))
DEMO = os.path.join(ROOT, "examples", "accounts", "demo-us-east-1.json")


def expectations(path: str) -> list[tuple[str, int]]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            m = re.search(r"# expect: (\S+), this line", line)
            if m:
                out.append((m.group(1), n))
    assert out, f"{path} marks no expected error"
    return out


def _demo_account() -> SnapshotAccount:
    with open(DEMO, encoding="utf-8") as fh:
        doc = json.load(fh)
    doc = copy.deepcopy(doc)
    # A RHEL image the demo account can see (rhel-ami-into-linux-reservation.yaml).
    doc["images"]["items"]["ami-0000000000000e1e1"] = {
        "id": "ami-0000000000000e1e1", "name": "rhel-9", "architecture": "x86_64", "state": "available",
        "root_gib": 10, "platform": "Red Hat Enterprise Linux"}
    return SnapshotAccount(doc, label="demo+rhel")


@pytest.mark.parametrize("path", SPECS, ids=[os.path.basename(p) for p in SPECS])
def test_peer_mistake_is_caught_at_the_pool_line(path):
    expected = expectations(path)
    rel = os.path.relpath(path, ROOT)
    if all(not what.startswith("preflight.") for what, _ in expected):
        with pytest.raises(SpecError) as exc:
            load_spec(path)
        got = {(i.path, i.line) for i in exc.value.issues}
        for want in expected:
            assert want in got, f"{rel}: expected {want}, got {sorted(got)}"
        return
    load_spec(path)  # only the account shows this one: the spec itself is valid
    plan = compile_spec(path)
    result = run(plan, _demo_account())
    for check_id, line in expected:
        found = [f for f in result.findings if f.check_id == check_id and f.level == Level.ERROR]
        assert any(f.source.line == line for f in found), \
            f"{rel}: no {check_id} error at line {line}: {[(f.source.line, f.message) for f in found]}"
