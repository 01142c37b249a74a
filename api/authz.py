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
