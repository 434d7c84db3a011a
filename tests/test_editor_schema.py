"""The editor schema (`ultraplan schema`) in the real yaml-language-server, and beside the CLI.

The server is the npm package pinned in tests/lsp/package.json (.ci/run installs it with `npm ci`);
it reads the schema from a file:// URI named in the spec's modeline, as an editor would.
"""
from __future__ import annotations

import json
import os

import pytest
from lsp_client import LanguageServer, server_command

from conftest import BASE_SPEC, EXAMPLES
from planner.catalog import load_catalog
from planner.errors import SpecError
from planner.spec.schema import spec_schema
from planner.spec.load import parse_spec

TYPO = BASE_SPEC.replace("instance_type: p5.48xlarge", "instance_type: p5.48xlarg")


# -- the schema itself ----------------------------------------------------------------------------
def _properties(schema):
    yield "", schema["properties"]
    for name, definition in schema["definitions"].items():
        if "properties" in definition:
            yield name, definition["properties"]


def test_every_field_has_a_description_and_no_null_default():
    schema = spec_schema()
    for owner, props in _properties(schema):
        for field, prop in props.items():
            assert prop.get("description"), f"{owner}.{field} has no description"
    assert '"default": null' not in json.dumps(schema)


def test_types_are_the_catalogs_with_descriptions():
    catalog = load_catalog()
    pool = spec_schema(catalog)["definitions"]["Pool"]["properties"]
    assert pool["instance_type"]["enum"] == sorted(catalog.instance_types)
    assert pool["ultraserver"]["enum"] == sorted(catalog.ultraservers)
    described = dict(zip(pool["ultraserver"]["enum"], pool["ultraserver"]["enumDescriptions"]))
    assert "72 GPUs" in described["u-p6e-gb200x72"] and "us-east-1-dfw-2a" in described["u-p6e-gb200x72"]
    assert "EFA" in dict(zip(pool["instance_type"]["enum"], pool["instance_type"]["enumDescriptions"]))["p5.48xlarge"]


def test_the_schema_and_the_cli_agree_on_booleans():
    import jsonschema

    validator = jsonschema.Draft7Validator(spec_schema())
    for word, cli_ok in (("yes", True), ("off", True), ("True", True), ("1", False), ("y", False), ("maybe", False)):
        text = BASE_SPEC.replace("count: 2", f"count: 2\n    efa: '{word}'")  # text, as YAML 1.2 reads it
        data = {"name": "demo", "region": "us-east-1", "availability_zone": "us-east-1a",
                "compute": [{"name": "gpu", "instance_type": "p5.48xlarge", "count": 2, "efa": word}]}
        assert validator.is_valid(data) is cli_ok, word
        try:
            parse_spec(text, "spec.yaml")
            parsed = True
        except SpecError:
            parsed = False
        assert parsed is cli_ok, word


# -- in the real yaml-language-server ----------------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory):
    command = server_command()
    if command is None:
        if os.environ.get("CI"):
            pytest.fail("yaml-language-server is not installed: .ci/run runs `npm ci` in tests/lsp")
        pytest.skip("yaml-language-server not installed (cd tests/lsp && npm ci)")
    root = tmp_path_factory.mktemp("editor")
    schema_file = root / "cluster.schema.json"
    schema_file.write_text(json.dumps(spec_schema()))
    ls = LanguageServer(command, str(root))
    ls.schema_uri = schema_file.as_uri()
    ls.root = root
    yield ls
    ls.close()


def _open(server, name: str, text: str) -> str:
    text = f"# yaml-language-server: $schema={server.schema_uri}\n" + text
    path = server.root / name
    path.write_text(text)
    return server.open(str(path), text)


def _messages(diagnostics):
    return [(d["range"]["start"]["line"], d["message"]) for d in diagnostics]


def test_a_typod_instance_type_is_an_error_in_the_editor(server):
    uri = _open(server, "typo.yaml", TYPO)
    found = _messages(server.wait_diagnostics(uri))
    line = 1 + TYPO.splitlines().index("    instance_type: p5.48xlarg")  # +1: the modeline
    assert any(at == line and "p5.48xlarge" in message for at, message in found), found


def test_a_pool_with_neither_type_is_an_error_in_the_editor(server):
    uri = _open(server, "neither.yaml", BASE_SPEC.replace("    instance_type: p5.48xlarge\n", ""))
    assert server.wait_diagnostics(uri), "a pool without instance_type or ultraserver must be flagged"


def test_yaml_1_1_booleans_are_accepted_in_the_editor(server):
    uri = _open(server, "yes.yaml", BASE_SPEC.replace("count: 2", "count: 2\n    efa: yes\n    placement_group: off"))
    assert _messages(server.wait_diagnostics(uri)) == []


@pytest.mark.parametrize("example", EXAMPLES, ids=os.path.basename)
def test_every_example_is_clean_in_the_editor(server, example):
    with open(example, encoding="utf-8") as fh:
        text = fh.read()
    uri = _open(server, os.path.basename(example), text)
    assert _messages(server.wait_diagnostics(uri)) == []


def test_completion_offers_the_catalogs_types(server):
    text = BASE_SPEC.replace("instance_type: p5.48xlarge", "instance_type: ")
    uri = _open(server, "complete.yaml", text)
    server.wait_diagnostics(uri)
    line = 1 + text.splitlines().index("    instance_type: ")
    labels = {item["label"] for item in server.completion(uri, line, len("    instance_type: "))}
    assert set(load_catalog().instance_types) <= labels
