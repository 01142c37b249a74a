"""Disruptions from the pages: /scenarios/{id}/verstoringen, one form per kind of disruption.

A form names what happened (a cancelled flight, a person or vehicle unavailable for a while, a
reception withdrawn, a departure blocked, cancelled or added), from select lists of the ids in the
unit's view of the book; a window is two ``datetime-local`` fields read on the unit's clock (the
scenario's home time zone) and sent on as instants with their offset. Submitting records it with
the service (``api.disruptions.record``: checked and applied by the planner's own rules, all or
nothing) and starts a re-plan job in the same transaction; the page then lists the planned
departures the disruption touches and links to the job. Earlier disruptions of the unit are listed
below the forms.
"""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session

from planner import timeutil
from planner.errors import Problem, ScenarioError, shown
from planner.loading.reader import parse_json_text
from planner.outputs import derive

from ... import disruptions as recorded
from ...auth import Principal, db_session, require
from ...deps import scenario_for
from ...models import ScenarioRow
from .. import data
from ..problems_nl import dutch
from ..render import page

router = APIRouter(include_in_schema=False)

KINDS = tuple(recorded.LABELS)  # the spec's order
TARGET = {"flight_cancelled": "flight", "person_unavailable": "person", "vehicle_unavailable": "vehicle",
          "reception_withdrawn": "reception", "departure_blocked": "departure", "departure_cancelled": "departure"}
WINDOWED = ("person_unavailable", "vehicle_unavailable", "departure_blocked")
HELP = {
    "flight_cancelled": "De vlucht vervalt. Vertrekken en terugreizen die haar gebruiken, worden herpland.",
    "person_unavailable": "Een escort of medicus kan in deze periode niet (ziek, verlof). Missies in die periode "
                          "worden herpland.",
    "vehicle_unavailable": "Een voertuig kan in deze periode niet rijden (pech, onderhoud).",
    "reception_withdrawn": "De ontvangende partij trekt haar bevestiging in; vertrekken naar haar kunnen niet "
                           "meer worden gepland tot zij weer bevestigt.",
    "departure_blocked": "Het vertrek mag in deze periode niet plaatsvinden (bijvoorbeeld een lopende procedure).",
    "departure_cancelled": "Het vertrek gaat niet door en verdwijnt uit het planningsboek.",
    "departure_added": "Een nieuw vertrek van uw eenheid: één JSON-object zoals een vertrek in het scenario, met "
                       "een id dat nog niet bestaat.",
}
FIELD_LABELS = {"flight": "Vlucht", "person": "Persoon", "vehicle": "Voertuig", "reception": "Opvang",
                "departure": "Vertrek", "window": "Periode", "window_start": "Periode van",
                "window_end": "Periode tot", "planning_time": "Planningstijd", "departure_json": "Vertrek (JSON)",
                "departure.id": "Vertrek (JSON), id", "kind": "Soort verstoring", "format": "Soort verstoring",
                "disruptions": "Soort verstoring"}
WHAT = {"flight": "een vlucht", "person": "een persoon", "vehicle": "een voertuig", "reception": "een opvang",
        "departure": "een vertrek"}
MAX_JSON = 100_000  # characters of one departure as JSON
REPLAN_SECONDS = 30.0  # the API's default for a re-plan after a disruption


class _Invalid(Exception):
    def __init__(self, errors: list[dict]):
        self.errors = errors


# --- Reading the form ----------------------------------------------------------------------------

def local_instant(text: str, tz: ZoneInfo) -> str:
    """A ``datetime-local`` value read on the clock of ``tz``, as an instant with its offset.

    A time the clocks skip (the night summer time starts) is refused; a time that occurs twice (the
    night it ends) is read as the first of the two."""
    text = (text or "").strip()
    for form in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            wall = datetime.strptime(text, form)
            break
        except ValueError:
            continue
    else:
        raise ValueError("verwacht een datum en tijd (jjjj-mm-ddTuu:mm)")
    moment = wall.replace(tzinfo=tz)
    if moment.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None) != wall:
        raise ValueError(f"{text.replace('T', ' ')} bestaat niet in {tz.key}: de klok springt dan een uur vooruit")
    return moment.isoformat(timespec="seconds")


def _error(field: str, text: str) -> dict:
    return {"field": field, "text": f"{FIELD_LABELS.get(field, field)}: {text}"}


def read_form(kind: str, form: dict, tz: ZoneInfo) -> tuple[dict, str | None]:
    """The disruption item and the planning time (or None) the form asks for; _Invalid lists every problem."""
    errors = []
    if kind not in recorded.LABELS:
        raise _Invalid([_error("kind", f"onbekend ({kind!r}); kies een van de formulieren")])
    item: dict = {"kind": kind}
    if kind in TARGET:
        field = TARGET[kind]
        value = (form.get(field) or "").strip()
        if value:
            item[field] = value
        else:
            errors.append(_error(field, f"kies {WHAT[field]}"))
    if kind in WINDOWED:
        window = []
        for name in ("window_start", "window_end"):
            try:
                window.append(local_instant(form.get(name) or "", tz))
            except ValueError as exc:
                errors.append(_error(name, str(exc)))
        if len(window) == 2:
            if timeutil.instant_minutes(window[0]) >= timeutil.instant_minutes(window[1]):
                errors.append(_error("window", "het begin moet voor het einde liggen"))
            item["window"] = window
    if kind == "departure_added":
        text = (form.get("departure_json") or "").strip()
        if not text:
            errors.append(_error("departure_json", "vul het vertrek in als JSON-object"))
        elif len(text) > MAX_JSON:
            errors.append(_error("departure_json", f"hoogstens {MAX_JSON} tekens"))
        else:
            try:
                value = parse_json_text(text, "vertrek")
            except ScenarioError as exc:
                errors += [_error("departure_json", f"geen geldige JSON ({p.field}): {dutch(p.expected)[0]}")
                           for p in exc.problems]
            else:
                if isinstance(value, dict):
                    item["departure"] = value
                else:
                    errors.append(_error("departure_json", "verwacht één JSON-object {…}, geen lijst of waarde"))
    planning_time = None
    if (form.get("planning_time") or "").strip():
        try:
            planning_time = local_instant(form["planning_time"], tz)
        except ValueError as exc:
            errors.append(_error("planning_time", str(exc)))
    if errors:
        raise _Invalid(errors)
    return item, planning_time


def problem_errors(problems: list[Problem]) -> list[dict]:
    """The service's problems with the disruption (or with the book after it), each with its field named."""
    out = []
    for p in problems[:100]:
        if p.entity == "disruptions":
            name = p.field.split(".")[0] if p.field != "departure.id" else p.field
            out.append(_error(name, f"{dutch(p.expected)[0]} (waarde {shown(p.value)})"))
        else:  # the book after the disruption: an added departure that breaks a rule, say
            where = f"{p.entity}[{p.id}]" if p.id is not None else p.entity
            out.append({"field": "departure_json" if p.entity == "departures" else "",
                        "text": f"{where}, veld {p.field}: {dutch(p.expected)[0]} (waarde {shown(p.value)})"})
    return out


# --- What the page shows -------------------------------------------------------------------------------

def _choices(session: Session, row: ScenarioRow) -> dict:
    """The select lists: ids of the unit's view of the book, with what a person recognises them by."""
    sc = data.scenario(session, row)
    from ...publishing import published_plan

    published = published_plan(session, row.unit)
    used = set()
    for entry in (published.document.get("departures", []) if published else []):
        if entry.get("planned"):
            used.update(entry.get("flights") or [])
            for c in (entry.get("escorts") or []) + (entry.get("medics") or []):
                used.update(c.get("return_flights") or [])
    raw = {f["id"]: f for f in sc.raw.get("flights") or []}
    since = sc.planning_time - 24 * 60

    def flight_label(fid: str) -> str:
        f = raw.get(fid) or {}
        when = data.when_text(f.get("departs"))
        return f"{f.get('number', fid)} {f.get('from', '')}→{f.get('to', '')} {when} ({fid})"

    flights = sorted((f for f in sc.flights.values() if not f.cancelled), key=lambda f: (f.departs, f.id))
    in_plan = [(f.id, flight_label(f.id)) for f in flights if f.id in used]
    others = [(f.id, flight_label(f.id)) for f in flights if f.id not in used and f.departs >= since]
    people = ([(p.id, f"{p.id} — {p.name} (escort)") for p in sorted(sc.escorts.values(), key=lambda p: p.id)]
              + [(p.id, f"{p.id} — {p.name} (medicus)") for p in sorted(sc.medics.values(), key=lambda p: p.id)])
    vehicles = [(v.id, f"{v.id} ({v.kind}{', brancard' if v.stretcher else ''})")
                for v in sorted(sc.vehicles.values(), key=lambda v: v.id)]
    receptions = [(r.id, f"{r.id} — {r.name}, {r.country}{'' if r.confirmed else ' (niet bevestigd)'}")
                  for r in sorted(sc.reception.values(), key=lambda r: r.id)]
    departures = [(d.id, f"{d.id} ({derive.DEPARTURE_KIND.get(d.kind, d.kind)}, {d.destination_country})")
                  for d in sc.departures.values()]
    return {"flight_groups": [("In het gepubliceerde plan", in_plan), ("Andere vluchten", others)],
            "people": people, "vehicles": vehicles, "receptions": receptions, "departures": departures,
            "published": published, "tz": sc.home_tz.key}


def _history(session: Session, row: ScenarioRow) -> list[dict]:
    out = []
    for entry in recorded.recorded_for(session, row.unit, 50):
        detail = entry.detail or {}
        out.append({"at": entry.at, "actor": entry.actor, "scenario_id": entry.entity_id,
                    "kinds": [recorded.LABELS.get(k, k) for k in detail.get("kinds") or []],
                    "changed": detail.get("changed") or [], "affected": detail.get("affected") or []})
    return out


def _page(request: Request, principal: Principal, session: Session, row: ScenarioRow, status_code: int = 200,
          form_kind: str | None = None, values: dict | None = None, errors: list[dict] | None = None,
          result: dict | None = None):
    return page(request, "disruptions.html", principal, status_code=status_code, scenario=row, kinds=KINDS,
                labels=recorded.LABELS, help=HELP, target=TARGET, windowed=WINDOWED, form_kind=form_kind,
                values=values or {}, errors=errors or [], error_fields={e["field"] for e in errors or []},
                result=result, history=_history(session, row), replan_seconds=int(REPLAN_SECONDS),
                **_choices(session, row))


# --- The routes ------------------------------------------------------------------------------------------

@router.get("/scenarios/{scenario_id}/verstoringen")
def disruptions_page(request: Request, scenario_id: int, principal: Principal = Depends(require("solve.read")),
                     session: Session = Depends(db_session)):
    row = scenario_for(session, principal, scenario_id)
    return _page(request, principal, session, row)


@router.post("/scenarios/{scenario_id}/verstoringen")
def disruption_record(request: Request, scenario_id: int, kind: str = Form("", max_length=40),
                      flight: str | None = Form(None, max_length=200), person: str | None = Form(None, max_length=200),
                      vehicle: str | None = Form(None, max_length=200),
                      reception: str | None = Form(None, max_length=200),
                      departure: str | None = Form(None, max_length=200),
                      window_start: str | None = Form(None, max_length=40),
                      window_end: str | None = Form(None, max_length=40),
                      departure_json: str | None = Form(None, max_length=MAX_JSON + 1000),
                      planning_time: str | None = Form(None, max_length=40),
                      time_limit: float = Form(REPLAN_SECONDS, ge=1, le=3600),
                      principal: Principal = Depends(require("disruption.record")),
                      session: Session = Depends(db_session)):
    """Record one disruption and start the unit's re-plan, in one transaction (nothing on error)."""
    from ... import jobs

    values = {"flight": flight, "person": person, "vehicle": vehicle, "reception": reception, "departure": departure,
              "window_start": window_start, "window_end": window_end, "departure_json": departure_json,
              "planning_time": planning_time, "time_limit": time_limit}
    try:
        with session.begin():
            row = scenario_for(session, principal, scenario_id)  # another unit's: the same 404 as none
            tz = data.scenario(session, row).home_tz
            item, when = read_form(kind, values, tz)
            done = recorded.record(session, row.id, recorded.single(item, when), principal.username)
            options: dict = {"time_limit": float(time_limit)}
            if when:
                options["planning_time"] = when
            job = jobs.start_job(session, row.id, principal.username, options)
            job_id = job.id
    except _Invalid as exc:
        return _page(request, principal, session, row, 422, kind, values, exc.errors)
    except ScenarioError as exc:
        row = scenario_for(session, principal, scenario_id)
        return _page(request, principal, session, row, 422, kind, values, problem_errors(exc.problems))
    result = {"kind": kind, "label": recorded.LABELS[kind], "item": item, "planning_time": when, "job_id": job_id,
              "changed": done.changed, "affected": [a.as_dict() for a in done.affected], "unit": row.unit}
    return _page(request, principal, session, row, result=result)
