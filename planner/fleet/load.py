"""Loading a fleet file: shape (pydantic), then meaning, then every cell's spec, all problems at once.

A cell's spec is a file (relative to the fleet file) or inline under `spec:`. The fleet fills in
what the cell already says (region, first zone, region_zone) where an inline spec leaves them out,
and its term and rate card where the spec's budget has none, so every cell is priced over the same
term with the same card; a spec that contradicts its cell (another Region, a zone the cell does not
list, another term) is an error naming the field, never silently overridden.
"""
from __future__ import annotations

import copy
import difflib
import os
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ..catalog import Catalog, load_catalog
from ..errors import SpecError, SpecIssue, UltraplanError, locate, sort_issues
from ..spec.ratecard import RateCard, load_rate_card, model_issues
from ..spec.model import DNS_NAME_HINT
from ..spec.spans import spans_of
from ..spec.load import SpecDocument
from ..spec.yamlload import Path, dotted, line_of, load
from .model import Cell, FleetFile

FLEET_FILE = "fleet.yaml"  # the fleet file of a fleet folder


@dataclass(frozen=True)
class CellDoc:
    """A cell and its validated spec document (lines of the file the spec came from)."""

    index: int
    cell: Cell
    doc: SpecDocument
    snapshot: Any = None  # the account snapshot (preflight.snapshot.SnapshotAccount), when given


@dataclass(frozen=True)
class FleetDocument:
    fleet: FleetFile
    file: str | None
    lines: dict[Path, int]
    cells: list[CellDoc]
    rate_card: RateCard | None = None
    issues: list[SpecIssue] = field(default_factory=list)

    def line(self, *path: Any) -> int | None:
        return line_of(self.lines, tuple(path))

    def cell(self, name: str) -> CellDoc:
        return next(c for c in self.cells if c.cell.name == name)


def fleet_file_of(path: str) -> str:
    """A fleet folder stands for its fleet.yaml."""
    return os.path.join(path, FLEET_FILE) if os.path.isdir(path) else path


def is_fleet(path: str) -> bool:
    """A fleet file (a YAML mapping with top-level `fleet:` and `cells:` keys) or a folder holding one.
    Told by content, never by name: read only the top-level keys' lines."""
    from ..inputs import open_regular

    path = fleet_file_of(path)
    try:
        # Only a regular file is sniffed: a FIFO or a device would block or never end (planner.inputs).
        with open_regular(path) as fh:
            head = fh.read(1 << 20).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    keys = {line.split(":", 1)[0] for line in head.splitlines() if line[:1].isalpha() and ":" in line}
    return "fleet" in keys and "cells" in keys


def load_fleet(path: str, catalog: Catalog | None = None) -> FleetDocument:
    from ..inputs import MAX_SPEC_BYTES, InputFileError, read_text

    path = fleet_file_of(path)
    try:
        text = read_text(path, MAX_SPEC_BYTES, "fleet file")
    except InputFileError as exc:
        raise SpecError([SpecIssue("", exc.problem, None, path, exc.hint)]) from None
    return parse_fleet(text, path, catalog)


def parse_fleet(text: str, file: str | None = None, catalog: Catalog | None = None) -> FleetDocument:
    data, lines = load(text, file)
    if not isinstance(data, dict):
        raise SpecError([SpecIssue("", "a fleet file is a mapping with fleet, cells (and term, budget, rates, ...)",
                                   1, file, "see docs/fleet.md")])
    try:
        fleet = FleetFile.model_validate(data)
    except ValidationError as exc:
        issues = [_worded(i) for i in model_issues(exc, FleetFile, lines, file)]
        raise SpecError(locate(issues, text, spans_of(text))) from None
    catalog = catalog or load_catalog()
    base = os.path.dirname(file) if file else ""

    def issue(p: Path, message: str, hint: str | None = None) -> SpecIssue:
        return SpecIssue(dotted(p), message, line_of(lines, p), file, hint)

    issues: list[SpecIssue] = list(_fleet_meaning(fleet, issue))
    card = None
    if fleet.rates is not None:
        try:
            card = fleet.rates if isinstance(fleet.rates, RateCard) else load_rate_card(
                fleet.rates, base, field="rates", file=file, line=line_of(lines, ("rates",)))
        except SpecError as exc:
            issues.extend(exc.issues)
    cells: list[CellDoc] = []
    for i, cell in enumerate(fleet.cells):
        try:
            doc = _cell_doc(fleet, i, cell, card, base, file, lines, text, catalog)
            snapshot = _snapshot(cell, base) if cell.account_snapshot else None
        except SpecError as exc:
            issues.extend(exc.issues)
            continue
        except (OSError, ValueError, UltraplanError) as exc:
            issues.append(issue(("cells", i, "account_snapshot"), f"cannot read the account snapshot: {exc}",
                                "write one with `ultraplan account snapshot --region R --out F`"))
            continue
        issues.extend(_cell_meaning(fleet, i, cell, doc, issue))
        cells.append(CellDoc(i, cell, doc, snapshot))
    issues.extend(_references(fleet, cells, issue))
    if issues:
        raise SpecError(locate(sort_issues(issues), text, spans_of(text)) if file is None else
                        _located(issues, file, text))
    return FleetDocument(fleet, file, lines, cells, card)


# What a valid value looks like, for fields checked by a pattern (in words, never as a regex).
_PATTERN_WORDS = {
    "name": DNS_NAME_HINT, "fleet": DNS_NAME_HINT, "canary": DNS_NAME_HINT, "cell": DNS_NAME_HINT,
    "account": "a 12-digit AWS account id, quoted so YAML keeps its leading zeros: account: \"012345678901\"",
    "region": "an AWS Region, e.g. us-east-1",
    "assume_role_arn": "an IAM role ARN in the cell's account, e.g. arn:aws:iam::012345678901:role/ultraplan-deploy",
    "pools": "cell/pool, e.g. gpu-1/gb200",
}


def _worded(issue: SpecIssue) -> SpecIssue:
    from dataclasses import replace

    if not issue.message.startswith("String should match pattern"):
        return issue
    parts = [p for p in issue.path.replace("]", "").replace("[", ".").split(".") if p and not p.isdigit()]
    hint = _PATTERN_WORDS.get(parts[-1] if parts else "", None)
    got = issue.message.split("(got ", 1)[-1].rstrip(")") if "(got " in issue.message else "the value"
    return replace(issue, message=f"{got} is not valid here", hint=hint or issue.hint)


def _located(issues: list[SpecIssue], file: str, text: str) -> list[SpecIssue]:
    """Issues of the fleet file get its excerpts; those of a cell's spec file keep theirs."""
    own = [i for i in issues if i.file == file]
    return sort_issues(locate(own, text, spans_of(text)) + [i for i in issues if i.file != file])


def _fleet_meaning(fleet: FleetFile, issue):
    names = [c.name for c in fleet.cells]
    for i, name in enumerate(names):
        if name in names[:i]:
            yield issue(("cells", i, "name"), f"cell name '{name}' is used twice", "give every cell its own name")
    if fleet.rollout and fleet.rollout.canary and fleet.rollout.canary not in names:
        close = difflib.get_close_matches(fleet.rollout.canary, names, n=1)
        yield issue(("rollout", "canary"), f"no cell named '{fleet.rollout.canary}'",
                    f"did you mean '{close[0]}'?" if close else f"cells: {', '.join(names)}")
    for i, inc in enumerate(fleet.quota_increases):
        if inc.cell not in names:
            close = difflib.get_close_matches(inc.cell, names, n=1)
            yield issue(("quota_increases", i, "cell"), f"no cell named '{inc.cell}'",
                        f"did you mean '{close[0]}'?" if close else f"cells: {', '.join(names)}")
        from .quotas import quota_key

        if quota_key(inc.quota) is None:
            from .quotas import known_quota_names

            close = difflib.get_close_matches(inc.quota, known_quota_names(), n=1)
            yield issue(("quota_increases", i, "quota"), f"unknown quota '{inc.quota}'",
                        f"did you mean '{close[0]}'?" if close else "a limit name (auto-scaling-groups) or an L-code")
    for i, cell in enumerate(fleet.cells):
        from .quotas import quota_key

        for key in cell.quotas:
            if quota_key(key) is None:
                from .quotas import known_quota_names

                close = difflib.get_close_matches(key, known_quota_names(), n=1)
                yield issue(("cells", i, "quotas", key), f"unknown quota '{key}'",
                            f"did you mean '{close[0]}'?" if close else "a limit name (auto-scaling-groups) or an L-code")
    fabric_names = [f.name for f in fleet.fabrics]
    for i, name in enumerate(fabric_names):
        if name in fabric_names[:i]:
            yield issue(("fabrics", i, "name"), f"fabric name '{name}' is used twice")


def _snapshot(cell: Cell, base: str) -> Any:
    from ..preflight.snapshot import load_snapshot

    return load_snapshot(_rel(cell.account_snapshot or "", base))


def _rel(path: str, base: str) -> str:
    """A path written in the fleet file, relative to it (kept relative when the fleet file's is)."""
    return path if os.path.isabs(path) else os.path.normpath(os.path.join(base, path))


def _cell_doc(fleet: FleetFile, i: int, cell: Cell, card: RateCard | None, base: str, file: str | None,
              fleet_lines: dict[Path, int], fleet_text: str, catalog: Catalog) -> SpecDocument:
    """The cell's spec with the fleet's defaults filled in, validated like any spec."""
    from ..inputs import read_spec_text

    prefix: Path = ("cells", i, "spec")
    if isinstance(cell.spec, str):
        spec_file = _rel(cell.spec, base)
        if not os.path.isfile(spec_file):
            raise SpecError([SpecIssue(dotted(prefix), f"no spec file {cell.spec} (relative to the fleet file)",
                                       line_of(fleet_lines, prefix), file, "give a path relative to the fleet file, or the spec inline")])
        text = read_spec_text(spec_file)
        data, lines = load(text, spec_file)
        if not isinstance(data, dict):
            raise SpecError([SpecIssue("", "a cell's spec is a mapping (name, region, compute, ...)", 1, spec_file)])
        where, src_text = spec_file, text
    else:
        data = copy.deepcopy(cell.spec)
        lines = {k[len(prefix):]: v for k, v in fleet_lines.items() if k[:len(prefix)] == prefix}
        where, src_text = file, fleet_text
    data = _fill(fleet, cell, data, card)
    try:
        return document(data, lines, where, src_text, catalog)
    except SpecError as exc:
        if isinstance(cell.spec, str):
            raise
        # inline: the paths are the fleet file's (cells[i].spec.compute[0]...)
        raise SpecError([_prefixed(x, prefix, fleet_lines, file) for x in exc.issues]) from None


def _prefixed(x: SpecIssue, prefix: Path, fleet_lines: dict[Path, int], file: str | None) -> SpecIssue:
    from dataclasses import replace

    path = dotted(prefix) + ("." + x.path if x.path else "")
    return replace(x, path=path, file=file, line=x.line if x.line is not None else line_of(fleet_lines, prefix))


def _fill(fleet: FleetFile, cell: Cell, data: dict[str, Any], card: RateCard | None) -> dict[str, Any]:
    data = dict(data)
    data.setdefault("region", cell.region)
    data.setdefault("availability_zone", cell.zones[0])
    if cell.region_zone and isinstance(data.get("network", {}), dict):
        net = dict(data.get("network") or {"vpc_cidr": "10.0.0.0/16"})
        net.setdefault("region_zone", cell.region_zone)
        data["network"] = net
    if (fleet.term or card is not None) and isinstance(data.get("budget"), dict):
        # A spec with its own budget gets the fleet's term and card in it; one without gets them on
        # its Plan (planner/fleet/build.py), since a spec budget must name a limit.
        budget = dict(data["budget"])
        if fleet.term:
            budget.setdefault("start", fleet.term.start)
            budget.setdefault("term_months", fleet.term.months)
        if card is not None:
            budget.setdefault("rates", card.model_dump(mode="json", exclude_none=True))
        data["budget"] = budget
    return data


def document(data: dict[str, Any], lines: dict[Path, int], file: str | None, text: str | None,
             catalog: Catalog) -> SpecDocument:
    """A spec from data already loaded: the shape and meaning checks `parse_spec` runs."""
    from ..spec.load import spec_document

    return spec_document(data, lines, file, text, catalog)


def _cell_meaning(fleet: FleetFile, i: int, cell: Cell, doc: SpecDocument, issue):
    spec = doc.spec
    p: Path = ("cells", i, "spec")
    inline = not isinstance(cell.spec, str)

    def spec_issue(sub: Path, message: str, hint: str | None = None) -> SpecIssue:
        if inline:
            return issue(p + sub, message, hint)
        return SpecIssue(f"{dotted(p)} ({doc.file}: {dotted(sub)})", message, doc.line(*sub), doc.file, hint)

    if spec.region != cell.region:
        yield spec_issue(("region",), f"the spec's region {spec.region} is not the cell's ({cell.region})",
                         f"use region: {cell.region}, or put the spec in a cell of {spec.region}")
    zones = set(cell.zones)
    if spec.availability_zone not in zones:
        yield spec_issue(("availability_zone",), f"zone {spec.availability_zone} is not one of cell {cell.name}'s zones "
                         f"({', '.join(cell.zones)})", f"add it to cells[{i}].zones or use one of them")
    for j, pool in enumerate(spec.compute):
        if pool.availability_zone and pool.availability_zone not in zones:
            yield spec_issue(("compute", j, "availability_zone"), f"zone {pool.availability_zone} is not one of cell "
                             f"{cell.name}'s zones ({', '.join(cell.zones)})", f"add it to cells[{i}].zones")
    if fleet.term and spec.budget and spec.budget.start and (
            spec.budget.start != fleet.term.start or spec.budget.term_months != fleet.term.months):
        yield spec_issue(("budget",), f"the spec's term ({spec.budget.start}, {spec.budget.term_months} months) is not "
                         f"the fleet's ({fleet.term.start}, {fleet.term.months} months)",
                         "leave budget.start and budget.term_months out of cell specs: the fleet sets them")


def _references(fleet: FleetFile, cells: list[CellDoc], issue):
    pools = {c.cell.name: {p.name for p in c.doc.spec.compute} for c in cells}
    for i, fabric in enumerate(fleet.fabrics):
        for j, ref in enumerate(fabric.pools):
            cell, _, pool = ref.partition("/")
            if cell not in pools:
                if cell not in {c.name for c in fleet.cells}:
                    yield issue(("fabrics", i, "pools", j), f"no cell named '{cell}'",
                                f"cells: {', '.join(c.name for c in fleet.cells)}")
            elif pool not in pools[cell]:
                close = difflib.get_close_matches(pool, sorted(pools[cell]), n=1)
                yield issue(("fabrics", i, "pools", j), f"cell {cell} has no pool '{pool}'",
                            f"did you mean '{cell}/{close[0]}'?" if close else f"pools: {', '.join(sorted(pools[cell]))}")
