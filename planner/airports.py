"""Airport facts: IANA zone and country from airportsdata, overridable by the scenario."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Airport:
    iata: str
    tz: ZoneInfo
    country: str
    mct_minutes: int | None  # None: the scenario's min_connection_minutes applies
    name: str = ""


@lru_cache(maxsize=1)
def shipped_airports() -> dict[str, dict]:
    import airportsdata

    return airportsdata.load("IATA")


def shipped(iata: str) -> dict | None:
    return shipped_airports().get(iata)
