"""The spec-rule reference generated from the registry: `ultraplan rules` and docs/rules.md."""
from __future__ import annotations

import textwrap
from typing import Any

from .registry import DECLARED

KIND = {"spec": "spec rule", "pool": "pool rule", DECLARED: "checked in {where}"}


def _kind(rule: Any) -> str:
    return KIND[rule.scope].format(where=rule.where)


def rule_json(rule: Any) -> dict[str, Any]:
    return {"id": rule.id, "level": rule.level.name.lower(), "scope": rule.scope, "title": rule.title,
            "doc": rule.doc, "source": rule.source, "skippable": rule.skippable, "where": rule.where or None}


def rules_text(registry: Any, width: int) -> str:
    """Id, level and whether it can be skipped on one line, the title wrapped under it to `width`."""
    idw = max(len(r.id) for r in registry)
    out = [f"{'rule':<{idw}}  {'level':<7}  skippable"]
    for r in registry:
        out.append(f"{r.id:<{idw}}  {r.level.name.lower():<7}  {'yes' if r.skippable else 'no'}")
        out += textwrap.wrap(r.title, width, initial_indent="    ", subsequent_indent="    ", break_on_hyphens=False)
    return "\n".join(out)


def rules_markdown(registry: Any) -> str:
    """The reference of docs/rules.md: a table, then each rule's documentation and source."""
    lines = ["| rule | level | skippable | what it checks |", "|---|---|---|---|"]
    lines += [f"| `{r.id}` | {r.level.name.lower()} | {'yes' if r.skippable else 'no'} | {r.title} |" for r in registry]
    for r in registry:
        skip = (f" Skippable: `policies.skip.{r.id}: <why>`." if r.skippable else "")
        lines += ["", f"### `{r.id}`", "", f"*{r.level.name.lower()}, {_kind(r)}.{skip}*", "", r.doc, "",
                  f"**Source:** {r.source}"]
    return "\n".join(lines) + "\n"
