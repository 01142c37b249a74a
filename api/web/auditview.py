"""The audit log as people read it: each entry's details as Dutch "naam: waarde" lines.

The log itself stays as written (English keys, the JSON the services recorded, api/audit.py); only
the page translates. A key or word this table does not know is shown as it is, never dropped.
"""
from __future__ import annotations

from ..authz import ROLES
from .data import STATE_LABELS
from .render import ROLE_LABELS

ACTION_LABELS = {
    "login": "ingelogd", "logout": "uitgelogd", "login.failed": "inloggen mislukt",
    "login.throttled": "inloggen tijdelijk geblokkeerd", "login.unlock": "account ontgrendeld",
    "password.change": "wachtwoord gewijzigd", "password.change_failed": "wachtwoord wijzigen mislukt",
    "user.create": "account aangemaakt", "user.update": "account gewijzigd", "user.put": "account gezet (CLI)",
    "user.change_requested": "accountwijziging aangevraagd", "user.change_confirmed": "accountwijziging bevestigd",
    "user.change_rejected": "accountwijziging afgewezen", "contact.put": "contactadres opgeslagen",
    "scenario.import": "scenario geïmporteerd", "scenario.import.unchanged": "import zonder wijzigingen",
    "solve.start": "berekening gestart", "solve.stop": "berekening gestopt", "plan.publish": "plan gepubliceerd",
    "plan.recommend": "optie gekozen als concept", "disruption.record": "verstoring vastgelegd",
    "feed.rotate": "nieuwe agenda-link", "feed.revoke": "agenda-link ingetrokken",
    "retention.purge": "persoonsgegevens verwijderd (bewaartermijn)",
}
ENTITY_LABELS = {"user": "account", "scenario": "scenario", "job": "berekening", "plan": "plan", "feed": "agenda",
                 "contact": "contact", "departures": "vertrekken", "escorts": "escort", "medics": "medicus",
                 "vehicles": "voertuig", "reception": "ontvangende partij", "locations": "locatie",
                 "flights": "vlucht", "airlines": "maatschappij", "airports": "luchthaven"}
KEY_LABELS = {
    "username": "gebruiker", "role": "rol", "unit": "eenheid", "owner": "koppeling", "email": "e-mail",
    "active": "actief", "password": "wachtwoord", "source": "bestand", "counts": "aantallen", "kept": "behouden",
    "identity_confirmed": "identiteit bevestigd", "scenario": "scenario", "changed": "gewijzigd",
    "version": "versie", "pending": "aanvraag", "fields": "velden", "password_changed": "wachtwoord gewijzigd",
    "requested_by": "aangevraagd door", "options": "instellingen", "status_before": "status daarvoor",
    "superseded": "vervangt plan", "events": "agenda-items", "mails": "uitnodigingen", "people": "personen",
    "kinds": "soorten", "affected": "geraakte vertrekken", "address": "adres", "retry_after": "opnieuw na (s)",
    "cleared": "gewiste pogingen", "days": "dagen", "ids": "vertrekken", "departure": "vertrek",
    "option": "optie", "against": "tegen plan",
    # nested: import counts per kind, publication event counts, solve options
    "add": "toegevoegd", "change": "gewijzigd", "remove": "verwijderd",
    "created": "nieuw", "updated": "gewijzigd", "reconfirmed": "opnieuw bevestigd", "cancelled": "geannuleerd",
    "unchanged": "ongewijzigd", "quick": "snel", "time_limit": "hoogstens (s)", "fixes": "oplossingen zoeken",
    "from_scratch": "vanaf nul", "planning_time": "planningstijd", "horizon": "horizon",
    # the kinds of the planning book (an import's counts per kind)
    "departures": "vertrekken", "airlines": "maatschappijen", "flights": "vluchten", "locations": "locaties",
    "vehicles": "voertuigen", "escorts": "escorts", "medics": "medici", "reception": "ontvangende partijen",
    "airports": "luchthavens",
}
WORD_LABELS = {**STATE_LABELS, **{r: ROLE_LABELS.get(r, r) for r in ROLES},
               "queued": "in de wachtrij", "running": "bezig", "done": "klaar", "stopped": "gestopt",
               "failed": "mislukt", "pending": "in behandeling", "confirmed": "bevestigd", "rejected": "afgewezen",
               "nieuw": "nieuw"}
MAX_ITEMS = 12  # of a list in one line; the rest is counted


def action_text(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def entity_text(entity: str) -> str:
    return ENTITY_LABELS.get(entity, entity)


def _value(value, key: str | None = None) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, (int, float)):
        return f"{value:g}".replace(".", ",") if isinstance(value, float) else str(value)
    if isinstance(value, dict):
        parts = [f"{KEY_LABELS.get(str(k), str(k))} {_value(v, str(k))}" if not isinstance(v, dict)
                 else f"{KEY_LABELS.get(str(k), str(k))} ({_value(v, str(k))})" for k, v in value.items()]
        return ", ".join(parts) or "—"
    if isinstance(value, (list, tuple)):
        items = [_value(v, key) for v in value[:MAX_ITEMS]]
        more = len(value) - MAX_ITEMS
        return (", ".join(items) or "geen") + (f" en {more} meer" if more > 0 else "")
    text = str(value)
    if key in ("fields", "changed", "kinds"):
        return KEY_LABELS.get(text, text)
    return WORD_LABELS.get(text, text)


def detail_lines(detail: dict | None) -> list[str]:
    """One "naam: waarde" line per key of an entry's details, in Dutch where the table knows it."""
    if not detail:
        return []
    lines = []
    for key, value in detail.items():
        label = KEY_LABELS.get(str(key), str(key))
        if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
            # e.g. an import's counts per kind: "aantallen departures: toegevoegd 3, gewijzigd 1, verwijderd 0"
            lines += [f"{label} {KEY_LABELS.get(str(k), str(k))}: {_value(v)}" for k, v in value.items()]
        else:
            lines.append(f"{label}: {_value(value, str(key))}")
    return lines
