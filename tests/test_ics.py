"""Calendar files: accepted by independent parsers, stable, minimal, right in every zone."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
import recurring_ical_events
import vobject
from icalendar import Calendar
from ical.calendar_stream import IcsCalendarStream

from planner.outputs import write_outputs
from test_outputs import (  # noqa: F401  (fixtures are used by name)
    BIRTH_DATE, PERSON_REF, RECEPTION_CONTACT, UNICODE_NAMES, exact, exact_out, exact_plan, small, small_out,
    small_plan,
)

UTC = timezone.utc
# Words that would betray a medical condition or a returnee; none may reach a calendar.
PRIVATE_WORDS = ("diagnos", "psychiatr", "paediatric", "pediatric", "icu", "oxygen", "zuurstof", "tubercul",
                 "zwanger", "pregnan", "birth", "geboren", "person", "ref:")


def calendars(out: Path) -> dict[str, str]:
    return {p.name: p.read_bytes().decode("utf-8") for p in sorted((out / "calendars").glob("*.ics"))}


@pytest.fixture(scope="module")
def all_calendars(exact_out, small_out) -> dict[str, str]:
    found = {}
    for out, _ in (exact_out, small_out):
        for name, text in calendars(out).items():
            found[f"{out.name}/{name}"] = text
    assert len(found) >= 10
    return found


def unfold(text: str) -> list[str]:
    return re.sub(r"\r\n[ \t]", "", text).split("\r\n")


def vevents(text: str) -> list[list[str]]:
    """Content lines of each VEVENT, unfolded."""
    events, current = [], None
    for line in unfold(text):
        if line == "BEGIN:VEVENT":
            current = []
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return events


def prop(lines: list[str], name: str) -> list[str]:
    return [ln for ln in lines if re.match(rf"{name}[;:]", ln)]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def occurrences(text: str, start: str, end: str) -> dict[str, tuple[datetime, datetime]]:
    cal = Calendar.from_ical(text)
    return {str(e["SUMMARY"]): (e.start.astimezone(UTC), e.end.astimezone(UTC))
            for e in recurring_ical_events.of(cal).between(utc(start), utc(end))}


# --- Parsers ------------------------------------------------------------------------------------

def test_every_calendar_passes_three_independent_parsers(all_calendars):
    for name, text in all_calendars.items():
        n = len(vevents(text))
        strict = IcsCalendarStream.calendar_from_ics(text)
        assert len(strict.events) == n, name
        card = vobject.readOne(text, validate=True)
        assert len(getattr(card, "vevent_list", [])) == n, name
        lenient = Calendar.from_ical(text)
        for component in lenient.walk():
            assert component.errors == [], (name, component.name, component.errors)
        assert len(lenient.events) == n, name


def test_plan_without_planned_departures_gives_a_valid_empty_feed(exact, tmp_path):
    plan = {"format": "vertrekplanner/plan@1", "generated_at": "2027-03-20T09:00:12+01:00",
            "departures": [{"id": "BV-2027-000001", "planned": False, "reasons": ["geen ontvangst"]}]}
    written = write_outputs(exact, plan, tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == ["calendars/regievoerder.ics", "index.html"]
    text = (tmp_path / "calendars" / "regievoerder.ics").read_text()
    assert IcsCalendarStream.calendar_from_ics(text).events == []
    vobject.readOne(text, validate=True)
    assert "X-WR-CALNAME:" in text and "geen ontvangst" in (tmp_path / "index.html").read_text()


def test_ical_parser_reads_the_same_instants(exact_out):
    out, _ = exact_out
    text = (out / "calendars" / "medic-MED-901.ics").read_text()
    strict = IcsCalendarStream.calendar_from_ics(text)
    starts = {e.summary: e.dtstart.astimezone(UTC) for e in strict.events}
    assert starts["Vlucht QR274 AMS→DOH (BV-2027-000001)"] == utc("2027-03-28T03:30:00Z")
    assert starts["Vlucht QR648 DOH→KTM (BV-2027-000001)"] == utc("2027-03-28T13:00:00Z")


# --- Structure ----------------------------------------------------------------------------------

def test_uid_and_dtstamp_exactly_once_per_event(all_calendars):
    for name, text in all_calendars.items():
        events = vevents(text)
        assert events, name
        for lines in events:
            assert len(prop(lines, "UID")) == 1, (name, lines)
            stamps = prop(lines, "DTSTAMP")
            assert len(stamps) == 1, (name, lines)
            assert prop(lines, "SEQUENCE") == ["SEQUENCE:0"], name
            assert len(prop(lines, "DTSTART")) == 1 and len(prop(lines, "DTEND")) == 1
            assert prop(lines, "LOCATION") and re.search(r"\b[A-Z]{3}\b", prop(lines, "LOCATION")[0])


def test_dtstamp_comes_from_the_plan(exact_out):
    out, _ = exact_out
    for name, text in calendars(out).items():
        for lines in vevents(text):
            # generated_at 2027-03-20T09:00:12+01:00, to the second, in UTC.
            assert prop(lines, "DTSTAMP") == ["DTSTAMP:20270320T080012Z"], name


def test_calendar_names_and_feed_properties(all_calendars):
    for name, text in all_calendars.items():
        lines = unfold(text)
        head = lines[: lines.index("BEGIN:VEVENT")] if "BEGIN:VEVENT" in lines else lines
        assert len(prop(head, "NAME")) == 1 and len(prop(head, "X-WR-CALNAME")) == 1, name
        assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in head and "VERSION:2.0" in head
        assert "METHOD:REQUEST" not in lines  # a feed, not an invitation


def test_every_tzid_has_a_vtimezone_and_no_tzid_with_z(all_calendars):
    for name, text in all_calendars.items():
        lines = unfold(text)
        used = {m.group(1) for ln in lines for m in [re.search(r";TZID=([^:;]+)", ln)] if m}
        defined = {ln.split(":", 1)[1] for ln in lines if ln.startswith("TZID:")}
        assert used, name
        assert used <= defined, (name, used - defined)
        for ln in lines:
            if ";TZID=" in ln:
                assert not ln.endswith("Z"), (name, ln)


def test_lines_folded_at_75_octets_without_splitting_utf8(all_calendars, exact_out):
    for name, text in all_calendars.items():
        raw = text.encode("utf-8")
        assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
        for line in raw.split(b"\r\n"):
            assert len(line) <= 75, (name, line)
            line.decode("utf-8")  # each physical line is valid UTF-8 on its own
    out, _ = exact_out
    text = (out / "calendars" / "medic-MED-901.ics").read_text()
    assert max(len(ln.encode()) for ln in text.split("\r\n")) > 60  # long lines were really folded
    desc = " ".join(str(e["DESCRIPTION"]) for e in Calendar.from_ical(text).events)
    for cid in ("KMAR-901", "KMAR-902"):
        assert UNICODE_NAMES[cid] in desc  # names survive folding intact
    assert UNICODE_NAMES["MED-901"] in str(Calendar.from_ical(text)["X-WR-CALNAME"])


# --- UIDs ---------------------------------------------------------------------------------------

def _uids(out: Path) -> dict[str, list[str]]:
    return {name: [prop(lines, "UID")[0].split(":", 1)[1] for lines in vevents(text)]
            for name, text in calendars(out).items()}


def test_uids_stable_unique_and_free_of_identifying_data(exact, small, small_plan, tmp_path):
    for sc, plan in ((exact, exact_plan()), (small, small_plan)):
        a, b = tmp_path / f"{sc.name}-a", tmp_path / f"{sc.name}-b"
        write_outputs(sc, plan, a)
        write_outputs(sc, plan, b)
        ua, ub = _uids(a), _uids(b)
        assert ua == ub  # stable across runs
        flat = [u for us in ua.values() for u in us]
        assert len(flat) == len(set(flat)) > 5  # unique across all calendars
        identifying = [d["id"] for d in plan["departures"]] + list(sc.escorts) + list(sc.medics) + list(sc.vehicles)
        identifying += [p.name for p in list(sc.escorts.values()) + list(sc.medics.values())]
        for u in flat:
            assert uuid.UUID(u).version == 5 and str(uuid.UUID(u)) == u
            for word in identifying:
                assert word.lower() not in u.lower()
            for part in re.split(r"[-\s]+", " ".join(identifying)):
                if len(part) >= 4 and not part.isdigit():
                    assert part.lower() not in u.lower()


def test_uid_secret_changes_every_uid(exact, tmp_path, monkeypatch):
    write_outputs(exact, exact_plan(), tmp_path / "plain")
    monkeypatch.setenv("VERTREKPLANNER_UID_SECRET", "rotate-me")
    write_outputs(exact, exact_plan(), tmp_path / "secret")
    plain = {u for us in _uids(tmp_path / "plain").values() for u in us}
    secret = {u for us in _uids(tmp_path / "secret").values() for u in us}
    assert len(plain) == len(secret) and not plain & secret


def test_same_event_keeps_its_uid_when_another_departure_changes(exact, tmp_path):
    plan = exact_plan()
    write_outputs(exact, plan, tmp_path / "a")
    plan["departures"][1]["pickup"]["time"] = "2027-03-30T05:30:00+02:00"
    write_outputs(exact, plan, tmp_path / "b")
    assert _uids(tmp_path / "a")["medic-MED-901.ics"] == _uids(tmp_path / "b")["medic-MED-901.ics"]


# --- Data minimisation --------------------------------------------------------------------------

def test_no_personal_data_in_any_calendar(all_calendars, small, exact):
    secrets = [PERSON_REF, BIRTH_DATE, RECEPTION_CONTACT]
    for sc in (small, exact):
        for d in sc.departures.values():
            secrets.append(d.person_ref)
            if d.birth_date:
                secrets += [d.birth_date.isoformat(), d.birth_date.strftime("%Y%m%d")]
        secrets += [r.contact for r in sc.reception.values() if r.contact]
        # Private receiving parties are named by kind only.
        secrets += [r.name for r in sc.reception.values() if r.kind in ("family", "guardian")]
    for name, text in all_calendars.items():
        flat = "".join(unfold(text))
        low = flat.lower()
        for s in secrets:
            assert s not in flat, (name, s)
        for word in PRIVATE_WORDS:
            assert word not in low, (name, word)


def test_calendars_name_the_task_case_and_colleagues(exact_out):
    out, _ = exact_out
    text = (out / "calendars" / "escort-KMAR-902.ics").read_text()
    desc = " ".join(str(e["DESCRIPTION"]) for e in Calendar.from_ical(text).events)
    assert "Zaak: BV-2027-000001" in desc and "Brancard: ja" in desc
    assert UNICODE_NAMES["KMAR-901"] in desc and UNICODE_NAMES["MED-901"] in desc
    summaries = [str(e["SUMMARY"]) for e in Calendar.from_ical(text).events]
    assert sum(s.startswith("Vlucht") for s in summaries) == 4  # two out, two back
    assert any(s.startswith("Missie") for s in summaries) and any(s.startswith("Overdracht") for s in summaries)


# --- Times across DST and odd offsets -----------------------------------------------------------

def test_times_across_the_spring_forward_night_and_in_kathmandu(exact_out):
    out, _ = exact_out
    text = (out / "calendars" / "escort-KMAR-901.ics").read_text()
    occ = occurrences(text, "2027-03-27T00:00:00Z", "2027-04-01T00:00:00Z")
    # Mission: pickup 01:00 CET (before the change) to the return landing 20:10 CEST.
    mission = next(v for k, v in occ.items() if k.startswith("Missie"))
    assert mission == (utc("2027-03-28T00:00:00Z"), utc("2027-03-29T18:10:00Z"))
    # First flight 05:30 CEST, i.e. 03:30 UTC, an hour after a naive reading would put it.
    assert occ["Vlucht QR274 AMS→DOH (BV-2027-000001)"] == (utc("2027-03-28T03:30:00Z"), utc("2027-03-28T10:10:00Z"))
    # Landing in Kathmandu at 23:15 +05:45 = 17:30 UTC; handover at 00:00 +05:45 = 18:15 UTC.
    assert occ["Vlucht QR648 DOH→KTM (BV-2027-000001)"][1] == utc("2027-03-28T17:30:00Z")
    handover = next(v for k, v in occ.items() if k.startswith("Overdracht"))
    assert handover[0] == utc("2027-03-28T18:15:00Z")
    assert occ["Vlucht QR649 KTM→DOH (BV-2027-000001)"][0] == utc("2027-03-29T03:15:00Z")

    # Windows: between 00:30 and 03:00 UTC on the night only the mission runs.
    night = occurrences(text, "2027-03-28T00:30:00Z", "2027-03-28T03:00:00Z")
    assert [k.split()[0] for k in night] == ["Missie"]
    # A window ending 5 minutes after the Kathmandu landing sees that flight, not the handover.
    landing = occurrences(text, "2027-03-28T17:25:00Z", "2027-03-28T17:35:00Z")
    assert any("QR648" in k for k in landing) and not any(k.startswith("Overdracht") for k in landing)


def test_vehicle_busy_for_the_round_trip(exact_out):
    out, _ = exact_out
    text = (out / "calendars" / "vehicle-DVO-AMB-9.ics").read_text()
    occ = occurrences(text, "2027-03-27T00:00:00Z", "2027-03-29T00:00:00Z")
    assert list(occ.values()) == [(utc("2027-03-28T00:00:00Z"), utc("2027-03-28T01:00:00Z"))]  # 2 × 30 min drive
    assert "DVO-BUS-9" not in text


def test_planning_unit_tasks_and_deadlines(exact_out):
    out, _ = exact_out
    text = (out / "calendars" / "regievoerder.ics").read_text()
    occ = occurrences(text, "2027-03-20T00:00:00Z", "2027-04-05T00:00:00Z")
    ends = {k: v[1] for k, v in occ.items()}
    # MEDIF: first departure 03:30 UTC on 28 March minus QR's 48 h.
    assert ends["MEDIF indienen bij de luchtvaartmaatschappij (BV-2027-000001)"] == utc("2027-03-26T03:30:00Z")
    # Removability check 24 h before pickup; call-ahead 24 h before the final arrival.
    assert ends["Vertrekbaarheidscheck IND (BV-2027-000001)"] == utc("2027-03-27T00:00:00Z")
    assert ends["Ontvangende partij bellen (call-ahead) (BV-2027-000001)"] == utc("2027-03-27T17:30:00Z")
    assert ends["Vertrekbaarheidscheck IND (BV-2027-000002)"] == utc("2027-03-29T04:00:00Z")
    # The minor's departure has no medical need: no MEDIF task.
    assert not any("MEDIF" in k and "000002" in k for k in occ)
    assert len(occ) == 5
    assert "BV-2027-000003" not in text  # unplanned departures have no tasks
