"""The JSON Schema of the spec for editors (yaml-language-server) and CI: `ultraplan schema`.

Built from the pydantic models, then made to say what the CLI says:
- `instance_type` and `ultraserver` are enums of the catalog's types, each described (accelerators,
  EFA, where sold), so an editor completes them and flags `p5.48xlarg`;
- a pool names exactly one of the two (`oneOf`);
- every field has a description; no `default: null` is offered (an editor would insert it);
- booleans are the ones the CLI takes: true/false and YAML 1.1's yes/no/on/off (see spec.YamlBool).
Draft-07, the draft yaml-language-server implements fully.
"""
from __future__ import annotations

from typing import Any

from ..catalog import Catalog, describe, load_catalog
from .model import ClusterSpec

DRAFT = "http://json-schema.org/draft-07/schema#"


def spec_schema(catalog: Catalog | None = None) -> dict[str, Any]:
    catalog = catalog or load_catalog()
    doc = ClusterSpec.model_json_schema(ref_template="#/definitions/{model}")
    doc["definitions"] = doc.pop("$defs")
    pool = doc["definitions"]["Pool"]
    types = sorted(catalog.instance_types.values(), key=lambda t: t.name)
    ultras = sorted(catalog.ultraservers.values(), key=lambda u: u.name)
    pool["properties"]["instance_type"] = _enum(
        "EC2 instance type (count in instances); `ultraplan catalog list` shows them",
        [(t.name, describe.instance(t)) for t in types])
    pool["properties"]["ultraserver"] = _enum(
        "UltraServer type (count in UltraServers); `ultraplan catalog list` shows them",
        [(u.name, describe.ultraserver(u, catalog)) for u in ultras])
    pool["oneOf"] = [
        {"required": ["instance_type"], "not": {"required": ["ultraserver"]}},
        {"required": ["ultraserver"], "not": {"required": ["instance_type"]}},
    ]
    _tidy(doc)
    doc["$schema"] = DRAFT
    doc["title"] = "ultraplan cluster spec"
    return doc


def _enum(description: str, entries: list[tuple[str, str]]) -> dict[str, Any]:
    names = [n for n, _ in entries]
    return {
        "type": "string",
        "description": description,
        "enum": names,
        # Editor extensions (VS Code, yaml-language-server): shown beside each completion.
        "enumDescriptions": [d for _, d in entries],
        "markdownEnumDescriptions": [f"**{n}**: {d}" for n, d in entries],
    }


def _tidy(node: Any) -> None:
    """No `default: null` (editors insert defaults on completion), no pydantic titles per field,
    descriptions beside a $ref kept (draft-07 ignores a $ref's siblings)."""
    if isinstance(node, dict):
        if "default" in node and node["default"] is None:
            del node["default"]
        if "$ref" in node and len(node) > 1:
            # Draft-07 ignores the siblings of $ref: keep the description where editors read it.
            node["allOf"] = [{"$ref": node.pop("$ref")}]
        props = node.get("properties")
        if isinstance(props, dict):
            for value in props.values():
                if isinstance(value, dict):
                    value.pop("title", None)
        for value in node.values():
            _tidy(value)
    elif isinstance(node, list):
        for value in node:
            _tidy(value)
