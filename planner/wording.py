"""Dates, numbers, weekdays and countries written one way, in Dutch and English (via Babel's CLDR data).

"16 december 2026" / "16 December 2026", "36,1" / "36.1", "Nigeria", "zaterdag" / "Saturday".
"""
from __future__ import annotations

from datetime import date, datetime

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

LANGS = ("nl", "en")
_LOCALES = {lang: Locale.parse(lang) for lang in LANGS}


def day(d: date, lang: str) -> str:
    return format_date(d, "d MMMM y", locale=lang)


def moment(t: datetime, lang: str) -> str:
    """A local date and time: '16 december 2026 17:00'."""
    return f"{day(t.date(), lang)} {t:%H:%M}"


def number(x: float, lang: str) -> str:
    return format_decimal(x, format="#,##0.#", locale=lang)


def country(code: str, lang: str) -> str:
    """The country's name; the code itself if CLDR does not know it."""
    return _LOCALES[lang].territories.get(code, code)


def weekday(index: int, lang: str) -> str:
    """0 = Monday."""
    return _LOCALES[lang].days["format"]["wide"][index]


def span(first: date, last: date, lang: str) -> str:
    """'7–8 januari 2027', or one day."""
    if first == last:
        return day(first, lang)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{day(last, lang)}"
    return f"{day(first, lang)} – {day(last, lang)}"


def listing(items: list[str], lang: str) -> str:
    """'a, b en c' / 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {'en' if lang == 'nl' else 'and'} {items[-1]}"


def plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


# Skills named in scenarios (free codes; unknown ones are shown as they are).
SKILLS = {"icu": ("intensive care", "intensive care"), "paediatric": ("kindergeneeskunde", "paediatrics"),
          "psychiatric": ("psychiatrie", "psychiatry"), "dialysis": ("dialyse", "dialysis"),
          "oxygen": ("zuurstof", "oxygen"), "minors": ("minderjarigen", "minors"),
          "team_leader": ("teamleider", "team leader"), "medical_first_aid": ("eerste hulp", "first aid")}


def skill(code: str, lang: str) -> str:
    names = SKILLS.get(code)
    return code if names is None else names[LANGS.index(lang)]


def how_many(n: int, total: int, noun: tuple[str, str], lang: str) -> str:
    """n of ``total`` things: 'de enige vluchtoptie', 'alle 3 vluchtopties', '2 van de 5 vluchtopties'
    ('the only …', 'all 3 …', '2 of the 5 …'); ``noun`` is (one, many) in ``lang``."""
    if n == total == 1:
        return f"{'de enige' if lang == 'nl' else 'the only'} {noun[0]}"
    if n == total:
        return f"{'alle' if lang == 'nl' else 'all'} {n} {noun[1]}"
    return f"{n} {'van de' if lang == 'nl' else 'of the'} {total} {plural(total, *noun)}"
