"""Calendar owner keys, "<kind>:<id>": "escort:KMAR-017", "medic:MED-01", "vehicle:DVO-1" for a person
(or a vehicle's driver), "regie:<unit>" for a planning unit's task calendar.

Events, feeds, feed tokens, contacts and account links all name their calendar by such a key.
"""
from __future__ import annotations

PERSON_KINDS = ("escort", "medic", "vehicle")
UNIT_KIND = "regie"
PLANNER_UNIT = "regievoerder"  # the unit's task calendar as the planner's files name it
PERSON_FORMAT = "escort:<id>, medic:<id> of vehicle:<id>"  # how forms and errors describe a person's key


def owner_of(kind: str, oid: str) -> str:
    """The key of one calendar: ``owner_of("escort", "KMAR-017") == "escort:KMAR-017"``."""
    return f"{kind}:{oid}"


def parse_owner(owner: str) -> tuple[str, str]:
    """(kind, id) of a key, split at its first ':'; a key without one gives (owner, "")."""
    kind, _, oid = owner.partition(":")
    return kind, oid


def unit_owner(unit: str) -> str:
    """The key of a planning unit's task calendar: ``unit_owner("BV-Noord") == "regie:BV-Noord"``."""
    return owner_of(UNIT_KIND, unit)


def from_planner(owner: str, unit: str) -> str:
    """A key as the service stores it: the planner's "regievoerder" becomes the unit's own calendar."""
    return unit_owner(unit) if owner == PLANNER_UNIT else owner


def is_person(owner: str) -> bool:
    """An escort's, medic's or vehicle's key with a non-blank id (what a contact or an account links to)."""
    kind, oid = parse_owner(owner)
    return kind in PERSON_KINDS and bool(oid.strip())


def is_unit(owner: str) -> bool:
    """A planning unit's task calendar ("regie:<unit>")."""
    return owner.startswith(UNIT_KIND + ":")


def file_stem(owner: str) -> str:
    """The key as part of a file name: every ':' a '-' ("escort:KMAR-017" -> "escort-KMAR-017")."""
    return owner.replace(":", "-")
