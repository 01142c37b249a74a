"""What a re-plan changed, for the people it concerns: per departure and per person, Dutch and English.

``plan_changes`` compares two plan documents entry by entry (the earlier one may name departures
the scenario no longer has: a cancelled departure is reported as dropped). Texts name flights by
number and route, times by the local date and a shift in hours, people by their ids.
"""
from __future__ import annotations

from . import timeutil
from .domain import Scenario
from .hold import entries_of

ASSIGNMENT = ("flights", "pickup", "escorts", "medics", "handover")  # what a plan decides (the rest is derived)


def assignment(entry: dict) -> dict:
    """A planned entry's decisions, without what is derived from them (cost, soft goals)."""
    return {k: entry.get(k) for k in ASSIGNMENT}


MONTHS = {"nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
          "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")}


def plan_changes(sc: Scenario, previous: dict, plan: dict) -> dict:
    """Every departure's and every person's changes from ``previous`` to ``plan``."""
    before, after = entries_of(previous), entries_of(plan)
    departures = []
    for did in sorted(set(before) | set(after)):
        item = _departure(sc, did, before.get(did), after.get(did))
        if item["status"] != "unchanged":
            departures.append(item)
    people = _people(sc, before, after)
    unchanged = not departures and not people
    return {"unchanged": unchanged,
            "counts": {"departures_changed": len(departures), "people_concerned": len(people),
                       "departures_kept": sum(1 for d in set(before) & set(after)
                                              if assignment(before[d]) == assignment(after[d]))},
            "departures": departures, "people": people}


def summary(changes: dict, lang: str) -> str:
    """A readable summary: one line per departure, then one per person."""
    if changes["unchanged"]:
        return ("Ongewijzigd: het nieuwe plan is het vorige plan.\n" if lang == "nl"
                else "Unchanged: the new plan is the previous plan.\n")
    head = ("Vertrekken", "Mensen en voertuigen") if lang == "nl" else ("Departures", "People and vehicles")
    lines = [f"# {head[0]}", ""] + [f"- {d[lang]}" for d in changes["departures"]]
    lines += ["", f"# {head[1]}", ""] + [f"- {p[lang]}" for p in changes["people"]]
    return "\n".join(lines) + "\n"


# --- per departure ---------------------------------------------------------------------------------

def _flight_text(sc: Scenario, ids: list[str]) -> tuple[str, str]:
    """('KL587' or 'TK1954 via IST', 'AMS→IST→LOS') for a list of flight ids."""
    legs = [sc.flights[f] for f in ids if f in sc.flights]
    if len(legs) != len(ids) or not legs:
        return ", ".join(ids), ""
    numbers = "+".join(leg.number for leg in legs)
    via = [leg.dest for leg in legs[:-1]]
    route = "→".join([legs[0].origin] + [leg.dest for leg in legs])
    return (numbers + (" via " + ", ".join(via) if via else ""), route)


def _day(sc: Scenario, instant: str, lang: str) -> str:
    d = timeutil.local_date(timeutil.instant_minutes(instant), sc.home_tz)
    return f"{d.day} {MONTHS[lang][d.month - 1]}"


def _shift(minutes: int, lang: str) -> str:
    hours = abs(minutes) / 60
    amount = f"{hours:.1f}".rstrip("0").rstrip(".").replace(".", "," if lang == "nl" else ".")
    if lang == "nl":
        return f"{amount} uur {'eerder' if minutes < 0 else 'later'}"
    return f"{amount} {'hour' if hours == 1 else 'hours'} {'earlier' if minutes < 0 else 'later'}"


def _crew(entry: dict) -> dict[str, list[str]]:
    return {c["id"]: list(c.get("return_flights") or []) for c in (entry.get("escorts") or []) + (entry.get("medics") or [])}


def _departure(sc: Scenario, did: str, was: dict | None, now: dict | None) -> dict:
    item = {"id": did, "changes": []}
    if was is None and now is None:
        item.update(status="unchanged", nl="", en="")
        return item
    if was is None:
        flights, route = _flight_text(sc, now["flights"])
        item.update(status="added", changes=[{"what": "planned", "after": now["flights"]}],
                    nl=f"{did}: nieuw gepland op {_day(sc, now['pickup']['time'], 'nl')}: {flights} {route}".rstrip(),
                    en=f"{did}: newly planned on {_day(sc, now['pickup']['time'], 'en')}: {flights} {route}".rstrip())
        return item
    if now is None:
        gone = did not in sc.departures
        item.update(status="removed", changes=[{"what": "planned", "before": was["flights"]}],
                    nl=f"{did}: vervalt ({'vertrek geannuleerd' if gone else 'niet meer gepland'})",
                    en=f"{did}: dropped ({'departure cancelled' if gone else 'no longer planned'})")
        return item
    nl, en = [], []
    if was["flights"] != now["flights"]:
        old, _ = _flight_text(sc, was["flights"])
        new, route = _flight_text(sc, now["flights"])
        item["changes"].append({"what": "flights", "before": was["flights"], "after": now["flights"]})
        nl.append(f"vlucht {old} vervalt, nu {new}")
        en.append(f"flight {old} dropped, now {new}")
    shift = timeutil.instant_minutes(now["pickup"]["time"]) - timeutil.instant_minutes(was["pickup"]["time"])
    if shift:
        item["changes"].append({"what": "pickup", "before": was["pickup"]["time"], "after": now["pickup"]["time"]})
        nl.append(f"ophalen {_shift(shift, 'nl')}")
        en.append(f"pickup {_shift(shift, 'en')}")
    if was["pickup"].get("vehicle") != now["pickup"].get("vehicle"):
        item["changes"].append({"what": "vehicle", "before": was["pickup"].get("vehicle"),
                                "after": now["pickup"].get("vehicle")})
        nl.append(f"voertuig {was['pickup'].get('vehicle')} → {now['pickup'].get('vehicle')}")
        en.append(f"vehicle {was['pickup'].get('vehicle')} → {now['pickup'].get('vehicle')}")
    crew_was, crew_now = _crew(was), _crew(now)
    for pid in sorted(set(crew_was) - set(crew_now)):
        item["changes"].append({"what": "companion", "before": pid})
        nl.append(f"{pid} gaat niet meer mee")
        en.append(f"{pid} no longer goes")
    for pid in sorted(set(crew_now) - set(crew_was)):
        item["changes"].append({"what": "companion", "after": pid})
        nl.append(f"{pid} gaat mee")
        en.append(f"{pid} goes along")
    for pid in sorted(set(crew_was) & set(crew_now)):
        if crew_was[pid] != crew_now[pid]:
            new, _ = _flight_text(sc, crew_now[pid])
            item["changes"].append({"what": "return", "person": pid, "before": crew_was[pid], "after": crew_now[pid]})
            nl.append(f"{pid} reist terug met {new}")
            en.append(f"{pid} returns on {new}")
    if not item["changes"]:
        item.update(status="unchanged", nl="", en="")
        return item
    item.update(status="changed", nl=f"{did}: " + ", ".join(nl), en=f"{did}: " + ", ".join(en))
    return item


# --- per person -----------------------------------------------------------------------------------

def _missions(entries: dict[str, dict]) -> dict[str, dict[str, dict]]:
    """Per person or vehicle id, their missions: departure id -> what they do on it."""
    out: dict[str, dict[str, dict]] = {}
    for did, e in entries.items():
        for c in (e.get("escorts") or []) + (e.get("medics") or []):
            out.setdefault(c["id"], {})[did] = {"flights": e["flights"], "return": c.get("return_flights") or [],
                                                 "pickup": e["pickup"]["time"]}
        vid = e["pickup"].get("vehicle")
        if vid:
            out.setdefault(vid, {})[did] = {"pickup": e["pickup"]["time"], "airport": e["pickup"].get("airport")}
    return out


def _people(sc: Scenario, before: dict[str, dict], after: dict[str, dict]) -> list[dict]:
    was, now = _missions(before), _missions(after)
    out = []
    for pid in sorted(set(was) | set(now)):
        a, b = was.get(pid, {}), now.get(pid, {})
        removed = sorted(set(a) - set(b))
        added = sorted(set(b) - set(a))
        changed = sorted(d for d in set(a) & set(b) if a[d] != b[d])
        if not (removed or added or changed):
            continue
        nl = [f"missie {d} vervalt" for d in removed]
        en = [f"mission {d} dropped" for d in removed]
        nl += [f"nieuwe missie {d} op {_day(sc, b[d]['pickup'], 'nl')}" for d in added]
        en += [f"new mission {d} on {_day(sc, b[d]['pickup'], 'en')}" for d in added]
        nl += [f"missie {d} gewijzigd" for d in changed]
        en += [f"mission {d} changed" for d in changed]
        kind = "escort" if pid in sc.escorts else "medic" if pid in sc.medics else "vehicle"
        out.append({"id": pid, "kind": kind, "removed": removed, "added": added, "changed": changed,
                    "nl": f"{pid}: " + "; ".join(nl), "en": f"{pid}: " + "; ".join(en)})
    return out
