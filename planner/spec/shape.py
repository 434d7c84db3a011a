"""Shape errors (what pydantic rejects) in our words, and what is left of a spec once they are set aside.

`shape_issues` turns each pydantic error into a SpecIssue that says what is wrong and what would be
right without pydantic's vocabulary ("Input should be a valid string", regexes). `set_aside` removes
the values pydantic rejected (or puts a placeholder where a required field is needed) so the meaning
checks can still run on everything that did parse: one run shows every problem.
"""
from __future__ import annotations

import copy
import difflib
import re
from dataclasses import replace
from typing import Any, Callable

from ..errors import SpecIssue
from .fields import field_names, submodel
from .model import DNS_NAME_HINT, ClusterSpec
from .yamlload import Path, dotted, line_of

# What a valid value looks like, for fields checked by a pattern (said in words, never as a regex).
PATTERN_HINTS = {
    "name": DNS_NAME_HINT,
    "reservation_id": "a Capacity Reservation id: 'cr-' and 8 to 17 hex digits, e.g. cr-0123456789abcdef0",
    "resource_group_arn": "a resource group ARN, e.g. arn:aws:resource-groups:us-east-1:123456789012:group/my-blocks",
    "ami": "an AMI id: 'ami-' and 8 to 17 hex digits, e.g. ami-0123456789abcdef0",
    "root_device_name": "a device path such as /dev/xvda (AL2023) or /dev/sda1 (Ubuntu)",
    "vpc_id": "a VPC id: 'vpc-' and 8 to 17 hex digits",
    "subnet_id": "a subnet id: 'subnet-' and 8 to 17 hex digits",
}

_TYPE_WORDS = {
    "string": ("text", "quote it if it looks like a number or date"),
    "int": ("a whole number", "e.g. 4"),
    "float": ("a number", "e.g. 240 or 1.2"),
    "bool": ("true or false", "true or false (YAML's yes/no and on/off also count)"),
    "date": ("a date", "YYYY-MM-DD, e.g. 2026-12-01"),
    "dict": ("a mapping", "indented 'key: value' lines, or {key: value}"),
    "model": ("a mapping", "indented 'key: value' lines, or {key: value}"),
    "list": ("a list", "'- item' lines, or [a, b]"),
}

# Where a required field was missing or rejected, what lets the meaning checks run anyway. Issues
# under a placeholder are dropped (they would be about our stand-in, not the user's spec).
_POOL = {"name": "placeholder", "count": 1, "instance_type": "m7i.large"}
_TOP = {"name": "placeholder", "region": "us-east-1", "availability_zone": "us-east-1a", "compute": [_POOL]}


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return repr(value)


def _type_family(kind: str) -> str | None:
    for family in _TYPE_WORDS:
        if kind.startswith(family + "_") or kind == family + "_type":
            return family
    if kind.startswith(("date_", "datetime_")):
        return "date"
    if kind == "model_attributes_type":
        return "model"
    return None


def shape_issue(err: dict[str, Any], line: int | None, file: str | None,
                regions: Callable[[], dict[str, str]]) -> SpecIssue:
    """One pydantic error in our words."""
    loc = tuple(err["loc"])
    path, kind, value = dotted(loc), err["type"], err.get("input")
    field = str(loc[-1]) if loc else ""
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        owner = submodel(ClusterSpec, loc[:-1])
        valid = field_names(owner) if owner else []
        close = difflib.get_close_matches(field, valid, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'?" if close else (f"valid keys: {', '.join(valid)}" if valid else None)
        return SpecIssue(path, f"unknown key '{field}'", line, file, hint)
    if kind == "missing":
        owner = submodel(ClusterSpec, loc[:-1])
        desc = owner.model_fields[field].description if owner and field in owner.model_fields else None
        return SpecIssue(path, f"'{field}' is required here", line, file,
                         f"add {field}: ..." + (f" ({desc})" if desc else ""))
    if len(loc) == 3 and loc[:2] == ("policies", "skip"):
        return SpecIssue(path, f"skipping '{field}' needs a reason", line, file,
                         f"policies.skip.{field}: <why it does not apply to this cluster>")
    if kind == "string_pattern_mismatch":
        # An item of a list (capacity.reservation_ids[2]) is one of its list's field: a reservation id.
        if loc and isinstance(loc[-1], int):
            field = next((str(p) for p in reversed(loc) if isinstance(p, str)), field).removesuffix("s")
        if field == "region":
            close = difflib.get_close_matches(str(value), list(regions()), n=2)
            return SpecIssue(path, f"{value!r} is not an AWS region name", line, file,
                             f"did you mean {' or '.join(close)}?" if close else "a region such as us-east-1")
        return SpecIssue(path, f"{value!r} is not a valid {field.replace('_', ' ')}", line, file,
                         PATTERN_HINTS.get(field, "see `ultraplan schema` for the expected form"))
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        close = difflib.get_close_matches(str(value), options, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'?" if close else f"one of: {', '.join(options)}"
        return SpecIssue(path, f"{value!r} is not a {field.replace('_', ' ')} ultraplan knows", line, file, hint)
    bounds = {"greater_than_equal": ("too small", "at least", "ge"), "greater_than": ("too small", "more than", "gt"),
              "less_than_equal": ("too large", "at most", "le"), "less_than": ("too large", "less than", "lt")}
    if kind in bounds:
        what, words, key = bounds[kind]
        limit = ctx.get(key)
        limit = int(limit) if isinstance(limit, float) and limit.is_integer() else limit
        return SpecIssue(path, f"{_kind(value)} is {what} for {field}", line, file, f"{words} {limit}")
    if kind == "too_short":
        if loc == ("compute",):
            return SpecIssue(path, "a cluster needs at least one compute pool", line, file,
                             "compute: [{name: gpus, instance_type: p5.48xlarge, count: 1}]")
        return SpecIssue(path, f"needs at least {ctx.get('min_length', 1)} item(s)", line, file)
    if kind == "value_error":  # our own validators (tags, planner/spec/tags.py) already speak our words
        return SpecIssue(path, err["msg"].removeprefix("Value error, "), line, file)
    if kind == "string_too_long":  # never echo a 60 KB value back
        return SpecIssue(path, f"{len(str(value)):,} characters is too long for {field}", line, file,
                         f"at most {ctx.get('max_length')} characters")
    if kind == "finite_number":
        return SpecIssue(path, f"{_kind(value)} is not a finite number", line, file, "a number such as 2500000")
    family = _type_family(kind)
    if family:
        want, hint = _TYPE_WORDS[family]
        if value is None:
            return SpecIssue(path, f"{field} has no value", line, file, f"write {want} after '{field}:' ({hint})")
        detail = f" ({ctx['error']})" if family == "date" and ctx.get("error") else ""
        if kind == "int_from_float":
            detail = " (it has a fractional part)"
        return SpecIssue(path, f"expected {want}, got {_kind(value)}{detail}", line, file, hint)
    return SpecIssue(path, err["msg"] + (f" (got {_kind(value)})" if "input" in err else ""), line, file)


# The spec rule (planner/spec/rules/declared.py) each kind of pydantic error belongs to.
_RULES = {"extra_forbidden": "spec.shape.unknown-key", "missing": "spec.shape.required",
          "string_pattern_mismatch": "spec.shape.pattern", "literal_error": "spec.shape.choice",
          "greater_than_equal": "spec.shape.range", "greater_than": "spec.shape.range",
          "less_than_equal": "spec.shape.range", "less_than": "spec.shape.range", "too_short": "spec.shape.range",
          "too_long": "spec.shape.range", "string_too_long": "spec.shape.range", "value_error": "spec.shape.value"}


def shape_rule(err: dict[str, Any]) -> str:
    loc = tuple(err["loc"])
    if len(loc) == 3 and loc[:2] == ("policies", "skip") and err["type"] not in ("extra_forbidden", "missing"):
        return "spec.policies.skip-reason"
    return _RULES.get(err["type"], "spec.shape.type")


def shape_issues(errors: list[dict[str, Any]], lines: dict[Path, int], file: str | None,
                 regions: Callable[[], dict[str, str]]) -> list[SpecIssue]:
    return [replace(shape_issue(err, line_of(lines, tuple(err["loc"])), file, regions), rule=shape_rule(err))
            for err in errors]


# -- what is left once the shape errors are set aside ---------------------------------------------
def set_aside(data: dict[str, Any], errors: list[dict[str, Any]]) -> tuple[dict[str, Any], set[Path]]:
    """A copy of `data` without the values pydantic rejected, with placeholders where a required field
    must stand, and the set of paths that now hold a placeholder or nothing."""
    data = copy.deepcopy(data)
    touched: set[Path] = set()
    for err in errors:
        loc = tuple(err["loc"])
        cut = _cut_point(data, loc)
        if cut is None:
            continue
        touched.add(cut)
        parent = _get(data, cut[:-1])
        key = cut[-1]
        if isinstance(parent, list):
            # A list item that is not what it should be: a placeholder pool, or drop the whole list.
            if cut[:-1] == ("compute",):
                parent[key] = dict(_POOL)
            else:
                touched.add(cut[:-1])
                _delete(data, cut[:-1])
            continue
        if isinstance(parent, dict):
            parent.pop(key, None)
    _fill_required(data, touched)
    return data, touched


def _cut_point(data: Any, loc: Path) -> Path | None:
    """The deepest prefix of loc that exists in data (where the bad value sits)."""
    node, path = data, ()
    for part in loc:
        if isinstance(node, dict) and part in node:
            node, path = node[part], path + (part,)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node, path = node[part], path + (part,)
        else:
            break
    return path or None


def _get(data: Any, path: Path) -> Any:
    for part in path:
        data = data[part]
    return data


def _delete(data: Any, path: Path) -> None:
    parent = _get(data, path[:-1])
    if isinstance(parent, dict):
        parent.pop(path[-1], None)


def _fill_required(data: dict[str, Any], touched: set[Path]) -> None:
    for key, stand_in in _TOP.items():
        if key not in data or (key == "compute" and not (isinstance(data[key], list) and data[key])):
            data[key] = copy.deepcopy(stand_in)
            touched.add((key,))
    for i, pool in enumerate(data["compute"]):
        if not isinstance(pool, dict):
            data["compute"][i] = pool = dict(_POOL)
            touched.add(("compute", i))
        for key in ("name", "count"):
            if key not in pool:
                pool[key] = f"placeholder-{i}" if key == "name" else 1
                touched.add(("compute", i, key))
    storage = data.get("storage")
    lustre = storage.get("lustre") if isinstance(storage, dict) else None
    if isinstance(lustre, dict) and "capacity_tib" not in lustre and "capacity_gib" not in lustre:
        lustre["capacity_tib"] = 1.0
        touched.add(("storage", "lustre", "capacity_tib"))


def about_placeholder(path: str, touched: set[Path]) -> bool:
    """Whether a meaning issue at `path` is about a value we set aside or stood in for."""
    prefixes = {dotted(p) for p in touched}
    if any(path == p or path.startswith(p + ".") or path.startswith(p + "[") for p in prefixes):
        return True
    # A stand-in region or zone makes every zone-in-region verdict meaningless.
    if {("region",), ("availability_zone",)} & touched and path.endswith("availability_zone"):
        return True
    return False

