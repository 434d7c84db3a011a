"""Fail closed on inputs: a file is a spec or a Plan by content, never by extension; bounded sizes
and tags; hostile YAML; Plan, snapshot and price files of the wrong shape or encoding; outputs.
"""
from __future__ import annotations

import json
import os
import stat

import pytest
import yaml

from conftest import BASE_SPEC, ROOT
from planner.cli import main

DEMO = "examples/accounts/demo-us-east-1.json"
OVER_BUDGET = BASE_SPEC + "budget: {monthly_usd: 1000}\n"


def run(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return info.value.code or 0, out, err


# -- a spec saved as JSON gets the YAML verdict, in every command ------------------------------------
COMMANDS = [
    pytest.param(("validate",), id="validate"),
    pytest.param(("plan",), id="plan"),
    pytest.param(("cost",), id="cost"),
    pytest.param(("policy",), id="policy"),
    pytest.param(("check",), id="check"),
    pytest.param(("preflight", "--account", DEMO), id="preflight"),
]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("indent", [None, "\t"], ids=["compact", "tabs"])
def test_a_json_spec_gets_the_yaml_verdict(capsys, tmp_path, command, indent):
    yml = tmp_path / "spec.yaml"
    yml.write_text(OVER_BUDGET)
    as_json = tmp_path / "spec.json"
    as_json.write_text(json.dumps(yaml.safe_load(OVER_BUDGET), indent=indent))
    code_yaml, _, _ = run(capsys, command[0], str(yml), *command[1:])
    code_json, out, _ = run(capsys, command[0], str(as_json), *command[1:])
    assert code_json == code_yaml
    if command[0] in ("cost", "check"):
        assert code_json == 1, "the budget fails: never $0 and PASS"


def test_a_json_spec_error_names_its_line(capsys, tmp_path):
    path = tmp_path / "spec.json"
    path.write_text('{\n  "name": "demo",\n  "region": "us-east-1",\n  "availability_zone": "us-east-1a",\n'
                    '  "compute": [{"name": "gpu", "instance_type": "p5.48xlarge", "count": 0}]\n}\n')
    code, _, err = run(capsys, "validate", str(path))
    assert code == 2 and f"{path}:5:" in err and "compute[0].count" in err


def test_a_plan_is_told_by_content_not_extension(capsys, tmp_path):
    plan_path = tmp_path / "plan.yaml"  # a Plan under a spec's name
    code, _, _ = run(capsys, "plan", "examples/p5-on-demand-fsx.yaml", "--out", str(plan_path))
    assert code == 0 and json.loads(plan_path.read_text())["format"] == "ultraplan-plan"
    code_plan, out_plan, _ = run(capsys, "cost", str(plan_path), "--format", "json")
    code_spec, out_spec, _ = run(capsys, "cost", "examples/p5-on-demand-fsx.yaml", "--format", "json")
    assert code_plan == code_spec == 0
    assert json.loads(out_plan)["monthly_usd"] == json.loads(out_spec)["monthly_usd"] > 0


@pytest.mark.parametrize("text, message", [
    pytest.param('{"version": 1, "name": "x", "region": "us-east-1", "stacks": [], "pools": []}',
                 "a Plan without its format marker", id="plan-without-marker"),
    pytest.param(json.dumps({"format": "ultraplan-account-snapshot", "version": 1, "region": "us-east-1"}),
                 "account snapshot, not a spec", id="snapshot"),
    pytest.param("[1, 2]", "expected a spec or an ultraplan Plan", id="json-list"),
    pytest.param('{"region": "us-east-1", "format": "ultraplan-plan"}', "this is a Plan, not a spec", id="marker-not-first"),
])
@pytest.mark.parametrize("command", ["validate", "cost", "policy", "check"])
def test_neither_spec_nor_plan_is_exit_2_naming_what_was_expected(capsys, tmp_path, text, message, command):
    path = tmp_path / "thing.json"
    path.write_text(text)
    code, out, err = run(capsys, command, str(path))
    assert code == 2
    assert message in " ".join((err + out).split())


@pytest.mark.parametrize("mutate, field", [
    pytest.param(lambda d: d["stacks"][0]["resources"][0].update(type=7), "stacks[0].resources[0].type: expected text",
                 id="resource-type"),
    pytest.param(lambda d: d["pools"][0].pop("instances"), "pools[0].instances: required field is missing",
                 id="pool-instances"),
    pytest.param(lambda d: d.update(stacks={}), "stacks: expected a list", id="stacks"),
    pytest.param(lambda d: d.update(version=2), "version: Plan format version 2 is not supported", id="version"),
])
def test_a_plan_of_the_wrong_shape_names_file_and_field(capsys, tmp_path, mutate, field):
    path = tmp_path / "plan.json"
    run(capsys, "plan", "examples/p5-on-demand-fsx.yaml", "--out", str(path))
    data = json.loads(path.read_text())
    mutate(data)
    path.write_text(json.dumps(data))
    for command in (("cost", str(path)), ("policy", "--plan", str(path)), ("check", "--plan", str(path)),
                    ("preflight", str(path), "--account", DEMO)):
        code, _, err = run(capsys, *command)
        assert code == 2, command
        assert f"{path}: {field}" in " ".join(err.split()), (command, err)


def test_a_plan_that_is_not_utf8_names_the_line(capsys, tmp_path):
    path = tmp_path / "plan.json"
    path.write_bytes(b'{"format": "ultraplan-plan",\n "name": "\xff\xfe"}')
    code, _, err = run(capsys, "cost", str(path))
    assert code == 2 and f"{path}: line 2: not UTF-8 text (byte 0xff" in " ".join(err.split())


# -- bounds ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["validate", "plan", "cost", "policy", "check"])
def test_a_60kb_tag_value_is_refused(capsys, write_spec, command):
    spec = write_spec(BASE_SPEC.replace('tags: {team: t, cost-center: "1"}', 'tags: {team: "' + "x" * 60_000 + '"}'))
    code, out, err = run(capsys, command, spec)
    assert code == 2
    assert "the value has 60,000 characters; at most 256" in " ".join((err + out).split())
    assert len(err + out) < 5_000, "the value is not echoed back"


@pytest.mark.parametrize("tags, message", [
    pytest.param('{"aws:team": a}', "the aws: prefix is reserved", id="aws-prefix"),
    pytest.param("{" + ", ".join(f"k{i}: v" for i in range(46)) + "}", "46 tags; at most 45", id="too-many"),
    pytest.param('{"' + "k" * 129 + '": v}', "has 129 characters; 1 to 128", id="long-key"),
    pytest.param("{Name: x}", "is set by ultraplan itself", id="reserved-key"),
    pytest.param('{team: "a;b"}', "may hold only letters", id="characters"),
])
def test_tags_follow_aws_limits(capsys, write_spec, tags, message):
    spec = write_spec(BASE_SPEC.replace('tags: {team: t, cost-center: "1"}', f"tags: {tags}"))
    code, _, err = run(capsys, "validate", spec)
    assert code == 2 and message in " ".join(err.split()) and "spec.yaml:4:7:" in err


def test_cluster_and_pool_tags_together_stay_within_the_limit(capsys, write_spec):
    cluster = ", ".join(f"c{i}: v" for i in range(30))
    pool = ", ".join(f"p{i}: v" for i in range(20))
    spec = write_spec(BASE_SPEC.replace('tags: {team: t, cost-center: "1"}', f"tags: {{{cluster}}}")
                      + f"    tags: {{{pool}}}\n")
    code, _, err = run(capsys, "validate", spec)
    assert code == 2 and "spec.yaml:11:" in err and "compute[0].tags" in err
    assert "with the cluster's tags the pool's resources get 50 tags" in " ".join(err.split())


@pytest.fixture
def huge_spec(tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as fh:
        fh.write(BASE_SPEC.encode())
        fh.seek(50 * 1024 * 1024)
        fh.write(b"\n")  # sparse: 50 MB on paper, written in no time
    return str(path)


@pytest.mark.parametrize("command", [("validate",), ("plan",), ("cost",), ("policy",), ("check",),
                                     ("preflight", "--account", DEMO)])
def test_a_50mb_spec_is_refused_before_it_is_read(capsys, huge_spec, command):
    code, out, err = run(capsys, command[0], huge_spec, *command[1:])
    assert code == 2
    assert "the spec is 52,428,801 bytes; the limit is 4 MiB" in err + out


# -- hostile YAML ---------------------------------------------------------------------------------
LAUGHS = "".join(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10 if i else ["lol"] * 10) + "]\n" for i in range(9))


@pytest.mark.parametrize("text, message, line", [
    pytest.param(BASE_SPEC + LAUGHS, "aliases expand to more than 10,000 nodes", None, id="billion-laughs"),
    pytest.param(BASE_SPEC + "x: &x [*x]\n", "recursive alias", 11, id="recursive-alias"),
    pytest.param(BASE_SPEC + "x: " + "[" * 1000 + "]" * 1000 + "\n", "nested more than 64 levels deep", 11, id="deep"),
    pytest.param(BASE_SPEC + "x: [" + ", ".join(["*a"] * 101) + "]\na: &a 1\n", None, None, id="many-aliases"),
    pytest.param(BASE_SPEC.replace("count: 2", "count: " + "9" * 5000), "a number with 5,000 digits; at most 32", 10,
                 id="5000-digits"),
    pytest.param(BASE_SPEC + "budget: {monthly_usd: 1, start: 2026-02-30}\n", "cannot be read: day is out of range",
                 11, id="impossible-date"),
    pytest.param(BASE_SPEC + "name: again\n", "duplicate key 'name' (first at line 1)", 11, id="duplicate-key"),
])
def test_hostile_yaml_is_exit_2_at_its_line(capsys, write_spec, text, message, line):
    code, _, err = run(capsys, "validate", write_spec(text))
    assert code == 2 and "Traceback" not in err
    if message:
        assert message in err
    if line:
        assert f"spec.yaml:{line}:" in err


@pytest.mark.parametrize("example", sorted(n for n in os.listdir(os.path.join(ROOT, "examples")) if n.endswith(".yaml")))
def test_libyaml_and_pure_python_agree_on_lines(example):
    import planner.spec.yamlload as yl

    text = open(os.path.join("examples", example), encoding="utf-8").read()
    results = []
    for loader in (yl._PyLoader, yl.LOADER):
        yl_loader, yl.LOADER = yl.LOADER, loader
        try:
            results.append(yl.load(text, example))
        finally:
            yl.LOADER = yl_loader
    assert results[0] == results[1]


# -- snapshots and price files --------------------------------------------------------------------
def test_a_snapshot_of_the_wrong_shape_names_file_and_field(capsys, tmp_path):
    doc = json.load(open(DEMO))
    doc["availability_zones"]["value"][0]["name"] = 5
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(doc))
    code, _, err = run(capsys, "preflight", "examples/p5-on-demand-fsx.yaml", "--account", str(path))
    assert code == 2 and f"{path}: availability_zones.value[0].name: expected text, got a number" in " ".join(err.split())


def test_a_null_quota_in_a_snapshot_is_unknown_not_zero(capsys, tmp_path):
    doc = json.load(open(DEMO))
    for quota in doc["service_quotas"]["items"].values():
        quota["value"] = None
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(doc))
    code, out, _ = run(capsys, "preflight", "examples/p5-on-demand-fsx.yaml", "--account", str(path), "--format", "json")
    result = json.loads(out)
    assert code == 3
    assert result["status"]["preflight.quota.vcpus"] == "unverified"
    [u] = [u for u in result["unverified"] if u["id"] == "preflight.quota.vcpus"]
    assert u["operations"] == ["get_service_quota"] and "is unknown (None)" in u["errors"][0]["reason"]


def test_a_malformed_bundled_price_file_is_not_blamed_on_prices(capsys, tmp_path, monkeypatch):
    import shutil

    import planner.catalog.prices as prices

    folder = tmp_path / "prices"
    shutil.copytree(prices.HERE, folder)
    (folder / "us-east-1.2026-12-01.yaml").write_text("region: us-east-1\nitems:\n  p5.48xlarge:\n    on-demand: {usd: 1}\n")
    monkeypatch.setattr(prices, "HERE", str(folder))
    prices._default_prices.cache_clear()
    try:
        code, _, err = run(capsys, "cost", "examples/p5-on-demand-fsx.yaml")
    finally:
        prices._default_prices.cache_clear()
    assert code == 2
    assert "us-east-1.2026-12-01.yaml: items.p5.48xlarge.on-demand.unit: required field is missing" in " ".join(err.split())
    assert "--prices" not in err.split("(")[0]


# -- outputs --------------------------------------------------------------------------------------
def test_two_reports_to_one_path_is_a_usage_error(capsys, tmp_path):
    out = tmp_path / "report"
    code, _, err = run(capsys, "check", "examples/p5-on-demand-fsx.yaml", "--sarif", str(out), "--junit", str(out))
    assert code == 2 and "--sarif and --junit both write" in err
    assert not out.exists()


def test_reports_through_a_symlink_and_the_same_file_twice(capsys, tmp_path):
    target = tmp_path / "real.sarif"
    link = tmp_path / "link.sarif"
    target.write_text("old")
    link.symlink_to(target)
    code, _, err = run(capsys, "check", "examples/p5-on-demand-fsx.yaml", "--sarif", str(link), "--junit", str(target))
    assert code == 2 and "both write" in err  # the link and its target are one file
    code, _, _ = run(capsys, "check", "examples/p5-on-demand-fsx.yaml", "--sarif", str(link))
    assert code == 0
    assert link.is_symlink() and json.loads(target.read_text())["version"] == "2.1.0"


def test_outputs_are_0644_under_umask_022_and_keep_an_existing_mode(capsys, tmp_path):
    old = os.umask(0o022)
    try:
        fresh = tmp_path / "plan.json"
        run(capsys, "plan", "examples/p5-on-demand-fsx.yaml", "--out", str(fresh))
        assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o644
        private = tmp_path / "private.json"
        private.write_text("")
        os.chmod(private, 0o600)
        run(capsys, "plan", "examples/p5-on-demand-fsx.yaml", "--out", str(private))
        assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
        os.umask(0o077)
        strict = tmp_path / "strict.json"
        run(capsys, "plan", "examples/p5-on-demand-fsx.yaml", "--out", str(strict))
        assert stat.S_IMODE(os.stat(strict).st_mode) == 0o600
    finally:
        os.umask(old)


@pytest.mark.parametrize("args", [("schema", "--out", "{dir}/no/such"),
                                  ("plan", "examples/p5-on-demand-fsx.yaml", "--out", "{dir}/no/such"),
                                  ("policy", "pulumi-config", "examples/p5-on-demand-fsx.yaml", "--out", "{dir}/no/such"),
                                  ("check", "examples/p5-on-demand-fsx.yaml", "--junit", "{dir}/no/such")])
def test_an_output_that_cannot_be_written_is_exit_2(capsys, tmp_path, args):
    code, _, err = run(capsys, *(a.format(dir=tmp_path) for a in args))
    assert code == 2 and "cannot write" in err
