"""The Pulumi program for ultraplan: materialises one stack of a Plan 1:1 as pulumi_aws resources.

``stacks.program.build(plan, shard)`` is importable and does nothing at import time;
``stacks/__main__.py`` is the entry point the Pulumi CLI runs (see Pulumi.yaml and docs/pulumi.md).
``stacks.mockrun`` runs ``build`` under ``pulumi.runtime.set_mocks`` (tests, bench);
``stacks.configure`` writes one ``Pulumi.<cluster>-<shard>.yaml`` stack config per Plan stack.
"""
