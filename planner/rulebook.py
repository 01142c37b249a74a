"""The eleven hard rules of the scenario format, listed once: number, the spec's name, and the
reason codes that belong to each.

The checker reports violations by these numbers and names, the candidate builder files its
findings (why a departure has no option) under them, and the explanations of unplanned
departures name them. A reason code belongs to exactly one rule; ``rule_of`` refuses a code
that is not registered here, so a new code cannot reach a user without a rule.
"""
from __future__ import annotations

from dataclasses import dataclass

ITINERARY, TIMING, DOCUMENTS, SEATS, MEDICAL, ESCORTS, COMPANIONS, MINORS, RECEPTION, FAMILIES, VEHICLES = range(1, 12)
STRUCTURE = 0  # not a hard rule: a plan document that cannot be read, or a reason outside the rules


@dataclass(frozen=True, slots=True)
class Rule:
    number: int
    name: str  # as the spec names it
    codes: tuple[str, ...]  # reason codes of unplanned departures filed under this rule


RULES: tuple[Rule, ...] = (
    Rule(ITINERARY, "Itinerary", ("no_route",)),
    Rule(TIMING, "Timing", ("no_pickup_time", "pickup_window", "horizon", "blocked")),
    Rule(DOCUMENTS, "Documents", ("document", "fit_to_fly")),
    Rule(SEATS, "Seats", ("no_seats_route", "seats_full", "airline_cap")),
    Rule(MEDICAL, "Medical", ("travel_time", "medic_shortage", "no_stretcher_route", "medif_lead", "medic_busy")),
    Rule(ESCORTS, "Escorts", ("escort_shortage", "escorts_busy")),
    # escort_visa: enough escorts are free, but too few hold the visas the route needs.
    Rule(COMPANIONS, "Companions come home", ("escort_visa",)),
    # escort_skill: the team lacks a team leader (rule 6) or what a minor needs (rule 8); a
    # team leader is only asked of two or more escorts, which minors need most, so it is filed here.
    Rule(MINORS, "Minors", ("minor_reception_kind", "escort_skill")),
    Rule(RECEPTION, "Reception", ("reception_unconfirmed", "reception_closed")),
    Rule(FAMILIES, "Families", ("family",)),
    Rule(VEHICLES, "Vehicles", ("no_stretcher_vehicle", "no_vehicle", "vehicle_busy")),
)

# Reasons that name no hard rule: the search ran out of time, or nothing more is known.
UNRULED_CODES = ("still_fits", "unknown")

BY_NUMBER: dict[int, Rule] = {r.number: r for r in RULES}
_RULE_OF_CODE: dict[str, int] = {code: r.number for r in RULES for code in r.codes} | \
    {code: STRUCTURE for code in UNRULED_CODES}


def rule_of(code: str) -> int:
    """The number of the rule a reason code belongs to (0 for a reason outside the rules)."""
    try:
        return _RULE_OF_CODE[code]
    except KeyError:
        raise KeyError(f"reason code {code!r} is not registered in planner.rulebook") from None


def rule_name(number: int) -> str:
    """The spec's name of a rule; 0 is the plan's structure, which no numbered rule covers."""
    return BY_NUMBER[number].name if number in BY_NUMBER else "Plan structure"


def all_codes() -> frozenset[str]:
    return frozenset(_RULE_OF_CODE)
