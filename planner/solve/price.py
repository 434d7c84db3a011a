"""The solver's output read back the way a user's spec is: parsed, compiled and priced by
`planner.cost`, so `solve` reports what `ultraplan cost` of the written spec will say."""
from __future__ import annotations

from typing import Any

from ..errors import SpecError, SpecIssue
from .goals import GoalsDocument
from .spec_out import dump


def compile_and_price(doc: GoalsDocument, spec: dict[str, Any], text: str, out_path: str | None, catalog, prices,
                       today):
    """The produced spec compiled and priced by `planner.cost` exactly as `ultraplan cost` would
    (grown by secondary CIDR blocks when its subnets need them); a spec the solver should never
    produce is a SpecError pointing at the goals option its pool came from."""
    import os
    import re

    from .. import compile_plan, parse_spec
    from ..cost import estimate

    # Parse as if the spec sat where it will be written, so a relative rate-card path resolves.
    folder = os.path.dirname(os.path.abspath(out_path)) if out_path else os.getcwd()
    fake = os.path.join(folder, os.path.basename(out_path) if out_path else "solved.yaml")
    try:
        cluster = parse_spec(text, fake, catalog)
        plan = compile_plan(cluster, catalog)
    except SpecError as exc:
        grown = _more_address_space(spec, exc)
        if grown is not None:  # a large plan needs secondary CIDR blocks: add them and try again
            return compile_and_price(doc, grown, dump(grown, text.split("\n", 1)[0] + "\n" if text.startswith("#") else ""),
                                      out_path, catalog, prices, today)
        issues = []
        for i in exc.issues:  # point at the goals option the pool came from
            m = re.match(r"compute\[(\d+)\]\.?(.*)", i.path)
            path, line = i.path, None
            if m and int(m.group(1)) < len(spec["compute"]):
                pool = spec["compute"][int(m.group(1))]
                item = pool.get("ultraserver") or pool.get("instance_type")
                k = next((k for k, o in enumerate(doc.goals.options) if o.item == item), None)
                if k is not None:
                    path = f"options[{k}]" + (f".{m.group(2)}" if m.group(2) else "")
                    line = doc.line("options", k)
            if i.path == "network.vpc_cidr":
                path, line = "vpc_cidr", doc.line("vpc_cidr")
            issues.append(SpecIssue(path, f"the produced spec would be invalid: {i.message}", line, doc.file, i.hint))
        raise SpecError(issues) from None
    return estimate(plan, prices, today=today)


def _more_address_space(spec: dict[str, Any], exc: SpecError) -> dict[str, Any] | None:
    """The spec with enough secondary /16 blocks for the subnets the error says are needed (VPCs hold
    5 CIDR blocks by default: at most 4 secondaries), or None if the error is about something else."""
    import ipaddress
    import math
    import re

    need = None
    for issue in exc.issues:
        m = re.search(r"the subnets need ([\d,]+) addresses", issue.message)
        if issue.path == "network.vpc_cidr" and m:
            need = int(m.group(1).replace(",", ""))
    if need is None:
        return None
    network = dict(spec["network"])
    have = len(network.get("secondary_cidrs") or [])
    want = min(4, max(have + 1, math.ceil(need / 65536)))
    if want <= have:
        return None
    base = ipaddress.ip_network(network["vpc_cidr"], strict=False)
    first = int(base.network_address) >> 16
    network["secondary_cidrs"] = [str(ipaddress.ip_network(((first + k) << 16, 16))) for k in range(1, want + 1)]
    spec["network"] = network
    return spec
