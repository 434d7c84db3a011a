"""`ultraplan preflight` and `ultraplan account snapshot` end to end.

- Every example against its bundled demo snapshot, with no AWS credentials at all.
- Against a moto server (moto[server], `ThreadedMotoServer` on 127.0.0.1) reached only through
  `AWS_ENDPOINT_URL`, as a user would point the CLI at an endpoint. moto serves zones, offerings,
  instance types, VPCs, subnets and `vpc` quotas; the EC2 quota codes are seeded server-side by
  extending moto's Service Quotas backend (it answers only `vpc`); capacity reservations are not
  seeded there (moto's server does not implement them; no example used here needs them).
- Exit codes: 1 on an error finding, 2 on bad options, 3 when AWS cannot be reached.
"""
from __future__ import annotations

import glob
import json
import re
import os
import socket
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from preflight_fixtures import DEMO_QUOTAS, EC2_QUOTA_NAMES, FAKE_ENV, UNSET_ENV  # noqa: E402

from planner.cli import main  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "examples", "*.yaml")))
SNAPSHOTS = {"us-east-1": "examples/accounts/demo-us-east-1.json", "us-east-2": "examples/accounts/demo-us-east-2.json"}


def ultraplan(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code or 0, out, err


@pytest.fixture
def no_credentials(monkeypatch):
    for k in list(os.environ):
        if k.startswith("AWS_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def _region(example: str) -> str:
    import planner

    return planner.compile_spec(example).region


@pytest.mark.parametrize("example", EXAMPLES, ids=[os.path.basename(e) for e in EXAMPLES])
def test_every_example_runs_against_its_demo_snapshot(example, no_credentials, capsys):
    code, out, err = ultraplan(capsys, "preflight", example, "--account", SNAPSHOTS[_region(example)],
                               "--format", "json")
    assert code in (0, 1), err
    data = json.loads(out)
    assert data["calls"] == 0
    assert data["account"].startswith("snapshot examples/accounts/demo-")
    for f in data["findings"]:
        assert set(f) >= {"id", "level", "message", "pool", "source"}
        assert set(f["source"]) == {"file", "line"}
        assert "could not check" not in f["message"], f  # the demo snapshot answers every question
    assert code == (1 if any(f["level"] == "error" for f in data["findings"]) else 0)
    code, out, _ = ultraplan(capsys, "preflight", example, "--account", SNAPSHOTS[_region(example)])
    assert ("PASS" if code == 0 else "FAIL") in out


def test_demo_snapshots_say_they_are_demo():
    for path in SNAPSHOTS.values():
        doc = json.load(open(os.path.join(ROOT, path), encoding="utf-8"))
        assert doc["demo"] is True and doc["note"].startswith("DEMO VALUES, not a real account.")
        assert doc["format"] == "ultraplan-account-snapshot" and doc["version"] == 1


def test_text_output_names_check_pool_and_line(no_credentials, capsys, tmp_path):
    # The mixed example moved to a zone (use1-az1) that offers neither GPU type.
    spec = tmp_path / "mixed-wrong-zone.yaml"
    spec.write_text(open("examples/mixed-p5en-p6.yaml").read().replace("availability_zone: use1-az6", "availability_zone: use1-az1"))
    code, out, _ = ultraplan(capsys, "preflight", str(spec), "--account", SNAPSHOTS["us-east-1"])
    assert code == 1
    # moto's real offerings data: p6-b200.48xlarge only in use1-az6.
    flat = "".join(out.split())  # rich wraps the long temporary path
    assert "errorpreflight.offering.zonepoolb200" in flat and "mixed-wrong-zone.yaml:17" in flat
    assert "use1-az6" in out


def test_bad_options_exit_2(no_credentials, capsys):
    code, _, err = ultraplan(capsys, "preflight", "examples/trn2-ultraserver.yaml", "--account", SNAPSHOTS["us-east-1"])
    assert code == 2 and "is a snapshot of us-east-1; the spec is in us-east-2" in " ".join(err.split())
    code, _, err = ultraplan(capsys, "preflight", "examples/p5-on-demand-fsx.yaml", "--account",
                             SNAPSHOTS["us-east-1"], "--launch-dry-run")
    assert code == 2 and "--launch-dry-run needs a live account" in err


# -- moto server through AWS_ENDPOINT_URL -----------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def moto_server():
    from moto.server import ThreadedMotoServer
    from moto.servicequotas.models import ServiceQuotasBackend

    original = ServiceQuotasBackend.get_service_quota

    def get_service_quota(self, service_code, quota_code):  # seeded: moto answers only `vpc`
        if service_code == "ec2" and quota_code in DEMO_QUOTAS:
            return {"ServiceCode": "ec2", "QuotaCode": quota_code, "QuotaName": EC2_QUOTA_NAMES[quota_code],
                    "Value": float(DEMO_QUOTAS[quota_code])}
        return original(self, service_code, quota_code)

    ServiceQuotasBackend.get_service_quota = get_service_quota
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        ServiceQuotasBackend.get_service_quota = original


@pytest.fixture
def endpoint(moto_server, monkeypatch):
    import botocore.retries.standard as standard

    # moto's server answers 500 for operations it lacks; botocore retries those: skip the waits.
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    for k, v in FAKE_ENV.items():
        monkeypatch.setenv(k, v)
    for k in UNSET_ENV:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    return moto_server


def test_cli_against_moto_server(endpoint, capsys, tmp_path):
    code, out, err = ultraplan(capsys, "preflight", "examples/p5-on-demand-fsx.yaml", "--format", "json")
    live = json.loads(out)
    assert live["account"] == "live" and live["calls"] >= 8
    # 64 p5 on-demand need 12,288 vCPUs; the seeded P quota is 13,000: no quota finding. The only
    # finding: the example's placeholder AMI is not among moto's images.
    assert code == 1
    assert [(f["id"], f["level"], f["pool"]) for f in live["findings"] if f["id"] != "preflight.quota.limits"] == [
        ("preflight.ami.compatible", "error", "gpu")]
    # moto's Service Quotas answers no autoscaling or fsx quotas: those limits are unknown (warnings,
    # never a pass); the rest are reported in one info finding.
    limits = [f for f in live["findings"] if f["id"] == "preflight.quota.limits"]
    assert {f["level"] for f in limits} == {"warning", "info"}
    assert all(f["message"].startswith("could not check") for f in limits if f["level"] == "warning")
    from planner.preflight import REGISTRY

    assert f"[1/{len(REGISTRY) - 1}] preflight.zone.exists" in err  # progress on stderr (all but the dry run)

    snap = tmp_path / "account.json"
    code, out, err = ultraplan(capsys, "account", "snapshot", "--spec", "examples/p5-on-demand-fsx.yaml",
                               "--out", str(snap), "--format", "json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["region"] == "us-east-1" and summary["calls"] > 0
    # moto's server implements no capacity reservations or blocks: captured as refusals, not a crash
    assert any(f.startswith("describe_capacity_reservations") for f in summary["failures"])

    code, out, _ = ultraplan(capsys, "preflight", "examples/p5-on-demand-fsx.yaml", "--account", str(snap),
                             "--format", "json")
    replay = json.loads(out)
    assert code == 1 and replay["calls"] == 0
    assert replay["findings"] == live["findings"]


def test_live_preflight_in_a_pipe_with_a_long_path_fits_80_columns(endpoint, capsys, monkeypatch, tmp_path):
    """Issue 18's done-when for preflight: with a long absolute path, in a pipe (no COLUMNS), every line
    of the progress on stderr and of the report is within 80 columns (as `awk 'length > 80'` counts),
    and the progress is under 60 lines; a command to paste stands alone on its line."""
    import shutil

    deep = tmp_path / "a-rather-long-checkout-folder-name" / "clusters" / "production" / "us-east-1"
    shutil.copytree(os.path.join(ROOT, "examples"), deep / "examples")
    spec = str(deep / "examples" / "p5-on-demand-fsx.yaml")
    assert len(spec) > 80
    monkeypatch.delenv("COLUMNS", raising=False)
    code, out, err = ultraplan(capsys, "preflight", spec)
    assert code == 1, err  # the placeholder AMI is not among moto's images (test_cli_against_moto_server)
    progress = err.splitlines()
    assert 10 < len(progress) < 60, err
    assert [line for line in progress if len(line.encode()) > 80] == []
    assert all(line.startswith(("preflight [", "    ")) for line in progress), err
    assert [line for line in out.splitlines() if len(line) > 80 and not line.startswith("aws ")] == []
    assert "preflight.ami.compatible" in out


def test_cli_quota_short_against_moto_server(endpoint, capsys):
    # mixed-p5en-p6 in moto: its reservation cannot be read (moto has none), so the P quota must
    # cover all of h200 (6,144) + b200 (3,072) = 9,216 of the 13,000: fine; the reservation check warns.
    code, out, _ = ultraplan(capsys, "preflight", "examples/mixed-p5en-p6.yaml", "--format", "json")
    data = json.loads(out)
    by_id = {}
    for f in data["findings"]:
        by_id.setdefault(f["id"], []).append(f)
    assert code == 1  # p6-b200 not offered in us-east-1c (moto's real data)
    assert by_id["preflight.capacity.reservation"][0]["level"] == "warning"
    assert by_id["preflight.capacity.reservation"][0]["message"].startswith("could not check capacity reservations")
    assert "preflight.quota.vcpus" not in by_id or all(f["level"] != "error" for f in by_id["preflight.quota.vcpus"])


def test_cli_exit_3_when_aws_unreachable(monkeypatch, capsys):
    import botocore.retries.standard as standard

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    for k, v in FAKE_ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_free_port()}")
    code, out, err = ultraplan(capsys, "preflight", "examples/p5-on-demand-fsx.yaml", "--format", "json")
    assert code == 3
    assert "error: AWS could not be reached" in err
    assert json.loads(out)["unreachable"] is True
    code, _, err = ultraplan(capsys, "account", "snapshot", "--region", "us-east-1", "--out", "/tmp/never.json")
    assert code == 3 and not os.path.exists("/tmp/never.json")


def test_skip_and_fail_on(no_credentials, capsys):
    snap = SNAPSHOTS["us-east-1"]
    code, out, _ = ultraplan(capsys, "preflight", "examples/mixed-p5en-p6.yaml", "--account", snap, "--format", "json",
                             "--skip", "preflight.offering.zone=moto offerings are a sample",
                             "--skip", "preflight.ami.compatible=placeholder AMIs")
    data = json.loads(out)
    assert code == 0 and [f for f in data["findings"] if f["level"] != "info"] == []
    [limits] = data["findings"]  # the account limits it checked, as one info finding
    assert limits["id"] == "preflight.quota.limits" and "Auto Scaling groups per region 3 of 500" in limits["message"]
    assert {"id": "preflight.offering.zone", "reason": "moto offerings are a sample"} in data["skipped"]
    code, _, err = ultraplan(capsys, "preflight", "examples/mixed-p5en-p6.yaml", "--account", snap,
                             "--skip", "preflight.ofering.zone=x")
    assert code == 2 and "did you mean preflight.offering.zone?" in " ".join(err.split())
    code, _, err = ultraplan(capsys, "preflight", "examples/mixed-p5en-p6.yaml", "--account", snap,
                             "--skip", "preflight.offering.zone")
    assert code == 2 and "give a reason" in err
    # gb200 has warnings only: passes by default, fails with --fail-on warning
    assert ultraplan(capsys, "preflight", "examples/gb200-capacity-block.yaml", "--account", snap)[0] == 0
    code, out, _ = ultraplan(capsys, "preflight", "examples/gb200-capacity-block.yaml", "--account", snap,
                             "--fail-on", "warning")
    # 2 warnings (blocks scheduled, not active yet), 3 once the block's start is past the real clock.
    assert code == 1 and re.search(r"FAIL: 0 errors, [23] warnings", out), out


def test_account_snapshot_options(no_credentials, capsys, tmp_path):
    code, _, err = ultraplan(capsys, "account", "snapshot", "--out", str(tmp_path / "a.json"))
    assert code == 2 and "give --region" in err
    code, _, err = ultraplan(capsys, "account", "snapshot", "--region", "us-east-2", "--out", str(tmp_path / "a.json"),
                             "--spec", "examples/p5-on-demand-fsx.yaml")
    assert code == 2 and "is in us-east-1, not us-east-2" in err


def test_account_snapshot_of_several_specs_against_moto_server(endpoint, capsys, tmp_path):
    snap = tmp_path / "a.json"
    specs = ["examples/p5-on-demand-fsx.yaml", "examples/mixed-p5en-p6.yaml"]
    args = [a for s in specs for a in ("--spec", s)]
    code, _, err = ultraplan(capsys, "account", "snapshot", *args, "--out", str(snap))
    assert code == 0, err
    assert json.loads(snap.read_text())["specs"] == specs
    for spec in specs:
        _, live, _ = ultraplan(capsys, "preflight", spec, "--format", "json")
        _, replay, _ = ultraplan(capsys, "preflight", spec, "--account", str(snap), "--format", "json")
        assert json.loads(replay)["findings"] == json.loads(live)["findings"]
