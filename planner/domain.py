"""The domain: typed, validated facts of one scenario, and the scenario format's vocabularies.

Pure data: no file formats and no parsing (that is ``planner.loading``), so the rules, the
solver and the checker depend on this module alone. Times are integer minutes since the UTC
epoch; the original text is kept where output needs it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from . import timeutil
from .airports import Airport

SCENARIO_FORMAT = "vertrekplanner/scenario@1"

LOCATION_KINDS = ("hospital", "detention", "reception_centre", "other")
RECEPTION_KINDS = ("hospital", "care_facility", "family", "guardian", "reception_facility")
DEPARTURE_KINDS = ("medical", "minor", "other")
RISKS = ("none", "low", "medium", "high")
SEXES = ("M", "F", "X")
MEDIC_ROLES = ("nurse", "physician")
WHEELCHAIRS = ("WCHR", "WCHS", "WCHC")

Window = tuple[int, int]  # [start, end) in epoch minutes


@dataclass(frozen=True, slots=True)
class Parameters:
    checkin_minutes: int
    min_connection_minutes: int
    escorts_by_risk: dict[str, int]
    escort_min_turnaround_minutes: int
    escort_max_away_hours: int
    escort_rest_hours: int
    overnight_cost_eur: float
    visa_required_countries: frozenset[str]
    stretcher_seats: int
    max_connections: int
    max_layover_minutes: int | None = None  # optional, not in the spec: see docs/planning.md


@dataclass(frozen=True, slots=True)
class Airline:
    code: str
    max_escorted_per_flight: int
    accepts_stretcher: bool
    medif_lead_hours: int


@dataclass(frozen=True, slots=True)
class Flight:
    id: str
    carrier: str
    number: str
    origin: str
    dest: str
    departs: int
    arrives: int
    seats: int
    stretcher: bool
    fare_eur: float
    cancelled: bool


@dataclass(frozen=True, slots=True)
class Location:
    id: str
    name: str
    kind: str
    drive_minutes: dict[str, int]


@dataclass(frozen=True, slots=True)
class Vehicle:
    id: str
    kind: str
    stretcher: bool
    seats: int
    available: tuple[Window, ...]


@dataclass(frozen=True, slots=True)
class Companion:
    """An escort (KMar) or a medic: both fly out with the returnee and come home."""

    id: str
    name: str
    base: str
    skills: frozenset[str]
    visas: dict[str, date]
    available: tuple[Window, ...]
    sex: str | None = None  # escorts
    role: str | None = None  # medics: nurse | physician
    day_rate_eur: float = 0.0  # medics

    @property
    def is_medic(self) -> bool:
        return self.role is not None


@dataclass(frozen=True, slots=True)
class Reception:
    id: str
    name: str
    kind: str
    country: str
    airport: str
    transfer_minutes: int
    confirmed: bool
    open: dict[int, tuple[int, int]]  # weekday (0 = Monday) -> (opens, closes) minutes of day
    closed_dates: frozenset[date]
    contact: str


@dataclass(frozen=True, slots=True)
class Medical:
    stretcher: bool
    wheelchair: str | None
    oxygen: bool
    medic_role: str | None
    medic_skills: frozenset[str]
    max_travel_hours: int | None


@dataclass(frozen=True, slots=True)
class Departure:
    id: str
    kind: str
    person_ref: str
    sex: str
    birth_date: date | None
    priority: int
    risk: str
    pickup_location: str
    pickup_window: Window
    ready_from: int
    deadline: int
    destination_country: str
    destination_airports: tuple[str, ...]
    reception: str
    document_kind: str
    document_valid_from: date
    document_valid_until: date
    fit_to_fly_until: date | None
    medical: Medical | None
    family_group: str | None
    blocked: tuple[Window, ...]

    @property
    def stretcher(self) -> bool:
        return self.medical is not None and self.medical.stretcher

    @property
    def medic_role(self) -> str | None:
        return self.medical.medic_role if self.medical else None


@dataclass(slots=True)
class Scenario:
    name: str
    planning_time: int
    planning_time_text: str
    horizon: Window
    parameters: Parameters
    airports: dict[str, Airport]
    airlines: dict[str, Airline]
    flights: dict[str, Flight]
    locations: dict[str, Location]
    vehicles: dict[str, Vehicle]
    escorts: dict[str, Companion]
    medics: dict[str, Companion]
    reception: dict[str, Reception]
    departures: dict[str, Departure]
    raw: dict = field(repr=False, default_factory=dict)

    def tz(self, iata: str) -> ZoneInfo:
        return self.airports[iata].tz

    @property
    def home_tz(self) -> ZoneInfo:
        """Zone in which the planning unit reads its own times (the departure country)."""
        return timeutil.zone("Europe/Amsterdam")
