"""`ultraplan solve`: from capacity goals and a budget to a phased spec, as a mixed-integer program.

    doc = planner.solve.load_goals("goals/small.yaml")
    sol = planner.solve.solve(doc, out_path="solved.yaml", time_limit=60)
    sol.total_usd, sol.spec_text, sol.explanation

Modules: `goals` (the file, with errors like spec errors), `offers` (what may be bought, priced as
`ultraplan cost` prices it), `model` (the program and HiGHS), `spec_out` (phased pools), `explain`
(cost by year/option, binding constraints, relaxations, infeasibility), `run` (the pipeline).
"""
from __future__ import annotations

from .goals import Goals, GoalsDocument, load_goals, parse_goals
from .run import Infeasible, Solution, solve

__all__ = ["Goals", "GoalsDocument", "Infeasible", "Solution", "load_goals", "parse_goals", "solve"]
