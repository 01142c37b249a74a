"""The command line, end to end: plan, check, validate, exit codes."""
from __future__ import annotations

import json

import tiny
from planner.cli import main


def write(tmp_path, data, name="scenario.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_plan_then_check(tmp_path):
    scenario = write(tmp_path, tiny.scenario())
    out = tmp_path / "out"
    assert main(["plan", str(scenario), "--out", str(out), "--time-limit", "10", "--workers", "1"]) == 0
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert plan["format"] == "vertrekplanner/plan@1" and plan["departures"][0]["planned"]
    assert plan["solver"]["ortools"] and "planned_priority" in plan["solver"]["objective"]
    assert (out / "index.html").exists() and list((out / "calendars").glob("*.ics"))
    assert main(["check", str(scenario), str(out / "plan.json")]) == 0

    # A hand edit that drops an escort breaks rule 6: check says so and exits 1.
    plan["departures"][0]["escorts"] = plan["departures"][0]["escorts"][:1]
    edited = write(tmp_path, plan, "edited.json")
    assert main(["check", str(scenario), str(edited)]) == 1


def test_quick_mode_writes_a_valid_plan(tmp_path):
    scenario = write(tmp_path, tiny.scenario())
    out = tmp_path / "q"
    assert main(["plan", str(scenario), "--out", str(out), "--quick", "--no-documents"]) == 0
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert plan["solver"]["status"] == "GREEDY"
    assert main(["check", str(scenario), str(out / "plan.json")]) == 0


def test_bad_input_exits_2_and_names_every_problem(tmp_path, capsys):
    bad = tiny.scenario(format="nope", escorts=[tiny.escort("E1", sex="?")])
    path = write(tmp_path, bad)
    assert main(["validate", str(path)]) == 2
    assert main(["plan", str(path), "--out", str(tmp_path / "o")]) == 2
    out = capsys.readouterr().out
    assert "scenario.format = 'nope'" in out and "escorts[E1].sex = '?'" in out
    assert not (tmp_path / "o" / "plan.json").exists()


def test_generate_and_template(tmp_path):
    target = tmp_path / "small.json"
    assert main(["generate", "--size", "small", "--seed", "3", "-o", str(target)]) == 0
    assert main(["validate", str(target)]) == 0
    workbook = tmp_path / "t.xlsx"
    assert main(["template", str(workbook)]) == 0 and workbook.stat().st_size > 0


def test_plan_from_a_workbook_and_a_csv_folder(tmp_path):
    from planner.loading.tabular import write_csv_folder, write_workbook

    workbook, folder = tmp_path / "scenario.xlsx", tmp_path / "csv"
    write_workbook(tiny.scenario(), workbook)
    write_csv_folder(tiny.scenario(), folder)
    for source, out in ((workbook, tmp_path / "w"), (folder, tmp_path / "c")):
        assert main(["plan", str(source), "--out", str(out), "--quick", "--no-documents"]) == 0
        plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
        assert plan["departures"][0]["planned"]
        assert main(["check", str(source), str(out / "plan.json")]) == 0


# --- PDFs on demand ---------------------------------------------------------------------------

def test_pdf_on_demand_writes_no_pdf_and_index_tells_how_to_get_them(tmp_path):
    scenario = write(tmp_path, tiny.scenario())
    out = tmp_path / "out"
    assert main(["plan", str(scenario), "--out", str(out), "--quick", "--pdf", "on-demand"]) == 0
    dep = json.loads((out / "plan.json").read_text(encoding="utf-8"))["departures"][0]["id"]
    assert not list(out.rglob("*.pdf"))
    assert (out / "itineraries" / f"{dep}.html").is_file() and list((out / "calendars").glob("*.ics"))
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f"vertrekplanner pdf . {dep}" in index and "vertrekplanner pdf . --all" in index
    assert f'href="itineraries/{dep}.html"' in index and ".pdf" not in index

    # The scenario is kept beside the plan: a later edit of the original changes nothing.
    scenario.write_text("{}", encoding="utf-8")
    assert main(["pdf", str(out), dep]) == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.pdf")) == [
        f"itineraries/{dep}.pdf", f"letters/{dep}.en.pdf"]


def test_pdf_command_refuses_what_it_cannot_do(tmp_path, capsys):
    scenario = write(tmp_path, tiny.scenario())
    out = tmp_path / "out"
    assert main(["plan", str(scenario), "--out", str(out), "--quick", "--pdf", "on-demand"]) == 0
    assert main(["pdf", str(out)]) == 2  # neither departures nor --all
    assert main(["pdf", str(out), "BV-NOT-PLANNED"]) == 2
    assert main(["pdf", str(tmp_path / "elsewhere"), "--all"]) == 2
    assert "BV-NOT-PLANNED" in capsys.readouterr().out
    assert not list(out.rglob("*.pdf"))


def test_pdf_default_follows_the_solvers_programme_scale(tmp_path, monkeypatch):
    """Below programme scale every PDF is written; above it (here: the threshold lowered to
    nothing, as ``is_large_scale`` reads it) none is."""
    import dataclasses

    from planner import solve

    scenario = write(tmp_path, tiny.scenario())
    assert main(["plan", str(scenario), "--out", str(tmp_path / "small"), "--quick"]) == 0
    assert list((tmp_path / "small").rglob("*.pdf"))

    real = solve.is_large_scale
    monkeypatch.setattr(solve, "is_large_scale",
                        lambda sc, options: real(sc, dataclasses.replace(options, large_scale_above=0)))
    assert main(["plan", str(scenario), "--out", str(tmp_path / "large"), "--quick"]) == 0
    assert not list((tmp_path / "large").rglob("*.pdf"))
    assert (tmp_path / "large" / "index.html").is_file()
