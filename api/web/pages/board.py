"""The planning board page: one plan's missions as lanes per escort, medic and vehicle."""
from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from ...auth import Principal, db_session, require
from ...deps import scenario_for
from .. import data, pages
from ..board import LANE_KINDS
from ..render import page
from .common import _plan_for

router = APIRouter(include_in_schema=False)


@router.get("/scenarios/{scenario_id}/board")
def board_page(request: Request, scenario_id: int, plan: int | None = Query(None, ge=1),
               kind: str | None = Query(None, max_length=10), principal: Principal = Depends(require("plan.read")),
               session: Session = Depends(db_session)):
    row = scenario_for(session, principal, scenario_id)
    plan_row = _plan_for(session, scenario_id, plan)
    board = None
    if plan_row is not None:
        sc = data.scenario(session, row)
        href = lambda dep_id: f"/scenarios/{scenario_id}/departures/{quote(dep_id)}?plan={plan_row.id}"  # noqa: E731
        # Looked up on the package when called: a test replaces api.web.pages.build_board.
        board = pages.build_board(sc, plan_row.document, href)
        if kind in LANE_KINDS:  # one kind of lane only: the eu plan has hundreds of lanes
            board.groups = [g for g in board.groups if g[0] == kind]
    return page(request, "board.html", principal, scenario=row, plan=plan_row, board=board, kind=kind,
                lane_kinds=LANE_KINDS, plans=data.plans_of(session, scenario_id), state_labels=data.STATE_LABELS)
