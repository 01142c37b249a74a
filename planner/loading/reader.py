"""The one reader of scenario files: bytes and a file name in, the scenario document out.

The CLI (``load_scenario``) and the service (uploads, through ``isolated.read_isolated``) both
call ``read_document``, so a file is accepted or refused the same way everywhere. It only
reads: every field is checked afterwards by ``planner.scenario.parse_scenario``. Limits are in
``planner.limits`` and explained in docs/input-limits.md.
"""
from __future__ import annotations

import codecs
import io
import json
import math
import re
import zipfile
from pathlib import Path
from typing import Any

from planner import limits
from planner.errors import Problem, ScenarioError

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def _refuse(where: str, value: Any, expected: str) -> ScenarioError:
    return ScenarioError([Problem("scenario", None, where, value, expected)])


def read_document(content: bytes, filename: str) -> dict:
    """The scenario document in a JSON file or an Excel workbook; ScenarioError if unreadable."""
    if len(content) > limits.MAX_DOCUMENT_BYTES:
        raise _refuse("file", filename, f"a file of at most {limits.MAX_DOCUMENT_BYTES // 2**20} MB "
                                        f"(this one has {len(content) / 2**20:.1f} MB)")
    if filename.lower().endswith(WORKBOOK_SUFFIXES) or content[:4] == b"PK\x03\x04":
        return read_workbook_bytes(content, filename)
    return read_json_bytes(content, filename)


def read_path(path: str | Path) -> dict:
    """The scenario document in a JSON file, an Excel workbook or a folder of CSV files."""
    path = Path(path)
    if not path.exists():
        raise _refuse("path", str(path), "an existing file or folder")
    if path.is_dir():
        return read_csv_folder_checked(path)
    size = path.stat().st_size
    if size > limits.MAX_DOCUMENT_BYTES:  # refused before reading it into memory
        raise _refuse("file", path.name, f"a file of at most {limits.MAX_DOCUMENT_BYTES // 2**20} MB "
                                         f"(this one has {size / 2**20:.1f} MB)")
    return read_document(path.read_bytes(), path.name)


# --------------------------------------------------------------------------------- JSON

_OTHER_BOMS = ((codecs.BOM_UTF32_BE, "UTF-32"), (codecs.BOM_UTF32_LE, "UTF-32"),
               (codecs.BOM_UTF16_BE, "UTF-16"), (codecs.BOM_UTF16_LE, "UTF-16"))
_SAVE_AS_UTF8 = "save the file as UTF-8 (with or without BOM)"
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'  # a JSON string, unrolled so it runs in linear time
_STRINGS = re.compile(_STRING, re.S)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_EMPTY_PAIR = re.compile(r"\[\]|\{\}")
MAX_FLOAT_CHARS = 32  # of one number with a fraction or exponent


class _Refused(Exception):
    """Raised from a json hook; turned into a Problem with the line it was found on."""

    def __init__(self, value: Any, expected: str, pattern: str | None = None):
        super().__init__(expected)
        self.value, self.expected, self.pattern = value, expected, pattern


def json_text(content: bytes, filename: str) -> str:
    """The text of a JSON file: UTF-8, a BOM allowed (spreadsheet exports write one)."""
    for bom, encoding in _OTHER_BOMS:
        if content.startswith(bom):
            raise _refuse("encoding", filename, f"UTF-8 text (this file is {encoding}; {_SAVE_AS_UTF8})")
    if content.startswith(codecs.BOM_UTF8):
        content = content[len(codecs.BOM_UTF8):]
    if b"\x00" in content[:4]:
        raise _refuse("encoding", filename, f"UTF-8 text (this file looks like UTF-16 or UTF-32; {_SAVE_AS_UTF8})")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = content.count(b"\n", 0, exc.start) + 1
        raise _refuse(f"line {line} (byte {exc.start + 1})", filename,
                      f"UTF-8 text (byte {content[exc.start:exc.start + 1]!r} is not UTF-8; {_SAVE_AS_UTF8})") from None


def nesting_depth_exceeds(text: str, limit: int) -> bool:
    """Whether arrays/objects nest deeper than `limit`, found without recursion (linear passes)."""
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    for _ in range(limit):  # each pass removes the innermost level: [] and {}
        if not brackets:
            return False
        brackets = _EMPTY_PAIR.sub("", brackets)
    if not brackets:
        return False
    # Something is left: a level deeper than `limit` if it is well formed (else json.loads says where).
    stack = []
    for char in brackets:
        if char in "[{":
            stack.append(char)
        elif not stack or stack.pop() + char not in ("[]", "{}"):
            return False
    return not stack


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > limits.MAX_NUMBER_DIGITS:
        raise _Refused(text, f"a number of at most {limits.MAX_NUMBER_DIGITS} digits",
                       r"-?\d{%d,}" % (limits.MAX_NUMBER_DIGITS + 1))
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_FLOAT_CHARS:
        raise _Refused(text, f"a number written in at most {MAX_FLOAT_CHARS} characters",
                       r"-?\d[\d.eE+-]{%d,}" % MAX_FLOAT_CHARS)
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(text, "a finite number (this one is too large)", re.escape(text))
    return value


def _parse_constant(name: str) -> Any:
    raise _Refused(name, "a number (NaN, Infinity and -Infinity are not JSON)", r"-?Infinity|NaN")


def _object(pairs: list[tuple[str, Any]]) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(key, f"an object with each key once (key {key!r} appears twice in one object)",
                               re.escape(json.dumps(key)) + r"\s*:")
            seen.add(key)
    return obj


def _line_of(text: str, pattern: str | None) -> str:
    """'line N' of the first match of `pattern` outside strings, or 'document' if not found."""
    if pattern:
        for match in re.finditer(f"{_STRING}|({pattern})", text, re.S):
            if match.group(1) is not None:
                return f"line {text.count(chr(10), 0, match.start()) + 1}"
        if pattern.endswith(r"\s*:"):  # a key is itself a string: look for it as one
            found = re.search(pattern, text)
            if found:
                return f"line {text.count(chr(10), 0, found.start()) + 1}"
    return "document"


def parse_json_text(text: str, filename: str = "") -> Any:
    """Strict JSON: no NaN/Infinity, no duplicate keys, bounded nesting and number size."""
    if nesting_depth_exceeds(text, limits.MAX_JSON_DEPTH):
        raise _refuse("document", filename, f"JSON nested at most {limits.MAX_JSON_DEPTH} levels deep "
                                            "(arrays and objects inside each other)")
    try:
        return json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant,
                          object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        raise _refuse(f"line {exc.lineno} column {exc.colno}", filename, f"valid JSON ({exc.msg})") from None
    except _Refused as exc:
        raise _refuse(_line_of(text, exc.pattern), exc.value, exc.expected) from None
    except RecursionError:  # not expected after the depth check; never a traceback
        raise _refuse("document", filename, f"JSON nested at most {limits.MAX_JSON_DEPTH} levels deep") from None


def read_json_bytes(content: bytes, filename: str) -> dict:
    doc = parse_json_text(json_text(content, filename), filename)
    if not isinstance(doc, dict):
        raise _refuse("document", type(doc).__name__, "a JSON object")
    return doc


# ------------------------------------------------------------------------------ workbooks

_SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\bref="([^"]*)"')
_ROW = re.compile(rb'<(?:\w+:)?row\b([^>]*)>')
_ROW_INDEX = re.compile(rb'\br="(\d+)"')
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Za-z]+)(\d+)"')
_REF = re.compile(r"([A-Za-z]+)(\d+)")
_CHUNK = 1 << 20


def _column_number(letters: str) -> int:
    n = 0
    for char in letters.upper():
        n = n * 26 + ord(char) - 64
    return n


def _sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Part name (xl/worksheets/sheet1.xml) to the sheet's name, for messages; best effort."""
    try:
        book = zf.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, OSError):
        return {}
    targets = {}
    for rel in re.findall(r"<Relationship\b[^>]*>", rels):
        rid, target = re.search(r'\bId="([^"]*)"', rel), re.search(r'\bTarget="([^"]*)"', rel)
        if rid and target:
            targets[rid.group(1)] = "xl/" + target.group(1).lstrip("/").removeprefix("xl/")
    names = {}
    for sheet in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", book):
        name, rid = re.search(r'\bname="([^"]*)"', sheet), re.search(r'\br:id="([^"]*)"', sheet)
        if name and rid and rid.group(1) in targets:
            names[targets[rid.group(1)]] = name.group(1)
    return names


def _check_sheet(zf: zipfile.ZipFile, part: str, sheet: str) -> None:
    """Refuse a sheet whose declared or actual rows/columns exceed the limits, reading its XML
    in chunks before any spreadsheet library builds a single row."""
    rows_rule = f"a sheet of at most {limits.MAX_SHEET_ROWS:,} rows and {limits.MAX_SHEET_COLUMNS} columns"

    def check(column: int, row: int, what: str) -> None:
        if row > limits.MAX_SHEET_ROWS:
            raise ScenarioError([Problem(sheet, None, "(sheet)", what,
                                         f"{rows_rule} (it reaches row {row:,}); delete the rows below the data")])
        if column > limits.MAX_SHEET_COLUMNS:
            raise ScenarioError([Problem(sheet, None, "(sheet)", what,
                                         f"{rows_rule} (it reaches column {column:,}); delete the columns right of the data")])

    rows = 0
    carry = b""
    with zf.open(part) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            buffer = carry + chunk
            cut = len(buffer) if not chunk else buffer.rfind(b"<")
            if cut < 0:
                cut = 0
            text, carry = buffer[:cut], buffer[cut:]
            for found in _DIMENSION.finditer(text):
                for ref in found.group(1).decode("ascii", "replace").split(":"):
                    match = _REF.fullmatch(ref.replace("$", ""))
                    if match:
                        check(_column_number(match.group(1)), int(match.group(2)), f"dimension {ref}")
            for found in _ROW.finditer(text):
                rows += 1
                index = _ROW_INDEX.search(found.group(1))
                check(0, max(rows, int(index.group(1)) if index else 0), f"row {index.group(1).decode() if index else rows}")
            for found in _CELL_REF.finditer(text):
                letters, row = found.group(1).decode(), int(found.group(2))
                check(_column_number(letters), row, f"cell {letters}{row}")
            if not chunk:
                return


def check_workbook(content: bytes, filename: str) -> None:
    """Refuse a workbook that would take more memory or time to read than the limits allow."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(content))
        parts = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refuse("file", filename, f"a readable Excel workbook (.xlsx) ({exc})") from None
    if len(parts) > limits.MAX_WORKBOOK_PARTS:
        raise _refuse("file", filename, f"an Excel workbook of at most {limits.MAX_WORKBOOK_PARTS} parts "
                                        f"(this zip holds {len(parts):,} files)")
    unpacked = sum(p.file_size for p in parts)
    if unpacked > limits.MAX_WORKBOOK_UNPACKED_BYTES:
        raise _refuse("file", filename, f"an Excel workbook of at most {limits.MAX_WORKBOOK_UNPACKED_BYTES // 2**20} MB "
                                        f"unpacked (this one unpacks to {unpacked / 2**20:,.0f} MB)")
    names = _sheet_names(zf)
    try:
        for part in parts:
            if _SHEET_PART.fullmatch(part.filename):
                _check_sheet(zf, part.filename, names.get(part.filename, part.filename))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        if isinstance(exc, ScenarioError):
            raise
        raise _refuse("file", filename, f"a readable Excel workbook (.xlsx) ({exc})") from None


def read_workbook_bytes(content: bytes, filename: str) -> dict:
    from .tabular import read_workbook

    check_workbook(content, filename)
    try:
        return read_workbook(io.BytesIO(content))
    except ScenarioError:
        raise
    except MemoryError:
        raise
    except Exception as exc:  # openpyxl/zipfile raise many kinds on a damaged file
        raise _refuse("file", filename, f"a readable Excel workbook (.xlsx) ({type(exc).__name__}: {exc})") from None


# ---------------------------------------------------------------------------- CSV folders

def read_csv_folder_checked(folder: Path) -> dict:
    from .tabular import read_csv_folder

    files = [f for f in folder.iterdir() if f.suffix.lower() == ".csv"]
    total = sum(f.stat().st_size for f in files)
    if total > limits.MAX_DOCUMENT_BYTES:
        raise _refuse("folder", folder.name, f"CSV files of at most {limits.MAX_DOCUMENT_BYTES // 2**20} MB "
                                             f"together (these have {total / 2**20:.1f} MB)")
    for f in files:
        lines = f.read_bytes().count(b"\n")
        if lines > limits.MAX_SHEET_ROWS:
            raise ScenarioError([Problem(f.stem, None, "(file)", f.name,
                                         f"a file of at most {limits.MAX_SHEET_ROWS:,} rows (it has {lines:,})")])
    return read_csv_folder(folder)
