"""Synthetic but realistic scenarios (``vertrekplanner/scenario@1``) for demos, tests and benchmarks.

Real carriers, airports, time zones and Dutch hospitals, detention centres and reception
locations; invented people, rosters, seat counts and fares. About a quarter of the departures
cannot be planned even with unlimited escorts, medics, seats and vehicles, each for one reason a
regievoerder recognises; every other departure has at least one itinerary that satisfies every
rule that does not depend on who or what is assigned to it. Both claims are checked while
generating (see ``plannable_in_principle``), so the mix holds for every seed.

Everything is drawn from one ``random.Random(seed)``: the same (size, seed) gives the same
document, byte for byte once serialised.
"""
from __future__ import annotations

import json
import math
import random
from bisect import bisect_left
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from . import rules, timeutil
from .domain import Departure, Flight, Scenario
from .loading.scenario import add_receptions, parse_departures, parse_scenario

FORMAT = "vertrekplanner/scenario@1"
HOME_TZ = "Europe/Amsterdam"
HOME_BASE = "AMS"
PLANNING_TIME = "2026-11-30T09:00:00+01:00"
HORIZON_START = date(2026, 12, 1)
UNPLANNABLE_SHARE = 0.25

SIZES: dict[str, dict[str, Any]] = {
    "small": {"departures": 12, "horizon_days": 14, "escorts": 24, "medics": 6, "vehicles": 4,
              "flight_legs": 2504, "description": "a fortnight of Bijzonder Vertrek"},
    "medium": {"departures": 50, "horizon_days": 28, "escorts": 70, "medics": 16, "vehicles": 8,
               "flight_legs": 4028, "description": "a busy month"},
    "large": {"departures": 200, "horizon_days": 56, "escorts": 220, "medics": 45, "vehicles": 20,
              "flight_legs": 7076, "description": "all Dutch escorted returns over two months"},
    "eu": {"departures": 1000, "horizon_days": 56, "escorts": 700, "medics": 140, "vehicles": 60,
           "flight_legs": 7076, "description": "a multi-country programme on scheduled flights"},
}

PARAMETERS: dict[str, Any] = {
    "checkin_minutes": 180,
    "min_connection_minutes": 90,
    "escorts_by_risk": {"none": 0, "low": 2, "medium": 2, "high": 3},
    "escort_min_turnaround_minutes": 120,
    "escort_max_away_hours": 72,
    "escort_rest_hours": 12,
    "overnight_cost_eur": 160,
    "visa_required_countries": ["NG", "GH", "EG", "DZ", "IR", "PK", "SD", "GN", "SL", "CD", "CM", "ER",
                                "ET", "CN", "LK", "VN", "AF", "NP", "IQ", "KE", "UG"],
    "stretcher_seats": 6,
    "max_connections": 1,
}

# code: (max_escorted_per_flight, accepts_stretcher, medif_lead_hours, first flight number)
AIRLINES: dict[str, tuple[int, bool, int, int]] = {
    "KL": (2, True, 72, 561), "TK": (3, True, 48, 621), "AF": (2, True, 72, 711), "LH": (2, True, 72, 581),
    "EK": (2, True, 48, 145), "QR": (2, False, 48, 271), "ET": (2, True, 72, 701), "AT": (2, False, 48, 801),
    "FZ": (1, False, 48, 301), "MS": (2, False, 48, 755), "PY": (2, False, 72, 993), "HV": (1, False, 48, 6501),
    "JU": (2, False, 48, 361), "A9": (1, False, 48, 651),
}

# Minimum connection times that differ from min_connection_minutes (medical transfers need margin).
AIRPORT_MCT = {"AMS": 50, "IST": 75, "CDG": 90, "DXB": 75, "DOH": 60, "FRA": 60, "ADD": 60, "CAI": 90,
               "CMN": 75, "KTM": 60}

DEPARTURE_AIRPORTS = ("AMS", "RTM", "EIN")

# country: (airports, main city, weight in the caseload, dialling code)
DESTINATIONS: dict[str, tuple[tuple[str, ...], str, int, str]] = {
    "NG": (("LOS", "ABV"), "Lagos", 7, "234"), "GH": (("ACC",), "Accra", 5, "233"),
    "EG": (("CAI",), "Cairo", 5, "20"), "DZ": (("ALG",), "Algiers", 5, "213"),
    "MA": (("CMN",), "Casablanca", 6, "212"), "TN": (("TUN",), "Tunis", 4, "216"),
    "GE": (("TBS",), "Tbilisi", 6, "995"), "AM": (("EVN",), "Yerevan", 5, "374"),
    "RS": (("BEG",), "Belgrade", 4, "381"), "AL": (("TIA",), "Tirana", 4, "355"),
    "IR": (("IKA",), "Tehran", 6, "98"), "PK": (("ISB", "LHE"), "Islamabad", 6, "92"),
    "AF": (("KBL",), "Kabul", 4, "93"), "NP": (("KTM",), "Kathmandu", 2, "977"),
    "IQ": (("BGW", "EBL"), "Baghdad", 8, "964"), "SD": (("KRT",), "Khartoum", 4, "249"),
    "ET": (("ADD",), "Addis Ababa", 7, "251"), "ER": (("ASM",), "Asmara", 5, "291"),
    "SO": (("MGQ",), "Mogadishu", 4, "252"), "KE": (("NBO",), "Nairobi", 3, "254"),
    "UG": (("EBB",), "Kampala", 2, "256"), "CD": (("FIH",), "Kinshasa", 6, "243"),
    "CM": (("DLA",), "Douala", 3, "237"), "GN": (("CKY",), "Conakry", 5, "224"),
    "SL": (("FNA",), "Freetown", 3, "232"), "SN": (("DKR",), "Dakar", 3, "221"),
    "GM": (("BJL",), "Banjul", 2, "220"), "LK": (("CMB",), "Colombo", 3, "94"),
    "VN": (("SGN",), "Ho Chi Minh City", 3, "84"), "CN": (("PEK",), "Beijing", 4, "86"),
    "CO": (("BOG",), "Bogotá", 3, "57"), "SR": (("PBM",), "Paramaribo", 3, "597"),
    "TR": (("IST",), "Istanbul", 3, "90"),
}
CITY_OF_AIRPORT = {"ABV": "Abuja", "LHE": "Lahore", "EBL": "Erbil"}

HOSPITALS = {
    "LOS": "Lagos University Teaching Hospital", "ABV": "National Hospital Abuja",
    "ACC": "Korle Bu Teaching Hospital", "CAI": "Kasr Al Ainy University Hospital",
    "ALG": "CHU Mustapha Pacha", "CMN": "CHU Ibn Rochd", "TUN": "Hôpital Charles Nicolle",
    "TBS": "Tbilisi Central University Hospital", "EVN": "Erebouni Medical Center",
    "BEG": "University Clinical Centre of Serbia", "TIA": "Mother Teresa University Hospital Centre",
    "IKA": "Imam Khomeini Hospital Complex", "ISB": "Pakistan Institute of Medical Sciences",
    "LHE": "Mayo Hospital Lahore", "KBL": "Wazir Akbar Khan Hospital",
    "KTM": "Tribhuvan University Teaching Hospital", "BGW": "Baghdad Medical City",
    "EBL": "Rizgary Teaching Hospital", "KRT": "Khartoum Teaching Hospital",
    "ADD": "Tikur Anbessa Specialized Hospital", "ASM": "Orotta National Referral Hospital",
    "MGQ": "Banadir Hospital", "NBO": "Kenyatta National Hospital", "EBB": "Mulago National Referral Hospital",
    "FIH": "Cliniques Universitaires de Kinshasa", "DLA": "Hôpital Laquintinie", "CKY": "CHU Donka",
    "FNA": "Connaught Hospital", "DKR": "Hôpital Principal de Dakar",
    "BJL": "Edward Francis Small Teaching Hospital", "CMB": "National Hospital of Sri Lanka",
    "SGN": "Cho Ray Hospital", "PEK": "Peking Union Medical College Hospital",
    "BOG": "Hospital Universitario San Ignacio", "PBM": "Academisch Ziekenhuis Paramaribo",
    "IST": "Istanbul University Cerrahpaşa Hospital",
}

# Outbound routes (carrier, from, to, flights per week, flights per day); each flight gets its return.
ROUTES: list[tuple[str, str, str, int, int]] = [
    # From the Dutch departure airports
    ("KL", "AMS", "LOS", 7, 1), ("KL", "AMS", "ACC", 4, 1), ("KL", "AMS", "CAI", 3, 1), ("KL", "AMS", "NBO", 5, 1),
    ("KL", "AMS", "DXB", 5, 1), ("KL", "AMS", "CDG", 7, 1), ("KL", "AMS", "FRA", 4, 1), ("KL", "AMS", "BOG", 3, 1),
    ("KL", "AMS", "PBM", 3, 1), ("KL", "AMS", "PEK", 3, 1), ("KL", "AMS", "ABV", 2, 1),
    ("AF", "AMS", "CDG", 7, 1), ("LH", "AMS", "FRA", 5, 1), ("TK", "AMS", "IST", 7, 2), ("TK", "EIN", "IST", 4, 1),
    ("EK", "AMS", "DXB", 7, 1), ("QR", "AMS", "DOH", 7, 1), ("MS", "AMS", "CAI", 3, 1), ("AT", "AMS", "CMN", 5, 1),
    ("HV", "AMS", "CMN", 3, 1), ("HV", "RTM", "CMN", 3, 1), ("HV", "EIN", "CMN", 2, 1), ("HV", "AMS", "TUN", 2, 1),
    ("HV", "RTM", "IST", 2, 1), ("PY", "AMS", "PBM", 2, 1), ("JU", "AMS", "BEG", 4, 1), ("A9", "AMS", "TBS", 2, 1),
    ("ET", "FRA", "ADD", 5, 1),
    # Istanbul
    ("TK", "IST", "ALG", 3, 1), ("TK", "IST", "LOS", 4, 1), ("TK", "IST", "ABV", 2, 1), ("TK", "IST", "ACC", 3, 1),
    ("TK", "IST", "CAI", 3, 1), ("TK", "IST", "CMN", 3, 1), ("TK", "IST", "TUN", 3, 1), ("TK", "IST", "TBS", 4, 1),
    ("TK", "IST", "EVN", 3, 1), ("TK", "IST", "BEG", 3, 1), ("TK", "IST", "TIA", 3, 1), ("TK", "IST", "IKA", 3, 1),
    ("TK", "IST", "ISB", 3, 1), ("TK", "IST", "LHE", 2, 1), ("TK", "IST", "EBL", 3, 1), ("TK", "IST", "BGW", 3, 1),
    ("TK", "IST", "KRT", 2, 1), ("TK", "IST", "DLA", 2, 1), ("TK", "IST", "CKY", 2, 1), ("TK", "IST", "FIH", 2, 1),
    ("TK", "IST", "MGQ", 2, 1), ("TK", "IST", "DKR", 3, 1), ("TK", "IST", "ADD", 3, 1), ("TK", "IST", "NBO", 3, 1),
    ("TK", "IST", "EBB", 2, 1), ("TK", "IST", "CMB", 2, 1), ("TK", "IST", "SGN", 2, 1), ("TK", "IST", "FNA", 2, 1),
    # Paris
    ("AF", "CDG", "DLA", 3, 1), ("AF", "CDG", "FNA", 2, 1), ("AF", "CDG", "ALG", 3, 1), ("AF", "CDG", "FIH", 3, 1),
    ("AF", "CDG", "DKR", 3, 1), ("AF", "CDG", "CKY", 3, 1), ("AF", "CDG", "TUN", 3, 1), ("AF", "CDG", "ACC", 2, 1),
    ("AF", "CDG", "LOS", 3, 1), ("AF", "CDG", "EVN", 2, 1), ("AF", "CDG", "TIA", 2, 1), ("AF", "CDG", "BOG", 2, 1),
    # Dubai
    ("EK", "DXB", "CMB", 3, 1), ("EK", "DXB", "LHE", 3, 1), ("EK", "DXB", "ISB", 3, 1), ("EK", "DXB", "BGW", 3, 1),
    ("EK", "DXB", "IKA", 3, 1), ("EK", "DXB", "EBB", 2, 1), ("EK", "DXB", "NBO", 3, 1), ("EK", "DXB", "ADD", 3, 1),
    ("EK", "DXB", "MGQ", 2, 1), ("EK", "DXB", "LOS", 3, 1), ("EK", "DXB", "SGN", 3, 1), ("EK", "DXB", "PEK", 3, 1),
    ("FZ", "DXB", "KBL", 4, 1), ("FZ", "DXB", "KTM", 4, 1), ("FZ", "DXB", "EBL", 2, 1), ("FZ", "DXB", "TBS", 2, 1),
    ("FZ", "DXB", "ASM", 2, 1), ("FZ", "DXB", "MGQ", 2, 1), ("FZ", "DXB", "KRT", 2, 1),
    # Doha
    ("QR", "DOH", "CMB", 3, 1), ("QR", "DOH", "SGN", 3, 1), ("QR", "DOH", "KTM", 4, 1), ("QR", "DOH", "ISB", 3, 1),
    ("QR", "DOH", "LHE", 3, 1), ("QR", "DOH", "BGW", 3, 1), ("QR", "DOH", "IKA", 3, 1), ("QR", "DOH", "ADD", 2, 1),
    ("QR", "DOH", "MGQ", 2, 1), ("QR", "DOH", "KBL", 2, 1), ("QR", "DOH", "CAI", 3, 1),
    # Addis Ababa
    ("ET", "ADD", "EBB", 3, 1), ("ET", "ADD", "ASM", 3, 1), ("ET", "ADD", "MGQ", 3, 1), ("ET", "ADD", "LOS", 3, 1),
    ("ET", "ADD", "FIH", 3, 1), ("ET", "ADD", "NBO", 3, 1), ("ET", "ADD", "KRT", 2, 1), ("ET", "ADD", "ABV", 2, 1),
    # Frankfurt
    ("LH", "FRA", "IKA", 2, 1), ("LH", "FRA", "EVN", 2, 1), ("LH", "FRA", "TBS", 3, 1), ("LH", "FRA", "CAI", 3, 1),
    ("LH", "FRA", "LOS", 2, 1), ("LH", "FRA", "BEG", 3, 1), ("LH", "FRA", "ABV", 2, 1),
    # Cairo and Casablanca
    ("MS", "CAI", "KRT", 3, 1), ("MS", "CAI", "ASM", 2, 1), ("MS", "CAI", "ADD", 2, 1), ("MS", "CAI", "ALG", 2, 1),
    ("MS", "CAI", "EBB", 2, 1), ("AT", "CMN", "DKR", 4, 1), ("AT", "CMN", "BJL", 3, 1), ("AT", "CMN", "CKY", 3, 1),
    ("AT", "CMN", "FNA", 2, 1), ("AT", "CMN", "ACC", 2, 1), ("AT", "CMN", "DLA", 2, 1), ("AT", "CMN", "TUN", 2, 1),
]
# Routes flown with a widebody or a cabin that can be fitted for a stretcher.
NO_STRETCHER_ROUTES = {("KL", "AMS", "CDG"), ("KL", "AMS", "FRA"), ("AF", "AMS", "CDG"), ("LH", "AMS", "FRA"),
                       ("TK", "EIN", "IST"), ("AF", "CDG", "TIA"), ("AF", "CDG", "EVN"), ("LH", "FRA", "BEG")}
SEAT_CHOICES = (0, 2, 3, 4, 5, 6, 8, 9, 12)
SEAT_WEIGHTS = (6, 6, 7, 13, 7, 20, 7, 26, 8)

# id, name, kind, drive minutes to AMS, RTM, EIN; weights for medical, minor, other pickups
LOCATIONS: list[tuple[str, str, str, tuple[int | None, int | None, int | None], tuple[int, int, int]]] = [
    ("AMC", "Amsterdam UMC", "hospital", (25, 70, 110), (5, 0, 0)),
    ("EMC", "Erasmus MC", "hospital", (60, 20, 95), (4, 0, 0)),
    ("UMCU", "UMC Utrecht", "hospital", (45, 55, 75), (3, 0, 0)),
    ("RUMC", "Radboudumc", "hospital", (100, 105, 65), (3, 0, 0)),
    ("LUMC", "Leids Universitair Medisch Centrum", "hospital", (30, 35, 110), (3, 0, 0)),
    ("CZE", "Catharina Ziekenhuis Eindhoven", "hospital", (110, 95, 15), (3, 0, 0)),
    ("MUMC", "Maastricht UMC+", "hospital", (150, 150, 65), (2, 0, 0)),
    ("UMCG", "Universitair Medisch Centrum Groningen", "hospital", (140, 170, 185), (2, 0, 0)),
    ("JCS", "Justitieel Complex Schiphol", "detention", (10, 55, 115), (2, 0, 4)),
    ("DCR", "Detentiecentrum Rotterdam", "detention", (55, 10, 95), (1, 0, 4)),
    ("DCZ", "Detentiecentrum Zeist", "detention", (50, 65, 80), (1, 0, 3)),
    ("TAP", "Aanmeldcentrum Ter Apel", "reception_centre", (175, 200, 210), (0, 3, 2)),
    ("GGV", "Gesloten gezinsvoorziening Zeist", "reception_centre", (50, 65, 80), (0, 2, 1)),
    ("KWV-A", "Kleinschalige woonvoorziening Amersfoort", "reception_centre", (55, 75, 90), (0, 4, 0)),
    ("KWV-E", "Kleinschalige woonvoorziening Eindhoven", "reception_centre", (110, 95, 20), (0, 3, 0)),
    ("VBL", "Vrijheidsbeperkende locatie Ter Apel", "other", (175, None, 210), (0, 0, 2)),
]

RANKS = ("Marechaussee 1e klasse", "Wachtmeester", "Opperwachtmeester", "Adjudant")
SURNAMES = ("de Vries", "Jansen", "de Jong", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "de Boer", "Bos",
            "Vos", "Peters", "Hendriks", "van Dijk", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits",
            "de Graaf", "van der Meer", "Kaya", "Yılmaz", "El Amrani", "Bouzid", "Pinas", "Martina", "Kok",
            "Jacobs", "Vermeulen", "van den Berg", "van Leeuwen", "Koster", "Prins", "Huisman", "Willems",
            "Hoekstra", "Maas", "Verhoeven", "Kuipers", "Veenstra", "Post", "Schouten", "Sahin", "Tahiri")
GIVEN_NAMES = ("Anna", "Bas", "Daan", "Eva", "Fleur", "Gijs", "Hanna", "Iris", "Jeroen", "Karim", "Lotte",
               "Maarten", "Noor", "Olaf", "Priya", "Ruben", "Sanne", "Thijs", "Yara", "Zeynep", "Wouter",
               "Esther", "Mehmet", "Nadia", "Pieter", "Sophie")
MEDIC_SKILLS = ("icu", "paediatric", "psychiatric", "dialysis", "oxygen")
ESCORT_SKILLS = ("team_leader", "minors", "medical_first_aid")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Why a departure is unplannable by construction, in the words used in the generator's notes.
UNPLANNABLE_REASONS = {
    "reception_unconfirmed": "reception has not confirmed",
    "document_expires": "travel document expires before any flight can arrive",
    "fit_to_fly_expires": "fit-to-fly declaration expires before any flight can arrive",
    "reception_closed": "reception is closed whenever a flight can arrive",
    "journey_too_long": "every journey is longer than the patient may travel",
    "minor_to_hospital": "a minor may only be handed over to family, a guardian or a reception facility",
    "no_stretcher_flight": "no stretcher-capable flight reaches the destination",
}


# --------------------------------------------------------------------------------------------
# time helpers: instants are whole minutes since the epoch (UTC)

@lru_cache(maxsize=None)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=1)
def _airport_data() -> dict:
    import airportsdata

    return airportsdata.load("IATA")


def _tz(iata: str) -> str:
    return _airport_data()[iata]["tz"]


def _at(day: date, minute_of_day: int, tz: str) -> int:
    """Instant of a local wall-clock time (a time skipped by a DST change maps forward)."""
    h, m = divmod(minute_of_day, 60)
    dt = datetime(day.year, day.month, day.day, h, m, tzinfo=_zone(tz))
    return int(dt.timestamp()) // 60


def _iso(minutes: int, tz: str) -> str:
    return datetime.fromtimestamp(minutes * 60, _zone(tz)).isoformat()


def _hhmm(minute_of_day: int) -> str:
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


def _distance_km(a: str, b: str) -> float:
    pa, pb = _airport_data()[a], _airport_data()[b]
    la1, lo1, la2, lo2 = map(math.radians, (pa["lat"], pa["lon"], pb["lat"], pb["lon"]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


def _horizon(size: str) -> tuple[int, int]:
    end = HORIZON_START + timedelta(days=SIZES[size]["horizon_days"])
    return _at(HORIZON_START, 0, HOME_TZ), _at(end, 0, HOME_TZ)


# --------------------------------------------------------------------------------------------
# fixed reference data

def _airlines() -> list[dict]:
    return [{"code": c, "max_escorted_per_flight": cap, "accepts_stretcher": st, "medif_lead_hours": lead}
            for c, (cap, st, lead, _) in AIRLINES.items()]


def _airports() -> list[dict]:
    data = _airport_data()
    return [{"iata": iata, "timezone": data[iata]["tz"], "country": data[iata]["country"], "mct_minutes": mct}
            for iata, mct in AIRPORT_MCT.items()]


def _locations() -> list[dict]:
    out = []
    for lid, name, kind, drives, _ in LOCATIONS:
        out.append({"id": lid, "name": name, "kind": kind,
                    "drive_minutes": {a: m for a, m in zip(DEPARTURE_AIRPORTS, drives) if m is not None}})
    return out


# --------------------------------------------------------------------------------------------
# flights

def _flights(rng: random.Random, first_day: date, last_day: date) -> list[dict]:
    """Timetable legs whose outbound departs on a local day in [first_day, last_day]."""
    numbers = {c: v[3] for c, v in AIRLINES.items()}
    legs = []
    n_days = (last_day - first_day).days + 1
    for carrier, a, b, per_week, per_day in ROUTES:
        accepts = AIRLINES[carrier][1] and (carrier, a, b) not in NO_STRETCHER_ROUTES
        km = _distance_km(a, b)
        block = 5 * round((35 + km / 13.5) / 5)
        base_fare = 70 + km * rng.uniform(0.11, 0.16)
        tz_a, tz_b = _tz(a), _tz(b)
        weekdays = sorted(rng.sample(range(7), per_week))
        for slot in range(per_day):
            number = numbers[carrier]
            numbers[carrier] += 2
            # spread same-day frequencies over the day; long-haul tends to leave late morning or night
            lo, hi = (6 * 60 + slot * 8 * 60, 14 * 60 + slot * 8 * 60) if per_day > 1 else (6 * 60, 23 * 60 + 30)
            dep_local = min(rng.randrange(lo, hi, 5), 23 * 60 + 55)
            out_block = block + rng.choice((-5, 0, 5, 10))
            back_block = block + rng.choice((-10, -5, 0, 5))
            turnaround = rng.randrange(60, 155, 5)
            for k in range(n_days):
                day = first_day + timedelta(days=k)
                if day.weekday() not in weekdays:
                    continue
                dep = _at(day, dep_local, tz_a)
                arr = dep + out_block
                ret_dep = arr + turnaround
                ret_arr = ret_dep + back_block
                for num, frm, to, d, r, tzf, tzt in ((number, a, b, dep, arr, tz_a, tz_b),
                                                     (number + 1, b, a, ret_dep, ret_arr, tz_b, tz_a)):
                    code = f"{carrier}{num}"
                    dep_text = _iso(d, tzf)
                    leg = {"id": f"{code}-{dep_text[:10].replace('-', '')}-{frm}{to}", "carrier": carrier,
                           "number": code, "from": frm, "to": to, "departs": dep_text, "arrives": _iso(r, tzt),
                           "seats": rng.choices(SEAT_CHOICES, SEAT_WEIGHTS)[0],
                           "stretcher": accepts and rng.random() < 0.45,
                           "fare_eur": int(round(base_fare * rng.uniform(0.85, 1.35)))}
                    if rng.random() < 0.007:
                        leg["cancelled"] = True
                    legs.append((d, leg))
    legs.sort(key=lambda x: (x[0], x[1]["id"]))
    return [leg for _, leg in legs]


# --------------------------------------------------------------------------------------------
# people, vehicles, reception

def _windows(rng: random.Random, first: date, days: int, gaps: int, min_gap: int, max_gap: int) -> list[list[str]]:
    """Availability [first, first+days) in Amsterdam time with `gaps` gaps of min_gap..max_gap hours."""
    start, end = _at(first, 0, HOME_TZ), _at(first + timedelta(days=days), 0, HOME_TZ)
    cuts = []
    for _ in range(gaps):
        day = first + timedelta(days=rng.randrange(1, days - 1))
        s = _at(day, rng.choice((0, 6, 12, 18)) * 60, HOME_TZ)
        cuts.append((s, s + 60 * rng.randrange(min_gap, max_gap + 1, 6)))
    cuts.sort()
    out, cur = [], start
    for s, e in cuts:
        if s > cur:
            out.append((cur, min(s, end)))
        cur = max(cur, e)
        if cur >= end:
            break
    if cur < end:
        out.append((cur, end))
    return [[_iso(s, HOME_TZ), _iso(e, HOME_TZ)] for s, e in out if e > s]


def _visa_dates(rng: random.Random, share: float) -> dict[str, str]:
    out = {}
    for country in PARAMETERS["visa_required_countries"]:
        if rng.random() < share:
            out[country] = (HORIZON_START + timedelta(days=rng.choice((5, 20, 60, 200, 400, 700)) +
                                                      rng.randrange(0, 10))).isoformat()
    return out


def _escorts(rng: random.Random, n: int, first: date, days: int) -> list[dict]:
    out = []
    for i in range(1, n + 1):
        skills = [s for s, p in zip(ESCORT_SKILLS, (0.3, 0.3, 0.18)) if rng.random() < p]
        out.append({"id": f"KMAR-{i:03d}",
                    "name": f"{rng.choice(RANKS)} {rng.choice('ABCDEFGHJKLMNPRSTWYZ')}. {rng.choice(SURNAMES)}",
                    "sex": "F" if rng.random() < 0.37 else "M", "base": HOME_BASE, "skills": skills,
                    "visas": _visa_dates(rng, 0.4),
                    "available": _windows(rng, first, days, rng.choice((1, 2, 2, 3)), 24, 120)})
    return out


def _medics(rng: random.Random, n: int, first: date, days: int) -> list[dict]:
    out = []
    for i in range(1, n + 1):
        role = "physician" if rng.random() < 0.33 else "nurse"
        skills = sorted(rng.sample(MEDIC_SKILLS, rng.choice((1, 1, 1, 2, 3))))
        rate = rng.choice((1100, 1100, 1400)) if role == "physician" else rng.choice((550, 650, 650, 750))
        out.append({"id": f"MED-{i:03d}", "name": f"{rng.choice(GIVEN_NAMES)} {rng.choice(SURNAMES)}",
                    "role": role, "skills": skills, "base": HOME_BASE, "visas": _visa_dates(rng, 0.45),
                    "available": _windows(rng, first, days, rng.choice((2, 2, 3)), 24, 144),
                    "day_rate_eur": rate})
    return out


def _vehicles(rng: random.Random, n: int, first: date, days: int) -> list[dict]:
    n_amb = max(2, round(n * 0.3))
    out = []
    for i in range(1, n + 1):
        amb = i <= n_amb
        out.append({"id": f"DVO-{'AMB' if amb else 'BUS'}-{i:02d}", "kind": "ambulance" if amb else "van",
                    "stretcher": amb, "seats": 4 if amb else 8,
                    "available": _windows(rng, first, days, rng.choice((0, 1, 1, 2)), 12, 72)})
    return out


def _opening(kind: str, rng: random.Random) -> dict[str, list[str]]:
    if kind == "hospital":
        span = ("00:00", "24:00") if rng.random() < 0.75 else ("06:00", "24:00")
        return {d: list(span) for d in WEEKDAYS}
    if kind == "family":
        span = rng.choice((("07:00", "23:00"), ("08:00", "22:00"), ("06:00", "24:00")))
        return {d: list(span) for d in WEEKDAYS}
    if kind == "guardian":
        days = WEEKDAYS if rng.random() < 0.6 else WEEKDAYS[:6]
        return {d: ["08:00", "22:00"] for d in days}
    if kind == "care_facility":
        out = {d: ["08:00", "18:00"] for d in WEEKDAYS[:5]}
        out["sat"] = ["09:00", "13:00"]
        return out
    if rng.random() < 0.3:
        return {d: ["00:00", "24:00"] for d in WEEKDAYS}
    out = {d: ["08:00", "20:00"] for d in WEEKDAYS[:4]}
    out["fri"], out["sat"] = ["08:00", "18:00"], ["09:00", "14:00"]
    return out


_CONTACT_LABEL = {"hospital": "International patient office", "care_facility": "Care coordinator",
                  "family": "Family contact via IOM", "guardian": "Appointed guardian",
                  "reception_facility": "Duty officer"}
_CHRISTMAS = {"ET": "2027-01-07", "ER": "2027-01-07", "RS": "2027-01-07", "GE": "2027-01-07"}


def _reception_record(rng: random.Random, rid: str, kind: str, country: str, airport: str, confirmed: bool,
                      horizon_days: int, name: str | None = None, opening: dict | None = None) -> dict:
    city = CITY_OF_AIRPORT.get(airport, DESTINATIONS[country][1])
    if name is None:
        name = {"hospital": HOSPITALS[airport], "care_facility": f"Care home ({city})",
                "family": f"Family of returnee ({city})", "guardian": f"Appointed guardian ({city})",
                "reception_facility": rng.choice((f"IOM reintegration reception centre ({city})",
                                                  f"SOS Children's Village ({city})"))}[kind]
    closed = {_CHRISTMAS.get(country, "2026-12-25")} if rng.random() < 0.8 else set()
    if rng.random() < 0.4:
        closed.add((HORIZON_START + timedelta(days=rng.randrange(horizon_days))).isoformat())
    digits = f"{rng.randrange(100, 1000)} {rng.randrange(1000, 10000)}"
    return {"id": rid, "name": name, "kind": kind, "country": country, "airport": airport,
            "transfer_minutes": rng.choice((30, 45, 60, 90, 120)), "confirmed": confirmed,
            "open": opening if opening is not None else _opening(kind, rng), "closed_dates": sorted(closed),
            "contact": f"{_CONTACT_LABEL[kind]}, +{DESTINATIONS[country][3]} {digits}"}


def _reception(rng: random.Random, horizon_days: int) -> list[dict]:
    out = []
    for country, (airports, *_rest) in DESTINATIONS.items():
        n = 0

        def add(kind: str, airport: str, confirmed: bool = True) -> None:
            nonlocal n
            n += 1
            out.append(_reception_record(rng, f"REC-{country}-{n}", kind, country, airport, confirmed, horizon_days))

        for airport in airports:
            add("hospital", airport)
            add("family", airport)
        add("reception_facility", airports[0])
        if rng.random() < 0.5:
            add("care_facility", rng.choice(airports))
        if rng.random() < 0.6:
            add("guardian", rng.choice(airports))
        if rng.random() < 0.35:
            add(rng.choice(("family", "guardian", "care_facility")), rng.choice(airports), confirmed=False)
    return out


# --------------------------------------------------------------------------------------------
# plannability with unlimited escorts, medics, seats and vehicles

class _Network:
    """A loaded scenario with its flights indexed for the plannability search.

    The facts are the planner's own: the scenario is read by the planner's loader and every rule
    is decided by ``planner.rules``; only the search for itineraries is the generator's (it
    bounds a connection's wait, which the planner does not).
    """

    def __init__(self, sc: Scenario):
        self.sc = sc
        self.raw_reception: dict[str, dict] = {}  # records the builder adds and may still change
        self.routes: dict[tuple[str, str], list[Flight]] = {}
        for f in sc.flights.values():
            if f.cancelled or f.seats < 1:
                continue
            self.routes.setdefault((f.origin, f.dest), []).append(f)
        self.outgoing: dict[str, set[str]] = {}
        for (a, b), legs in self.routes.items():
            legs.sort(key=lambda f: (f.departs, f.arrives, f.carrier, f.seats, rules.stretcher_leg_ok(sc, f)))
            self.outgoing.setdefault(a, set()).add(b)
        self.deps = {k: [leg.departs for leg in v] for k, v in self.routes.items()}
        self.suffix_arr = {}
        for k, v in self.routes.items():
            best, suf = math.inf, [0] * len(v)
            for i in range(len(v) - 1, -1, -1):
                best = min(best, v[i].arrives)
                suf[i] = best
            self.suffix_arr[k] = suf
        self._returns: dict[tuple[str, str], tuple[list[int], list[int]]] = {}

    def add_reception(self, record: dict) -> None:
        self.raw_reception[record["id"]] = record
        add_receptions(self.sc, [record])

    def departure(self, record: dict) -> Departure:
        """A drawn departure record read by the planner's loader (its reception re-read too: the
        builder may still change a reception it has just added)."""
        if record["reception"] in self.raw_reception:
            add_receptions(self.sc, [self.raw_reception[record["reception"]]])
        draft = dict(record, id=record["id"] or "draft", person=dict(record["person"], ref=record["person"]["ref"] or "draft"))
        return parse_departures(self.sc, [draft])[draft["id"]]

    def hubs(self, a: str, b: str) -> list[str]:
        if self.sc.parameters.max_connections < 1:
            return []
        return [h for h in self.outgoing.get(a, ()) if h != b and b in self.outgoing.get(h, ())]

    def itineraries(self, a: str, b: str, lo: float, hi: float, max_wait: int | None = None):
        """Itineraries a→b (direct or one connection) whose first leg departs in [lo, hi)."""
        legs = self.routes.get((a, b), [])
        deps = self.deps.get((a, b), [])
        for i in range(bisect_left(deps, lo), bisect_left(deps, hi)):
            yield (legs[i],)
        for h in self.hubs(a, b):
            first, fdeps = self.routes[(a, h)], self.deps[(a, h)]
            second, sdeps = self.routes[(h, b)], self.deps[(h, b)]
            mct = rules.connection_minutes(self.sc, h)
            for i in range(bisect_left(fdeps, lo), bisect_left(fdeps, hi)):
                l1 = first[i]
                t = l1.arrives + mct
                j = bisect_left(sdeps, t)
                while j < len(second) and (max_wait is None or sdeps[j] <= t + max_wait):
                    yield (l1, second[j])
                    j += 1

    def earliest_home(self, a: str, after: int, base: str = HOME_BASE) -> float:
        """Earliest arrival at base of an itinerary leaving a at or after `after`."""
        key = (a, base)
        if key not in self._returns:
            options = [(it[0].departs, it[-1].arrives) for it in self.itineraries(a, base, -math.inf, math.inf, 36 * 60)]
            options.sort()
            deps = [d for d, _ in options]
            best, suf = math.inf, [0] * len(options)
            for i in range(len(options) - 1, -1, -1):
                best = min(best, options[i][1])
                suf[i] = best
            self._returns[key] = (deps, suf)
        deps, suf = self._returns[key]
        i = bisect_left(deps, after)
        return suf[i] if i < len(suf) else math.inf

    def earliest_arrival(self, a: str, b: str, lo: int, hi: int) -> float:
        """Lower bound on the arrival at b of an itinerary from a whose first leg departs in [lo, hi)."""
        best = math.inf
        deps = self.deps.get((a, b), [])
        i = bisect_left(deps, lo)
        if i < bisect_left(deps, hi):
            best = self.suffix_arr[(a, b)][i]
        for h in self.hubs(a, b):
            first, fdeps = self.routes[(a, h)], self.deps[(a, h)]
            sdeps, suf = self.deps[(h, b)], self.suffix_arr[(h, b)]
            mct = rules.connection_minutes(self.sc, h)
            for k in range(bisect_left(fdeps, lo), bisect_left(fdeps, hi)):
                j = bisect_left(sdeps, first[k].arrives + mct)
                if j < len(suf):
                    best = min(best, suf[j])
        return best

    def first_departures(self, dep: Departure) -> dict[str, tuple[int, int]]:
        """Per departure airport, the first legs' departures rule 2 allows, as [lo, hi) for the search."""
        spans = {a: rules.first_departure_span(self.sc, dep, a) for a in rules.departure_airports(self.sc, dep)}
        return {a: (span[0], span[1] + 1) for a, span in spans.items() if span is not None}


def _static_ok(sc: Scenario, dep: Departure) -> bool:
    """What rules 1, 8 and 9 decide before any flight: a confirmed reception at a destination
    airport, of a kind a minor may go to."""
    rec = sc.reception[dep.reception]
    if not rec.confirmed or rec.airport not in dep.destination_airports:
        return False
    return not rules.is_minor(dep) or rules.minor_reception_ok(rec)


def _member_ok(sc: Scenario, dep: Departure, legs: tuple[Flight, ...], pickup: int) -> bool:
    """Rules 2, 3, 5 and 9 for one returnee on an itinerary, as the planner reads them."""
    first, last = legs[0], legs[-1]
    if rules.blocked_overlap(dep, pickup, last.arrives) is not None:
        return False
    dep_day = rules.local_date(sc, first.departs, first.origin)
    arr_day = rules.local_date(sc, last.arrives, last.dest)
    if not (rules.document_valid_on(dep, dep_day) and rules.document_valid_on(dep, arr_day)
            and rules.fit_to_fly_on(dep, arr_day)):
        return False
    rec = sc.reception[dep.reception]
    handover = rules.handover_time(rec, last.arrives)
    limit = rules.travel_minutes_limit(dep)
    if limit is not None and handover - pickup > limit:
        return False
    return rules.reception_open_at(sc, rec, handover)


def _feasible(net: _Network, members: list[Departure], max_wait: int = 24 * 60) -> bool:
    """True when one itinerary serves all members (a family flies together) under every rule that
    holds with unlimited escorts, medics, seats and vehicles; connections wait at most max_wait."""
    sc = net.sc
    lead = members[0]
    if not all(_static_ok(sc, m) for m in members):
        return False
    seats = sum(rules.party_seats(sc, m) for m in members)
    escorted = sum(1 for m in members if rules.escorted(sc, m))
    stretcher = any(m.stretcher for m in members)
    medif = any(rules.needs_medif(m) for m in members)
    companions = any(rules.companions_needed(sc, m) for m in members)
    latest = min(rules.latest_arrival(sc, m) for m in members)
    dest = sc.reception[lead.reception].airport
    drives = sc.locations[lead.pickup_location].drive_minutes
    spans = [net.first_departures(m) for m in members]
    for origin in sorted(drives, key=drives.get):
        if not all(origin in s for s in spans):
            continue
        lo, hi = max(s[origin][0] for s in spans), min(s[origin][1] for s in spans)
        for it in net.itineraries(origin, dest, lo, hi, max_wait):
            arr = it[-1].arrives
            if arr > latest:
                continue
            if any(leg.seats < seats or (stretcher and not rules.stretcher_leg_ok(sc, leg))
                   or escorted > rules.escorted_cap(sc, leg) or (medif and not rules.medif_ok(sc, leg)) for leg in it):
                continue
            pickup = rules.pickup_time(sc, lead, origin, it[0].departs)
            if not all(_member_ok(sc, m, it, pickup) for m in members):
                continue
            if companions and net.earliest_home(dest, arr + rules.turnaround_minutes(sc)) > \
                    pickup + rules.max_away_minutes(sc):
                continue
            return True
    return False


def plannable_in_principle(scenario: dict) -> dict[str, bool]:
    """Per departure: whether some itinerary satisfies every rule that holds with unlimited
    escorts, medics, seats and vehicles (family groups together). A True is proven by an
    itinerary found; a False means no itinerary with at most a day's connection was found."""
    net = _Network(parse_scenario(scenario))
    out = {}
    for members in rules.family_units(net.sc):
        ok = _feasible(net, members)
        for m in members:
            out[m.id] = ok
    return out


# --------------------------------------------------------------------------------------------
# departures

class _Builder:
    def __init__(self, rng: random.Random, net: _Network, scenario: dict, size: str):
        self.rng, self.net, self.sc = rng, net, scenario
        self.days = SIZES[size]["horizon_days"]
        self.by_country: dict[str, list[dict]] = {}
        for r in scenario["reception"]:
            self.by_country.setdefault(r["country"], []).append(r)
        self.countries = list(DESTINATIONS)
        self.weights = [DESTINATIONS[c][2] for c in self.countries]
        stretcher_airports = {leg.dest for legs in net.routes.values() for leg in legs
                              if rules.stretcher_leg_ok(net.sc, leg)}
        self.stretcher_countries = [c for c in self.countries
                                    if any(a in stretcher_airports for a in DESTINATIONS[c][0])]
        self.no_stretcher_countries = [c for c in self.countries if c not in self.stretcher_countries]
        self.serial = 0

    # ---- random pieces

    def _location(self, kind: str) -> str:
        col = {"medical": 0, "minor": 1, "other": 2}[kind]
        ids = [loc[0] for loc in LOCATIONS]
        return self.rng.choices(ids, [loc[4][col] for loc in LOCATIONS])[0]

    def _reception_for(self, country: str, kinds: tuple[str, ...]) -> dict:
        options = [r for r in self.by_country[country] if r["confirmed"] and r["kind"] in kinds]
        if not options:
            airport = self.rng.choice(DESTINATIONS[country][0])
            rec = self._add_reception(country, kinds[0], airport, True)
            return rec
        return self.rng.choice(options)

    def _add_reception(self, country: str, kind: str, airport: str, confirmed: bool, name: str | None = None,
                       opening: dict | None = None) -> dict:
        n = len(self.by_country[country]) + 1
        rec = _reception_record(self.rng, f"REC-{country}-{n}", kind, country, airport, confirmed, self.days,
                                name, opening)
        self.by_country[country].append(rec)
        self.sc["reception"].append(rec)
        self.net.add_reception(rec)
        return rec

    def _medical(self, kind: str, stretcher: bool | None = None) -> dict | None:
        rng = self.rng
        if kind == "other" or (kind == "minor" and rng.random() > 0.1):
            return None
        if kind == "minor":
            return {"stretcher": False, "wheelchair": None, "oxygen": False, "medic_role": "nurse",
                    "medic_skills": rng.choice(([], ["paediatric"], ["psychiatric"])),
                    "max_travel_hours": rng.choice((24, 30, 36))}
        if stretcher is None:
            stretcher = rng.random() < 0.16
        oxygen = rng.random() < 0.1
        if stretcher:
            role = "physician" if rng.random() < 0.4 else "nurse"
            wheelchair = None
        else:
            role = rng.choices(("nurse", "physician", None), (60, 12, 28))[0]
            wheelchair = rng.choices((None, "WCHR", "WCHS", "WCHC"), (55, 19, 12, 14))[0]
        skills: list[str] = []
        if role and rng.random() < 0.3:
            skills = [rng.choice(("icu", "psychiatric", "dialysis", "oxygen" if oxygen else "psychiatric"))]
        elif role and oxygen:
            skills = ["oxygen"]
        return {"stretcher": stretcher, "wheelchair": wheelchair, "oxygen": oxygen, "medic_role": role,
                "medic_skills": skills,
                "max_travel_hours": rng.choice((24, 30, 36, 48)) if stretcher else rng.choice((18, 24, 30, 36, 48))}

    def _birth(self, kind: str) -> str:
        age_days = (self.rng.randrange(12, 18) if kind == "minor" else self.rng.randrange(19, 82)) * 365
        age_days += self.rng.randrange(0, 360)
        return (HORIZON_START - timedelta(days=age_days)).isoformat()

    def draw(self, kind: str, country: str | None = None, stretcher: bool | None = None,
             recv_kinds: tuple[str, ...] | None = None) -> dict:
        """One departure with everything drawn at random (its id is given later)."""
        rng, days = self.rng, self.days
        med = self._medical(kind, stretcher)
        if country is None:
            if med and med["stretcher"]:
                country = rng.choice(self.stretcher_countries)
            else:
                country = rng.choices(self.countries, self.weights)[0]
        if recv_kinds is None and med and med["stretcher"]:
            recv_kinds = ("hospital",)
        elif recv_kinds is None:
            recv_kinds = {"minor": ("family", "guardian", "reception_facility"),
                          "medical": rng.choice((("hospital",), ("hospital",), ("care_facility",), ("family",))),
                          "other": ("family", "reception_facility")}[kind]
        rec = self._reception_for(country, recv_kinds)
        start_day = rng.randrange(0, max(1, days - 3))
        length = rng.randrange(4, 22)
        end_day = min(days, start_day + length)
        start = HORIZON_START + timedelta(days=start_day)
        win = (_at(start, 0, HOME_TZ), _at(HORIZON_START + timedelta(days=end_day), 0, HOME_TZ))
        if end_day < days and rng.random() < 0.5:
            win = (win[0], win[1] + rng.choice((8, 12)) * 60)
        ready = win[0] + rng.choice((0, 0, 8, 12)) * 60
        deadline = win[1]
        doc_kind = rng.choices(("laissez-passer", "EU-LP", "passport"), (55, 25, 20))[0]
        valid_from = start - timedelta(days=rng.randrange(0, 10))
        valid_until = valid_from + timedelta(days=rng.choice((30, 30, 45, 60, 90)) if doc_kind != "passport"
                                             else rng.randrange(20, 400))
        sex = rng.choices(("M", "F", "X"), (60, 37, 3))[0]
        if kind == "minor":
            risk = rng.choices(("none", "low", "medium"), (60, 30, 10))[0]
        elif kind == "medical":
            risk = rng.choices(("none", "low", "medium", "high"), (55, 35, 8, 2))[0]
        else:
            risk = rng.choices(("none", "low", "medium", "high"), (20, 45, 25, 10))[0]
        d: dict[str, Any] = {
            "id": "", "kind": kind, "person": {"ref": "", "sex": sex, "birth_date": self._birth(kind)},
            "priority": rng.choices((1, 2, 3, 4, 5), (8, 25, 32, 24, 11))[0], "risk": risk,
            "pickup": {"location": self._location(kind), "window": [_iso(win[0], HOME_TZ), _iso(win[1], HOME_TZ)]},
            "ready_from": _iso(ready, HOME_TZ), "deadline": _iso(deadline, HOME_TZ),
            "destination_country": country, "destination_airports": list(DESTINATIONS[country][0]),
            "reception": rec["id"],
            "travel_document": {"kind": doc_kind, "valid_from": valid_from.isoformat(),
                                "valid_until": valid_until.isoformat()},
        }
        if med is not None:
            d["fit_to_fly_until"] = (start + timedelta(days=rng.randrange(7, 36))).isoformat()
            d["medical"] = med
        if rng.random() < 0.08 and win[1] - win[0] > 3 * 1440:
            s = ready + rng.randrange(0, (win[1] - win[0]) // 2, 360)
            d["blocked"] = [[_iso(s, HOME_TZ), _iso(s + rng.choice((12, 24, 36, 48)) * 60, HOME_TZ)]]
        return d

    def _name(self, d: dict) -> None:
        self.serial += 1
        d["id"] = f"BV-2026-{self.serial:04d}"
        d["person"]["ref"] = f"P-{self.serial:04d}"

    def plannable(self, kind: str, **kw) -> dict:
        for _ in range(60):
            d = self.draw(kind, **kw)
            d["id"] = "candidate"
            if _feasible(self.net, [self.net.departure(d)]):
                return d
        raise RuntimeError(f"could not draw a plannable {kind} departure")

    def family(self, kinds: list[str]) -> list[dict]:
        recv = ("family",) if "minor" in kinds else ("family", "hospital")
        for _ in range(100):
            lead = self.draw(kinds[0], recv_kinds=recv, stretcher=False)
            members = [lead]
            for kind in kinds[1:]:
                m = self.draw(kind, country=lead["destination_country"], stretcher=False)
                for key in ("pickup", "ready_from", "deadline", "reception", "priority"):
                    m[key] = json.loads(json.dumps(lead[key]))
                if "blocked" in lead:
                    m["blocked"] = json.loads(json.dumps(lead["blocked"]))
                else:
                    m.pop("blocked", None)
                m["travel_document"] = dict(lead["travel_document"], kind=m["travel_document"]["kind"])
                members.append(m)
            for i, m in enumerate(members):
                m["id"] = f"candidate-{i}"
            if _feasible(self.net, [self.net.departure(m) for m in members]):
                return members
        raise RuntimeError("could not draw a plannable family")

    # ---- unplannable by construction; returns None when this draw cannot carry the reason

    def unplannable(self, reason: str) -> dict | None:
        rng, net = self.rng, self.net
        if reason == "no_stretcher_flight":
            if not self.no_stretcher_countries:
                return None
            d = self.draw("medical", country=rng.choice(self.no_stretcher_countries), stretcher=True)
            return d
        if reason == "minor_to_hospital":
            d = self.plannable("minor")
            hospitals = [r for r in self.by_country[d["destination_country"]]
                         if r["kind"] == "hospital" and r["confirmed"]]
            d["reception"] = rng.choice(hospitals)["id"]
            return d
        if reason == "reception_unconfirmed":
            kind = rng.choice(("medical", "minor", "minor", "other"))
            d = self.plannable(kind)
            airport = net.sc.reception[d["reception"]].airport
            same = [r for r in self.by_country[d["destination_country"]]
                    if not r["confirmed"] and r["airport"] == airport
                    and (kind != "minor" or r["kind"] in ("family", "guardian"))]
            if same:
                d["reception"] = rng.choice(same)["id"]
            else:
                d["reception"] = self._add_reception(d["destination_country"],
                                                     "family" if kind != "medical" else "care_facility",
                                                     airport, False)["id"]
            return d
        kind = "medical" if reason in ("fit_to_fly_expires", "journey_too_long") else \
            rng.choice(("medical", "minor", "other"))
        d = self.plannable(kind)
        if kind == "medical" and reason == "journey_too_long" and not d["medical"].get("max_travel_hours"):
            return None
        sc = net.sc
        dep = net.departure(d)
        dest = sc.reception[dep.reception].airport
        spans = net.first_departures(dep)
        if reason in ("document_expires", "fit_to_fly_expires"):
            first = min(net.earliest_arrival(o, dest, lo, hi) for o, (lo, hi) in spans.items())
            last_ok = rules.local_date(sc, int(first), dest) - timedelta(days=rng.choice((1, 1, 2, 3)))
            if reason == "document_expires":
                doc = d["travel_document"]
                doc["valid_until"] = last_ok.isoformat()
                if doc["valid_from"] > doc["valid_until"]:
                    doc["valid_from"] = (last_ok - timedelta(days=30)).isoformat()
            else:
                d["fit_to_fly_until"] = last_ok.isoformat()
        elif reason == "journey_too_long":
            shortest = math.inf
            for o, (lo, hi) in spans.items():
                for it in net.itineraries(o, dest, lo, hi, 24 * 60):
                    shortest = min(shortest, it[-1].arrives - rules.pickup_time(sc, dep, o, it[0].departs))
            shortest = min(shortest, 24 * 60) + sc.reception[dep.reception].transfer_minutes
            hours = shortest // 60 - rng.choice((1, 2, 3))
            if hours < 5:
                return None
            d["medical"]["max_travel_hours"] = int(hours)
        elif reason == "reception_closed":
            arrivals = []
            for (a, b), legs in net.routes.items():
                if b == dest:
                    arrivals += [leg.arrives for leg in legs if dep.ready_from <= leg.arrives <= dep.deadline]
            transfer = rng.choice((30, 45, 60))
            # Handover instants as the planner reads opening hours: local weekday and minute of day.
            local = [timeutil.local_minute_of_day(t + transfer, sc.tz(dest)) for t in arrivals]
            points = [(day.weekday(), minute) for day, minute in local]
            patterns = [(range(5), 9 * 60, 12 * 60), (range(5), 13 * 60, 16 * 60), (range(4), 10 * 60, 14 * 60),
                        ((1, 3), 9 * 60, 13 * 60), ((0, 2, 4), 14 * 60, 17 * 60), (range(5), 8 * 60, 11 * 60),
                        ((5,), 10 * 60, 13 * 60), (range(5), 16 * 60, 19 * 60)]
            rng.shuffle(patterns)
            for days_open, o, c in patterns:
                if all(not (wd in days_open and o <= mm < c) for wd, mm in points):
                    opening = {WEEKDAYS[i]: [_hhmm(o), _hhmm(c)] for i in days_open}
                    city = CITY_OF_AIRPORT.get(dest, DESTINATIONS[d["destination_country"]][1])
                    kind_r, name = {"medical": ("care_facility", f"Outpatient rehabilitation clinic ({city})"),
                                    "minor": ("reception_facility", f"Child protection office ({city})"),
                                    "other": ("reception_facility", f"Returnee support office ({city})")}[kind]
                    rec = self._add_reception(d["destination_country"], kind_r, dest, True, name, opening)
                    rec["transfer_minutes"] = transfer
                    rec["closed_dates"] = []
                    d["reception"] = rec["id"]
                    return d
            return None
        return d

    def verify_unplannable(self, d: dict) -> bool:
        return not _feasible(self.net, [self.net.departure(d)], max_wait=10 ** 9)


def _departures(rng: random.Random, net: _Network, scenario: dict, size: str) -> tuple[list[dict], dict[str, str]]:
    b = _Builder(rng, net, scenario, size)
    n = SIZES[size]["departures"]
    n_bad = round(n * UNPLANNABLE_SHARE)
    n_families = max(1, round(n * 0.03))
    out: list[dict] = []
    notes: dict[str, str] = {}
    family_shapes = (["medical", "other"], ["minor", "minor"], ["minor", "minor", "minor"], ["other", "other"],
                     ["medical", "other", "other"])
    good_budget = n - n_bad
    families = []
    for _ in range(n_families):
        shape = list(rng.choice(family_shapes))
        if len(shape) > good_budget - 1:
            break
        families.append(b.family(shape))
        good_budget -= len(shape)
    singles = [b.plannable(rng.choices(("medical", "minor", "other"), (58, 36, 6))[0]) for _ in range(good_budget)]
    reasons = list(UNPLANNABLE_REASONS)
    bad = []
    while len(bad) < n_bad:
        reason = reasons[len(bad) % len(reasons)] if len(bad) < len(reasons) else rng.choice(reasons)
        for _ in range(20):
            d = b.unplannable(reason)
            if d is not None and b.verify_unplannable(d):
                bad.append((reason, d))
                break
        else:
            reasons.remove(reason)  # this network cannot carry the reason; use the others
            if not reasons:
                raise RuntimeError("could not draw unplannable departures")
    items: list[tuple[str | None, list[dict]]] = [(None, f) for f in families]
    items += [(None, [d]) for d in singles] + [(r, [d]) for r, d in bad]
    rng.shuffle(items)
    group_no = 0
    for reason, members in items:
        if len(members) > 1:
            group_no += 1
        for d in members:
            b._name(d)
            if len(members) > 1:
                d["family_group"] = f"FAM-{group_no}"
            if reason:
                notes[d["id"]] = UNPLANNABLE_REASONS[reason]
            out.append(d)
    return out, notes


def _with_visa(visas: dict[str, str], country: str, until: str) -> dict[str, str]:
    order = PARAMETERS["visa_required_countries"]
    return dict(sorted({**visas, country: until}.items(), key=lambda kv: order.index(kv[0])))


def _cover_rosters(rng: random.Random, scenario: dict, notes: dict[str, str]) -> None:
    """Make sure the roster holds at least one medic and a few escorts fit for every plannable
    departure, so scarcity is about numbers and timing, not about an impossible requirement."""
    visa_countries = set(PARAMETERS["visa_required_countries"])
    end = (HORIZON_START + timedelta(days=400)).isoformat()
    escorts, medics = scenario["escorts"], scenario["medics"]
    for d in scenario["departures"]:
        if d["id"] in notes:
            continue
        country = d["destination_country"]
        med = d.get("medical") or {}
        if med.get("medic_role"):
            roles = ("nurse", "physician") if med["medic_role"] == "nurse" else ("physician",)
            fit = [m for m in medics if m["role"] in roles and set(med["medic_skills"]) <= set(m["skills"])
                   and (country not in visa_countries or m["visas"].get(country, "") >= end)]
            if not fit:
                m = rng.choice([m for m in medics if m["role"] in roles] or medics)
                m["role"] = m["role"] if m["role"] in roles else roles[0]
                m["skills"] = sorted(set(m["skills"]) | set(med["medic_skills"]))
                if country in visa_countries:
                    m["visas"] = _with_visa(m["visas"], country, end)
        if country in visa_countries:
            holders = [e for e in escorts if e["visas"].get(country, "") >= end]
            for e in rng.sample(escorts, max(0, 4 - len(holders))):
                e["visas"] = _with_visa(e["visas"], country, end)
    for sex in ("M", "F"):
        minors = [e for e in escorts if e["sex"] == sex and "minors" in e["skills"]]
        pool = [e for e in escorts if e["sex"] == sex and "minors" not in e["skills"]]
        for e in rng.sample(pool, min(len(pool), max(0, 2 - len(minors)))):
            e["skills"] = [s for s in ESCORT_SKILLS if s in set(e["skills"]) | {"minors"}]
    if not any("team_leader" in e["skills"] for e in escorts):
        escorts[0]["skills"] = ["team_leader"] + escorts[0]["skills"]


# --------------------------------------------------------------------------------------------
# public API

def generate_with_notes(size: str, seed: int) -> tuple[dict, dict[str, str]]:
    """The scenario and, per departure that cannot be planned by construction, why not."""
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}: choose one of {', '.join(SIZES)}")
    spec = SIZES[size]
    rng = random.Random(seed)
    days = spec["horizon_days"]
    h_start, h_end = _horizon(size)
    first_day = HORIZON_START - timedelta(days=1)
    last_day = HORIZON_START + timedelta(days=days + 7)
    roster_first = HORIZON_START - timedelta(days=3)
    roster_days = days + 3 + 10
    scenario: dict[str, Any] = {
        "format": FORMAT,
        "name": size,
        "planning_time": PLANNING_TIME,
        "horizon": [_iso(h_start, HOME_TZ), _iso(h_end, HOME_TZ)],
        "parameters": json.loads(json.dumps(PARAMETERS)),
        "airports": _airports(),
        "airlines": _airlines(),
        "flights": _flights(rng, first_day, last_day),
        "locations": _locations(),
        "vehicles": _vehicles(rng, spec["vehicles"], HORIZON_START, days + 10),
        "escorts": _escorts(rng, spec["escorts"], roster_first, roster_days),
        "medics": _medics(rng, spec["medics"], roster_first, roster_days),
        "reception": _reception(rng, days),
        "departures": [],
    }
    net = _Network(parse_scenario(scenario))
    scenario["departures"], notes = _departures(rng, net, scenario, size)
    _cover_rosters(rng, scenario, notes)
    return scenario, notes


def generate(size: str, seed: int) -> dict:
    """A `vertrekplanner/scenario@1` scenario of the given size as a JSON-able dict."""
    return generate_with_notes(size, seed)[0]


def write_scenario(size: str, seed: int, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(generate(size, seed), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path
