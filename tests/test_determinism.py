"""The same scenario, options and seed give the same plan.json (timings aside), whatever
PYTHONHASHSEED is: no choice may follow the iteration order of a set of strings.

The medium reference scenario showed it: airports kept in a set ordered the itinerary options
differently per process, so CP-SAT broke ties between equally good plans differently.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import SHARED


def plan_process(scenario, out, hash_seed: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONHASHSEED=hash_seed)
    return subprocess.Popen([sys.executable, "-m", "planner.cli", "plan", str(scenario), "--out", str(out),
                             "--workers", "1", "--time-limit", "600", "--no-documents"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_plan_is_the_same_under_every_hash_seed(tmp_path):
    scenario = SHARED / "medium.json"
    if not scenario.is_file():
        pytest.skip(f"reference scenario {scenario} not present")
    # One worker each, so the two processes run side by side on two cores without changing a plan.
    runs = {seed: plan_process(scenario, tmp_path / seed, seed) for seed in ("1", "2")}
    for seed, process in runs.items():
        said, _ = process.communicate(timeout=900)
        assert process.returncode == 0, said
    first, second = (_normalised(tmp_path / seed / "plan.json") for seed in runs)
    assert first["solver"]["status"] == "OPTIMAL"  # proven: the time limit did not decide anything
    assert first == second


def _normalised(path) -> dict:
    plan = json.loads(path.read_text())
    plan.pop("generated_at")
    for key in list(plan["solver"]):
        if key.endswith("seconds") or key == "stages":
            plan["solver"].pop(key)
    return plan


def test_replan_is_the_same_under_every_hash_seed(tmp_path):
    """A re-plan that keeps the lawful parts of departures an escort and a vehicle dropped out of:
    the same plan and the same changes.json (what is lost, and why) whatever PYTHONHASHSEED is."""
    from planner.generator import generate

    scenario = tmp_path / "small.json"
    scenario.write_text(json.dumps(generate("small", 3)))
    run = [sys.executable, "-m", "planner.cli"]
    flags = ["--workers", "1", "--time-limit", "120", "--no-documents"]
    done = subprocess.run(run + ["plan", str(scenario), "--out", str(tmp_path / "v1")] + flags,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    planned = [e for e in json.loads((tmp_path / "v1" / "plan.json").read_text())["departures"] if e["planned"]]
    a, b = planned[0], next(e for e in planned if e["escorts"])
    disruptions = tmp_path / "disruptions.json"
    disruptions.write_text(json.dumps({"format": "vertrekplanner/disruptions@1", "disruptions": [
        {"kind": "person_unavailable", "person": b["escorts"][0]["id"],
         "window": [b["pickup"]["time"], b["handover"]["time"]]},
        {"kind": "vehicle_unavailable", "vehicle": a["pickup"]["vehicle"],
         "window": [a["pickup"]["time"], a["handover"]["time"]]}]}))
    out = {}
    for hash_seed in ("1", "2"):
        done = subprocess.run(run + ["replan", str(scenario), "--previous", str(tmp_path / "v1" / "plan.json"),
                                     "--disruptions", str(disruptions), "--out", str(tmp_path / hash_seed)] + flags,
                              env=dict(os.environ, PYTHONHASHSEED=hash_seed), capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        out[hash_seed] = (_normalised(tmp_path / hash_seed / "plan.json"),
                          json.loads((tmp_path / hash_seed / "changes.json").read_text()))
    assert out["1"] == out["2"]
    plan, changes = out["1"]
    assert plan["solver"]["status"] == "OPTIMAL" and changes["lost"]
    assert not any(d["whole"] for d in changes["lost"].values())
    assert changes["changed_assignments"] == changes["unavoidable_changes"] == len(changes["lost"])
