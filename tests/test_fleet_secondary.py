"""`ultraplan cost FLEET` marks cells priced from a secondary source (a third-party dataset built from
the Price List API, not AWS): one text line naming how many lines per cell, and `secondary` in JSON.
The bundled price files are used as they are: us-east-1 prices p5.48xlarge from AWS, us-west-2 from
the SkyPilot dataset (secondary)."""
from __future__ import annotations

import json
import textwrap

import pytest

from planner.cli import main

FLEET = """\
fleet: two
cells:
  - name: east
    account: "000000000001"
    region: us-east-1
    zones: [us-east-1a]
    spec:
      name: east
      tags: {team: t, cost-center: "1"}
      compute:
        - {name: gpu, instance_type: p5.48xlarge, count: 2}
  - name: west
    account: "000000000002"
    region: WEST
    zones: [WEST_ZONE]
    spec:
      name: west
      tags: {team: t, cost-center: "1"}
      compute:
        - {name: gpu, instance_type: p5.48xlarge, count: 2}
"""


def fleet_cost(capsys, tmp_path, west: str, fmt: str):
    path = tmp_path / "fleet.yaml"
    path.write_text(textwrap.dedent(FLEET).replace("WEST_ZONE", f"{west}a").replace("WEST", west))
    with pytest.raises(SystemExit) as exc:
        main(["cost", str(path), "--format", fmt])
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return exc.value.code, out.out


def test_fleet_cost_names_the_secondary_lines_per_cell(capsys, tmp_path):
    code, out = fleet_cost(capsys, tmp_path, "us-west-2", "text")
    assert code == 0
    text = " ".join(line.strip() for line in out.splitlines())
    assert ("Secondary source: line(s) per cell priced from a third-party dataset, not AWS: 1 in west; "
            "`ultraplan catalog refresh --prices --region us-west-2` replaces them") in text
    assert all(len(line) <= 80 for line in out.splitlines()), out
    code, out = fleet_cost(capsys, tmp_path, "us-west-2", "json")
    secondary = json.loads(out)["secondary"]
    assert list(secondary) == ["west"] and secondary["west"]["lines"] == 1
    assert secondary["west"]["prices"][0]["item"] == "p5.48xlarge"
    assert secondary["west"]["prices"][0]["source"].startswith("secondary source: SkyPilot catalog")


def test_fleet_cost_priced_from_aws_has_no_secondary_marking(capsys, tmp_path):
    code, out = fleet_cost(capsys, tmp_path, "us-east-1", "text")
    assert code == 0 and "Secondary source" not in out
