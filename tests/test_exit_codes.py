"""Every command, driven into each exit code it can return: 0 pass, 1 gate failed, 2 bad input or
usage, 3 could not verify, 4 internal error (injected: a library function the command calls raises).

AWS: `3` comes from a closed loopback port (nothing listens) or a stubbed refusal; `account snapshot`
0 runs under moto (`mock_aws`); `catalog refresh` 0/3 use botocore's Stubber on the pricing client.
"""
from __future__ import annotations

import json
import os
import socket
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from conftest import BASE_SPEC  # noqa: E402
from planner.cli import main  # noqa: E402

P5 = "examples/p5-on-demand-fsx.yaml"
GB200 = "examples/gb200-capacity-block.yaml"
DEMO = "examples/accounts/demo-us-east-1.json"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def files(tmp_path, monkeypatch, fake_aws_env):
    """Specs and snapshots the cases name, and AWS pointed at a port where nothing listens."""
    import botocore.retries.standard as standard

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_closed_port()}")
    paths = {"dir": str(tmp_path)}

    def write(key, name, text):
        path = tmp_path / name
        path.write_text(text)
        paths[key] = str(path)

    write("goals", "goals.yaml", GOALS)
    write("infeasible", "infeasible.yaml", GOALS + "budget: {total_usd: 100000}\n")
    write("bad", "bad.yaml", BASE_SPEC.replace("count: 2", "count: 0"))
    write("over", "over.yaml", BASE_SPEC + "budget: {monthly_usd: 1000}\n")
    write("empty_snapshot", "empty-snapshot.json", json.dumps({"format": "ultraplan-account-snapshot", "version": 1,
                                             "region": "us-east-1", "captured_at": "2026-11-23T00:00:00Z"}))
    plan = json.loads(__import__("planner").compile_spec(P5).dumps())
    lt = next(r for s in plan["stacks"] for r in s["resources"] if r["name"] == "lt-gpu")
    lt["inputs"]["metadataOptions"]["httpTokens"] = "optional"
    write("imdsv1", "imdsv1.plan.json", json.dumps(plan))
    for key, ami in (("fleet_old", "ami-0123456789abcdef0"), ("fleet_new", "ami-0fedcba9876543210")):
        write(key, f"{key}.yaml", FLEET.format(ami=ami))
    return paths


GOALS = """\
    name: tiny
    region: us-east-1
    term: {start: 2027-01-01, months: 3}
    targets:
      - {date: 2027-01-01, gpus: 16}
      - {date: 2027-03-01, gpus: 24}
    options:
      - {instance_type: p5en.48xlarge, purchase: [on-demand, capacity-block], zones: [us-east-1b]}
      - {instance_type: p6-b200.48xlarge, purchase: [on-demand], zones: [us-east-1b]}
    limits:
      quotas: {L-4F9BB70B: 192}
    objective: min-cost
""".replace("\n    ", "\n").removeprefix("    ")


# A one-cell fleet whose pool's image changes: 16 GPUs in one group, over a wave of max_gpus 8.
FLEET = """\
fleet: tiny
rollout: {{max_gpus: 8, max_domains: 8}}
cells:
  - name: c1
    account: "000000000001"
    region: us-east-1
    zones: [us-east-1a]
    spec:
      name: c1
      compute: [{{name: gpu, instance_type: p5.48xlarge, count: 2, ami: {ami}}}]
"""


def _pricing(mode):
    """A stubbed pricing client: `ok` answers one price, `denied` refuses."""
    def make(monkeypatch):
        import boto3
        from botocore.stub import Stubber

        client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        stub = Stubber(client)
        if mode == "ok":
            item = json.dumps({"product": {"attributes": {"instanceType": "m7i.large"}, "sku": "S"},
                               "terms": {"OnDemand": {"S.T": {"priceDimensions": {"S.T.D": {
                                   "unit": "Hrs", "pricePerUnit": {"USD": "0.1008000000"}}}}}}})
            stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": [item]})
        else:
            stub.add_client_error("get_products", "AccessDeniedException", "not allowed")
        stub.activate()
        monkeypatch.setattr("planner.catalog.refresh.make_client", lambda: client)
    return make


REFRESH = ("catalog", "refresh", "--prices", "--region", "us-east-1", "--instance-type", "m7i.large",
           "--out", "{dir}/prices.yaml")

CASES = [
    # command, args, expected exit code, setup
    ("validate", (P5,), 0, None),
    ("validate", ("{bad}",), 2, None),
    ("plan", (P5,), 0, None),
    ("plan", ("{bad}",), 2, None),
    ("schema", (), 0, None),
    ("schema", ("--out", "{dir}/no/such/schema.json"), 2, None),
    ("cost", (P5,), 0, None),
    ("cost", ("{over}",), 1, None),
    ("cost", (P5, "--now", "tomorrow"), 2, None),
    ("catalog", REFRESH[1:], 0, _pricing("ok")),
    ("catalog", ("refresh", "--region", "us-east-1"), 2, None),
    ("catalog", REFRESH[1:], 3, _pricing("denied")),
    ("preflight", (GB200, "--account", DEMO), 0, None),
    ("preflight", ("examples/frontier.yaml", "--account", DEMO), 1, None),
    ("preflight", (P5, "--skip", "no.such.check=x"), 2, None),
    ("preflight", (P5, "--account", "{empty_snapshot}"), 3, None),
    ("preflight", (P5,), 3, None),  # live AWS, unreachable
    ("account", ("snapshot", "--region", "us-east-1", "--out", "{dir}/snap.json"), 0, "moto"),
    ("account", ("snapshot", "--out", "{dir}/snap.json"), 2, None),
    ("account", ("snapshot", "--region", "us-east-1", "--out", "{dir}/snap.json"), 3, None),
    ("policy", (P5,), 0, None),
    ("policy", ("--plan", "{imdsv1}"), 1, None),
    ("policy", ("{bad}",), 2, None),
    ("policy", ("list",), 0, None),
    ("policy", ("list", "--format", "yaml"), 2, None),
    ("policy", ("pulumi-config", P5), 0, None),
    ("policy", ("pulumi-config", "{bad}"), 2, None),
    ("rules", (), 0, None),
    ("rules", ("--format", "yaml"), 2, None),
    ("solve", ("{goals}", "--out", "{dir}/solved.yaml", "--no-explain"), 0, None),
    ("solve", ("{infeasible}", "--out", "{dir}/solved.yaml", "--no-explain"), 1, None),
    ("solve", ("{bad}", "--out", "{dir}/solved.yaml"), 2, None),
    ("runtime", (GB200, "--out", "{dir}/sched"), 0, None),
    ("runtime", ("{bad}", "--out", "{dir}/sched"), 2, None),
    ("init", ("--yes", "--out", "{dir}/cluster.yaml"), 0, None),
    ("init", ("--yes", "--out", "{dir}/cluster.yaml", "--zone", "us-east-1z"), 2, None),
    ("report", (P5, "--out", "{dir}/report.html"), 0, None),
    ("report", ("{bad}", "--out", "{dir}/report.html"), 2, None),
    ("check", (P5,), 0, None),
    ("check", ("{over}",), 1, None),
    ("check", ("{bad}",), 2, None),
    ("check", (P5, "--preflight", "--timeout", "5"), 3, None),
    ("check", (P5, "--account", "{empty_snapshot}"), 3, None),
    ("rollout", ("{fleet_new}",), 0, None),
    ("rollout", ("{fleet_new}", "--diff", "{fleet_old}"), 1, None),
    ("rollout", (P5,), 2, None),
]

# Where to inject an internal error for each command: a library function it calls.
INJECT = {
    ("validate", P5): "planner.spec.load.load_spec",
    ("plan", P5): "planner.compile_spec",
    ("schema",): "planner.spec.model.ClusterSpec.model_json_schema",
    ("cost", P5): "planner.cost.estimate",
    ("catalog", *REFRESH[1:]): "planner.catalog.refresh.fetch_all",
    ("preflight", GB200, "--account", DEMO): "planner.preflight.run",
    ("account", "snapshot", "--region", "us-east-1", "--out", "{dir}/snap.json"): "planner.preflight.capture",
    ("policy", P5): "policies.runner.run_policies",
    ("policy", "list"): "policies.load_rules",
    ("rules",): "planner.spec.rules.docs.rules_text",
    ("policy", "pulumi-config", P5): "policies.config.pulumi_policy_config",
    ("check", P5): "policies.runner.run_policies",
    ("report", P5, "--out", "{dir}/report.html"): "planner.run.pages.write_pages",
    ("solve", "{goals}", "--out", "{dir}/solved.yaml", "--no-explain"): "planner.solve.solve",
    ("runtime", GB200, "--out", "{dir}/sched"): "planner.runtime.topology.slurm_topology",
    ("init", "--yes", "--out", "{dir}/cluster.yaml"): "planner.cli.init_cmd.starter_spec",
    ("rollout", "{fleet_new}"): "planner.fleet.rollout.plan_rollout",
}


def ultraplan(capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    return info.value.code or 0, out, err


def _argv(command, args, files):
    return [command, *(a.format(**files) if "{" in a else a for a in args)]


@pytest.mark.parametrize("command, args, code, setup", [
    pytest.param(c, a, code, s, id=f"{c}-{code}-{'-'.join(x.strip('{}').split('/')[-1] for x in a[:3])}")
    for c, a, code, s in CASES])
def test_exit_code(command, args, code, setup, files, capsys, monkeypatch):
    if setup == "moto":
        from moto import mock_aws

        monkeypatch.delenv("AWS_ENDPOINT_URL")
        with mock_aws():
            got, out, err = ultraplan(capsys, _argv(command, args, files))
    else:
        if setup:
            setup(monkeypatch)
        got, out, err = ultraplan(capsys, _argv(command, args, files))
    assert got == code, err
    assert "Traceback" not in err


def _boom(*_args, **_kwargs):
    raise RuntimeError("injected for the exit-code test")


@pytest.mark.parametrize("argv, target", [pytest.param(k, v, id=" ".join(k[:2])) for k, v in INJECT.items()])
def test_an_injected_internal_error_exits_4(argv, target, files, capsys, monkeypatch):
    import importlib

    parts = target.split(".")
    for n in range(len(parts) - 1, 0, -1):  # the longest importable module, then attributes (a class)
        try:
            owner = importlib.import_module(".".join(parts[:n]))
            break
        except ImportError:
            continue
    for name in parts[n:-1]:
        owner = getattr(owner, name)
    monkeypatch.setattr(owner, parts[-1], _boom)
    code, _, err = ultraplan(capsys, _argv(argv[0], argv[1:], files))
    assert code == 4
    assert "internal error: RuntimeError: injected for the exit-code test" in err
    assert "This is a bug in ultraplan" in err and "Please report it" in err
    assert f"(ultraplan {argv[0]}" in err and "Traceback" not in err


def test_every_command_is_in_the_matrix():
    from planner.cli import COMMANDS

    assert {c for c, *_ in CASES} == set(COMMANDS)
    assert {k[0] for k in INJECT} == set(COMMANDS)


def test_a_crashing_preflight_check_is_exit_4_after_the_report(files, capsys, monkeypatch):
    from planner.preflight.checks import REGISTRY

    info = REGISTRY.get("preflight.zone.exists")
    monkeypatch.setitem(REGISTRY._checks, info.check_id, info.__class__(
        info.check_id, info.level, info.title, info.doc, _boom))
    code, out, err = ultraplan(capsys, ["preflight", GB200, "--account", DEMO, "--format", "json"])
    assert code == 4 and "bug in ultraplan" in err
    result = json.loads(out)
    assert result["status"]["preflight.zone.exists"] == "unverified"
    code, out, _ = ultraplan(capsys, ["check", GB200, "--account", DEMO, "--format", "json"])
    assert code == 4 and json.loads(out)["verdict"] == "ERROR"
