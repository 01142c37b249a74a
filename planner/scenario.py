"""Compatibility: the scenario's domain types and its loading, under their old module name.

The types live in ``planner.domain``, the parsing in ``planner.loading.scenario``; new code
imports from those. The service and older tests still import from here.
"""
from .domain import (  # noqa: F401
    DEPARTURE_KINDS, LOCATION_KINDS, MEDIC_ROLES, RECEPTION_KINDS, RISKS, SCENARIO_FORMAT, SEXES, WHEELCHAIRS,
    Airline, Companion, Departure, Flight, Location, Medical, Parameters, Reception, Scenario, Vehicle, Window,
)
from .loading.scenario import ENTITY_KEYS, load_json, load_scenario, parse_scenario  # noqa: F401
