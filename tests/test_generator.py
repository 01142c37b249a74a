import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import airportsdata
import pytest

from conftest import SHARED
from planner import generator as g

AIRPORTS = airportsdata.load("IATA")
REFERENCE = SHARED  # the reference scenarios beside the repository
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@pytest.fixture(scope="module")
def scenarios():
    return {size: g.generate_with_notes(size, 11) for size in ("small", "medium", "large")}


def _instants(value, path=""):
    """Every date-time string in a document, with where it sits."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _instants(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _instants(v, f"{path}[{i}]")
    elif isinstance(value, str) and INSTANT.match(value):
        yield path, value


def _zone(sc, iata):
    for a in sc.get("airports") or []:
        if a["iata"] == iata:
            return ZoneInfo(a["timezone"])
    return ZoneInfo(AIRPORTS[iata]["tz"])


def test_same_seed_same_document_other_seed_other_document():
    a = json.dumps(g.generate("small", 42), sort_keys=True)
    b = json.dumps(g.generate("small", 42), sort_keys=True)
    c = json.dumps(g.generate("small", 43), sort_keys=True)
    assert a == b
    assert a != c


def test_same_document_whatever_the_hash_seed():
    code = "import json, hashlib; from planner.generator import generate; " \
           "print(hashlib.sha256(json.dumps(generate('small', 8)).encode()).hexdigest())"
    root = Path(g.__file__).resolve().parent.parent
    digests = set()
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed, PYTHONPATH=str(root))
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True,
                             check=True)
        digests.add(out.stdout.strip())
    assert len(digests) == 1


def test_unknown_size_is_refused():
    with pytest.raises(ValueError, match="unknown size"):
        g.generate("huge", 1)


@pytest.mark.parametrize("size", ["small", "medium", "large"])
def test_counts_follow_the_size_table(scenarios, size):
    sc, _ = scenarios[size]
    spec = g.SIZES[size]
    assert sc["name"] == size
    assert len(sc["departures"]) == spec["departures"]
    assert len(sc["escorts"]) == spec["escorts"]
    assert len(sc["medics"]) == spec["medics"]
    assert len(sc["vehicles"]) == spec["vehicles"]
    assert abs(len(sc["flights"]) - spec["flight_legs"]) <= 0.1 * spec["flight_legs"]
    start, end = (datetime.fromisoformat(t) for t in sc["horizon"])
    assert start == datetime.fromisoformat("2026-12-01T00:00:00+01:00")
    assert (end - start).days == spec["horizon_days"]
    assert sc["planning_time"] == "2026-11-30T09:00:00+01:00"


def test_eu_is_quick_and_full_size():
    t = time.perf_counter()
    sc = g.generate("eu", 3)
    assert time.perf_counter() - t < 10
    assert len(sc["departures"]) == 1000 and len(sc["escorts"]) == 700
    assert len(sc["medics"]) == 140 and len(sc["vehicles"]) == 60


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="reference scenarios not available")
def test_size_table_matches_reference_scenarios():
    for size, spec in g.SIZES.items():
        ref = json.loads((REFERENCE / f"{size}.json").read_text())
        for key in ("departures", "escorts", "medics", "vehicles"):
            assert len(ref[key]) == spec[key], (size, key)
        assert len(ref["flights"]) == spec["flight_legs"]


def test_every_instant_has_an_offset(scenarios):
    for sc, _ in scenarios.values():
        for path, text in _instants(sc):
            dt = datetime.fromisoformat(text)
            assert dt.utcoffset() is not None, path


def test_flight_offsets_match_airport_zone_at_that_instant(scenarios):
    sc, _ = scenarios["large"]
    for f in sc["flights"]:
        for key, airport in (("departs", f["from"]), ("arrives", f["to"])):
            dt = datetime.fromisoformat(f[key])
            assert dt.utcoffset() == dt.astimezone(_zone(sc, airport)).utcoffset(), (f["id"], key)
        assert datetime.fromisoformat(f["arrives"]) > datetime.fromisoformat(f["departs"])
    kathmandu = [f for f in sc["flights"] if f["to"] == "KTM"]
    assert kathmandu and all(f["arrives"].endswith("+05:45") for f in kathmandu)


def test_home_instants_use_amsterdam_offsets(scenarios):
    ams = ZoneInfo("Europe/Amsterdam")
    sc, _ = scenarios["medium"]
    for path, text in _instants({k: sc[k] for k in ("horizon", "escorts", "medics", "vehicles", "departures")}):
        dt = datetime.fromisoformat(text)
        assert dt.utcoffset() == dt.astimezone(ams).utcoffset(), path


def test_timetable_keeps_local_times_across_the_dst_change():
    import random

    legs = g._flights(random.Random(5), date(2027, 3, 20), date(2027, 4, 4))
    zones = {}
    seen_offsets = Counter()
    local_times: dict[str, set] = {}
    for f in legs:
        for key, airport in (("departs", f["from"]), ("arrives", f["to"])):
            tz = zones.setdefault(airport, ZoneInfo(AIRPORTS[airport]["tz"]))
            dt = datetime.fromisoformat(f[key])
            assert dt.utcoffset() == dt.astimezone(tz).utcoffset(), (f["id"], key)
        if f["from"] == "AMS" and f["number"].startswith("KL"):
            seen_offsets[f["departs"][-6:]] += 1
            local_times.setdefault(f["number"], set()).add(f["departs"][11:16])
    assert seen_offsets["+01:00"] and seen_offsets["+02:00"]
    # an outbound from Schiphol leaves at the same wall-clock time before and after the change
    assert all(len(times) == 1 for times in local_times.values())


def test_flights_cover_a_week_past_the_horizon(scenarios):
    sc, _ = scenarios["small"]
    end = datetime.fromisoformat(sc["horizon"][1])
    last = max(datetime.fromisoformat(f["departs"]) for f in sc["flights"])
    assert last >= end + timedelta(days=7)
    homebound = [f for f in sc["flights"] if f["to"] == "AMS" and datetime.fromisoformat(f["departs"]) > end]
    assert len({f["from"] for f in homebound}) >= 8


def test_references_resolve_and_ids_are_unique(scenarios):
    for sc, _ in scenarios.values():
        for key, field in (("airlines", "code"), ("flights", "id"), ("locations", "id"), ("vehicles", "id"),
                           ("escorts", "id"), ("medics", "id"), ("reception", "id"), ("departures", "id")):
            ids = [x[field] for x in sc[key]]
            assert len(ids) == len(set(ids)), key
        airlines = {a["code"]: a for a in sc["airlines"]}
        locations = {loc["id"]: loc for loc in sc["locations"]}
        reception = {r["id"]: r for r in sc["reception"]}
        known = set(AIRPORTS) | {a["iata"] for a in sc["airports"]}
        for f in sc["flights"]:
            assert f["carrier"] in airlines and f["number"].startswith(f["carrier"])
            assert f["from"] in known and f["to"] in known and f["from"] != f["to"]
            assert not f["stretcher"] or airlines[f["carrier"]]["accepts_stretcher"]
            assert f["seats"] >= 0
        for loc in sc["locations"]:
            assert loc["drive_minutes"] and set(loc["drive_minutes"]) <= {"AMS", "RTM", "EIN"}
        for r in sc["reception"]:
            assert r["airport"] in known and AIRPORTS[r["airport"]]["country"] == r["country"]
            for day, (opens, closes) in r["open"].items():
                assert day in g.WEEKDAYS and opens < closes <= "24:00"
        for person in sc["escorts"] + sc["medics"]:
            assert person["base"] in known
            assert set(person["visas"]) <= set(sc["parameters"]["visa_required_countries"])
        for d in sc["departures"]:
            rec = reception[d["reception"]]
            assert d["pickup"]["location"] in locations
            assert rec["airport"] in d["destination_airports"]
            assert rec["country"] == d["destination_country"]
            assert all(AIRPORTS[a]["country"] == d["destination_country"] for a in d["destination_airports"])
            assert d["travel_document"]["valid_from"] <= d["travel_document"]["valid_until"]
            if d["kind"] == "medical":
                assert d["fit_to_fly_until"] and d["medical"]
            windows = [d["pickup"]["window"]] + d.get("blocked", [])
            windows += [w for x in sc["escorts"] + sc["medics"] + sc["vehicles"] for w in x["available"]]
            for s, e in windows:
                assert datetime.fromisoformat(s) < datetime.fromisoformat(e)


def test_family_groups_share_destination_and_pickup(scenarios):
    sc, _ = scenarios["large"]
    groups = {}
    for d in sc["departures"]:
        if d.get("family_group"):
            groups.setdefault(d["family_group"], []).append(d)
    assert groups
    for members in groups.values():
        assert 2 <= len(members) <= 3
        assert len({(m["destination_country"], m["pickup"]["location"], m["reception"]) for m in members}) == 1


def test_a_quarter_is_unplannable_for_recognisable_reasons(scenarios):
    for size, (sc, notes) in scenarios.items():
        n = len(sc["departures"])
        assert len(notes) == round(n * g.UNPLANNABLE_SHARE)
        assert not any(d.get("family_group") for d in sc["departures"] if d["id"] in notes)
        verdict = g.plannable_in_principle(sc)
        assert {i for i, ok in verdict.items() if not ok} == set(notes), size
    sc, notes = scenarios["large"]
    assert len(set(notes.values())) >= 6
    reception = {r["id"]: r for r in sc["reception"]}
    by_id = {d["id"]: d for d in sc["departures"]}
    for did, why in notes.items():
        d = by_id[did]
        rec = reception[d["reception"]]
        if why == g.UNPLANNABLE_REASONS["reception_unconfirmed"]:
            assert rec["confirmed"] is False
        elif why == g.UNPLANNABLE_REASONS["minor_to_hospital"]:
            assert d["kind"] == "minor" and rec["kind"] == "hospital"
        elif why == g.UNPLANNABLE_REASONS["no_stretcher_flight"]:
            assert d["medical"]["stretcher"]
            assert not any(f["stretcher"] for f in sc["flights"] if f["to"] in d["destination_airports"])
        elif why == g.UNPLANNABLE_REASONS["document_expires"]:
            assert d["travel_document"]["valid_until"] < d["deadline"][:10]
        else:
            assert rec["confirmed"]


def test_plannability_check_notices_a_broken_departure(scenarios):
    sc, notes = scenarios["small"]
    sc = json.loads(json.dumps(sc))
    d = next(d for d in sc["departures"] if d["id"] not in notes and not d.get("family_group"))
    assert g.plannable_in_principle(sc)[d["id"]]
    d["travel_document"]["valid_until"] = d["travel_document"]["valid_from"] = "2026-11-01"
    assert not g.plannable_in_principle(sc)[d["id"]]


def test_people_and_resources_look_real(scenarios):
    sc, _ = scenarios["large"]
    ranks = tuple(g.RANKS)
    assert all(e["name"].startswith(ranks) and e["sex"] in ("M", "F") for e in sc["escorts"])
    assert all(set(e["skills"]) <= set(g.ESCORT_SKILLS) for e in sc["escorts"])
    assert any("team_leader" in e["skills"] for e in sc["escorts"])
    for sex in ("M", "F"):
        assert any("minors" in e["skills"] and e["sex"] == sex for e in sc["escorts"])
    assert {m["role"] for m in sc["medics"]} == {"nurse", "physician"}
    assert all(set(m["skills"]) <= set(g.MEDIC_SKILLS) and m["day_rate_eur"] > 0 for m in sc["medics"])
    assert any(v["stretcher"] for v in sc["vehicles"]) and any(not v["stretcher"] for v in sc["vehicles"])
    kinds = Counter(r["kind"] for r in sc["reception"])
    assert set(kinds) == {"hospital", "care_facility", "family", "guardian", "reception_facility"}
    assert any(span[1] == "24:00" for r in sc["reception"] for span in r["open"].values())
    flights = sc["flights"]
    assert any(f.get("cancelled") for f in flights) and any(f["seats"] == 0 for f in flights)
    departures = sc["departures"]
    assert {d["kind"] for d in departures} == {"medical", "minor", "other"}
    assert {d["priority"] for d in departures} == {1, 2, 3, 4, 5}
    assert any(d.get("blocked") for d in departures)
    assert any(d.get("medical", {}).get("stretcher") for d in departures)


def test_every_size_passes_the_scenario_loader():
    scenario = pytest.importorskip("planner.scenario")
    for size, seed in (("small", 1), ("small", 2), ("medium", 1), ("medium", 2), ("large", 1), ("eu", 1)):
        scenario.parse_scenario(g.generate(size, seed))  # raises ScenarioError listing every problem


def test_write_scenario_round_trips(tmp_path):
    path = g.write_scenario("small", 9, tmp_path / "out" / "small.json")
    assert json.loads(path.read_text(encoding="utf-8")) == g.generate("small", 9)


def test_generator_does_not_read_shared_files():
    source = Path(g.__file__).read_text(encoding="utf-8")
    assert "/work/shared" not in source and "scenarios/" not in source
