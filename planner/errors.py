"""Input errors that name the entity, the id, the field, the value and the rule broken."""
from __future__ import annotations

import math
import reprlib
from dataclasses import dataclass
from typing import Any

SHOWN_CHARS = 120  # of a value in a message: a 50 MB name must not become a 50 MB message
SHOWN_PROBLEMS = 50  # in the exception's own message; callers list more themselves

_repr = reprlib.Repr()
_repr.maxlevel, _repr.maxlist, _repr.maxdict, _repr.maxstring, _repr.maxother = 3, 8, 8, 60, 60


def shown(value: Any) -> str:
    """The value as printed in a message: repr, bounded in length and nesting, always UTF-8 safe."""
    if isinstance(value, str):
        text = repr(value[:SHOWN_CHARS])  # repr escapes control characters
        if len(value) > SHOWN_CHARS:
            text += f"… ({len(value)} characters)"
    else:
        text = _repr.repr(value)  # bounded; plain repr (unsorted keys, no "...") when nothing was cut
        if "..." not in text:
            text = repr(value)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")  # lone surrogates become \udxxx


def json_value(value: Any) -> Any:
    """The value for a JSON answer: scalars as they are, anything else (or anything unsafe) as text."""
    if value is None or isinstance(value, (bool, int)) and abs(value) < 10 ** 15:
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, str) and len(value) <= SHOWN_CHARS:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return shown(value)


@dataclass(frozen=True)
class Problem:
    entity: str  # e.g. "flights", "departures", "parameters"
    id: str | None  # id of the record, or None for top-level fields
    field: str  # dotted path inside the record, e.g. "pickup.window"
    value: Any
    expected: str  # what the rule asks for, in words

    def __post_init__(self):
        # A field path can hold a key from the input: keep the Problem printable and JSON-safe.
        for name in ("field", "id"):
            text = getattr(self, name)
            if isinstance(text, str) and not text.isprintable():
                object.__setattr__(self, name, repr(text)[1:-1].encode("utf-8", "backslashreplace").decode())

    def __str__(self) -> str:
        where = f"{self.entity}[{shown_id(self.id)}]" if self.id is not None else self.entity
        return f"{where}.{self.field} = {shown(self.value)}: {self.expected}"


def shown_id(rid: Any) -> str:
    text = str(rid)
    if len(text) > SHOWN_CHARS:
        text = text[:SHOWN_CHARS] + "…"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class ScenarioError(ValueError):
    """Raised with every problem found in one input, never only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems[:SHOWN_PROBLEMS])
        more = len(self.problems) - SHOWN_PROBLEMS
        if more > 0:
            lines += f"\n  … and {more} more"
        super().__init__(f"{len(self.problems)} problem(s) in the scenario:\n{lines}")

    def __reduce__(self):  # pickles with its problems (a parse in a child process sends it back)
        return (ScenarioError, (self.problems,))
