"""The roster's array answers agree with the scalar rule helpers they stand in for."""
from __future__ import annotations

import random
from datetime import date, timedelta

from planner import rules
from planner.roster import Roster
from planner.scenario import Companion


def people(rng: random.Random, n: int = 60) -> list[Companion]:
    out = []
    for i in range(n):
        windows, t = [], rng.randrange(0, 2000)
        for _ in range(rng.randrange(0, 4)):
            s = t + rng.randrange(0, 3000)
            e = s + rng.randrange(1, 5000)
            windows.append((s, e))
            t = e
        visas = {c: date(2027, 1, 1) + timedelta(days=rng.randrange(-20, 20))
                 for c in ("NG", "GH", "NP") if rng.random() < 0.6}
        out.append(Companion(f"P{i}", "x", "AMS", frozenset(), visas, tuple(windows), sex="M"))
    return out


def test_availability_and_visas_agree_with_the_rules():
    rng = random.Random(7)
    crew = people(rng)
    roster = Roster(crew)
    for _ in range(300):
        start = rng.randrange(0, 12000)
        end = start + rng.randrange(0, 4000)
        assert list(roster.available(start, end)) == [rules.span_in_any(start, end, p.available) for p in crew]
        needs = tuple((c, date(2027, 1, 1) + timedelta(days=rng.randrange(-25, 25)))
                      for c in rng.sample(["NG", "GH", "NP"], k=rng.randrange(0, 3)))
        assert list(roster.visa_ok(needs)) == [rules.missing_visa(p, needs) is None for p in crew]


def test_boundaries_are_inclusive_as_in_the_rules():
    crew = [Companion("A", "x", "AMS", frozenset(), {"NG": date(2027, 1, 7)}, ((100, 200),), sex="F")]
    roster = Roster(crew)
    assert roster.available(100, 200)[0] and not roster.available(99, 200)[0] and not roster.available(100, 201)[0]
    assert roster.visa_ok((("NG", date(2027, 1, 7)),))[0] and not roster.visa_ok((("NG", date(2027, 1, 8)),))[0]
