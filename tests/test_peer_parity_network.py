"""Peer parity (ParallelCluster 3.16.1 catches these before launch), network and storage part: each
mistake is a spec here, caught at the earliest stage that can see it, naming the field and line.

- FSx for Lustre sizes per deployment type (validate): Amazon FSx API Reference, CreateFileSystem
  StorageCapacity: SCRATCH_1 1,200, 2,400 then multiples of 3,600 GiB; SCRATCH_2 / PERSISTENT_1 /
  PERSISTENT_2 1,200, 2,400 then multiples of 2,400 GiB.
- FSx in another zone than the GPU pools (policy `lustre-in-gpu-zone`, at the pool's line).
- A reused subnet that auto-assigns public IPv4 for multi-card EFA nodes (preflight
  `preflight.subnet.public-ip`, tested with moto in test_preflight_checks.py).
"""
from __future__ import annotations

import pytest

from conftest import BASE_SPEC
from planner import compile_plan
from planner.catalog import fsx
from planner.errors import SpecError
from planner.spec.load import parse_spec
from policies.runner import run_policies


def lustre(deployment: str, size: str, throughput: str = "") -> str:
    text = BASE_SPEC + f"storage:\n  lustre: {{{size}, deployment: {deployment}{throughput}}}\n"
    if deployment == "SCRATCH_1":  # accepted only with its gate skipped: it never encrypts in transit (test_pipeline.py)
        text += "policies: {skip: {fsx-encrypted-in-vpc: 'scratch data only, nothing sensitive'}}\n"
    return text


def issues(text):
    with pytest.raises(SpecError) as err:
        parse_spec(text, "spec.yaml")
    return err.value.issues


@pytest.mark.parametrize("deployment, gib, ok", [
    ("SCRATCH_1", 1200, True), ("SCRATCH_1", 2400, True), ("SCRATCH_1", 3600, True), ("SCRATCH_1", 7200, True),
    ("SCRATCH_1", 4800, False), ("SCRATCH_1", 6000, False),
    ("SCRATCH_2", 3600, False), ("SCRATCH_2", 4800, True), ("PERSISTENT_2", 1200, True), ("PERSISTENT_2", 3600, False),
    ("PERSISTENT_1", 7200, True), ("PERSISTENT_2", 600, False),
])
def test_lustre_sizes_follow_the_api_reference(deployment, gib, ok):
    assert fsx.valid_capacity(deployment, gib) is ok


def test_a_valid_scratch_1_size_is_not_rounded():
    plan = compile_plan(parse_spec(lustre("SCRATCH_1", "capacity_gib: 3600"), "spec.yaml"))
    assert plan.by_name()["lustre"].inputs["storageCapacity"] == 3600
    plan = compile_plan(parse_spec(lustre("SCRATCH_1", "capacity_tib: 3.515625"), "spec.yaml"))
    assert plan.by_name()["lustre"].inputs["storageCapacity"] == 3600


@pytest.mark.parametrize("deployment, size, field, message, hint", [
    pytest.param("SCRATCH_1", "capacity_gib: 4800", "capacity_gib", "4,800 GiB is not a SCRATCH_1 size (1,200, 2,400, then multiples of 3,600 GiB",
                 "use capacity_gib: 3600 or capacity_gib: 7200", id="scratch-1-4800"),
    pytest.param("PERSISTENT_2", "capacity_gib: 3600", "capacity_gib", "3,600 GiB is not a PERSISTENT_2 size (1,200, 2,400, then multiples of 2,400 GiB",
                 "use capacity_gib: 2400 or capacity_gib: 4800", id="persistent-2-3600"),
    pytest.param("PERSISTENT_2", "capacity_tib: 240", "capacity_tib", "240 TiB = 245,760 GiB is not a PERSISTENT_2 size",
                 "use capacity_gib: 244800 (239.062 TiB) or capacity_gib: 247200 (241.406 TiB)", id="persistent-2-240-tib"),
    pytest.param("SCRATCH_2", "capacity_gib: 100", "capacity_gib", "100 GiB is not a SCRATCH_2 size",
                 "use capacity_gib: 1200", id="below-the-minimum"),
])
def test_an_invalid_size_is_rejected_with_the_right_values(deployment, size, field, message, hint):
    throughput = ", throughput_per_tib: 250" if deployment == "PERSISTENT_2" else ""
    [issue] = issues(lustre(deployment, size, throughput))
    assert issue.path == f"storage.lustre.{field}" and issue.line == 12
    assert message in issue.message and "CreateFileSystem" in issue.message
    assert issue.hint == hint


@pytest.mark.parametrize("size, message", [
    ("capacity_gib: 2400, capacity_tib: 2.34375", "exactly one"),
    ("deployment: SCRATCH_2", "no capacity given"),
])
def test_exactly_one_capacity_field(size, message):
    text = BASE_SPEC + f"storage:\n  lustre: {{{size}}}\n" if "deployment" in size else lustre("SCRATCH_2", size)
    [issue] = issues(text)
    assert issue.path == "storage.lustre" and message in issue.message


def test_fsx_in_another_zone_than_the_gpu_pools_is_a_finding_at_the_pools_line():
    text = BASE_SPEC.replace("    count: 2\n", "    count: 2\n    availability_zone: us-east-1b\n") + \
        "storage:\n  lustre: {capacity_gib: 2400, deployment: SCRATCH_2}\n"
    plan = compile_plan(parse_spec(text, "spec.yaml"))
    result = run_policies(plan, monthly_cost=lambda p: 0.0)
    [f] = result.outcome("lustre-in-gpu-zone").violations
    assert f.message == "lustre is in us-east-1a, GPU pool gpu in us-east-1b: every Lustre read crosses zones"
    assert (f.pool, f.source.file, f.source.line) == ("gpu", "spec.yaml", 8)
    assert result.enforcement_of(f) == "advisory"


def test_fsx_in_the_gpu_zone_is_no_finding():
    plan = compile_plan(parse_spec(lustre("SCRATCH_2", "capacity_gib: 2400"), "spec.yaml"))
    assert run_policies(plan, monthly_cost=lambda p: 0.0).outcome("lustre-in-gpu-zone").status == "passed"
