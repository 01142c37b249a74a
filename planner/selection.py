"""A selection: the choices that make a plan (one option per planned unit, its team, its vehicles)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .candidates import Candidates, CompanionChoice, Option


@dataclass(slots=True)
class Chosen:
    option: Option
    escorts: list[list[CompanionChoice]]  # per member
    medics: list[list[CompanionChoice]]  # per member
    vehicles: list[str]  # per trip of the option


@dataclass(slots=True)
class Selection:
    chosen: dict[int, Chosen] = field(default_factory=dict)  # unit index -> choice

    def objective(self, cands: Candidates) -> dict[str, float]:
        """The five levels of the spec's objective for this selection."""
        planned = waiting = care = 0
        cost = 0.0
        missions: dict[str, int] = {}
        for unit_index, c in self.chosen.items():
            unit = cands.units[unit_index]
            planned += unit.priority
            waiting += c.option.waiting
            care += c.option.care_minutes
            cost += c.option.fare
            for team in c.escorts:
                for choice in team:
                    cost += choice.cost
                    missions[choice.companion.id] = missions.get(choice.companion.id, 0) + 1
            for team in c.medics:
                for choice in team:
                    cost += choice.cost
        return {
            "planned_priority": planned,
            "waiting_hours": waiting,
            "cost_eur": round(cost, 2),
            "care_hours": round(care / 60, 2),
            "max_escort_missions": max(missions.values(), default=0),
        }


def cost_cents(value: float) -> int:
    """Costs are modelled in whole cents so that the solver works in integers."""
    return int(round(value * 100))
