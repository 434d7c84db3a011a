"""Rule modules, one concern each; importing a module registers its rules on policies.registry.REGISTRY.

Use :func:`policies.registry.load_rules` to import them all.
"""
