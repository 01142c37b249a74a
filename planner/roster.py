"""Companions as arrays, to test a whole roster against one mission at once.

The candidate builder asks, for thousands of options, which of hundreds of escorts hold the
visas and are available for the mission. These are the same questions as
``rules.missing_visa`` and ``rules.span_in_any``, answered for every person in one numpy
expression; ``tests/test_roster.py`` proves both readings agree.
"""
from __future__ import annotations

from datetime import date
from typing import Iterable

import numpy as np

from .domain import Companion

_NEVER = np.iinfo(np.int64).max


class Roster:
    def __init__(self, people: Iterable[Companion]):
        self.people = list(people)
        n = len(self.people)
        width = max((len(p.available) for p in self.people), default=0) or 1
        self.win_start = np.full((n, width), _NEVER, dtype=np.int64)
        self.win_end = np.full((n, width), -_NEVER, dtype=np.int64)
        for i, p in enumerate(self.people):
            for j, (s, e) in enumerate(p.available):
                self.win_start[i, j] = s
                self.win_end[i, j] = e
        bases = sorted({p.base for p in self.people})
        self.by_base = {b: np.array([p.base == b for p in self.people], dtype=bool) for b in bases}
        self.everyone = np.ones(n, dtype=bool)
        self._visa_until: dict[str, np.ndarray] = {}
        self._visa_cache: dict[tuple, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.people)

    def mask(self, keep) -> np.ndarray:
        return np.array([bool(keep(p)) for p in self.people], dtype=bool)

    def _until(self, country: str) -> np.ndarray:
        """Last valid day of each person's visa for a country, as a day number (-1: none)."""
        arr = self._visa_until.get(country)
        if arr is None:
            arr = np.array([p.visas[country].toordinal() if country in p.visas else -1 for p in self.people],
                           dtype=np.int64)
            self._visa_until[country] = arr
        return arr

    def visa_ok(self, needs: tuple[tuple[str, date], ...]) -> np.ndarray:
        """Who holds a valid visa for every (country, local landing date) need (``rules.missing_visa``)."""
        found = self._visa_cache.get(needs)
        if found is None:
            found = self.everyone.copy()
            for country, day in needs:
                found &= self._until(country) >= day.toordinal()
            self._visa_cache[needs] = found
        return found

    def available(self, start: int, end: int) -> np.ndarray:
        """Who has one availability window holding [start, end] (``rules.span_in_any``)."""
        return ((self.win_start <= start) & (end <= self.win_end)).any(axis=1)
