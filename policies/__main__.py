"""The CrossGuard entry point: `pulumi preview --policy-pack policies` runs this file.

It wraps every rule of policies.registry in a pulumi-policy object and builds the PolicyPack, which
starts the analyzer's gRPC server and blocks. That is why this is the only module that imports
pulumi_policy and why the pack is built only when the file runs as the program: importing
`policies.__main__` (as the tests do) builds the policy objects and starts nothing.
"""
from __future__ import annotations

import os
import sys

if __package__ in (None, ""):  # run as a script by the policy host: make `policies` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pulumi_policy import (  # noqa: E402
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)

from policies.engine import merged_config, resource_from_args, stack_context_from_args, urn_of  # noqa: E402
from policies.registry import RESOURCE, NotApplicable, Policy, Violation, load_rules  # noqa: E402

PACK_NAME = "ultraplan"


def _resource_validate(policy: Policy):
    def validate(args, report_violation):
        if not policy.applies_to(args.resource_type):
            return
        config = merged_config(policy.defaults(), args.get_config())
        try:
            for message in policy.func(resource_from_args(args), config):
                report_violation(message, None)
        except NotApplicable as exc:
            args.not_applicable(exc.reason)

    return validate


def _stack_validate(policy: Policy):
    def validate(args, report_violation):
        config = merged_config(policy.defaults(), args.get_config())
        try:
            for v in policy.func(stack_context_from_args(args), config):
                v = v if isinstance(v, Violation) else Violation(str(v))
                report_violation(v.message, urn_of(args, v.resource))
        except NotApplicable as exc:
            args.not_applicable(exc.reason)

    return validate


def _schema(policy: Policy) -> PolicyConfigSchema | None:
    if not policy.config_schema:
        return None
    return PolicyConfigSchema(properties=dict(policy.config_schema.get("properties", {})),
                              required=list(policy.config_schema.get("required", [])) or None)


def build_policies() -> list:
    """One pulumi-policy object per registered rule, same id, level, schema and remediation text."""
    out = []
    for policy in load_rules():
        common = dict(name=policy.id, description=policy.description,
                      enforcement_level=EnforcementLevel(policy.level), config_schema=_schema(policy),
                      severity=Severity(policy.severity), tags=list(policy.tags),
                      remediation_steps=policy.remediation)
        if policy.kind == RESOURCE:
            out.append(ResourceValidationPolicy(validate=_resource_validate(policy), **common))
        else:
            out.append(StackValidationPolicy(validate=_stack_validate(policy), **common))
    return out


def build_pack() -> PolicyPack:
    """Builds the pack: starts the gRPC server and blocks until the engine is done."""
    return PolicyPack(name=PACK_NAME, policies=build_policies(), enforcement_level=EnforcementLevel.ADVISORY,
                      description="ultraplan: EFA, UltraServer, capacity-block and security rules for GPU clusters")


if __name__ == "__main__":
    build_pack()
