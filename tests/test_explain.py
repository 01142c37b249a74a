"""Reasons for unplanned departures say what is true of the plan they belong to."""
from __future__ import annotations

import tiny
from planner.candidates import Candidates
from planner.explain import unplanned_reasons
from planner.greedy import greedy
from planner.scenario import parse_scenario
from planner.selection import Selection


def test_contention_names_the_resource_the_plan_took():
    two = [tiny.departure("D1", medical=None, kind="other", risk="none", priority=5),
           tiny.departure("D2", medical=None, kind="other", risk="none", priority=1)]
    cands = Candidates(parse_scenario(tiny.scenario(flights=tiny.flights_with(tiny.OUT, seats=1),
                                                    departures=two, medics=[])))
    reasons = unplanned_reasons(cands, greedy(cands))
    assert [r.code for r in reasons["D2"]] == ["seats_full"] and "7 January" in reasons["D2"][0].en


def test_an_option_that_still_fits_is_not_called_full():
    """A search stopped by its time limit may leave out a departure that would fit."""
    cands = Candidates(parse_scenario(tiny.scenario()))
    reasons = unplanned_reasons(cands, Selection())
    assert [r.code for r in reasons["D1"]] == ["still_fits"]
    assert "time limit" in reasons["D1"][0].en and "rekentijd" in reasons["D1"][0].nl
