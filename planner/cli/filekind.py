"""What kind of ultraplan file a path holds, told by its content (top-level keys and format markers),
so `validate FOLDER` checks specs, names the command that takes a goals file, a rate card, an
account snapshot or a price file, and skips YAML that is not ultraplan's with a note.

Only the first level of the document is looked at; a file that does not parse is left to the spec
loader (it reports the YAML error with its line), and so is anything that looks like a spec.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SPEC, GOALS, RATE_CARD, SNAPSHOT, PRICES, PLAN, FOREIGN = (
    "spec", "goals", "rate-card", "account-snapshot", "price-file", "plan", "foreign")

# What each kind is and which command takes it.
TAKEN_BY = {
    GOALS: ("a goals file", "ultraplan solve FILE --out spec.yaml"),
    RATE_CARD: ("a rate card", "budget.rates in a spec, or ultraplan cost SPEC --rates FILE"),
    SNAPSHOT: ("an account snapshot", "ultraplan preflight SPEC --account FILE"),
    PRICES: ("a price file", "budget.prices in a spec, or ultraplan cost SPEC --prices FILE"),
}
_SPEC_KEYS = {"compute", "availability_zone"}
_MAX_PEEK = 4 * 1024 * 1024  # the spec size limit: a bigger file is left to the loader to refuse


@dataclass(frozen=True)
class Kind:
    kind: str
    what: str = ""  # "a goals file"
    command: str = ""  # the command that takes it

    @property
    def note(self) -> str:
        if self.kind == FOREIGN:
            return "not an ultraplan file (no spec keys: name, region, availability_zone, compute)"
        return f"{self.what}, not a spec: {self.command} takes it"


def classify(data: Any) -> str:
    """The kind of a parsed document (pure: tests pass dicts)."""
    if not isinstance(data, dict):
        return SPEC  # the spec loader says what is wrong with it
    keys = set(data)
    fmt = data.get("format")
    if fmt == "ultraplan-plan":
        return PLAN
    if fmt == "ultraplan-account-snapshot":
        return SNAPSHOT
    if keys & _SPEC_KEYS:
        return SPEC
    if "targets" in keys and "options" in keys:
        return GOALS
    if "rates" in keys and "source" in keys and "name" in keys:
        return RATE_CARD
    if "items" in keys and "region" in keys:
        return PRICES
    if {"name", "region"} <= keys:
        return SPEC  # a spec missing its compute: the loader names what is missing
    return FOREIGN


def kind_of(path: str) -> Kind:
    """The kind of the file at `path`; SPEC when it cannot be read or parsed (the loader explains)."""
    import json
    import os

    import yaml

    try:
        if os.path.getsize(path) > _MAX_PEEK:
            return Kind(SPEC)
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read()
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.load(
            text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError, RecursionError):
        return Kind(SPEC)
    kind = classify(data)
    what, command = TAKEN_BY.get(kind, ("", ""))
    return Kind(kind, what, command)
