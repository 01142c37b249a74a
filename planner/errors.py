"""Input errors that name the entity, the id, the field, the value and the rule broken."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    entity: str  # e.g. "flights", "departures", "parameters"
    id: str | None  # id of the record, or None for top-level fields
    field: str  # dotted path inside the record, e.g. "pickup.window"
    value: Any
    expected: str  # what the rule asks for, in words

    def __str__(self) -> str:
        where = f"{self.entity}[{self.id}]" if self.id is not None else self.entity
        return f"{where}.{self.field} = {self.value!r}: {self.expected}"


class ScenarioError(ValueError):
    """Raised with every problem found in one input, never only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the scenario:\n{lines}")
