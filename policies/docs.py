"""The rule reference generated from the registry: `ultraplan policy list` (text, JSON, Markdown)
and docs/policies.md."""
from __future__ import annotations

import json
import textwrap
from typing import Any


def policies_text(registry: Any, width: int) -> str:
    """id, level and kind on one line, the description (and settings) wrapped under it to `width`."""
    idw = max(len(p.id) for p in registry)
    out = [f"{'policy':<{idw}}  {'level':<9}  kind"]
    for p in registry:
        settings = ", ".join((p.config_schema or {}).get("properties", {}))
        text = p.description + (f" [settings: {settings}]" if settings else "")
        out.append(f"{p.id:<{idw}}  {p.level:<9}  {p.kind}")
        out += textwrap.wrap(text, width, initial_indent="    ", subsequent_indent="    ", break_on_hyphens=False)
    return "\n".join(out)


def policy_json(p: Any) -> dict[str, Any]:
    return {"id": p.id, "kind": p.kind, "level": p.level, "severity": p.severity, "description": p.description,
            "remediation": p.remediation, "doc": p.doc, "resource_types": list(p.resource_types),
            "config_schema": p.config_schema, "tags": list(p.tags)}


def policies_markdown(registry: Any) -> str:
    """The rule reference of docs/policies.md, generated from the registry."""
    lines = ["| policy | level | kind | what it checks |", "|---|---|---|---|"]
    lines += [f"| `{p.id}` | {p.level} | {p.kind} | {p.description} |" for p in registry]
    for p in registry:
        lines += ["", f"### `{p.id}`", "", f"*{p.level}, {p.kind} rule, severity {p.severity}*", "", p.doc, "",
                  f"**Remediation:** {p.remediation}"]
        if p.resource_types:
            lines += ["", "Resource types: " + ", ".join(f"`{t}`" for t in p.resource_types)]
        props = (p.config_schema or {}).get("properties", {})
        if props:
            lines += ["", "Settings (`policies.config." + p.id + "`):", ""]
            for key, schema in props.items():
                default = f" (default `{json.dumps(schema['default'])}`)" if "default" in schema else ""
                lines.append(f"- `{key}` ({schema.get('type')}){default}: {schema.get('description', '')}")
    return "\n".join(lines) + "\n"
