"""What a run reports besides policies, preflight checks and spec rules, described for SARIF and JUnit."""
from __future__ import annotations

from ..findings import Level
from ..report import RuleInfo

OWN_RULES = {
    "spec.invalid": ("The spec is valid", "The spec loads and validates (`ultraplan validate`): every field is "
                     "known, typed and consistent with the catalog, and the `policies` settings name real policies "
                     "and settings.", "spec"),
    "cost.budget.monthly": ("The estimated monthly cost stays within budget.monthly_usd",
                            "planner.cost prices the Plan month by month; status over fails the gate, above 90 % "
                            "is a warning (docs/cost.md).", "cost"),
    "cost.budget.total": ("The estimated term total stays within budget.total_usd",
                          "planner.cost sums the timeline over the term; status over fails the gate, above 90 % "
                          "is a warning (docs/cost.md).", "cost"),
    "cost.budget.note": ("Budget notes", "What limits the budget check, e.g. items without a known price.", "cost"),
    "cost.prices": ("The Region has prices", "A price file covers the Plan's Region (planner/catalog/prices or "
                    "budget.prices); without one every line is 'could not price' (docs/cost.md).", "cost"),
    "cost.unpriced": ("Every line can be priced", "Each resource the Plan deploys has a price in the price files; a "
                      "line without one is 'could not price', with its reason, never zero (docs/cost.md).", "cost"),
    "cost.prices.secondary": ("Prices come from AWS", "A line priced from a third-party dataset built from the AWS "
                              "Price List API is marked 'secondary source'; `ultraplan catalog refresh --prices` "
                              "replaces it with the Price List API's figure (docs/cost.md).", "cost"),
    "cost.estimate": ("The cost can be estimated", "planner.cost has prices for the Plan's region and dates; "
                      "without them a configured budget fails closed.", "cost"),
    "plan.note": ("Compiler notes", "What the compiler decided that a reviewer should know: catalog facts not "
                  "confirmed by a primary source, default images, capacity blocks not bought yet.", "plan"),
    "input.invalid": ("The input files can be read", "The Plan JSON or account snapshot given on the command "
                      "line exists and has the expected shape.", "input"),
}


def rule_info(check_id: str, level: Level) -> RuleInfo | None:
    """The description of one of the run's own ids, or of a spec rule (planner/spec/rules), for reports."""
    own = OWN_RULES.get(check_id)
    if own:
        title, help_text, category = own
        return RuleInfo(check_id, title, help_text, level, category=category)
    if check_id.startswith("spec."):
        from ..spec.rules import load_rules

        rule = load_rules().get(check_id)
        if rule is not None:
            return RuleInfo(rule.id, rule.title, f"{rule.doc}\n\nSource: {rule.source}", rule.level, category="spec")
    return None
