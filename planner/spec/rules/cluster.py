"""The cluster as a whole: generated names, the budget and the `policies.skip` entries."""
from __future__ import annotations

import difflib
import re
from typing import Iterator

from ...errors import SpecIssue
from .registry import PREFIX, REGISTRY, SpecContext

_ULTRA_SUFFIX = re.compile(r"^(.+)-u(\d{4,})$")


@REGISTRY.spec("spec.cluster.name-collision", source="ultraplan resource naming (docs/plan-format.md)")
def name_collisions(ctx: SpecContext) -> Iterator[SpecIssue]:
    """Generated resource names are `<kind>-<pool>` and, for UltraServer pools, `<kind>-<pool>-uNNNN`:
    pool `x` with UltraServers makes `asg-x-u0001`, which pool `x-u0001` makes too. Pools that would
    collide are named here, before the compiler meets the duplicate (one pass over the pools)."""
    spec = ctx.spec
    owners = {pool.name: i for i, pool in enumerate(spec.compute)}
    for other, pool in enumerate(spec.compute):
        match = _ULTRA_SUFFIX.match(pool.name)
        if not match or pool.ultraserver:  # an UltraServer pool's groups get a -uNNNN suffix of their own
            continue
        base, n = match.group(1), int(match.group(2))
        i = owners.get(base)
        if i is None or not spec.compute[i].ultraserver or not 1 <= n <= spec.compute[i].count:
            continue
        yield ctx.issue(("compute", other, "name"),
                        f"pool '{pool.name}' collides with the names generated for UltraServer {n} of pool '{base}' "
                        f"(compute[{i}]): both would make asg-{pool.name}",
                        f"rename one of the two pools, e.g. '{pool.name}-pool'")


@REGISTRY.spec("spec.budget.limit", source="ultraplan spec format (docs/cost.md)")
def budget_limit(ctx: SpecContext) -> Iterator[SpecIssue]:
    """A `budget` section sets a limit to check against: `monthly_usd`, `total_usd` or both."""
    b = ctx.spec.budget
    if b and b.monthly_usd is None and b.total_usd is None:
        yield ctx.issue(("budget",), "a budget needs monthly_usd, total_usd or both", "e.g. monthly_usd: 2500000")


@REGISTRY.spec("spec.policies.skip-reason", source="ultraplan (skips are echoed in every report, never silent)")
def skip_reason(ctx: SpecContext) -> Iterator[SpecIssue]:
    """Every `policies.skip` entry (a policy, a preflight check or a spec rule) gives the reason it
    does not apply; the reason is echoed in every report."""
    for pid, reason in ctx.spec.policies.skip.items():
        if not str(reason).strip():
            yield ctx.issue(("policies", "skip", pid), f"skipping '{pid}' needs a reason",
                            "policies.skip.<id>: <why it does not apply>")


@REGISTRY.spec("spec.policies.skip-spec-rule", source="ultraplan (docs/rules.md lists the skippable rules)")
def skip_spec_rule(ctx: SpecContext) -> Iterator[SpecIssue]:
    """A `policies.skip` entry that names a spec rule (`spec.…`) names a rule that exists and can be
    skipped: only rules whose fact is a catalog entry that may be out of date, and that the compiler
    does not rely on, are skippable (docs/rules.md marks them)."""
    skippable = sorted(r.id for r in REGISTRY if r.skippable)
    for rid in ctx.spec.policies.skip:
        if not rid.startswith(PREFIX):
            continue
        rule = REGISTRY.get(rid)
        if rule is None:
            close = difflib.get_close_matches(rid, REGISTRY.ids(), n=1)
            yield ctx.issue(("policies", "skip", rid), f"unknown spec rule '{rid}'",
                            f"did you mean '{close[0]}'?" if close else "docs/rules.md lists the spec rules")
        elif not rule.skippable:
            yield ctx.issue(("policies", "skip", rid), f"spec rule '{rid}' cannot be skipped: the plan depends on it",
                            "skippable spec rules: " + ", ".join(skippable))
