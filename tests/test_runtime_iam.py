"""The node role's runtime policy: exactly what ultraplan-node calls, writes scoped to this cluster."""
from __future__ import annotations

import json
import os
import re

from conftest import BASE_SPEC
from planner import compile_plan
from planner.runtime import iam
from planner.spec.load import parse_spec

SCRIPT = os.path.join(os.path.dirname(iam.__file__), "ultraplan-node.sh")
LUSTRE = "storage:\n  lustre: {capacity_gib: 2400, throughput_per_tib: 250}\n"


def policy(text: str) -> dict:
    plan = compile_plan(parse_spec(text, "spec.yaml"))
    return json.loads(plan.by_name()["node-role-runtime"].inputs["policy"])


def by_sid(doc: dict) -> dict:
    return {s["Sid"]: s for s in doc["Statement"]}


def aws_calls() -> set[str]:
    """`aws <service> <command>` in the boot program, as IAM actions."""
    text = open(SCRIPT).read()
    out = set()
    for service, command in re.findall(r"\baws (ec2|ssm|autoscaling) ([a-z-]+)", text):
        out.add(f"{service}:{''.join(w.capitalize() for w in command.split('-'))}")
    return out


def test_the_policy_allows_exactly_the_calls_the_boot_program_makes():
    allowed = {a for s in policy(BASE_SPEC + LUSTRE)["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert allowed == aws_calls() == {"ec2:DescribeInstances", "ec2:DescribeInstanceTopology", "ec2:CreateTags",
                                      "ssm:GetParameters", "autoscaling:SetInstanceHealth"}


def test_only_the_describe_calls_are_on_every_resource():
    for s in policy(BASE_SPEC + LUSTRE)["Statement"]:
        if s["Resource"] == "*":
            assert s["Action"] == ["ec2:DescribeInstances", "ec2:DescribeInstanceTopology"]
            assert "Condition" not in s  # they take no resource-level permissions (Service Authorization Reference)


def test_writes_are_scoped_to_this_clusters_instances_and_groups():
    s = by_sid(policy(BASE_SPEC))
    tag = s["TagOwnInstance"]
    assert tag["Resource"] == "arn:aws:ec2:us-east-1:*:instance/*"
    assert tag["Condition"]["StringEquals"] == {"aws:ResourceTag/ultraplan:cluster": "demo"}
    assert tag["Condition"]["ForAllValues:StringEquals"]["aws:TagKeys"] == list(iam.RUNTIME_TAG_KEYS)
    health = s["ReportUnhealthyNode"]
    assert health["Resource"].startswith("arn:aws:autoscaling:us-east-1:*:autoScalingGroup:")
    assert health["Condition"] == {"StringEquals": {"autoscaling:ResourceTag/ultraplan:cluster": "demo"}}


def test_the_lustre_parameters_are_read_by_path_only_when_there_is_lustre():
    assert "ReadLustreMountFacts" not in by_sid(policy(BASE_SPEC))
    read = by_sid(policy(BASE_SPEC + LUSTRE))["ReadLustreMountFacts"]
    assert read["Resource"] == "arn:aws:ssm:us-east-1:*:parameter/ultraplan/demo/lustre/*"


def test_the_tag_keys_allowed_are_the_keys_the_program_writes():
    text = open(SCRIPT).read()
    written = set(re.findall(r"tag_self (ultraplan:[a-z]+)", text))
    written |= set(re.findall(r"set_hostname .* (ultraplan:[a-z]+) ", text))  # tags passed on to tag_self
    assert written == set(iam.RUNTIME_TAG_KEYS)


def test_gov_cloud_arns_use_their_partition():
    s = by_sid(iam.node_runtime_policy("c", "us-gov-west-1", lustre=True))
    assert s["TagOwnInstance"]["Resource"].startswith("arn:aws-us-gov:ec2:us-gov-west-1:")
