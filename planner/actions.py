"""Where to act first: the changes that would plan the most priority over the whole plan.

The verified fixes of the unplanned departures (planner/fixes.py) are grouped into **actions**:
one change that appears in the fixes of several departures is one action (a reception confirmed,
its hours widened, a closing day reopened), and visas for one country are one action however many
escorts or medics they are for ("visa for China for 3 escorts"). A fix of several changes is an
action of those changes together. The patches of an action's fixes are merged into one patch:
operations on the same field are kept once, a visa to the latest date asked, a reception's hours
as wide as any fix asked.

Fixes of different departures compete for the same people, seats and vehicles, so an action's
value is not the sum of its fixes. Each action is **verified**: its merged patch is applied to a
copy of the scenario document, the scenario is re-planned against the plan (planner/replan.py:
underway departures kept, every other change counted), the checker must accept the new plan, and
the action's value is the planned priority the re-plan gains and the departures it newly plans.
Actions that gain nothing are dropped; the rest are ranked by priority gained, then fewest changed
fields. At most ``MAX_ACTIONS`` are verified (the most promising first), each re-plan with
``SECONDS`` (candidate building included).

When the plan is not proven optimal in planned priority, a re-plan without any change is made first,
so that what re-planning alone would gain is never credited to an action.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

import jsonpatch
import jsonpointer

from . import wording
from .domain import Scenario
from .errors import ScenarioError
from .fixes import Change, Outcome

MAX_ACTIONS = 10  # actions verified, the most promising first
SECONDS = 5.0  # per verifying re-plan, candidate building included


@dataclass
class Action:
    key: tuple
    changes: list[Change]  # every change merged into the action
    covers: set[str]  # departures whose fixes the action contains (a guess until verified)
    patch: list[dict]
    nl: str
    en: str
    rules: list[int]


# --- grouping --------------------------------------------------------------------------------

def _group(change: Change) -> tuple:
    """The action a change belongs to: its key, but visas by country and hours by reception and day."""
    if change.kind == "visa":
        _, part, _who, countries, _last = change.key
        return ("visa", part, countries)
    if change.kind == "hours":
        return change.key[:3]
    return change.key


def _merge_ops(changes: list[Change]) -> list[dict]:
    """One operation per field: a visa to the latest date, hours as wide as asked, else the first."""
    by_path: dict[str, dict] = {}
    appended = []
    for change in changes:
        for op in change.ops:
            path = op["path"]
            if path.endswith("/-"):  # appended to a list (a skill): kept once per value
                if op not in appended:
                    appended.append(op)
                continue
            was = by_path.get(path)
            if was is None:
                by_path[path] = dict(op)
            elif change.kind == "visa":
                was["value"] = max(was["value"], op["value"])  # ISO dates
            elif change.kind == "hours":
                was["value"] = [min(was["value"][0], op["value"][0]), max(was["value"][1], op["value"][1])]
    return [by_path[p] for p in sorted(by_path)] + appended


def _texts(key: tuple, changes: list[Change], ops: list[dict]) -> tuple[str, str]:
    """Dutch and English for one group of changes."""
    if len(changes) == 1:
        return changes[0].nl, changes[0].en
    if key[0] == "visa":
        _, part, countries = key
        who = sorted({p for c in changes for p in c.key[2]})
        last = max(c.key[4] for c in changes)
        n = len(who)
        kinds = {"escorts": (("escort", "escorts"), ("escort", "escorts")),
                 "medics": (("medicus", "medici"), ("medic", "medics"))}[part]
        names = {lang: wording.listing([wording.country(c, lang) for c in countries], lang) for lang in wording.LANGS}
        nl = (f"{wording.plural(n * len(countries), 'visum', 'visa')} voor {names['nl']} voor {n} "
              f"{wording.plural(n, *kinds[0])} ({wording.listing(who, 'nl')}) tot {wording.day(last, 'nl')}")
        en = (f"{wording.plural(n * len(countries), 'visa', 'visas')} for {names['en']} for {n} "
              f"{wording.plural(n, *kinds[1])} ({wording.listing(who, 'en')}) until {wording.day(last, 'en')}")
        return nl, en
    if key[0] == "hours":
        _, rid, wd = key
        opens, closes = ops[0]["value"]
        return (f"opvang {rid} op {wording.weekday(wd, 'nl')} open {opens}–{closes}",
                f"reception {rid} open {opens}–{closes} on {wording.weekday(wd, 'en')}s")
    return changes[0].nl, changes[0].en  # one key: one change, the same text


def group_actions(sc: Scenario, outcomes: dict[str, Outcome]) -> list[Action]:
    """The actions in the fixes of ``outcomes`` (departure -> its unit's outcome), most promising first:
    the most priority of departures covered, then the fewest changed fields."""
    groups: dict[tuple, tuple[list[Change], set[str]]] = {}  # group key -> changes, departures
    fix_sets: dict[frozenset, set[str]] = {}  # a fix's group keys -> departures
    for did, outcome in outcomes.items():
        for changes in outcome.changes:
            keys = frozenset(_group(c) for c in changes)
            fix_sets.setdefault(keys, set()).add(did)
            for c in changes:
                members, deps = groups.setdefault(_group(c), ([], set()))
                if c not in members:
                    members.append(c)
                deps.add(did)
    merged: dict[tuple, tuple[list[dict], str, str]] = {}
    for key, (changes, _) in groups.items():
        ops = _merge_ops(changes)
        merged[key] = (ops, *_texts(key, changes, ops))
    out = []
    for keys, deps in fix_sets.items():
        ordered = sorted(keys, key=lambda k: merged[k][1])
        changes = [c for k in ordered for c in groups[k][0]]
        covers = set.intersection(*(groups[k][1] for k in ordered)) | deps
        out.append(Action(tuple(ordered), changes, covers, [op for k in ordered for op in merged[k][0]],
                          " + ".join(merged[k][1] for k in ordered), " + ".join(merged[k][2] for k in ordered),
                          sorted({r for c in changes for r in c.rules})))
    out.sort(key=lambda a: (-sum(sc.departures[d].priority for d in a.covers), len(a.patch), a.en))
    return out


# --- verification ----------------------------------------------------------------------------

def planned_priority(sc: Scenario, plan: dict) -> int:
    """The summed priority of the plan's planned departures."""
    return sum(sc.departures[e["id"]].priority for e in plan["departures"]
               if e.get("planned") is True and e["id"] in sc.departures)


def _replanned(raw: dict, plan: dict, ops: list[dict], options, like: Scenario | None = None
               ) -> tuple[Scenario, dict] | None:
    """The scenario with ``ops`` applied (to a copy), re-planned against ``plan``; None when the
    patch does not apply or the checker does not accept the new plan. ``like`` is the scenario
    read from ``raw``: what the patch leaves alone is not read again."""
    from .checker import check_plan
    from .loading.patching import apply_patch_shared
    from .loading.scenario import parse_scenario
    from .plan import build_plan
    from .replan import replan
    from .solve import REPLAN_STAGES
    from .stopping import StopSignal

    LATER_STAGES = {stage[0] for stage in REPLAN_STAGES[1:]}

    try:
        sc = parse_scenario(apply_patch_shared(raw, ops), like=like)
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException, ScenarioError):
        return None
    # Only planned priority (and the changes) decide an action's value: the later levels are not waited for.
    stop = StopSignal()

    def past_level1(progress) -> None:
        if progress.stage in LATER_STAGES:
            stop.stop()
    result, _ = replan(sc, plan, replace(options, stop=stop), on_progress=past_level1)
    if result.status not in ("OPTIMAL", "FEASIBLE"):
        return None
    after = build_plan(sc, result)  # no fixes: a verifying plan is not explained further
    if check_plan(sc, after, earlier=plan):
        return None
    return sc, after


def verify(sc: Scenario, plan: dict, action: Action, options, baseline: int | None = None) -> dict | None:
    """The action as plan.json lists it, with the priority its re-plan gains over the plan (or over
    ``baseline``, what re-planning gains without any change); None when it gains nothing."""
    done = _replanned(sc.raw, plan, action.patch, options, like=sc)
    if done is None:
        return None
    patched, after = done
    before = planned_priority(sc, plan)
    gained = planned_priority(patched, after) - max(before, before if baseline is None else baseline)
    if gained <= 0:
        return None
    was = {e["id"] for e in plan["departures"] if e.get("planned") is True}
    now = {e["id"] for e in after["departures"] if e.get("planned") is True}
    out = {"what": action.en, "what_nl": action.nl, "rules": action.rules, "patch": action.patch,
           "departures": sorted(now - was), "priority_gained": gained}
    if was - now:  # traded: the re-plan leaves these unplanned for the gain
        out["departures_unplanned"] = sorted(was - now)
    return out


def attach_actions(sc: Scenario, plan: dict, outcomes: dict[str, Outcome], options=None,
                   max_actions: int = MAX_ACTIONS) -> list[dict]:
    """``plan["solver"]["actions"]``: the verified actions, ranked (see the module's docstring)."""
    from .solve import SolveOptions

    options = options or SolveOptions(workers=1)
    options = replace(options, time_limit=min(options.time_limit, SECONDS))
    started = time.perf_counter()
    candidates = group_actions(sc, {d: o for d, o in outcomes.items() if o.changes})[:max_actions]
    baseline = None
    if candidates and "planned_priority" not in (plan["solver"].get("proven") or []):
        done = _replanned(sc.raw, plan, [], options, like=sc)
        baseline = planned_priority(*done) if done else None
    verified = [a for a in (verify(sc, plan, c, options, baseline) for c in candidates) if a is not None]
    verified.sort(key=lambda a: (-a["priority_gained"], len(a["patch"]), a["what"]))
    plan["solver"]["actions"] = verified
    plan["solver"]["actions_tried"] = len(candidates)
    plan["solver"]["actions_seconds"] = round(time.perf_counter() - started, 2)
    if baseline is not None:
        plan["solver"]["actions_baseline_priority"] = baseline
    return verified


def summary_nl(plan: dict, top: int = 5) -> list[str]:
    """The terminal's lines: 'Waar eerst actie:' and the top actions, in Dutch; none without actions."""
    actions = (plan.get("solver") or {}).get("actions")
    if not isinstance(actions, list) or not actions:
        return []
    lines = [f"Waar eerst actie ({min(top, len(actions))} van {len(actions)}, elk geverifieerd met een herplanning):"]
    for rank, a in enumerate(actions[:top], 1):
        n = len(a["departures"])
        line = (f"  {rank}. {a['what_nl']}: {n} {wording.plural(n, 'vertrek', 'vertrekken')} extra gepland "
                f"({wording.listing(a['departures'], 'nl')}), prioriteit +{a['priority_gained']}")
        if a.get("departures_unplanned"):
            line += f"; daarvoor niet meer gepland: {wording.listing(a['departures_unplanned'], 'nl')}"
        lines.append(line)
    return lines
