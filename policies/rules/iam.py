"""IAM rules: no wildcard actions."""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..context import (
    IAM_GROUP_POLICY, IAM_POLICY, IAM_ROLE, IAM_ROLE_POLICY, IAM_ROLE_POLICY_ATTACHMENT,
    IAM_USER_POLICY, as_list, inputs,
)
from ..registry import MANDATORY, REGISTRY

# AWS managed policies whose statements allow Action "*" (IAM User Guide, job-function policies).
WILDCARD_MANAGED_POLICIES = ("arn:aws:iam::aws:policy/AdministratorAccess",)


def _document(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str):
        try:
            doc = json.loads(value)
        except ValueError:
            return None
        return doc if isinstance(doc, Mapping) else None
    return None


def wildcard_actions(document: Mapping[str, Any]) -> list[str]:
    """Actions an Allow statement grants by wildcard: "*", "service:*", or any NotAction."""
    found: list[str] = []
    for st in as_list(document.get("Statement")):
        if not isinstance(st, Mapping) or st.get("Effect", "Allow") != "Allow":
            continue
        for action in as_list(st.get("Action")):
            if isinstance(action, str) and (action == "*" or action.endswith(":*")):
                found.append(action)
        if st.get("NotAction") is not None:
            found.append(f"NotAction {st['NotAction']}")
    return found


@REGISTRY.resource(
    "iam-no-wildcard-actions", level=MANDATORY, severity="critical", tags=("security", "iam"),
    types=(IAM_POLICY, IAM_ROLE_POLICY, IAM_USER_POLICY, IAM_GROUP_POLICY, IAM_ROLE, IAM_ROLE_POLICY_ATTACHMENT),
    description="IAM policies allow no `*` or `service:*` actions (and no Allow with NotAction).",
    remediation="List the actions the nodes need (e.g. s3:GetObject, ssm:UpdateInstanceInformation) "
                "instead of a wildcard; attach AmazonSSMManagedInstanceCore rather than AdministratorAccess.",
)
def iam_no_wildcard_actions(resource: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    """Every GPU node runs arbitrary training code with the node role's credentials; a wildcard action
    turns one compromised job into control of the account. Checks inline policies (Policy,
    RolePolicy, UserPolicy, GroupPolicy, a role's inlinePolicies) and attachments of AWS managed
    policies that allow everything."""
    i = inputs(resource)
    if resource["type"] == IAM_ROLE_POLICY_ATTACHMENT:
        if i.get("policyArn") in WILDCARD_MANAGED_POLICIES:
            yield f"attaches {i['policyArn']}, which allows every action"
        return
    documents = [i.get("policy")] if resource["type"] != IAM_ROLE else \
        [p.get("policy") for p in as_list(i.get("inlinePolicies")) if isinstance(p, Mapping)]
    for raw in documents:
        if raw is None:
            continue
        doc = _document(raw)
        if doc is None:
            yield "policy document is not valid JSON"
            continue
        for action in wildcard_actions(doc):
            yield f"allows wildcard action {action}"
