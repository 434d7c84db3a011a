"""Loading a spec: YAML with lines -> pydantic shape checks -> meaning checks against the catalog.

Every problem becomes a SpecIssue naming the field path, the YAML line, what is wrong and what
would be right; all of them are raised together in one SpecError (exit 2).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterator

import yaml
from pydantic import ValidationError

from ..catalog import Catalog, load_catalog
from ..errors import SpecError, SpecIssue, locate
from .shape import about_placeholder, set_aside, shape_issues
from .spans import spans_of, syntax_issue
from .model import ClusterSpec
from .rules import POOL, PoolContext, SpecContext, load_rules, stamped
from .rules.capacity import BLOCK_DAYS_HINT, block_length_ok  # noqa: F401 (their old home)
from .rules.region import PLANNING_WINDOW, WINDOW_HINT  # noqa: F401
from .rules.storage import MAX_SUBNET_IPS  # noqa: F401
from .rules.zones import known_regions, region_zone_prefix, zone_in_region  # noqa: F401
from .yamlload import Path, line_of, load


@dataclass(frozen=True)
class SpecDocument:
    """A validated spec with the file it came from and the line of every field."""

    spec: ClusterSpec
    file: str | None
    lines: dict[Path, int]

    def line(self, *path: Any) -> int | None:
        return line_of(self.lines, tuple(path))


# -- the runner over the spec-rule registry -------------------------------------------------------
def _pool_context(index: int, pool: Any, catalog: Catalog) -> PoolContext:
    """The pool with its catalog types resolved (None when the type is not given exactly once or unknown)."""
    ultra = itype = None
    if bool(pool.instance_type) != bool(pool.ultraserver):
        if pool.ultraserver:
            ultra = catalog.ultraservers.get(pool.ultraserver)
            itype = catalog.instance(ultra.member) if ultra else None
        else:
            itype = catalog.instance_types.get(pool.instance_type)
    return PoolContext(index, pool, ("compute", index), ultra, itype)


def skipped_rules(spec: ClusterSpec) -> dict[str, str]:
    """Spec rules the spec skips (policies.skip.<spec rule id>: reason), the skippable ones only."""
    registry = load_rules()
    out = {}
    for rid, reason in spec.policies.skip.items():
        rule = registry.get(rid)
        if rule is not None and rule.skippable and str(reason).strip():
            out[rid] = str(reason).strip()
    return out


def meaning_issues(doc: SpecDocument, catalog: Catalog) -> Iterator[SpecIssue]:
    """Every registered spec rule over the document, in registration order; consecutive pool rules
    run pool by pool. Each issue carries its rule's id."""
    ctx = SpecContext(doc, catalog)
    skipped = skipped_rules(doc.spec)
    rules = [r for r in load_rules() if r.func is not None and r.id not in skipped]
    i = 0
    while i < len(rules):
        if rules[i].scope != POOL:
            yield from stamped(rules[i], rules[i].func(ctx))
            i += 1
            continue
        j = i
        while j < len(rules) and rules[j].scope == POOL:
            j += 1
        for index, pool in enumerate(doc.spec.compute):
            pc = _pool_context(index, pool, catalog)
            for rule in rules[i:j]:
                if pc.itype is not None or not rule.needs_type:
                    yield from stamped(rule, rule.func(ctx, pc))
        i = j


# -- entry points -------------------------------------------------------------------------------
def _unreadable_value(text: str, file: str | None, exc: Exception) -> SpecError:
    """A scalar YAML reads but Python cannot hold (2026-02-30, a 5,000-digit integer): find its line
    by constructing the scalars one by one, so the error names it like any other."""
    line, shown = None, None
    try:
        stack = [yaml.compose(text, Loader=yaml.SafeLoader)]
        constructor = yaml.SafeLoader("")
        while stack and line is None:
            node = stack.pop()
            if isinstance(node, yaml.ScalarNode):
                try:
                    constructor.construct_object(node, deep=True)
                except (ValueError, OverflowError):
                    line, shown = node.start_mark.line + 1, node.value[:40]
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(reversed(node.value))
            elif isinstance(node, yaml.MappingNode):
                stack.extend(v for kv in reversed(node.value) for v in reversed(kv))
    except (yaml.YAMLError, RecursionError, ValueError):
        pass
    what = f"'{shown}'" if shown is not None else "a value"
    reason = str(exc).splitlines()[0].split(": value has")[0].split("; use sys.")[0][:120]
    return SpecError([SpecIssue("", f"{what} cannot be read: {reason}", line, file,
                                "dates are real calendar days (YYYY-MM-DD); numbers have at most a few dozen digits",
                                rule="spec.yaml.readable")])


def parse_spec(text: str, file: str | None = None, catalog: Catalog | None = None) -> SpecDocument:
    """The validated spec, or one SpecError with every problem (shape and meaning), sorted by line,
    each with the spec line and a caret under the value."""
    try:
        data, lines = load(text, file)
    except (ValueError, OverflowError) as exc:  # an impossible date, an integer Python refuses to convert
        raise SpecError(locate(_unreadable_value(text, file, exc).issues, text, None)) from None
    except SpecError as exc:
        syntax = syntax_issue(text, file)  # the loader's verdict, worded and placed for a person
        issues = [syntax if syntax and i.message.startswith("YAML syntax error") else i for i in exc.issues]
        issues = [i if i.rule else replace(i, rule="spec.yaml.readable") for i in issues]
        raise SpecError(locate(issues, text, spans_of(text))) from None
    from ..inputs import not_a_spec

    if not isinstance(data, dict) or not_a_spec(data):
        raise SpecError(locate([SpecIssue("", not_a_spec(data) or "the spec must be a YAML mapping with name, region, "
                                          "availability_zone and compute (or the same as JSON); expected a spec or an "
                                          "ultraplan Plan (JSON starting with \"format\": \"ultraplan-plan\")", 1, file,
                                          rule="spec.yaml.readable")],
                               text, None))
    return spec_document(data, lines, file, text, catalog or load_catalog())


def spec_document(data: dict[str, Any], lines: dict[Path, int], file: str | None, text: str | None,
                  catalog: Catalog) -> SpecDocument:
    """A spec from data already loaded (a spec file, or a fleet cell's spec): its shape and meaning
    checks, every problem in one SpecError at its line."""
    try:
        doc = SpecDocument(ClusterSpec.model_validate(data), file, lines)
        issues = list(meaning_issues(doc, catalog))
    except ValidationError as exc:
        issues = shape_issues(exc.errors(), lines, file, known_regions) + _meaning_of_the_rest(data, exc, lines, file, catalog)
    if issues:
        raise SpecError(locate(issues, text, spans_of(text) if text else None))
    return doc


def _meaning_of_the_rest(data: dict[str, Any], exc: ValidationError, lines: dict[Path, int], file: str | None,
                         catalog: Catalog) -> list[SpecIssue]:
    """Meaning checks on what did parse, so shape errors never hide meaning errors; issues about the
    values set aside (or the stand-ins put in their place) are left out."""
    rest, touched = set_aside(data, exc.errors())
    try:
        spec = ClusterSpec.model_validate(rest)
    except ValidationError:
        return []  # what is left still does not parse: the shape issues are all we can say
    return [i for i in meaning_issues(SpecDocument(spec, file, lines), catalog)
            if not about_placeholder(i.path, touched)]


def load_spec(path: str, catalog: Catalog | None = None) -> SpecDocument:
    from ..inputs import read_spec_text

    try:
        text = read_spec_text(path)  # bounded, UTF-8, not a Plan or snapshot
    except SpecError as exc:
        raise SpecError([i if i.rule else replace(i, rule="spec.yaml.readable") for i in exc.issues]) from None
    return parse_spec(text, path, catalog)
