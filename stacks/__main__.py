"""Entry point the Pulumi CLI runs (Pulumi.yaml: ``main: stacks/``).

Stack config: ``ultraplan:spec`` (spec path, relative to the project root), ``ultraplan:shard``
(which Plan stack: ``network``, ``storage``, ``compute-<pool>-<k>``), optional ``ultraplan:shardSize``,
``ultraplan:previous`` (the deployed Plan JSON: subnets keep their CIDRs), ``ultraplan:stackPrefix``
and ``ultraplan:org`` (naming of the stacks read via StackReference).
"""
import os
import sys

# The CLI runs this file by path; make the project importable even without `pip install -e .`.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from stacks.program import main  # noqa: E402

built = main()  # kept for tests that run this file under mocks
