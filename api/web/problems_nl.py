"""The rule part of an import problem in Dutch, for the pages.

The planner's validation (planner/loading/*.py, planner/disruptions.py, api/book.py) says what a
field expects in English: the CLI, the JSON API and the tests read those texts, so they stay as
they are. The pages print ``dutch(expected)`` instead: a table of the common rules, tried in order,
whole text only. A text no rule matches comes back unchanged (English), with ``translated`` False,
so the page can mark its language; a rule is never half translated.

Values quoted in a rule (ids, codes, examples, formats) are kept exactly as written.
"""
from __future__ import annotations

import re

MAX_CHARS = 600

# Whole texts, word for word.
EXACT: dict[str, str] = {
    "a value (the field is required)": "een waarde (verplicht veld)",
    "a value": "een waarde",
    "a list (the entity is required)": "een lijst (dit onderdeel is verplicht)",
    "a list of records": "een lijst met records",
    "a JSON object": "een JSON-object",
    "an object with the fields of the spec": "een object met de velden van de specificatie",
    "an object with the medical needs": "een object met de medische gegevens",
    "a non-empty text id": "een id (niet-lege tekst)",
    "non-empty text": "niet-lege tekst",
    "a whole number": "een geheel getal",
    "a number": "een getal",
    "a number (euros)": "een getal (euro's)",
    "true or false": "true of false",
    "true or false (also ja/nee, yes/no, waar/onwaar, 1/0)":
        "true of false (ook goed: ja/nee, yes/no, waar/onwaar, 1/0)",
    "a duration cannot be negative": "een duur kan niet negatief zijn",
    "a finite number (not NaN or Infinity)": "een eindig getal (geen NaN of Infinity)",
    "a finite number (this one is too large)": "een eindig getal (dit is te groot)",
    "a number (NaN, Infinity and -Infinity are not JSON)":
        "een getal (NaN, Infinity en -Infinity bestaan niet in JSON)",
    "a date YYYY-MM-DD": "een datum JJJJ-MM-DD",
    "a date YYYY-MM-DD or DD-MM-YYYY": "een datum JJJJ-MM-DD of DD-MM-JJJJ",
    "a list of text values": "een lijst met teksten",
    "a window [start, end] of two instants": "een periode [begin, einde] van twee tijdstippen",
    "a window whose start lies before its end": "een periode waarvan het begin vóór het einde ligt",
    "a list of windows [[start, end], ...]": "een lijst van periodes [[begin, einde], ...]",
    "an ISO 3166-1 alpha-2 country code": "een landcode volgens ISO 3166-1 alpha-2 (bijv. NL)",
    "ISO 3166-1 alpha-2 country codes": "landcodes volgens ISO 3166-1 alpha-2 (bijv. NL)",
    "an IANA time zone such as Europe/Amsterdam": "een IANA-tijdzone zoals Europe/Amsterdam",
    "a carrier listed under airlines": "een maatschappij die onder airlines staat",
    "an airport other than the one it leaves from": "een andere luchthaven dan die van vertrek",
    "a closing time after the opening time": "een sluitingstijd na de openingstijd",
    'a pair ["HH:MM", "HH:MM"]': 'een paar ["HH:MM", "HH:MM"]',
    'times of day "HH:MM" ("24:00" allowed as closing time)': 'tijden "HH:MM" ("24:00" mag als sluitingstijd)',
    "a location id listed under locations": "een locatie-id die onder locations staat",
    "a reception id listed under reception": "een id van een ontvangende partij die onder reception staat",
    "at least one IATA airport code": "minstens één IATA-luchthavencode",
    "a known IATA airport code (add it under airports to define it)":
        "een bekende IATA-luchthavencode (voeg hem toe onder airports)",
    "an id": "een id",
    "an id not yet in the planning book": "een id dat nog niet in het planningsboek staat",
    "a departure id not yet in the planning book (another unit uses it)":
        "een vertrek-id dat nog niet in het planningsboek staat (een andere eenheid gebruikt het)",
    "a departure id of the scenario": "een vertrek-id uit het scenario",
    "a flight id of the scenario": "een vlucht-id uit het scenario",
    "an escort or medic id of the scenario": "een escort- of medicus-id uit het scenario",
    "a vehicle id of the scenario": "een voertuig-id uit het scenario",
    "a reception id of the scenario": "een id van een ontvangende partij uit het scenario",
    "a departure object as in the scenario": "een vertrek zoals in het scenario",
    "a new departure id (a departure with this id exists already)":
        "een nieuw vertrek-id (er bestaat al een vertrek met dit id)",
    "an existing file or folder": "een bestaand bestand of een bestaande map",
    "an existing JSON file": "een bestaand JSON-bestand",
    "a column name in the header row": "een kolomnaam in de kopregel",
    "each column name once": "elke kolomnaam één keer",
    "each key once": "elke sleutel één keer",
    "the field name in column 'key'": "de veldnaam in kolom 'key'",
    "codes separated by ';'": "codes gescheiden door ';'",
    "dates YYYY-MM-DD (or DD-MM-YYYY) separated by ';'": "datums JJJJ-MM-DD (of DD-MM-JJJJ) gescheiden door ';'",
    "windows start/end separated by ';'": "periodes begin/eind gescheiden door ';'",
    "entries KEY: whole number separated by ';'": "paren SLEUTEL: geheel getal, gescheiden door ';'",
    "entries COUNTRY: YYYY-MM-DD (or DD-MM-YYYY) separated by ';'":
        "paren LAND: JJJJ-MM-DD (of DD-MM-JJJJ), gescheiden door ';'",
    "one window start/end of two date-times (ISO 8601 with UTC offset or local)":
        "één periode begin/eind van twee tijdstippen (ISO 8601 met UTC-afwijking, of lokale tijd)",
    "opening hours 'day HH:MM-HH:MM' separated by ';' (days mon..sun or ma..zo)":
        "openingstijden 'dag UU:MM-UU:MM' gescheiden door ';' (dagen mon..sun of ma..zo)",
    "not a whole number": "geen geheel getal",
    "not a number": "geen getal",
    "a TRUE/FALSE value is not a number": "een TRUE/FALSE-waarde is geen getal",
    "Excel made this cell a TRUE/FALSE value": "Excel heeft van deze cel een TRUE/FALSE-waarde gemaakt",
    "Excel made this cell a date/time; format the column as text and retype it":
        "Excel heeft van deze cel een datum/tijd gemaakt; maak de kolom tekst en typ de waarde opnieuw",
    "a time of day without a date": "een tijd zonder datum",
    "a date cell with a time of day; a date has no time": "een datumcel met een tijd; een datum heeft geen tijd",
    "text without control characters or unpaired surrogates": "tekst zonder stuurtekens of losse surrogaten",
    "text": "tekst",
}

# The ID rule (planner/limits.py ID_RULE), part of several texts.
_ID_RULE_EN = "of 1 to 64 characters: letters A-Z/a-z, digits, '.', '_' or '-', starting with a letter or digit"
_ID_RULE_NL = "van 1 tot 64 tekens: letters A-Z/a-z, cijfers, '.', '_' of '-', beginnend met een letter of cijfer"
EXACT[f"an id {_ID_RULE_EN}"] = f"een id {_ID_RULE_NL}"
EXACT[f"a family group id: {_ID_RULE_EN}"] = f"een gezins-id {_ID_RULE_NL}"

# Rules with parts: {x} is kept as written, {x!nl} is itself translated (or the rule does not apply).
_PATTERNS: list[tuple[str, str]] = [
    (r"one of (?P<x>.+)", "een van {x}"),
    (r"a risk level: one of (?P<x>.+)", "een risiconiveau: een van {x}"),
    (r"a weekday: one of (?P<x>.+)", "een weekdag: een van {x}"),
    (r"at least (?P<x>-?[\d ,.]+)", "minstens {x}"),
    (r"at most (?P<x>-?[\d ,.]+)", "hoogstens {x}"),
    (r"a non-negative number of at most (?P<x>[\d ,.]+)", "een niet-negatief getal van hoogstens {x}"),
    (r"an instant with a UTC offset", "een tijdstip met UTC-afwijking"),
    (r"an ISO 8601 instant with a UTC offset", "een tijdstip met UTC-afwijking (ISO 8601)"),
    (r"an ISO 8601 date-time with UTC offset, or a local date-time \(an Excel date-time cell, "
     r"(?P<x>.+)\) read in the time zone of its place",
     "een tijdstip volgens ISO 8601 met UTC-afwijking, of een lokale datum en tijd (een Excel-datum/tijdcel, "
     "{x}) in de tijdzone van de plaats"),
    (r"a window of two instants: (?P<x>.+)", "een periode van twee tijdstippen: {x!nl}"),
    (r"one date-time cell is not a window: type start/end as text, e\.g\. (?P<x>.+)",
     "één datum/tijdcel is geen periode: typ begin/eind als tekst, bijv. {x}"),
    (r"an object of country to last valid date", "een object van land naar laatste geldige datum"),
    (r"an object of risk level to number of escorts", "een object van risiconiveau naar aantal escorts"),
    (r"an object of airport to minutes", "een object van luchthaven naar minuten"),
    (r'an object of weekday to \["HH:MM", "HH:MM"\]', 'een object van weekdag naar ["HH:MM", "HH:MM"]'),
    (r"a unique (?P<x>\S+): this one appears more than once", "een unieke {x}: deze komt meer dan eens voor"),
    (r"an airport with a known time zone \(its zone (?P<x>.+) is unknown\)",
     "een luchthaven met een bekende tijdzone (zone {x} is onbekend)"),
    (r"a reception at one of the destination airports (?P<x>\[.*\]) \(its airport is (?P<y>.+)\)",
     "een ontvangende partij op een van de bestemmingsluchthavens {x} (haar luchthaven is {y})"),
    (r"the country of its reception (?P<x>.+)", "het land van de ontvangende partij {x}"),
    (r"an arrival after the departure (?P<x>.+)", "een aankomst na het vertrek {x}"),
    (r"a date on or after valid_from (?P<x>.+)", "een datum op of na valid_from {x}"),
    (r"an id no other unit uses: this departure is planned by unit (?P<x>.+)",
     "een id dat geen andere eenheid gebruikt: dit vertrek is van eenheid {x}"),
    (r"the same id as the record edited \((?P<x>.+)\); ids cannot be renamed",
     "hetzelfde id als het bewerkte record ({x}); een id kan niet worden hernoemd"),
    (r"text of at most (?P<x>[\d ,.]+) characters \(this one has (?P<y>[\d ,.]+)\)",
     "tekst van hoogstens {x} tekens (deze heeft er {y})"),
    (r"text without control characters or unpaired surrogates \(found an unpaired surrogate (?P<x>U\+[0-9A-F]+) "
     r"at position (?P<y>\d+); line breaks and tabs are not allowed either\)",
     "tekst zonder stuurtekens of losse surrogaten (gevonden: een los surrogaat {x} op positie {y}; "
     "regeleinden en tabs mogen ook niet)"),
    (r"text without control characters or unpaired surrogates \(found a control character (?P<x>U\+[0-9A-F]+) "
     r"at position (?P<y>\d+); line breaks and tabs are not allowed either\)",
     "tekst zonder stuurtekens of losse surrogaten (gevonden: stuurteken {x} op positie {y}; "
     "regeleinden en tabs mogen ook niet)"),
    (r"a file of at most (?P<x>[\d ,.]+) MB \(this one has (?P<y>[\d ,.]+) MB\)",
     "een bestand van hoogstens {x} MB (dit is {y} MB)"),
    (r"a file of at most (?P<x>[\d ,.]+) rows \(it has (?P<y>[\d ,.]+)\)",
     "een bestand van hoogstens {x} regels (dit heeft er {y})"),
    (r"a column (?P<x>'[^']*') \((?P<y>.+)\)", "een kolom {x} ({y!nl})"),
    (r"a row with key (?P<x>'[^']*') \((?P<y>.+)\)", "een regel met sleutel {x} ({y!nl})"),
    (r"a column (?P<x>'[^']*'); one row per field", "een kolom {x}; één regel per veld"),
    (r"either a column (?P<x>'[^']*') or columns (?P<y>\S+), not both",
     "óf een kolom {x}, óf kolommen {y}, niet beide"),
    (r"either a key (?P<x>'[^']*') or keys with that prefix, not both",
     "óf een sleutel {x}, óf sleutels met dat voorvoegsel, niet beide"),
    (r"'(?P<x>[^']*)' is not a real date", "'{x}' is geen bestaande datum"),
    (r"'(?P<x>[^']*)' is not a real date-time", "'{x}' is geen bestaand tijdstip"),
    (r"'(?P<x>[^']*)' is not a date YYYY-MM-DD or DD-MM-YYYY", "'{x}' is geen datum JJJJ-MM-DD of DD-MM-JJJJ"),
    (r'"(?P<x>[^"]+)"', 'precies "{x}"'),
    # A rule with more said after it; tried after the rules above, each part translated or nothing.
    (r"(?P<x>.+) \(the field is required\)", "{x!nl} (verplicht veld)"),
    (r"(?P<x>.+) \(this one is cancelled by (?P<y>.+)\)", "{x!nl} (deze is geschrapt door {y})"),
    (r"(?P<x>.+) \((?P<y>[^()]*)\)", "{x!nl} ({y!nl})"),  # a cell's rule and what was wrong with it
    (r"(?P<x>.+), e\.g\. (?P<y>.+)", "{x!nl}, bijv. {y}"),
]


def _render(template: str, match: re.Match) -> str | None:
    values = dict(match.groupdict())
    for name, value in match.groupdict().items():
        marker = "{" + name + "!nl}"
        if marker in template:
            inner, translated = dutch(value)
            if not translated:
                return None
            template = template.replace(marker, "{" + name + "_nl}")
            values[name + "_nl"] = inner
    return template.format(**values)


_RULES: list[tuple[re.Pattern, str]] = [(re.compile(p, re.S), t) for p, t in _PATTERNS]


def dutch(expected: str) -> tuple[str, bool]:
    """(the rule in Dutch, True) or (the English original, False) when no rule of the table matches."""
    if not isinstance(expected, str):
        return str(expected), False
    if len(expected) > MAX_CHARS:  # a rule quoting a long value: left as it is, the table's patterns stay cheap
        return expected, False
    if expected in EXACT:
        return EXACT[expected], True
    for pattern, template in _RULES:
        match = pattern.fullmatch(expected)
        if match:
            text = _render(template, match)
            if text is not None:
                return text, True
    return expected, False
