"""Who may do what: one table of permissions by role, and the unit scope of regievoerders.

Every route names exactly one permission (see ``api.auth.require``); the authorization-matrix
test walks every route with every role against this table's intent, written out independently.
"""
from __future__ import annotations

REGIE = "regievoerder"
ADMIN = "planner-admin"
ESCORT = "escort"
MEDIC = "medic"
DRIVER = "driver"
INSPECTOR = "inspector"
ROLES = (REGIE, ADMIN, ESCORT, MEDIC, DRIVER, INSPECTOR)
FIELD_ROLES = (ESCORT, MEDIC, DRIVER)  # people who carry out missions and see only their own

# Entity kinds of a scenario: departures are cases (regievoerders), the rest are resources (admins).
CASE_KINDS = ("departures",)
RESOURCE_KINDS = ("airlines", "flights", "locations", "vehicles", "escorts", "medics", "reception", "airports")
KINDS = CASE_KINDS + RESOURCE_KINDS

PERMISSIONS: dict[str, frozenset[str]] = {
    "scenario.read": frozenset({REGIE, ADMIN, INSPECTOR}),
    "scenario.import": frozenset({REGIE}),
    "case.read": frozenset({REGIE, INSPECTOR}),
    "case.write": frozenset({REGIE}),
    "resource.read": frozenset({REGIE, ADMIN, INSPECTOR}),
    "resource.write": frozenset({ADMIN}),
    "reception.write": frozenset({REGIE, ADMIN}),  # a unit's regievoerders keep their receptions current
    "disruption.record": frozenset({REGIE}),  # what happened, recorded by the unit that re-plans for it
    "solve.read": frozenset({REGIE, INSPECTOR}),
    "solve.run": frozenset({REGIE}),
    "plan.read": frozenset({REGIE, INSPECTOR}),
    "plan.publish": frozenset({REGIE}),
    "users.manage": frozenset({ADMIN}),
    "contacts.manage": frozenset({ADMIN}),
    "feeds.manage": frozenset({ADMIN}),
    "audit.read": frozenset({INSPECTOR, ADMIN}),
    "schedule.own": frozenset({ESCORT, MEDIC, DRIVER}),
    # A departure's itinerary: the case readers, and a field role only for a departure whose team
    # they are on in its unit's published plan (``on_team``; the route checks it per departure).
    "itinerary.read": frozenset({REGIE, INSPECTOR, ESCORT, MEDIC, DRIVER}),
    # The invitation outbox: regievoerders see their unit's publications, admins and inspectors all.
    "invites.read": frozenset({REGIE, ADMIN, INSPECTOR}),
    "feed.own": frozenset({REGIE, ESCORT, MEDIC, DRIVER}),  # a regievoerder's feed: the unit's task deadlines
    "authenticated": frozenset(ROLES),
}


def allowed(role: str, permission: str) -> bool:
    return role in PERMISSIONS[permission]


def read_permission(kind: str) -> str:
    return "case.read" if kind in CASE_KINDS else "resource.read"


def write_permission(kind: str) -> str:
    if kind == "reception":
        return "reception.write"
    return "case.write" if kind in CASE_KINDS else "resource.write"


def sees_unit(role: str, user_unit: str | None, scenario_unit: str) -> bool:
    """Regievoerders work on their own unit's cases; admins and inspectors see every unit."""
    if role == REGIE:
        return user_unit == scenario_unit
    return role in (ADMIN, INSPECTOR)


def team_of(entry: dict | None) -> frozenset[str]:
    """The calendar owners on a departure's team in a plan document's entry: its escorts, its medics
    and its vehicle (the driver's calendar is the vehicle's). Empty for a departure not planned."""
    if not entry or not entry.get("planned"):
        return frozenset()
    team = {f"escort:{e['id']}" for e in entry.get("escorts") or []}
    team |= {f"medic:{m['id']}" for m in entry.get("medics") or []}
    vehicle = (entry.get("pickup") or {}).get("vehicle")
    if vehicle:
        team.add(f"vehicle:{vehicle}")
    return frozenset(team)


def on_team(role: str, owner: str | None, published_entry: dict | None) -> bool:
    """May a field role open this departure's itinerary? Only when their calendar owner is on its team
    in the unit's *published* plan (a draft is the regie's, not yet anyone's mission). The team sees
    the itinerary only: never the handover letter or the departure page with its personal and
    medical details (those stay ``case.read``)."""
    return role in FIELD_ROLES and bool(owner) and owner in team_of(published_entry)
