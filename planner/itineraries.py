"""Itinerary search over the flight legs: direct and connecting, respecting connection times."""
from __future__ import annotations

from bisect import bisect_left
from typing import Callable, Iterator

from . import rules
from .domain import Flight, Scenario

Itinerary = tuple[Flight, ...]


class FlightIndex:
    """Legs that can carry someone, per departure airport, sorted by departure time."""

    def __init__(self, sc: Scenario):
        self.sc = sc
        by_origin: dict[str, list[Flight]] = {}
        for f in sc.flights.values():
            if not f.cancelled and f.seats > 0:
                by_origin.setdefault(f.origin, []).append(f)
        self.by_origin = {a: sorted(fs, key=lambda f: f.departs) for a, fs in by_origin.items()}
        self.departs = {a: [f.departs for f in fs] for a, fs in self.by_origin.items()}

    def leaving(self, airport: str, earliest: int, latest: int) -> list[Flight]:
        """Legs leaving ``airport`` at or after ``earliest`` and at or before ``latest``."""
        times = self.departs.get(airport)
        if not times:
            return []
        lo = bisect_left(times, earliest)
        hi = bisect_left(times, latest + 1, lo)
        return self.by_origin[airport][lo:hi]


def search(
    index: FlightIndex,
    origins: dict[str, tuple[int, int]],
    dest: str,
    latest_arrival: int,
    leg_ok: Callable[[Flight], bool],
    max_legs: int,
    max_layover: int,
) -> Iterator[Itinerary]:
    """Every itinerary from one of ``origins`` (airport -> first-departure span) to ``dest``.

    Legs chain with the connection time of the connecting airport (rule 1), a layover of at
    most ``max_layover`` minutes, never revisit an airport, and land by ``latest_arrival``.
    """
    sc = index.sc

    def extend(path: list[Flight], visited: set[str]) -> Iterator[Itinerary]:
        last = path[-1]
        if last.dest == dest:
            yield tuple(path)
            return
        if len(path) >= max_legs:
            return
        earliest = last.arrives + rules.connection_minutes(sc, last.dest)
        for nxt in index.leaving(last.dest, earliest, last.arrives + max_layover):
            if nxt.arrives > latest_arrival or nxt.dest in visited or not leg_ok(nxt):
                continue
            if len(path) + 1 == max_legs and nxt.dest != dest:
                continue
            path.append(nxt)
            visited.add(nxt.dest)
            yield from extend(path, visited)
            visited.discard(nxt.dest)
            path.pop()

    for origin, (earliest, latest) in origins.items():
        for first in index.leaving(origin, earliest, latest):
            if first.arrives > latest_arrival or first.dest == origin or not leg_ok(first):
                continue
            if max_legs == 1 and first.dest != dest:
                continue
            yield from extend([first], {origin, first.dest})
