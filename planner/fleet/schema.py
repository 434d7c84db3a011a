"""The JSON Schema of the fleet file, for editors and CI (`ultraplan schema --fleet`): the pydantic
models, tidied like the spec's (planner/schema.py), with an inline cell spec checked against the
spec's own schema (its definitions are carried under `definitions`)."""
from __future__ import annotations

from typing import Any

from ..spec.schema import DRAFT, _tidy, spec_schema
from .model import FleetFile


def fleet_schema(catalog: Any = None) -> dict[str, Any]:
    doc = FleetFile.model_json_schema(ref_template="#/definitions/{model}")
    doc["definitions"] = doc.pop("$defs")
    spec = spec_schema(catalog)
    for name, definition in spec.pop("definitions").items():
        doc["definitions"].setdefault(name, definition)
    spec.pop("$schema", None)
    # An inline spec may leave out region and availability_zone: the cell gives them.
    spec["required"] = [r for r in spec.get("required", []) if r not in ("region", "availability_zone")]
    doc["definitions"]["InlineSpec"] = spec
    doc["definitions"]["Cell"]["properties"]["spec"] = {
        "description": "The cell's cluster spec: a path (relative to the fleet file) or the spec inline",
        "anyOf": [{"type": "string"}, {"$ref": "#/definitions/InlineSpec"}]}
    _tidy(doc)
    doc["$schema"] = DRAFT
    doc["title"] = "ultraplan fleet file"
    return doc
