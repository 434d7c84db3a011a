"""The README's first screen holds the install+run and install+test commands, and its spec reference
covers every field of the schema."""
from __future__ import annotations

import os
import re

from conftest import ROOT
from planner.spec.model import Budget, Capacity, ClusterSpec, Lustre, Network, Pool

README = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()


def test_first_screen_has_the_two_commands_and_ci_runs_the_test_one():
    first_screen = "\n".join(README.splitlines()[:25])
    assert "pip install -e . && ultraplan plan examples/" in first_screen
    assert "pip install -e '.[test]' && python3 -m pytest -m 'slow or not slow'" in first_screen
    example = re.search(r"ultraplan plan (examples/\S+)", first_screen).group(1)
    assert os.path.exists(os.path.join(ROOT, example))
    ci = open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8").read()
    assert "pip install -e '.[test]'" in ci and "python3 -m pytest -m 'slow or not slow'" in ci  # the full set


def test_reference_mentions_every_spec_field():
    for model in (ClusterSpec, Pool, Network, Capacity, Lustre, Budget):
        for field in model.model_fields:
            assert f"`{field}`" in README, f"README does not document {model.__name__}.{field}"
