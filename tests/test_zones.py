"""Zones are checked offline against the catalog's zones per Region (planner/catalog/zones.yaml): a zone
that does not exist fails `validate` (and so plan and check) at the zone's own line, with did-you-mean."""
from __future__ import annotations

import pytest

from conftest import BASE_SPEC
from planner.catalog.zones import region_zones, regions_selling
from planner.errors import SpecError
from planner.spec.load import parse_spec


def issues(text: str):
    try:
        parse_spec(text, "spec.yaml")
    except SpecError as exc:
        return exc.issues
    return []


@pytest.mark.parametrize("text, path, line, fix", [
    pytest.param(BASE_SPEC.replace("us-east-1a", "us-east-1z"), "availability_zone", 3, "us-east-1", id="bad-letter"),
    pytest.param(BASE_SPEC.replace("us-east-1a", "use1-az9"), "availability_zone", 3, "use1-az", id="bad-zone-id"),
    pytest.param(BASE_SPEC + "    availability_zone: us-east-1g\n", "compute[0].availability_zone", 11, "us-east-1f",
                 id="pool-zone"),
    pytest.param(BASE_SPEC.replace("  vpc_cidr: 10.0.0.0/16", "  vpc_cidr: 10.0.0.0/16\n  region_zone: use1-az7"),
                 "network.region_zone", 7, "use1-az", id="region-zone"),
])
def test_a_zone_the_region_does_not_have_fails_at_its_line(text, path, line, fix):
    found = [i for i in issues(text) if i.path == path]
    assert found, issues(text)
    assert found[0].line == line
    assert "is not an Availability Zone of us-east-1" in found[0].message
    assert found[0].hint.startswith("did you mean ") and fix in found[0].hint


@pytest.mark.parametrize("zone", ["us-east-1a", "us-east-1f", "use1-az4", "us-east-1-dfw-2a"])
def test_real_zones_names_ids_and_local_zones_pass(zone):
    text = BASE_SPEC.replace("us-east-1a", zone)
    assert not [i for i in issues(text) if "Availability Zone of" in i.message]


def test_the_did_you_mean_is_the_nearest_name():
    text = BASE_SPEC.replace("us-east-1a", "us-east-1aa")
    hint = next(i.hint for i in issues(text) if i.path == "availability_zone")
    assert hint.startswith("did you mean us-east-1a")


def test_zone_data_has_names_and_ids_and_where_gpu_types_sell():
    usw2 = region_zones("us-west-2")
    assert "us-west-2a" in usw2.zones and "usw2-az1" in usw2.zone_ids
    assert region_zones("xx-nowhere-1") is None
    assert "us-west-2" in regions_selling("p6-b300.48xlarge")
    assert "us-east-2" in regions_selling("trn2.48xlarge")


def test_validate_cli_exits_2_at_the_zone_line(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    spec = tmp_path / "spec.yaml"
    spec.write_text(BASE_SPEC.replace("us-east-1a", "us-east-1z"))
    for command in ("validate", "plan", "check"):
        proc = subprocess.run([sys.executable, "-m", "planner", command, str(spec)], capture_output=True, text=True,
                              cwd=ROOT)
        assert proc.returncode == 2, (command, proc.stderr)
        out = " ".join((proc.stderr + proc.stdout).split())  # wrapped lines are indented under their start
        assert f"{spec}:3" in out and "zone 'us-east-1z' is not an Availability Zone" in out, out
