"""One door per fact (issue 19): each fact is written in one place, and the source is searched so
that a second copy fails here, naming the file and line.

- Pulumi type tokens: only planner/tokens.py spells them.
- `is_ref`, `TAGGABLE`: defined once (planner/fileshape.py, planner/tokens.py).
- Catalog data: only planner/catalog/ opens its YAML files; everyone else calls an accessor.
- FSx for Lustre sizes, throughput tiers and in-transit encryption: only in catalog fsx_lustre.yaml.
- Pool capacity: read through planner/records.py (`.get("capacity")` nowhere else on a pool record).
"""
from __future__ import annotations

import ast
import io
import os
import re
import tokenize

import pytest

from conftest import ROOT

SOURCES = ("planner", "policies", "stacks")
TOKEN = re.compile(r"^aws:[a-z0-9]+/[a-z][A-Za-z0-9]*:[A-Z][A-Za-z0-9]*$")  # not IAM keys (aws:ResourceTag/...)


def _files():
    for top in SOURCES:
        for folder, dirs, files in os.walk(os.path.join(ROOT, top)):
            dirs[:] = [d for d in dirs if d not in ("__pycache__", "node_modules", "venv")]
            for name in sorted(files):
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    yield os.path.relpath(path, ROOT), open(path, encoding="utf-8").read()


def _strings(text: str):
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.STRING:
            try:
                value = ast.literal_eval(tok.string)
            except (ValueError, SyntaxError):
                continue
            if isinstance(value, str):
                yield tok.start[0], value


def test_type_tokens_are_spelled_only_in_the_tokens_module():
    found = [f"{path}:{line}: {value}" for path, text in _files() if path != "planner/tokens.py"
             for line, value in _strings(text) if TOKEN.match(value)]
    assert not found, "use planner.tokens instead of a type-token literal:\n" + "\n".join(found)


def test_the_tokens_module_names_every_token_the_compiler_emits():
    import json

    from planner import tokens

    known = {v for v in vars(tokens).values() if isinstance(v, str) and TOKEN.match(v)}
    for name in os.listdir(os.path.join(ROOT, "tests", "golden")):
        path = os.path.join(ROOT, "tests", "golden", name, "plan.json")
        if os.path.exists(path):
            plan = json.load(open(path, encoding="utf-8"))
            emitted = {r["type"] for s in plan["stacks"] for r in s["resources"]}
            assert emitted <= known, (name, emitted - known)


@pytest.mark.parametrize("name, home", [("is_ref", "planner/fileshape.py"), ("TAGGABLE", "planner/tokens.py")])
def test_defined_once(name, home):
    defined = []
    for path, text in _files():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef) and node.name == name:
                defined.append(path)
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                # an alias of the one definition (`TAGGABLE = T.TAGGABLE`) is not a second copy
                if not isinstance(node.value, (ast.Attribute, ast.Name)):
                    defined.append(path)
    assert defined == [home], defined


def test_catalog_yaml_is_read_only_inside_the_catalog_package():
    catalog_files = {n for n in os.listdir(os.path.join(ROOT, "planner", "catalog")) if n.endswith(".yaml")}
    found = []
    for path, text in _files():
        if path.startswith("planner/catalog/"):
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call):
                args = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                if any(os.path.basename(a) in catalog_files for a in args) and not (
                        isinstance(node.func, ast.Name) and node.func.id == "bundled"):
                    found.append(f"{path}:{node.lineno}")
            if isinstance(node, ast.ImportFrom) and node.module and node.module.endswith("catalog") and any(
                    a.name in ("HERE", "read_bundled_yaml", "_read") for a in node.names):
                found.append(f"{path}:{node.lineno}: imports the catalog folder")
    assert not found, "read catalog data through planner.catalog accessors:\n" + "\n".join(found)


def test_fsx_sizes_and_tiers_live_in_the_fsx_catalog_file():
    from planner.catalog import fsx

    tiers = {d: fsx.throughput_tiers(d) for d in ("PERSISTENT_1", "PERSISTENT_2")}
    assert tiers == {"PERSISTENT_1": (50, 100, 200), "PERSISTENT_2": (125, 250, 500, 1000)}
    found = []
    for path, text in _files():
        if path == "planner/catalog/fsx.py":
            continue
        for line, value in _strings(text):
            for numbers in tiers.values():
                if re.search(r"\b" + r"\D{1,3}".join(str(n) for n in numbers) + r"\b", value):
                    found.append(f"{path}:{line}: {value[:60]}")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Tuple) and all(isinstance(e, ast.Constant) for e in node.elts):
                values = tuple(e.value for e in node.elts)
                if values in tiers.values() or set(values) == {"PERSISTENT_1", "PERSISTENT_2", "SCRATCH_2"}:
                    found.append(f"{path}:{node.lineno}: {values}")
    assert not found, "FSx tiers are data (planner/catalog/fsx_lustre.yaml):\n" + "\n".join(found)


def test_pool_capacity_is_read_through_the_records_module():
    allowed = {"planner/records.py"}
    found = [f"{path}:{i}" for path, text in _files() if path not in allowed
             for i, line in enumerate(text.splitlines(), 1) if re.search(r"""\.get\(["']capacity["']\)|\[["']capacity["']\]\[""", line)]
    assert not found, "ask planner.records (pool_of(pool).capacity...) instead:\n" + "\n".join(found)
