"""The offline runner: the pack's rules over a Plan, without the Pulumi engine.

Every Plan resource (type token, logical name, camelCase inputs) goes to each resource rule that
applies to its type; each stack rule sees the whole Plan (every stack, refs by name, pool records).
Enforcement levels, config and skips come from the spec (`plan.policies`, see policies/config.py).
A violation becomes a planner Finding (mandatory -> ERROR, advisory -> WARNING) located at the spec
line that produced the resource; a rule that raises becomes a Finding too, never a silent pass.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from planner.findings import Finding, Level, Source, Unverified

from .config import Settings, resolve
from .context import StackContext, resource_view
from .registry import ADVISORY, DISABLED, RESOURCE, NotApplicable, Policy, PolicyRegistry, Violation, load_rules

PASSED, VIOLATED, SKIPPED, DISABLED_STATUS, NOT_APPLICABLE = "passed", "violated", "skipped", "disabled", "not-applicable"

MonthlyCost = Callable[[Any], float]


def finding_level(enforcement: str) -> Level:
    return Level.WARNING if enforcement == ADVISORY else Level.ERROR


@dataclass
class PolicyOutcome:
    """What one policy did on one Plan."""

    policy: Policy
    level: str  # effective enforcement level
    status: str  # passed | violated | skipped | disabled | not-applicable
    reason: str | None = None  # skip reason, or why it does not apply
    violations: list[Finding] = field(default_factory=list)
    source: Source = field(default_factory=Source)  # where the spec configured or skipped it

    def to_json(self) -> dict[str, Any]:
        return {"policy": self.policy.id, "level": self.level, "status": self.status, "reason": self.reason,
                "violations": len(self.violations)}


@dataclass
class PolicyResult:
    outcomes: list[PolicyOutcome]
    spec_file: str | None = None

    @property
    def violations(self) -> list[Finding]:
        return [f for o in self.outcomes for f in o.violations]

    def ids(self, status: str) -> list[str]:
        return [o.policy.id for o in self.outcomes if o.status == status]

    @property
    def passed(self) -> list[str]:
        return self.ids(PASSED)

    @property
    def skipped(self) -> list[tuple[str, str]]:
        return [(o.policy.id, o.reason or "") for o in self.outcomes if o.status == SKIPPED]

    def outcome(self, policy_id: str) -> PolicyOutcome:
        return next(o for o in self.outcomes if o.policy.id == policy_id)

    def enforcement_of(self, finding: Finding) -> str:
        return next((o.level for o in self.outcomes if o.policy.id == finding.check_id), "mandatory")

    @property
    def mandatory_violations(self) -> list[Finding]:
        return [f for o in self.outcomes if o.level != ADVISORY for f in o.violations]


def _line_source(plan: Any, key: str) -> Source:
    lines = (plan.policies or {}).get("lines") or {}
    line = lines.get(key, lines.get("policies"))
    return Source(plan.spec_file, line)


class _Locator:
    """Spec file and line for a violation: for a policy whose fix has one place (`fix_at`, e.g. the
    `tags:` every resource inherits), that line, so 18 untagged resources point at one line; else its
    resource's source, else its pool's, else the line that configures the policy in the spec (a
    stack-wide violation), else the spec file."""

    def __init__(self, plan: Any) -> None:
        self.plan = plan
        self.resources = {r.name: r.source for r in plan.resources()}
        self.pools = {p["name"]: Source.from_json(p.get("source")) for p in plan.pools if "name" in p}

    def __call__(self, resource: str | None, pool: str | None, policy_id: str, fix_at: str | None = None) -> Source:
        spec_file = self.plan.spec_file
        fix_line = ((self.plan.policies or {}).get("lines") or {}).get(fix_at) if fix_at else None
        if fix_line:
            return Source(spec_file, fix_line)
        for source in (self.resources.get(resource or ""), self.pools.get(pool or "")):
            if source is not None and source.line:
                return Source(source.file or spec_file, source.line)
        configured = _line_source(self.plan, f"policies.config.{policy_id}")
        return Source(configured.file or spec_file, configured.line)


def _violations(policy: Policy, config: dict[str, Any], views: list[dict[str, Any]],
                ctx: StackContext) -> Iterable[Violation]:
    if policy.kind == RESOURCE:
        targets = [v for v in views if policy.applies_to(v["type"])]
        if not targets:
            raise NotApplicable("no resource of the types it checks")
        for view in targets:
            for message in policy.func(view, config):
                yield Violation(message, resource=view["name"], pool=view.get("pool"))
    else:
        yield from policy.func(ctx, config)


def run_policies(plan: Any, *, monthly_cost: MonthlyCost | None = None, registry: PolicyRegistry | None = None,
                 settings: Settings | None = None) -> PolicyResult:
    """Run every policy of the pack over `plan`.

    `monthly_cost(plan) -> float` is the cost module's estimate, passed in by the caller (e.g.
    ``lambda p: planner.cost.estimate(p).monthly_usd``); without it, a configured max-monthly-cost
    fails closed. Raises planner.errors.SpecError when the spec's `policies` section is invalid.
    """
    registry = registry or load_rules()
    settings = settings or resolve(plan.policies, registry, spec_file=plan.spec_file)
    views = [dict(resource_view(r.type, r.name, r.inputs, r.pool, r.options), source=r.source) for r in plan.resources()]
    ctx = StackContext(views, pools=list(plan.pools), complete=True,
                       monthly_cost=(lambda: monthly_cost(plan)) if monthly_cost else None)
    locate = _Locator(plan)
    outcomes: list[PolicyOutcome] = []
    for policy in registry:
        level = settings.levels.get(policy.id, policy.level)
        configured = _line_source(plan, f"policies.config.{policy.id}")
        if policy.id in settings.skip:
            outcomes.append(PolicyOutcome(policy, level, SKIPPED, settings.skip[policy.id],
                                          source=_line_source(plan, f"policies.skip.{policy.id}")))
        elif level == DISABLED:
            outcomes.append(PolicyOutcome(policy, level, DISABLED_STATUS, "disabled in policies.config", source=configured))
        else:
            outcome = _run_policy(policy, level, settings.config.get(policy.id, {}), views, ctx, locate)
            outcome.source = configured
            outcomes.append(outcome)
    return PolicyResult(outcomes, spec_file=plan.spec_file)


def _run_policy(policy: Policy, level: str, config: dict[str, Any], views: list[dict[str, Any]],
                ctx: StackContext, locate: _Locator) -> PolicyOutcome:
    """One policy over the Plan: its violations as Findings, or why it does not apply."""
    found: list[Finding] = []
    reason = None
    try:
        for v in _violations(policy, config, views, ctx):
            found.append(Finding(policy.id, finding_level(level), v.message, hint=policy.remediation,
                                 pool=v.pool, resource=v.resource,
                                 source=locate(v.resource, v.pool, policy.id, policy.fix_at)))
    except NotApplicable as exc:
        reason = exc.reason
    except Exception as exc:  # one broken rule never hides the others, and never passes silently
        # Unverified with an internal error: the gate exits 4 (a bug), never 0 and never a verdict.
        found.append(Finding(policy.id, finding_level(level), f"could not check {policy.id}: {exc!r}",
                             hint="this is a bug in the rule; report it, or skip the policy with a reason",
                             source=locate(None, None, policy.id),
                             unverified=Unverified(None, "internal", f"{type(exc).__name__}: {exc}")))
    if found:
        return PolicyOutcome(policy, level, VIOLATED, None, found)
    return PolicyOutcome(policy, level, NOT_APPLICABLE if reason else PASSED, reason)
