"""Spec rules checked where their data is, documented here: the spec's shape (pydantic, planner/spec/shape.py),
the YAML itself (planner/spec/yamlload.py), subnet fitting (planner/compile/addressing.py), the dates and
budget as the cost module reads them (planner/cost), and the `policies` settings as the policy pack
reads them (policies/config.py). The site stamps the id on its SpecIssue (`rule="..."`); a test
checks that every id stamped in the code is declared here."""
from __future__ import annotations

from .registry import REGISTRY

SCHEMA = "ultraplan spec schema (`ultraplan schema`)"
declare = REGISTRY.declare

# -- the YAML and the spec's shape ------------------------------------------------------------------
declare("spec.yaml.readable", """The spec is a readable file of YAML (or JSON) of bounded size and depth,
        UTF-8, and a spec (a mapping, not a Plan or an account snapshot): no syntax error, no tab indentation,
        no recursive alias, no value Python cannot hold (2026-02-30).""",
        source="YAML 1.1 (PyYAML safe loader)", where="planner/spec/yamlload.py")
declare("spec.yaml.duplicate-key", """No key appears twice in one mapping: YAML loaders would silently keep
        the last one, so the spec would not say what it seems to.""",
        source="YAML 1.2 (mapping keys are unique)", where="planner/spec/yamlload.py")
declare("spec.shape.unknown-key", """Every key is one the spec format knows; a misspelt key gets the closest
        valid one.""", source=SCHEMA, where="planner/spec/shape.py")
declare("spec.shape.required", """Every required field is given (name, region, availability_zone, compute;
        a pool's name and count, ...).""", source=SCHEMA, where="planner/spec/shape.py")
declare("spec.shape.pattern", """Names and ids have their form: a Region name, a zone name or ID, a
        reservation id (cr-...), an AMI id (ami-...), a DNS-safe cluster and pool name.""",
        source=SCHEMA + "; EC2 API Reference (id formats)", where="planner/spec/shape.py")
declare("spec.shape.choice", """A field with a fixed set of values (capacity.type, storage.lustre.deployment,
        network.egress, ...) has one of them.""", source=SCHEMA, where="planner/spec/shape.py")
declare("spec.shape.range", """Numbers are within their bounds (count at least 1, term_months at most 240,
        ...), lists have their minimum length and strings their maximum.""", source=SCHEMA, where="planner/spec/shape.py")
declare("spec.shape.type", """Every value has its type: a number, a date (YYYY-MM-DD), a list, a mapping, a
        finite number.""", source=SCHEMA, where="planner/spec/shape.py")
declare("spec.shape.value", """Values the spec's own validators check (tag keys and values as EC2 takes
        them: length, characters, the reserved aws: prefix).""",
        source="EC2 User Guide, Tag restrictions", where="planner/spec/model.py, planner/spec/tags.py")

# -- what the compiler finds while fitting the plan -------------------------------------------------
declare("spec.network.pool-fits-subnet", """An EFA pool fits one subnet: its instances' addresses (one per
        network interface) fit a /16, the largest subnet AWS allows, less the 5 addresses AWS keeps.""",
        source="Amazon VPC User Guide, subnet sizing; EFA User Guide (an EFA group stays in one subnet)",
        where="planner/compile/addressing.py")
declare("spec.network.subnets-fit", """Every subnet the plan needs (one per pool and zone, the public subnets,
        the file system's) fits the VPC's CIDR blocks; otherwise a larger vpc_cidr or secondary_cidrs.""",
        source="Amazon VPC User Guide, VPC CIDR blocks", where="planner/compile/addressing.py")

# -- dates and budget as the cost module reads them --------------------------------------------------
declare("spec.cost.pool-window", """A pool's dates as the cost timeline reads them are in order (its
        capacity's start before its end) so its paid days can be counted.""",
        source="docs/cost.md", where="planner/cost/timeline.py")
declare("spec.budget.term", """An explicit budget term (budget.start, term_months) covers every pool's
        dates: no pool starts before the term or runs past its end, which the term would not pay for.""",
        source="docs/cost.md", where="planner/cost/timeline.py")
declare("spec.budget.amount", """Budget amounts (monthly_usd, total_usd, term_months) are numbers greater
        than 0 (a hand-written Plan is held to it too).""", source="docs/cost.md", where="planner/cost/budget.py")
declare("spec.budget.rates", """The rate card `budget.rates` names (a path relative to the spec, or inline)
        is a regular, bounded file that reads as a rate card: name, source and rates, each rate with the
        fields and values docs/solve.md lists.""", source="docs/solve.md, Rate cards",
        where="planner/cost/__init__.py, planner/spec/ratecard.py")
declare("spec.budget.savings-plans", """Each Savings Plan in the budget names pools of the spec that buy
        on demand (a Savings Plan pays for on-demand usage only), and no pool is covered by two plans at once.""",
        source="AWS Savings Plans User Guide", where="planner/cost/rates.py")

# -- the `policies` settings, as the policy pack and preflight read them -----------------------------
declare("spec.policies.known-id", """Every id in policies.config and policies.skip names a policy of the pack
        (`ultraplan policy list`), a preflight check (preflight.…) or a spec rule (spec.…); a misspelt id gets
        the closest known one.""", source="policies/registry.py; planner/preflight", where="policies/config.py, planner/preflight/runner.py")
declare("spec.policies.level", """An enforcement level in policies.config is one the Pulumi engine knows:
        advisory, mandatory, remediate or disabled.""",
        source="Pulumi CrossGuard, enforcement levels", where="policies/config.py")
declare("spec.policies.setting", """A policy's settings in policies.config are ones its schema has, of the
        schema's type, and every required setting is given.""",
        source="policies/registry.py (each policy's config schema)", where="policies/config.py")
