"""The planning board page: one plan's missions as lanes per escort, medic and vehicle.

One GET page in two views: the graphic board of one period (``zoom`` dag / week / alles from
``van``, with previous and next) and its text alternative, a table of missions per resource
(``weergave=tabel``; with ``middel=<owner>`` one person's or vehicle's detail view). Filters
are GET parameters too: the unit (for who sees several), the kind of lane, the kind of
departure, a person or vehicle by id or name, and whether to add resources without a mission.
"""
from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...auth import Principal, db_session, require
from ...authz import allowed, sees_unit, write_permission
from ...deps import scenario_for
from ...models import ScenarioRow
from .. import data, pages
from ..board import DEFAULT_ZOOM, DEPARTURE_KINDS, KIND_GLYPHS, LANE_KINDS, ZOOMS, parse_van
from ..render import page
from .common import _plan_for, _see_other
from .edit import edit_url

router = APIRouter(include_in_schema=False)
VIEWS = {"bord": "Planbord", "tabel": "Tabel per middel"}
# The parameters a link of the page carries on (in this order).
PARAMS = ("plan", "weergave", "zoom", "van", "kind", "soort", "persoon", "alle", "middel")


def _units(session: Session, principal: Principal) -> list[str]:
    units = session.scalars(select(ScenarioRow.unit).distinct()).all()
    return sorted(u for u in units if sees_unit(principal.role, principal.unit, u))


@router.get("/scenarios/{scenario_id}/board")
def board_page(request: Request, scenario_id: int, plan: int | None = Query(None, ge=1),
               kind: str | None = Query(None, max_length=10),
               zoom: str | None = Query(None, max_length=10),
               van: str | None = Query(None, max_length=10),
               soort: str | None = Query(None, max_length=10),
               persoon: str | None = Query(None, max_length=80),
               alle: str | None = Query(None, max_length=5),
               weergave: str | None = Query(None, max_length=10),
               middel: str | None = Query(None, max_length=140),
               eenheid: str | None = Query(None, max_length=80),
               principal: Principal = Depends(require("plan.read")), session: Session = Depends(db_session)):
    row = scenario_for(session, principal, scenario_id)
    units = _units(session, principal)
    params = {"plan": plan, "weergave": weergave if weergave in VIEWS and weergave != "bord" else None,
              "zoom": zoom if zoom in ZOOMS and zoom != DEFAULT_ZOOM else None, "van": van or None,
              "kind": kind if kind in LANE_KINDS else None, "soort": soort if soort in DEPARTURE_KINDS else None,
              "persoon": (persoon or "").strip() or None, "alle": "1" if alle else None, "middel": middel or None}
    if eenheid and eenheid != row.unit and eenheid in units:
        # Another unit: its newest import's board, with the same view and filters (not its plan).
        other = session.scalar(select(ScenarioRow.id).where(ScenarioRow.unit == eenheid)
                               .order_by(ScenarioRow.id.desc()).limit(1))
        keep = {k: v for k, v in params.items() if v is not None and k not in ("plan", "middel")}
        return _see_other(f"/scenarios/{other}/board" + (f"?{urlencode(keep)}" if keep else ""))
    day = parse_van(van)
    if van and day is None:
        raise HTTPException(422, "De datum 'van' is niet geldig (verwacht jjjj-mm-dd).")
    plan_row = _plan_for(session, scenario_id, plan)
    base = f"/scenarios/{scenario_id}/board"

    def url_with(**changes) -> str:
        """This page's address with some parameters changed (None drops one)."""
        merged = {**params, **changes}
        if plan_row is not None and "plan" not in changes:
            merged["plan"] = plan_row.id
        query = [(k, merged[k]) for k in PARAMS if merged.get(k) not in (None, "")]
        return base + (f"?{urlencode(query)}" if query else "")

    def person_href(lane) -> str:
        if allowed(principal.role, write_permission(lane.kind + "s")):
            return edit_url(scenario_id, lane.kind + "s", lane.id)
        return url_with(weergave="tabel", middel=lane.owner, persoon=None, soort=None, kind=None, alle=None)

    board = None
    if plan_row is not None:
        sc = data.scenario(session, row)
        href = lambda dep_id: f"/scenarios/{scenario_id}/departures/{quote(dep_id)}?plan={plan_row.id}"  # noqa: E731
        # Looked up on the package when called: a test replaces api.web.pages.build_board.
        board = pages.build_board(sc, plan_row.document, href, zoom=zoom or DEFAULT_ZOOM, van=day,
                                  soort=params["soort"], persoon=params["persoon"], lane_kind=params["kind"],
                                  middel=params["middel"], alle=bool(alle) or bool(middel), person_href=person_href)
    lane = board.lanes[0] if board is not None and middel and board.lanes else None
    if middel and board is not None and lane is None:
        raise HTTPException(404, f"{middel} bestaat niet in dit scenario")
    edit_href = None
    if lane is not None and allowed(principal.role, write_permission(lane.kind + "s")):
        edit_href = edit_url(scenario_id, lane.kind + "s", lane.id)
    return page(request, "board.html", principal, scenario=row, plan=plan_row, board=board, kind=params["kind"],
                lane_kinds=LANE_KINDS, plans=data.plans_of(session, scenario_id), state_labels=data.STATE_LABELS,
                zooms=ZOOMS, zoom=board.view.zoom if board else (zoom or DEFAULT_ZOOM), views=VIEWS,
                weergave=params["weergave"] or "bord", departure_kinds=DEPARTURE_KINDS, glyphs=KIND_GLYPHS,
                soort=params["soort"], persoon=params["persoon"] or "", alle=bool(alle), middel=params["middel"],
                lane=lane, edit_href=edit_href, units=units, url_with=url_with)
