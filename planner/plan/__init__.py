"""The Plan: the plain-data model between the spec and every consumer (``model``: stacks of resources
with type tokens, inputs and sources; read and written as Plan JSON), its human views (``preview``),
what it adds to an account's limits (``usage``) and security-group reachability over its resources
(``reachability``)."""
