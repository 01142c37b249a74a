"""Calendar files of a re-plan (``write_outputs(..., previous_dir=...)``), read back by icalendar,
``ical``, vobject and ical.js (under Node, when present).

A tiny programme of three departures is planned by the planner; the re-plan drops D1, gives D2
another escort (E3 for E2) and leaves D3 as it was. So E1 has changed, cancelled and unchanged
events, E3 only new ones and the nurse N1 (D1's only) only cancellations.
"""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
import recurring_ical_events
import vobject
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

import tiny
from planner.checker import check_plan
from planner.outputs import write_outputs
from planner.outputs.updates import CHANGES, CHANGES_FORMAT, CalendarHistoryError, vevent_blocks
from planner.plan import build_plan
from planner.scenario import Scenario
from planner.solve import SolveOptions, solve
from test_calendar_icaljs import icaljs

UTC = timezone.utc
FIRST, SECOND, THIRD = "2027-01-04T09:00:00+01:00", "2027-01-05T10:00:00+01:00", "2027-01-06T11:00:00+01:00"


def programme() -> Scenario:
    days = {"D1": "07", "D2": "09", "D3": "11"}
    flights = [tiny.flight(f"KL{n}-202701{d}", a, b, f"2027-01-{d}T{dep}+01:00", arr.format(d=d, next=f"{int(d) + 1:02d}"))
               for d in days.values()
               for n, a, b, dep, arr in (("587", "AMS", "LOS", "10:00:00", "2027-01-{d}T16:30:00+01:00"),
                                         ("588", "LOS", "AMS", "22:00:00", "2027-01-{next}T05:30:00+01:00"))]
    departures = [tiny.departure("D1")] + [
        tiny.departure(did, kind="other", medical=None,
                       pickup={"window": [f"2027-01-{d}T00:00:00+01:00", f"2027-01-{int(d) + 1:02d}T00:00:00+01:00"]})
        for did, d in days.items() if did != "D1"]
    escorts = [tiny.escort("E1", sex="F", skills=["team_leader"]), tiny.escort("E2"),
               tiny.escort("E3", name="Wachtmeester José Ñúñez-Łukasiewicz")]
    return tiny.build(tiny.scenario(flights=flights, escorts=escorts, departures=departures))


def replanned(sc: Scenario, plan: dict) -> dict:
    """The hand-edited re-plan: D1 dropped, E3 for E2 on D2, D3 untouched."""
    new = copy.deepcopy(plan)
    new["generated_at"] = SECOND
    by_id = {e["id"]: e for e in new["departures"]}
    (e2,) = [c for c in by_id["D2"]["escorts"] if c["id"] == "E2"]
    e2["id"] = "E3"
    new["departures"] = [tiny.unplanned("D1", "dropped in the re-plan") if e["id"] == "D1" else e
                         for e in new["departures"]]
    assert check_plan(sc, new) == []
    return new


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    sc = programme()
    first = build_plan(sc, solve(sc, SolveOptions(quick=True)), generated_at=datetime.fromisoformat(FIRST))
    assert check_plan(sc, first) == []
    assert all(e["planned"] for e in first["departures"])
    teams = {e["id"]: {c["id"] for c in e["escorts"]} for e in first["departures"]}
    assert teams["D1"] == teams["D2"] == {"E1", "E2"} and "E3" not in teams["D3"], teams
    second = replanned(sc, first)
    third = copy.deepcopy(second)
    third["generated_at"] = THIRD
    third["departures"] = [e for e in third["departures"] if e["id"] != "D3"] + [tiny.unplanned("D3")]
    base = tmp_path_factory.mktemp("updates")
    out = {name: base / name for name in ("first", "second", "again", "third", "plain")}
    written = {
        "first": write_outputs(sc, first, out["first"], pdf="on-demand"),
        "second": write_outputs(sc, second, out["second"], pdf="on-demand", previous_dir=out["first"]),
        "again": write_outputs(sc, second, out["again"], pdf="on-demand", previous_dir=out["second"]),
        "third": write_outputs(sc, third, out["third"], pdf="on-demand", previous_dir=out["second"]),
        "plain": write_outputs(sc, second, out["plain"], pdf="on-demand"),
    }
    return {"sc": sc, "plans": (first, second, third), "out": out, "written": written}


def calendar_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "calendars").glob("*.ics"))}


def blocks_by_uid(body: bytes) -> dict[str, bytes]:
    return {str(Calendar.from_ical(b).get("UID")): b for b in vevent_blocks(body)}


def icalendar_events(body: bytes) -> dict[str, dict]:
    cal = Calendar.from_ical(body)
    for component in cal.walk():
        assert component.errors == [], (component.name, component.errors)
    return {str(e["UID"]): {"sequence": int(e["SEQUENCE"]), "status": str(e["STATUS"]),
                            "dtstamp": e.decoded("DTSTAMP"), "start": e.start.astimezone(UTC),
                            "end": e.end.astimezone(UTC), "summary": str(e["SUMMARY"])}
            for e in cal.walk("VEVENT")}


def changes(out: Path) -> dict:
    record = json.loads((out / "calendars" / CHANGES).read_text(encoding="utf-8"))
    assert record["format"] == CHANGES_FORMAT
    return record


# --- What the re-plan writes -----------------------------------------------------------------------

def test_unchanged_changed_and_cancelled_events(runs):
    before, after = calendar_files(runs["out"]["first"]), calendar_files(runs["out"]["second"])
    record = changes(runs["out"]["second"])
    assert record["warnings"] == [] and runs["written"]["second"].warnings == []
    assert set(record["calendars"]) == set(after)
    assert set(after) == set(before) | {"escort-E3.ics"}  # N1, with nothing left, still gets a file
    stamp = datetime.fromisoformat(SECOND).astimezone(UTC)
    for fname, body in after.items():
        old, new = icalendar_events(before.get(fname, b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")), icalendar_events(body)
        old_text, new_text = blocks_by_uid(before.get(fname, b"")), blocks_by_uid(body)
        c = record["calendars"][fname]
        assert sorted(new) == sorted(c["added"] + c["changed"] + c["cancelled"] + c["unchanged"]), fname
        assert set(old) <= set(new), fname  # nothing disappears: removed events become cancellations
        for uid in c["unchanged"]:
            assert new_text[uid] == old_text[uid], (fname, uid)
        for uid in c["changed"]:
            assert new[uid]["sequence"] == old[uid]["sequence"] + 1 and new[uid]["dtstamp"] == stamp
            assert new[uid]["status"] == "CONFIRMED" and new_text[uid] != old_text[uid]
        for uid in c["cancelled"]:
            assert new[uid]["status"] == "CANCELLED" and new[uid]["sequence"] == old[uid]["sequence"] + 1
            assert new[uid]["dtstamp"] == stamp
            # The previous event itself: same times and texts.
            assert {k: new[uid][k] for k in ("start", "end", "summary")} == \
                {k: old[uid][k] for k in ("start", "end", "summary")}
        for uid in c["added"]:
            assert uid not in old and new[uid]["sequence"] == 0 and new[uid]["status"] == "CONFIRMED"

    e1 = record["calendars"]["escort-E1.ics"]
    summaries = icalendar_events(after["escort-E1.ics"])
    assert e1["changed"] and e1["cancelled"] and e1["unchanged"] and not e1["added"]
    assert all("D2" in summaries[u]["summary"] for u in e1["changed"])
    assert all("D1" in summaries[u]["summary"] for u in e1["cancelled"])
    assert all("D3" in summaries[u]["summary"] for u in e1["unchanged"])
    n1 = record["calendars"]["medic-N1.ics"]
    assert n1["cancelled"] and not (n1["added"] or n1["changed"] or n1["unchanged"])
    e3 = record["calendars"]["escort-E3.ics"]
    assert e3["added"] and not (e3["changed"] or e3["cancelled"] or e3["unchanged"])
    # The index links the file of the person who has only cancellations.
    assert 'href="calendars/medic-N1.ics"' in (runs["out"]["second"] / "index.html").read_text(encoding="utf-8")


def test_no_method_in_the_files(runs):
    """Snapshots for subscription and import, as before: no METHOD (see planner.outputs.updates)."""
    for body in calendar_files(runs["out"]["second"]).values():
        assert b"\r\nMETHOD:" not in body
        assert b"\r\n BEGIN:VEVENT" not in body and b"\r\n\r\n" not in body


def test_new_events_are_the_files_of_a_fresh_plan(runs):
    """A re-plan's added events and its file headers are what ``plan`` writes for the same plan."""
    fresh, after = calendar_files(runs["out"]["plain"]), calendar_files(runs["out"]["second"])
    assert fresh["escort-E3.ics"] == after["escort-E3.ics"]


def test_unchanged_plan_gives_byte_identical_files(runs):
    assert calendar_files(runs["out"]["again"]) == calendar_files(runs["out"]["second"])
    record = changes(runs["out"]["again"])
    assert all(not (c["added"] or c["changed"] or c["cancelled"]) for c in record["calendars"].values())
    # The first run's files, written again against themselves, are themselves too.
    first = runs["out"]["first"]
    assert write_outputs(runs["sc"], runs["plans"][0], first, pdf="on-demand", previous_dir=first).warnings == []
    assert all(not (c["added"] or c["changed"] or c["cancelled"]) for c in changes(first)["calendars"].values())


def test_replan_of_a_replan_raises_sequence_again(runs):
    second, third = calendar_files(runs["out"]["second"]), calendar_files(runs["out"]["third"])
    record = changes(runs["out"]["third"])["calendars"]
    # D3 dropped now: E1's D3 events, unchanged at SEQUENCE 0 in the second run, are cancelled at 1;
    # its D1 events, changed to 1 then, stay 1 now.
    e1_before, e1_now = icalendar_events(second["escort-E1.ics"]), icalendar_events(third["escort-E1.ics"])
    cancelled = record["escort-E1.ics"]["cancelled"]
    assert cancelled and all("D3" in e1_now[u]["summary"] for u in cancelled)
    assert {(e1_before[u]["sequence"], e1_now[u]["sequence"]) for u in cancelled} == {(0, 1)}
    d2 = [u for u, e in e1_now.items() if "D2" in e["summary"]]
    assert d2 and {e1_now[u]["sequence"] for u in d2} == {1}
    assert set(d2) <= set(record["escort-E1.ics"]["unchanged"])
    # The cancellations of the second run are carried on, byte for byte, still CANCELLED.
    assert second["medic-N1.ics"] == third["medic-N1.ics"]
    d1 = [u for u, e in e1_now.items() if "D1" in e["summary"]]
    assert d1 and {(e1_now[u]["status"], e1_now[u]["sequence"]) for u in d1} == {("CANCELLED", 1)}
    assert all(blocks_by_uid(third["escort-E1.ics"])[u] == blocks_by_uid(second["escort-E1.ics"])[u] for u in d1)
    assert set(d1) <= set(record["escort-E1.ics"]["unchanged"])
    assert e1_before.keys() == e1_now.keys()


def test_second_change_raises_sequence_to_two(runs, tmp_path):
    """D2 changes again (E2 back for E3): E1's D2 events go from SEQUENCE 1 to 2, E3's D2 events
    are cancelled at 1, and E2's cancelled D2 events come back CONFIRMED at 2."""
    sc, (_, second, _) = runs["sc"], runs["plans"]
    back = copy.deepcopy(second)
    back["generated_at"] = THIRD
    d2 = next(e for e in back["departures"] if e["id"] == "D2")
    next(c for c in d2["escorts"] if c["id"] == "E3")["id"] = "E2"
    assert check_plan(sc, back) == []
    write_outputs(sc, back, tmp_path, pdf="on-demand", previous_dir=runs["out"]["second"])
    now = calendar_files(tmp_path)
    e1 = icalendar_events(now["escort-E1.ics"])
    assert {e["sequence"] for e in e1.values() if "D2" in e["summary"]} == {2}
    e2 = icalendar_events(now["escort-E2.ics"])
    assert {(e["status"], e["sequence"]) for e in e2.values() if "D2" in e["summary"]} == {("CONFIRMED", 2)}
    assert {(e["status"], e["sequence"]) for e in e2.values() if "D1" in e["summary"]} == {("CANCELLED", 1)}
    e3 = icalendar_events(now["escort-E3.ics"])
    assert {(e["status"], e["sequence"]) for e in e3.values()} == {("CANCELLED", 1)}
    record = changes(tmp_path)["calendars"]
    assert sorted(record["escort-E2.ics"]["changed"]) == sorted(u for u, e in e2.items() if "D2" in e["summary"])


# --- Read by the independent parsers -----------------------------------------------------------

def test_strict_parsers_read_the_updates(runs):
    """``ical`` (strict, Home Assistant) and vobject (validating) read every updated file with the
    UIDs, SEQUENCEs and STATUSes icalendar reads."""
    for out in ("second", "third"):
        for fname, body in calendar_files(runs["out"][out]).items():
            text = body.decode("utf-8")
            want = {u: (e["sequence"], e["status"]) for u, e in icalendar_events(body).items()}
            assert text.count("\r\nUID:") == text.count("\r\nDTSTAMP:") == len(want)  # ical fills them in silently
            strict = IcsCalendarStream.calendar_from_ics(text)
            assert {e.uid: (e.sequence, str(e.status.value)) for e in strict.events} == want, fname
            card = vobject.readOne(text, validate=True)
            got = {str(v.uid.value): (int(v.sequence.value), v.status.value) for v in card.contents.get("vevent", [])}
            assert got == want, fname
            starts = {str(e["UID"]): e.start.astimezone(UTC)
                      for e in recurring_ical_events.of(Calendar.from_ical(body)).between(
                          datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC))}
            assert starts == {u: e["start"] for u, e in icalendar_events(body).items()}, fname


def test_icaljs_reads_the_updates(runs, tmp_path):
    bodies = calendar_files(runs["out"]["second"])
    reads = icaljs(tmp_path, *bodies.values())
    for read, (fname, body) in zip(reads, bodies.items()):
        want = icalendar_events(body)
        assert read["method"] is None
        got = {e["uid"]: e for e in read["events"]}
        assert sorted(got) == sorted(want), fname
        for uid, e in want.items():
            assert (got[uid]["sequence"], got[uid]["status"], got[uid]["summary"]) == \
                (e["sequence"], e["status"], e["summary"]), (fname, uid)
            start = datetime.fromisoformat(got[uid]["start"].replace("Z", "+00:00"))
            assert start == e["start"], (fname, uid)


# --- Without history, and with a broken one -------------------------------------------------------

def test_no_previous_calendars_falls_back_with_a_warning(runs, tmp_path):
    empty = tmp_path / "old"
    empty.mkdir()
    sc, (_, second, _) = runs["sc"], runs["plans"]
    written = write_outputs(sc, second, tmp_path / "new", pdf="on-demand", previous_dir=empty)
    assert len(written.warnings) == 1 and "calendars" in written.warnings[0]
    assert calendar_files(tmp_path / "new") == calendar_files(runs["out"]["plain"])
    record = changes(tmp_path / "new")
    assert record["warnings"] == written.warnings
    assert all(not (c["changed"] or c["cancelled"] or c["unchanged"]) for c in record["calendars"].values())


def test_default_writes_no_changes_record(runs):
    assert not (runs["out"]["plain"] / "calendars" / CHANGES).exists()
    assert runs["written"]["plain"].warnings == [] and runs["written"]["plain"].calendar_changes is None


def test_unreadable_previous_file_is_an_error(runs, tmp_path):
    old = tmp_path / "old" / "calendars"
    old.mkdir(parents=True)
    (old / "escort-E1.ics").write_bytes(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    sc, (_, second, _) = runs["sc"], runs["plans"]
    with pytest.raises(CalendarHistoryError, match="escort-E1.ics"):
        write_outputs(sc, second, tmp_path / "new", pdf="on-demand", previous_dir=tmp_path / "old")


# --- The builder's rules hold for carried-on events ------------------------------------------------

def test_cancelled_event_in_the_repeated_hour_keeps_its_utc_times_and_folding(tmp_path):
    """An event in the hour that occurs twice (written in UTC) and one with long non-Latin text
    (folded lines) come back from the previous file exactly: the cancellation keeps UTC and the
    texts, the unchanged event keeps its bytes, and ical.js reads the same instants."""
    from zoneinfo import ZoneInfo

    from planner.outputs.derive import CalEvent
    from planner.outputs.ics import write_calendar
    from planner.outputs.updates import write_updates

    ams, ktm = ZoneInfo("Europe/Amsterdam"), ZoneInfo("Asia/Kathmandu")
    repeated = datetime(2027, 10, 31, 1, 30, tzinfo=UTC).astimezone(ams)  # 02:30 CET, the second one
    assert repeated.fold == 1
    text = "Overdracht aan Ελένη Παπαδοπούλου en 王小明 — José Ñúñez-Łukasiewicz; " * 4
    events = [CalEvent("escort:E1", "k-repeat", "Nachtdienst", repeated, repeated.replace(hour=4), "Schiphol", text),
              CalEvent("escort:E1", "k-ktm", "Aankomst Kathmandu", datetime(2027, 10, 30, 23, 15, tzinfo=ktm),
                       datetime(2027, 10, 30, 23, 59, tzinfo=ktm), "Tribhuvan (KTM)", text)]
    old = tmp_path / "old" / "calendars" / "escort-E1.ics"
    first = datetime(2027, 10, 1, 8, 0, tzinfo=UTC)
    write_calendar(old, "Vertrekplanner — E1", events, first)
    new = tmp_path / "new" / "calendars" / "escort-E1.ics"
    update = write_updates([(new, "Vertrekplanner — E1", events[1:], datetime(2027, 10, 2, 8, 0, tzinfo=UTC))],
                           tmp_path / "old")
    (c,) = update.changes.values()
    assert len(c.cancelled) == 1 and len(c.unchanged) == 1 and not (c.added or c.changed)
    before, after = old.read_bytes(), new.read_bytes()
    assert blocks_by_uid(after)[c.unchanged[0]] == blocks_by_uid(before)[c.unchanged[0]]
    lines = after.decode().split("\r\n")
    assert "DTSTART:20271031T013000Z" in lines and "DTEND;TZID=Europe/Amsterdam:20271031T043000" in lines
    assert all(len(ln.encode()) <= 75 for ln in lines)
    got = icalendar_events(after)[c.cancelled[0]]
    assert (got["status"], got["sequence"], got["start"]) == ("CANCELLED", 1, datetime(2027, 10, 31, 1, 30, tzinfo=UTC))
    vobject.readOne(after.decode(), validate=True)
    (read,) = icaljs(tmp_path, after)
    assert {e["uid"]: (e["status"], e["sequence"], e["start"], e["description"]) for e in read["events"]} == {
        c.cancelled[0]: ("CANCELLED", 1, "2027-10-31T01:30:00.000Z", text),
        c.unchanged[0]: ("CONFIRMED", 0, "2027-10-30T17:30:00.000Z", text)}
