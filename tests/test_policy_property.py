"""Property: every Plan the compiler makes from a valid spec passes the policy pack (no mandatory
violation, no rule that raises). Specs come from the compiler's own property test (`valid_spec`)."""
from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from test_spec_property import CAT, valid_spec

from planner import compile_plan
from planner.spec.load import parse_spec
from policies.runner import run_policies


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_spec)
def test_every_compiled_plan_passes_the_policy_pack(data):
    # valid_spec's specs all compile (test_spec_property asserts it): a rejection here is a failure.
    plan = compile_plan(parse_spec(yaml.safe_dump(data, sort_keys=False), "gen.yaml"), CAT)
    result = run_policies(plan, monthly_cost=lambda p: 0.0)
    assert result.mandatory_violations == [], [(f.check_id, f.resource, f.message) for f in result.mandatory_violations]
    assert not [f for f in result.violations if f.message.startswith("could not check")]
