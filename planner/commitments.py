"""A plan made beside commitments held from elsewhere (other planning units' published plans).

The service plans one unit's departures with every other unit's published departures in the same
scenario, pinned as published (``replan(..., frozen=...)``): the model then counts their seats,
missions, rest and vehicles as taken. The unit's plan is that plan without the held departures,
and its objective and bounds are the unit's own: a pinned departure adds the same amount to the
additive levels (1-4) of every plan, so subtracting it keeps the bounds and the proofs exact.
Level 5 (the most missions of one escort) does not split that way: its value is recomputed for
the unit's own departures, and its bound and proof are dropped.
"""
from __future__ import annotations

from .selection import Selection

ADDITIVE = ("planned_priority", "waiting_hours", "cost_eur", "care_hours")
FAIRNESS = "max_escort_missions"


def own_plan(plan: dict, result, held: set[str]) -> dict:
    """``plan`` (built from ``result``) without the ``held`` departures, in the unit's own figures."""
    if not held:
        return plan
    cands, sel = result.candidates, result.selection
    theirs = {i: c for i, c in sel.chosen.items() if any(m.dep.id in held for m in c.option.members)}
    mine = {i: c for i, c in sel.chosen.items() if i not in theirs}
    offset = Selection(theirs).objective(cands)
    solver = dict(plan["solver"])
    objective, bound = dict(solver.get("objective") or {}), dict(solver.get("bound") or {})
    for level in ADDITIVE:
        if isinstance(objective.get(level), (int, float)):
            objective[level] = round(objective[level] - offset[level], 2)
        if isinstance(bound.get(level), (int, float)):
            bound[level] = round(bound[level] - offset[level], 2)
    if FAIRNESS in objective:
        objective[FAIRNESS] = Selection(mine).objective(cands)[FAIRNESS]
    bound.pop(FAIRNESS, None)
    solver["objective"], solver["bound"] = objective, bound
    solver["proven"] = [level for level in solver.get("proven") or [] if level != FAIRNESS]
    if solver.get("status") == "OPTIMAL":  # every level proven, and level 5 no longer is
        solver["status"] = "FEASIBLE"
    ceiling = dict(solver.get("ceiling") or {})
    if isinstance(ceiling.get("planned_priority"), (int, float)):
        ceiling["planned_priority"] -= offset["planned_priority"]
    solver["ceiling"] = ceiling
    solver["held"] = {"departures": len(held), "planned_priority": offset["planned_priority"],
                      "note": "other units' published departures, pinned as published; not part of this plan"}
    return {**plan, "solver": solver, "departures": [d for d in plan["departures"] if d["id"] not in held]}
