"""Documents and calendars derived from a plan.

``write_outputs(sc, plan, out_dir)`` writes, for every planned departure, the Dutch
itinerary (HTML and PDF), the handover letter for the receiving party (English, and
French for francophone destinations; HTML and PDF), one calendar per escort, medic and
vehicle plus one for the planning unit, and an ``index.html`` linking it all::

    itineraries/<dep>.html|.pdf
    letters/<dep>.en.html|.pdf   letters/<dep>.fr.html|.pdf
    calendars/escort-<id>.ics  medic-<id>.ics  vehicle-<id>.ics  regievoerder.ics
    index.html

The same plan always gives the same files (times, UIDs and DTSTAMPs come from the plan).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from .. import timeutil
from ..scenario import Scenario
from . import derive
from .derive import CalEvent, DepartureView, PlanningUnit, safe_name
from .ics import write_calendar
from .pdf import PdfJob, render_all

__all__ = ["write_outputs", "render_itinerary", "render_letter", "generated_at"]

@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=PackageLoader("planner", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,  # a missing value is a bug, not an empty cell
        trim_blocks=True, lstrip_blocks=True,
    )


def generated_at(sc: Scenario, plan: dict) -> datetime:
    """The plan's creation instant, to the second; the planning time if the plan has none.

    Every stamp in the outputs (DTSTAMP, PDF dates) comes from here, never from the clock,
    so the same plan gives the same files.
    """
    text = plan.get("generated_at")
    return timeutil.parse_instant(text) if text else timeutil.at(sc.planning_time)


def _render(template: str, pdf: bool, **context) -> str:
    return _env().get_template(template).render(pdf=pdf, **context)


def render_itinerary(sc: Scenario, view: DepartureView, generated: int, unit: PlanningUnit, pdf: bool = False) -> str:
    return _render("itinerary.html", pdf, lang="nl", v=view, unit=unit,
                   generated=derive.local(generated, sc.home_tz),
                   drive=derive.duration_text(view.drive_minutes),
                   check_hours=derive.REMOVABILITY_CHECK_HOURS, call_hours=derive.CALL_AHEAD_HOURS)


def render_letter(sc: Scenario, view: DepartureView, lang: str, generated: int, unit: PlanningUnit,
                  pdf: bool = False) -> str:
    return _render(f"letter.{lang}.html", pdf, lang=lang, v=view, unit=unit,
                   generated=derive.local(generated, sc.home_tz))


def _calendar_name(sc: Scenario, owner: str) -> tuple[str, str]:
    """(file name, calendar display name) of one calendar owner."""
    if owner == "regievoerder":
        return "regievoerder.ics", "Vertrekplanner — regie (taken)"
    kind, oid = owner.split(":", 1)
    if kind == "escort":
        label = sc.escorts[oid].name
    elif kind == "medic":
        label = sc.medics[oid].name
    else:
        label = f"voertuig {oid}"
    return f"{kind}-{safe_name(oid)}.ics", f"Vertrekplanner — {label}"


def write_outputs(sc: Scenario, plan: dict, out_dir: Path | str, unit: PlanningUnit | None = None) -> list[Path]:
    out = Path(out_dir)
    unit = unit or PlanningUnit.from_scenario(sc)
    created = generated_at(sc, plan)
    generated = timeutil.minutes(created)
    views = derive.planned_views(sc, plan)
    written: list[Path] = []
    links: dict[str, list[dict]] = {}
    jobs: list[PdfJob] = []

    for v in views:
        stem = v.file_stem()
        footer = f"{v.id} — vertrouwelijk"
        links[v.id] = []
        html_path = out / "itineraries" / f"{stem}.html"
        written.append(_write_text(html_path, render_itinerary(sc, v, generated, unit)))
        jobs.append(PdfJob(render_itinerary(sc, v, generated, unit, pdf=True),
                           out / "itineraries" / f"{stem}.pdf", f"Reisplan {v.id}", created, footer))
        links[v.id] += [{"href": f"itineraries/{stem}.html", "label": "reisplan"},
                        {"href": f"itineraries/{stem}.pdf", "label": "PDF"}]
        for lang in v.letter_languages:
            base = out / "letters" / f"{stem}.{lang}"
            written.append(_write_text(Path(f"{base}.html"), render_letter(sc, v, lang, generated, unit)))
            jobs.append(PdfJob(render_letter(sc, v, lang, generated, unit, pdf=True),
                               Path(f"{base}.pdf"), f"Handover {v.id}", created, v.id))
            links[v.id] += [{"href": f"letters/{stem}.{lang}.html", "label": f"brief {lang.upper()}"},
                            {"href": f"letters/{stem}.{lang}.pdf", "label": "PDF"}]

    written += render_all(jobs)

    by_owner: dict[str, list[CalEvent]] = defaultdict(list)
    for ev in derive.plan_events(sc, views):
        by_owner[ev.owner].append(ev)
    by_owner.setdefault("regievoerder", [])  # the planning unit always gets its (maybe empty) feed
    calendars = []
    for owner in sorted(by_owner):
        fname, name = _calendar_name(sc, owner)
        written.append(write_calendar(out / "calendars" / fname, name, by_owner[owner], created))
        calendars.append({"href": f"calendars/{fname}", "label": name.removeprefix("Vertrekplanner — ")})

    index = _render("index.html", False, lang="nl", scenario=plan.get("scenario") or sc.name, views=views,
                    unplanned=derive.unplanned(plan), files=links, calendars=calendars,
                    generated=derive.local(generated, sc.home_tz))
    written.append(_write_text(out / "index.html", index))
    return written


def _write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
