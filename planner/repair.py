"""Repairing a plan whose companions' returns book a leg beyond its seats.

The exact solve first plans over a relaxation that does not count every return seat (see
``candidates.ReturnPolicy``). Its solutions are often valid but for a seat or two on a return
leg. Levels 1 and 2 do not depend on which return a companion takes, so moving companions to
other lawful returns with free seats turns such a solution into a valid plan of the same
priority and waiting hours — which, when the relaxation's solution was optimal, is optimal.
"""
from __future__ import annotations

from . import rules
from .candidates import Candidates, CompanionChoice
from .greedy import Ledger
from .selection import Chosen, Selection


def overfull_legs(cands: Candidates, sel: Selection) -> set[str]:
    """Legs on which a selection books more seats than the leg has (returns included).

    Seats held by pinned units (underway departures) are theirs whatever the leg has now: a leg
    they alone fill beyond its seats is not the selection's to repair.
    """
    return _overfull(cands, _booked(cands, sel))


def _booked(cands: Candidates, sel: Selection) -> Ledger:
    ledger = Ledger(cands)
    for chosen in sel.chosen.values():
        ledger.commit(chosen)
    return ledger


def _overfull(cands: Candidates, ledger: Ledger) -> set[str]:
    return {leg_id for leg_id, used in ledger.seats.items() if used > _capacity(cands, leg_id)}


def _capacity(cands: Candidates, leg_id: str) -> int:
    held = 0
    for chosen in (cands.hold.pinned.values() if cands.hold else ()):
        opt = chosen.option
        if any(leg.id == leg_id for leg in opt.legs):
            held += sum(rules.returnee_seats(cands.sc, m.dep) + len(chosen.escorts[i]) + len(chosen.medics[i])
                        for i, m in enumerate(opt.members))
        held += sum(1 for team in chosen.escorts + chosen.medics for c in team for leg in c.ret if leg.id == leg_id)
    return max(cands.sc.flights[leg_id].seats, held)


def repair_returns(cands: Candidates, sel: Selection, over: set[str] | None = None) -> Selection | None:
    """``sel`` with companions moved off over-booked return legs, or None if that cannot be done.
    ``over``: those legs, when the caller has found them already."""
    ledger = _booked(cands, sel)
    over = sorted(_overfull(cands, ledger) if over is None else over)
    if not over:
        return sel
    chosen_now = {u: Chosen(c.option, [list(t) for t in c.escorts], [list(t) for t in c.medics], list(c.vehicles))
                  for u, c in sel.chosen.items()}
    pinned = cands.hold.pinned if cands.hold else {}  # held units keep their returns
    for leg_id in over:
        cap = _capacity(cands, leg_id)
        riders = [(u, teams, i, k) for u, c in chosen_now.items() if u not in pinned
                  for teams in (c.escorts, c.medics)
                  for i, team in enumerate(teams) for k, ch in enumerate(team) if any(l.id == leg_id for l in ch.ret)]
        for u, teams, i, k in riders:
            if ledger.seats[leg_id] <= cap:
                break
            old = teams[i][k]
            new = _other_return(cands, ledger, chosen_now[u], old)
            if new is not None:
                ledger.swap_return(old, new)
                teams[i][k] = new
        if ledger.seats[leg_id] > cap:
            return None
    return Selection(chosen_now)


def _other_return(cands: Candidates, ledger: Ledger, chosen: Chosen, old: CompanionChoice) -> CompanionChoice | None:
    """The cheapest lawful return of ``old``'s companion with a free seat on every leg and no clash."""
    person, opt = old.companion, chosen.option
    spans = ledger.busy[person.id]
    mine = (old.start, old.end + ledger.rest)
    best = None
    for ret in cands.lawful_returns(opt, old.member, person):
        if ret == old.ret or any(ledger.seats[leg.id] >= leg.seats for leg in ret):
            continue
        end = ret[-1].arrives
        if any(s < end + ledger.rest and old.start < e for s, e in spans if (s, e) != mine):
            continue
        cost = cands.companion_cost(opt, old.member, person, ret)
        if best is None or cost < best.cost:
            best = CompanionChoice(person, old.member, ret, old.start, end, cost)
    return best
