"""Documents and calendars derived from a plan.

``write_outputs(sc, plan, out_dir)`` writes, for every planned departure, the Dutch
itinerary (HTML and PDF), the handover letter for the receiving party (English, and
French for francophone destinations; HTML and PDF), one calendar per escort, medic and
vehicle plus one for the planning unit, and an ``index.html`` linking it all::

    itineraries/<dep>.html|.pdf
    letters/<dep>.en.html|.pdf   letters/<dep>.fr.html|.pdf
    calendars/escort-<id>.ics  medic-<id>.ics  vehicle-<id>.ics  regievoerder.ics
    index.html
    pdf-source.json   (scenario, plan, contact block and font characters for ``write_pdfs``; from the CLI)

The planning unit's contact block (``contact``: organisation, unit, phone, email, signatory,
signatory_role; see ``contact``) is an option of the outputs: letters to receiving parties carry it,
and without one they say that the contact details are missing.

At programme scale the CLI leaves the PDFs out (``pdf="on-demand"``): a thousand departures'
PDFs take minutes to lay out and a regievoerder needs a few; ``vertrekplanner pdf`` writes them.
The same plan always gives the same files (times, UIDs and DTSTAMPs come from the plan), in one
process or in a pool of them (``parallel``).
"""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from .. import timeutil
from ..domain import Scenario
from . import derive
from ..contact import ContactError, PlanningUnit, read_contact
from .derive import CalEvent, DepartureView, safe_name
from .ics import write_calendar
from ..parallel import run_all
from .pdf import PdfJob, document_chars, render_all
from .updates import Written, write_updates

__all__ = ["write_outputs", "write_pdfs", "render_itinerary", "render_letter", "generated_at", "PDF_MODES",
           "PlanningUnit", "ContactError", "read_contact", "recorded_contact"]

PDF_MODES = ("all", "on-demand")
SOURCE = "pdf-source.json"  # in the output folder: what `vertrekplanner pdf` writes PDFs from
SOURCE_FORMAT = "vertrekplanner/pdf-source@1"

@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=PackageLoader("templates", "documents"),  # top-level templates/ package
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


def render_itinerary(sc: Scenario, view: DepartureView, generated: int, unit: PlanningUnit | Mapping | None = None,
                     pdf: bool = False) -> str:
    """The Dutch itinerary. ``unit``: the planning unit's contact block, a ``PlanningUnit`` or a
    mapping (``contact.FIELDS``); None: the scenario's ``planning_unit`` block, if any."""
    return _render("itinerary.html", pdf, lang="nl", v=view, unit=PlanningUnit.coerce(unit, sc),
                   generated=derive.local(generated, sc.home_tz),
                   drive=derive.duration_text(view.drive_minutes),
                   check_hours=derive.REMOVABILITY_CHECK_HOURS, call_hours=derive.CALL_AHEAD_HOURS)


def render_letter(sc: Scenario, view: DepartureView, lang: str, generated: int,
                  unit: PlanningUnit | Mapping | None = None, pdf: bool = False) -> str:
    """The handover letter in ``lang``. ``unit`` as for ``render_itinerary``: the service passes the
    contact block it keeps for the unit (``PlanningUnit.from_mapping(block)`` or the mapping itself);
    without any, the letter says the planning unit's contact details are missing."""
    return _render(f"letter.{lang}.html", pdf, lang=lang, v=view, unit=PlanningUnit.coerce(unit, sc),
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


def _documents(sc: Scenario, view: DepartureView, created: datetime, unit: PlanningUnit,
               out: Path) -> list[tuple[Path, str, PdfJob, str]]:
    """(HTML file, its text, the job of its PDF, link label) of each document of one departure."""
    generated = timeutil.minutes(created)
    stem = view.file_stem()
    docs = [(out / "itineraries" / f"{stem}.html", render_itinerary(sc, view, generated, unit),
             PdfJob(render_itinerary(sc, view, generated, unit, pdf=True), out / "itineraries" / f"{stem}.pdf",
                    f"Reisplan {view.id}", created, f"{view.id} — vertrouwelijk"), "reisplan")]
    for lang in view.letter_languages:
        base = out / "letters" / f"{stem}.{lang}"
        docs.append((Path(f"{base}.html"), render_letter(sc, view, lang, generated, unit),
                     PdfJob(render_letter(sc, view, lang, generated, unit, pdf=True), Path(f"{base}.pdf"),
                            f"Handover {view.id}", created, view.id), f"brief {lang.upper()}"))
    return docs


def _write_calendar(task: tuple) -> Path:
    return write_calendar(*task)


def write_outputs(sc: Scenario, plan: dict, out_dir: Path | str, contact: PlanningUnit | Mapping | None = None,
                  pdf: str = "all", scenario_file: str | None = None, *,
                  previous_dir: Path | str | None = None) -> list[Path]:
    """Every document of the plan; with ``pdf="on-demand"`` the PDFs are left out and index.html
    tells how to have them written (``write_pdfs``).

    ``scenario_file`` (relative to ``out_dir``): the scenario the plan in ``out_dir/plan.json`` was
    made from. Given, it is recorded in ``SOURCE`` with the characters the PDFs' fonts are cut to,
    which is all ``write_pdfs`` needs to write any PDF later, byte for byte as it would be now.

    ``contact``: the planning unit's contact block for letters and itineraries — a ``PlanningUnit``
    or a mapping with the keys ``organisation``, ``unit``, ``phone``, ``email``, ``signatory`` and
    ``signatory_role`` (text, or text per language ``nl``/``en``/``fr``), all optional; a bad mapping
    raises ``ContactError``. None: the scenario's optional ``planning_unit`` block; without that
    either, the documents say the contact details are missing. A block given is recorded in
    ``SOURCE``, so PDFs written later carry the same block.

    ``previous_dir``: the previous plan's output folder (a re-plan). The calendars then carry its
    events on (same UID; SEQUENCE raised on change; removed events as cancellations) and
    ``calendars/changes.json`` says what changed; see ``updates``. The result's ``warnings`` say
    when there was nothing to carry on.
    """
    if pdf not in PDF_MODES:
        raise ValueError(f"pdf must be one of {PDF_MODES}, not {pdf!r}")
    out = Path(out_dir)
    unit = PlanningUnit.coerce(contact, sc)
    created = generated_at(sc, plan)
    generated = timeutil.minutes(created)
    views = derive.planned_views(sc, plan)
    written: list[Path] = []
    links: dict[str, list[dict]] = {}
    jobs: list[PdfJob] = []

    for v in views:
        links[v.id] = []
        for html_path, html, job, label in _documents(sc, v, created, unit, out):
            written.append(_write_text(html_path, html))
            jobs.append(job)
            links[v.id].append({"href": html_path.relative_to(out).as_posix(), "label": label})
            if pdf == "all":
                links[v.id].append({"href": job.path.relative_to(out).as_posix(), "label": "PDF"})

    chars = document_chars(jobs)
    if pdf == "all":
        written += render_all(jobs, chars)

    by_owner: dict[str, list[CalEvent]] = defaultdict(list)
    for ev in derive.plan_events(sc, views):
        by_owner[ev.owner].append(ev)
    by_owner.setdefault("regievoerder", [])  # the planning unit always gets its (maybe empty) feed
    tasks, calendars = [], []
    for owner in sorted(by_owner):
        fname, name = _calendar_name(sc, owner)
        tasks.append((out / "calendars" / fname, name, by_owner[owner], created))
        calendars.append({"href": f"calendars/{fname}", "label": name.removeprefix("Vertrekplanner — ")})
    if previous_dir is None:
        written += run_all(_write_calendar, tasks)  # icalendar's text is the slow part: a pool of processes
        update = None
    else:
        update = write_updates(tasks, Path(previous_dir))
        written += update.paths
        calendars += [{"href": f"calendars/{f}", "label": n.removeprefix("Vertrekplanner — ")} for f, n in update.carried]

    index = _render("index.html", False, lang="nl", scenario=plan.get("scenario") or sc.name, views=views,
                    unplanned=derive.unplanned(plan), files=links, calendars=calendars,
                    generated=derive.local(generated, sc.home_tz),
                    pdf_on_demand=pdf == "on-demand", pdf_source=scenario_file is not None)
    written.append(_write_text(out / "index.html", index))
    if scenario_file is not None:
        record = {"format": SOURCE_FORMAT, "scenario": scenario_file, "plan": "plan.json"}
        if contact is not None:  # given: recorded; otherwise the scenario's block, which the copy keeps
            record["contact"] = unit.as_dict()
        record["characters"] = "".join(sorted(chars))
        written.append(_write_text(out / SOURCE, json.dumps(record, ensure_ascii=False, indent=1) + "\n"))
    return Written(written, update.warnings if update else [], update.record if update else None)


class PdfSourceError(Exception):
    """The folder holds no record to write PDFs from, or a departure asked for is not planned."""


def write_pdfs(out_dir: Path | str, ids: list[str] | None = None) -> list[Path]:
    """The PDFs of the planned departures ``ids`` (all when None) of the plan in ``out_dir``,
    written where ``write_outputs(..., pdf="all")`` would have, with the same bytes."""
    from ..loading.scenario import load_scenario  # loading is only needed here

    out = Path(out_dir)
    try:
        record = json.loads((out / SOURCE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PdfSourceError(f"{out / SOURCE} not found: write the folder with `vertrekplanner plan --out {out}`")
    if record.get("format") != SOURCE_FORMAT:
        raise PdfSourceError(f"{out / SOURCE}: unknown format {record.get('format')!r}")
    plan = json.loads((out / record["plan"]).read_text(encoding="utf-8"))
    planned = [e for e in plan.get("departures", []) if e.get("planned")]
    if ids is not None:
        wanted = set(ids)
        missing = sorted(wanted - {e["id"] for e in planned})
        if missing:
            raise PdfSourceError("not planned in this plan: " + ", ".join(missing))
        planned = [e for e in planned if e["id"] in wanted]
    sc = load_scenario(out / record["scenario"])
    # Older records have no contact block: the scenario's, as they were written with.
    unit = PlanningUnit.from_mapping(record["contact"], f"{out / SOURCE}: contact") if "contact" in record \
        else PlanningUnit.from_scenario(sc)
    created = generated_at(sc, plan)
    jobs = [job for e in planned for _, _, job, _ in _documents(sc, derive.departure_view(sc, e), created, unit, out)]
    return render_all(jobs, frozenset(record["characters"]))


def recorded_contact(out_dir: Path | str) -> PlanningUnit | None:
    """The contact block an earlier ``plan --out`` folder's documents were written with, when one
    was given (a re-plan keeps it unless told otherwise); None when the folder records none."""
    try:
        record = json.loads((Path(out_dir) / SOURCE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    block = record.get("contact") if isinstance(record, dict) else None
    if not isinstance(block, dict):
        return None
    try:
        return PlanningUnit.from_mapping(block, f"{Path(out_dir) / SOURCE}: contact")
    except ContactError:
        return None


def _write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
