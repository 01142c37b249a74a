"""Limits on input, in one place: docs/input-limits.md explains each and why.

Every limit is comfortably above the largest shared scenario (eu: ~7,100 flights, 1,000
departures) and at or below what the database stores (Record.key String(120),
ScenarioRow.name String(200)), so a document that validates also stores, publishes and reads
back on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import re

# --- files --------------------------------------------------------------------------------
MAX_DOCUMENT_BYTES = 100 * 1024 * 1024  # a JSON file, a workbook, or all CSV files of a folder
MAX_JSON_DEPTH = 32  # nested arrays/objects; a scenario needs 5
MAX_NUMBER_DIGITS = 15  # digits of one JSON number: every whole number stays exact as a float
MAX_SHEET_ROWS = 100_000  # rows per sheet (row index and row count)
MAX_SHEET_COLUMNS = 256  # columns per sheet (column IV)
MAX_WORKBOOK_PARTS = 1_000  # files inside the .xlsx zip
MAX_WORKBOOK_UNPACKED_BYTES = 200 * 1024 * 1024  # all parts of the .xlsx zip, unpacked
PARSE_MEMORY_BYTES = 1024 * 1024 * 1024  # extra memory one upload's parse may use (service)
PARSE_SECONDS = 120  # wall time one upload's parse may take (service)

# --- values -------------------------------------------------------------------------------
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
ID_RULE = "an id of 1 to 64 characters: letters A-Z/a-z, digits, '.', '_' or '-', starting with a letter or digit"
MAX_NAME_CHARS = 200  # the scenario's name (ScenarioRow.name is String(200))
MAX_TEXT_CHARS = 1_000  # any other text value or object key
MAX_MINUTES = 100_000  # about 69 days: any *_minutes field
MAX_HOURS = 10_000  # about 14 months: any *_hours field
MAX_COUNT = 10_000  # seats, escorts per risk level, returnees per flight, ...
MAX_EUR = 10_000_000  # any *_eur amount

# C0 controls (TAB, LF and CR included), DEL, C1 controls, and surrogates. A surrogate in a
# Python str is always unpaired: the JSON decoder joins a valid pair into one character.
BAD_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def text_problem(value: str, limit: int = MAX_TEXT_CHARS) -> str | None:
    """Why a text value cannot be stored and published as it is, or None."""
    found = BAD_TEXT.search(value)
    if found:
        char = found.group()
        what = "an unpaired surrogate" if "\ud800" <= char <= "\udfff" else "a control character"
        return (f"text without control characters or unpaired surrogates (found {what} U+{ord(char):04X} "
                f"at position {found.start() + 1}; line breaks and tabs are not allowed either)")
    if len(value) > limit:
        return f"text of at most {limit} characters (this one has {len(value)})"
    return None


def integer_limit(field: str) -> int:
    """The largest whole number a field may hold, by the convention of its name."""
    if field.endswith("_minutes") or ".drive_minutes." in field or field.startswith("drive_minutes."):
        return MAX_MINUTES
    if field.endswith("_hours"):
        return MAX_HOURS
    return MAX_COUNT
