"""The spec, from text to a validated document:

- ``load``: read a spec (YAML with the line of every field), check its shape and run the spec rules;
  ``SpecDocument`` is what the compiler takes;
- ``model``: the pydantic model of the spec (``ClusterSpec``, ``Pool``, ...);
- ``yamlload``, ``spans``, ``shape``: the YAML loader that keeps lines, where each field sits, and
  pydantic's shape errors in our words;
- ``rules``: the spec rules, one small registered function each (docs/rules.md);
- ``tags``, ``ratecard``, ``schema``: AWS tag rules, negotiated rate cards and the JSON Schema for editors.
"""
