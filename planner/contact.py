"""The planning unit's contact block: who a receiving party abroad, an escort or a regievoerder calls.

Letters to receiving parties carry it (organisation, unit, telephone, e-mail, and the name and role
of who signs); itineraries name it on their last line. It is an option of the outputs, given as a
mapping with the keys of ``FIELDS``::

    {"organisation": "Dienst Terugkeer en Vertrek (DT&V)", "unit": "Bijzonder Vertrek en Boekingen",
     "phone": "+31 88 000 0000", "email": "regie@example.org",
     "signatory": "M. de Vries", "signatory_role": {"en": "Departure coordinator", "nl": "regievoerder"}}

Every key is optional; ``signatory_role`` is text, or text per document language (``nl``, ``en``,
``fr``). Where it comes from, first found:

1. ``write_outputs(..., contact=...)``, ``render_letter(..., unit=...)`` and ``render_itinerary``
   (a mapping or a ``PlanningUnit``); the command line reads it from ``--contact FILE`` (JSON or
   TOML; a re-plan keeps the block the earlier plan's folder recorded), the service passes what
   it keeps per unit;
2. the scenario's optional ``planning_unit`` block, same keys (``name`` as well: the whole name);
3. nothing: the documents say plainly that the planning unit's contact details are missing,
   rather than promise a call nobody can return.
"""
from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

FIELDS = ("organisation", "unit", "phone", "email", "signatory", "signatory_role")
LANGUAGES = ("nl", "en", "fr")
DEFAULT_ORGANISATION = "Dienst Terugkeer en Vertrek (DT&V)"
DEFAULT_UNIT = "Bijzonder Vertrek en Boekingen"

# What `vertrekplanner demo` puts on its documents (fictitious: the .invalid domain, no real line).
DEMO_CONTACT = {
    "organisation": DEFAULT_ORGANISATION,
    "unit": "Bijzonder Vertrek en Boekingen (demo)",
    "phone": "+31 88 000 0000",
    "email": "regie@demo.vertrekplanner.invalid",
    "signatory": "M. de Vries",
    "signatory_role": {"nl": "regievoerder", "en": "Departure coordinator", "fr": "Coordinatrice des départs"},
}


class ContactError(ValueError):
    """A contact block that cannot be used: not a mapping, an unknown key, a value that is not text."""


@dataclass(frozen=True)
class PlanningUnit:
    """Who the receiving party and the team call. ``PlanningUnit()`` is a unit without contact details."""

    organisation: str = DEFAULT_ORGANISATION
    unit: str = DEFAULT_UNIT
    phone: str = ""
    email: str = ""
    signatory: str = ""
    roles: tuple[tuple[str, str], ...] = ()  # (language, role); language "" for one text in every language

    @property
    def name(self) -> str:
        """Organisation and unit as one name, e.g. "Dienst Terugkeer en Vertrek (DT&V) — Bijzonder Vertrek"."""
        return " — ".join(p for p in (self.organisation, self.unit) if p)

    @property
    def has_contact(self) -> bool:
        """A telephone number or an e-mail address to reach the unit by."""
        return bool(self.phone or self.email)

    def role(self, lang: str) -> str:
        """The signatory's role in ``lang``; text given for every language otherwise; else English."""
        roles = dict(self.roles)
        return roles.get(lang) or roles.get("") or roles.get("en") or ""

    def as_dict(self) -> dict[str, Any]:
        """The block as a mapping that ``from_mapping`` reads back into the same unit."""
        roles = dict(self.roles)
        role: Any = roles.get("", "") if set(roles) <= {""} else roles
        return {"organisation": self.organisation, "unit": self.unit, "phone": self.phone, "email": self.email,
                "signatory": self.signatory, "signatory_role": role}

    @classmethod
    def from_mapping(cls, data: Any, where: str = "contact", strict: bool = True) -> "PlanningUnit":
        """A unit from a contact block. ``strict``: an unknown key or a value that is not text is a
        ``ContactError``; otherwise (a scenario's block, read while documents are written) such keys
        are left out and numbers become text. ``organisation`` and ``unit`` default to DT&V's names
        when absent; given as ``""`` they are left out."""
        if not isinstance(data, Mapping):
            raise ContactError(f"{where}: expected a table of {', '.join(FIELDS)}, not {type(data).__name__}")
        known = set(FIELDS) | {"name"}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown and strict:
            raise ContactError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(FIELDS)}")
        values: dict[str, str] = {}
        for key in (*FIELDS[:-1], "name"):
            value = data.get(key)
            if value is None:
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool) and not strict:
                value = str(value)  # a telephone number written as a number
            if not isinstance(value, str):
                if strict:
                    raise ContactError(f"{where}.{key}: expected text, not {type(value).__name__}")
                continue
            values[key] = " ".join(value.split())  # one line: no stray newlines or tabs in a letter
        roles = _roles(data.get("signatory_role"), f"{where}.signatory_role", strict)
        if "name" in values and "organisation" not in values and "unit" not in values:
            values["organisation"], values["unit"] = values["name"], ""  # the whole name, as before
        values.pop("name", None)
        return cls(**values, roles=roles)

    @classmethod
    def from_scenario(cls, sc) -> "PlanningUnit":
        """The scenario's optional ``planning_unit`` block; ``PlanningUnit()`` without one."""
        raw = sc.raw.get("planning_unit") if isinstance(sc.raw, dict) else None
        if not isinstance(raw, Mapping):
            return cls()
        return cls.from_mapping(raw, "planning_unit", strict=False)

    @classmethod
    def coerce(cls, value: "PlanningUnit | Mapping | None", sc=None) -> "PlanningUnit":
        """``value`` as a unit: a unit as it is, a mapping read strictly, None the scenario's block."""
        if isinstance(value, PlanningUnit):
            return value
        if value is None:
            return cls.from_scenario(sc) if sc is not None else cls()
        return cls.from_mapping(value)


def _roles(value: Any, where: str, strict: bool) -> tuple[tuple[str, str], ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (("", " ".join(value.split())),)
    if isinstance(value, Mapping):
        out = []
        for lang, text in value.items():
            if lang not in LANGUAGES or not isinstance(text, str):
                if strict:
                    raise ContactError(f"{where}: expected text, or text per language ({', '.join(LANGUAGES)})")
                continue
            if text.strip():
                out.append((lang, " ".join(text.split())))
        return tuple(sorted(out))
    if strict:
        raise ContactError(f"{where}: expected text, or text per language ({', '.join(LANGUAGES)})")
    return ()


def read_contact(path: Path | str) -> PlanningUnit:
    """A contact block from a JSON or TOML file (by its suffix; ``.toml`` is TOML, anything else
    JSON). The keys may stand at the top or under a ``contact`` (or ``planning_unit``) table."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContactError(f"{path}: cannot be read ({exc})") from exc
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ContactError(f"{path}: not valid {'TOML' if path.suffix.lower() == '.toml' else 'JSON'} ({exc})") from exc
    if isinstance(data, dict) and len(data) == 1:
        (key, inner), = data.items()
        if key in ("contact", "planning_unit") and isinstance(inner, dict):
            data = inner
    return PlanningUnit.from_mapping(data, str(path))


def demo_contact_toml() -> str:
    """``DEMO_CONTACT`` as the TOML file ``--contact`` reads: a sample to copy and fill in."""
    lines = ["# Contact block of the planning unit, for: vertrekplanner plan SCENARIO --contact FILE",
             "# (letters to receiving parties and itineraries). Every key is optional."]
    for key in FIELDS[:-1]:
        lines.append(f"{key} = {json.dumps(DEMO_CONTACT[key], ensure_ascii=False)}")
    lines += ["", "[signatory_role]  # or one text: signatory_role = \"...\""]
    for lang, role in DEMO_CONTACT["signatory_role"].items():
        lines.append(f"{lang} = {json.dumps(role, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"
