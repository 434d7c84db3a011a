"""AWS tag rules, applied to the spec's `tags` and each pool's `tags` before anything is compiled.

Source: Amazon EC2 User Guide, "Tag your Amazon EC2 resources", Tag restrictions
(https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions):
at most 50 user tags per resource; keys 1-128 Unicode characters, values 0-256; the `aws:` prefix
is reserved for AWS; "although EC2 allows for any character in its tags, other AWS services are more
restrictive": letters, numbers and spaces representable in UTF-8, and + - = . _ : / @. The same
tags go on the IAM role, FSx and auto-scaling groups, so the restrictive set is the one enforced.
"""
from __future__ import annotations

import re
from typing import Any

MAX_TAGS_PER_RESOURCE = 50
MAX_KEY_CHARS = 128
MAX_VALUE_CHARS = 256
# Keys ultraplan sets itself on some resources (compile/builder.py, compute.py, network.py).
RESERVED_KEYS = ("Name", "ultraplan:cluster", "ultraplan:pool", "ultraplan:nvlink-domain", "ultraplan:tier")
MAX_USER_TAGS = MAX_TAGS_PER_RESOURCE - len(RESERVED_KEYS)  # cluster tags + pool tags on one resource
_ALLOWED = re.compile(r"^[\w +\-=.:/@]*$")
SOURCE = "EC2 User Guide, Tag restrictions"


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def tag_problems(tags: Any) -> list[str]:
    """What is wrong with one tags mapping (empty when it follows AWS's rules)."""
    if not isinstance(tags, dict):
        return []  # the model reports the type
    problems = []
    if len(tags) > MAX_USER_TAGS:
        problems.append(f"{len(tags)} tags; at most {MAX_USER_TAGS} ({MAX_TAGS_PER_RESOURCE} per resource, "
                        f"{len(RESERVED_KEYS)} kept for ultraplan's own; {SOURCE})")
    for key, value in tags.items():
        key = str(key)
        if not 1 <= len(key) <= MAX_KEY_CHARS:
            problems.append(f"tag key {_short(key)} has {len(key):,} characters; 1 to {MAX_KEY_CHARS} ({SOURCE})")
        elif key.lower().startswith("aws:"):
            problems.append(f"tag key {_short(key)}: the aws: prefix is reserved for AWS ({SOURCE})")
        elif key in RESERVED_KEYS:
            problems.append(f"tag key {_short(key)} is set by ultraplan itself; use another key")
        elif not _ALLOWED.match(key):
            problems.append(f"tag key {_short(key)}: only letters, digits, spaces and + - = . _ : / @ ({SOURCE})")
        if not isinstance(value, str):
            continue  # the model reports the type
        if len(value) > MAX_VALUE_CHARS:
            problems.append(f"tag {_short(key)}: the value has {len(value):,} characters; at most {MAX_VALUE_CHARS} "
                            f"({SOURCE})")
        elif not _ALLOWED.match(value):
            problems.append(f"tag {_short(key)}: the value may hold only letters, digits, spaces and + - = . _ : / @ "
                            f"({SOURCE})")
    return problems


def check_tags(tags: Any) -> Any:
    """A pydantic `mode="after"` validator: raise ValueError listing every problem."""
    problems = tag_problems(tags)
    if problems:
        raise ValueError("; ".join(problems))
    return tags


def combined_tag_count(cluster_tags: dict[str, str], pool_tags: dict[str, str]) -> int:
    return len({**cluster_tags, **pool_tags})
