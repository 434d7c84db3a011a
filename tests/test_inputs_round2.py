"""Inputs, round 2 (what an independent fuzzer found): YAML merge keys, files a spec names that are
special or huge, numbers that overflow, facts a snapshot lacks, and validate agreeing with cost."""
from __future__ import annotations

import json

import pytest
import yaml

from conftest import BASE_SPEC
from planner.cli import main
from planner.yamlload import load


def run(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return info.value.code or 0, out, err


# -- YAML merge keys: explicit keys override merged ones ---------------------------------------------
MERGE_SPEC = BASE_SPEC.replace("  - name: gpu\n", "  - &pool\n    name: gpu\n") + (
    "  - <<: *pool\n"
    "    name: gpu2\n"
    "    count: 4\n")


@pytest.mark.parametrize("text", [
    "a: &x {p: 1, q: 2}\nb:\n  <<: *x\n  p: 3\n",
    "a: &x {p: 1}\nb: &y {p: 2, r: 1}\nc:\n  <<: [*x, *y]\n",
    "a: &x {p: 1}\nb: &z\n  <<: *x\n  p: 2\nc:\n  <<: *z\n  s: 1\n",
    "a: &x {p: 1}\nb:\n  <<: *x\nc:\n  <<: *x\n  p: 5\n",
])
def test_merge_keys_read_as_pyyaml_reads_them(text):
    assert load(text)[0] == yaml.safe_load(text)


@pytest.mark.parametrize("text, line", [
    ("a: {p: 1, p: 2}\n", 1),
    ("a: &x {p: 1}\nb:\n  <<: *x\n  q: 1\n  q: 2\n", 5),
])
def test_an_explicit_key_twice_is_still_a_duplicate(text, line):
    from planner.errors import SpecError
    with pytest.raises(SpecError) as info:
        load(text)
    assert "duplicate key" in str(info.value) and info.value.issues[0].line == line


def test_a_merge_of_a_scalar_is_an_error_at_its_line():
    from planner.errors import SpecError
    with pytest.raises(SpecError) as info:
        load("a: &x 1\nb:\n  <<: *x\n")
    assert "merge key" in str(info.value)


@pytest.mark.parametrize("command", ["validate", "plan", "cost", "policy"])
def test_the_merge_key_idiom_plans_both_pools(capsys, write_spec, command):
    path = write_spec(MERGE_SPEC)
    code, out, err = run(capsys, command, path, *(["--format", "json"] if command == "plan" else []))
    assert code == 0, err
    if command == "plan":
        pools = {p["name"]: p["count"] for p in json.loads(out)["pools"]}
        assert pools == {"gpu": 2, "gpu2": 4}
