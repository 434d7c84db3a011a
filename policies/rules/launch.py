"""The launch-rule table (planner/launchrules.py, catalog/launch_rules.yaml) as a mandatory policy:
every launch template, with each auto-scaling group's overrides, must be a launch EC2 accepts."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from planner.launchrules import GROUP, TEMPLATE, Breach, evaluate, group_key

from ..context import LAUNCH_TEMPLATE, StackContext, inputs
from ..registry import MANDATORY, REGISTRY, NotApplicable, Violation
from .compute import _launches_nothing


def _message(lt: Mapping[str, Any], breach: Breach, group: Mapping[str, Any] | None = None) -> str:
    on = f"launch template {lt['name']}" + (f" with auto-scaling group {group['name']}" if group else "")
    return f"{on}: {breach.text()}"


@REGISTRY.stack(
    "launch-rules", level=MANDATORY, severity="critical", tags=("efa", "capacity", "launch"),
    description="Every launch template, with its auto-scaling groups' overrides, passes the launch-time rules "
                "RunInstances applies (efa-only interfaces without IP settings, one EFA per card, card limits, "
                "public IP, market and reservation target, placement, root device, IMDS, user data size).",
    remediation="Fix the field the message names, as its AWS source says (`ultraplan policy list` and "
                "docs/launch-templates.md list every rule with its page and quote); a Plan compiled by "
                "ultraplan emits none of these.",
)
def launch_rules(ctx: StackContext, config: Mapping[str, Any]) -> Iterable[Violation]:
    """CreateLaunchTemplate stores a template that no launch can use (for example an `efa-only`
    interface with `associatePublicIpAddress: "false"`: EC2 UG, create-efa, "You can't assign an IP
    address to an EFA-only network interface"), so `pulumi up` succeeds and every group then fails
    every launch. This runs the launch-rule table over each template once, and over each group that
    launches from it with the group's capacity-reservation and placement overrides (a group that can
    never launch, a Capacity Block not bought yet, is judged on the template alone). Each violation
    names its rule id and the AWS page it comes from. In the engine it sees one stack at a time: the
    groups of a template in another stack are checked when that stack is previewed."""
    templates = ctx.of_type(LAUNCH_TEMPLATE)
    if not templates:
        raise NotApplicable("no launch template")
    for lt in templates:
        where = dict(resource=lt["name"], pool=lt.get("pool"))
        for breach in evaluate(inputs(lt), None, scope=TEMPLATE):
            yield Violation(_message(lt, breach), **where)
        verdicts: dict[tuple, list[Breach]] = {}  # one evaluation per group shape (ids masked)
        for group in ctx.groups_using(lt["name"]):
            if _launches_nothing(ctx, group):
                continue
            key = group_key(inputs(group), inputs(lt))
            if key not in verdicts:
                verdicts[key] = evaluate(inputs(lt), inputs(group), scope=GROUP)
            for breach in verdicts[key]:
                yield Violation(_message(lt, breach, group), resource=group["name"], pool=group.get("pool"))
