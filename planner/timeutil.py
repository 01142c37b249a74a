"""Instants as whole minutes since the UTC epoch; local times belong to an IANA zone.

The model and the checker compute in integer minutes (UTC). Conversion to and from
ISO 8601 text with offsets, and to local dates and times of day, happens only here.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MINUTES_PER_DAY = 24 * 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class NoOffsetError(ValueError):
    pass


def parse_instant(text: str) -> datetime:
    """ISO 8601 date-time that must carry a UTC offset (``Z`` or ``+hh:mm``)."""
    if not isinstance(text, str):
        raise ValueError("expected text")
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None or value.utcoffset() is None:
        raise NoOffsetError("no UTC offset")
    return value


def minutes(value: datetime) -> int:
    """Whole minutes since the epoch; seconds are truncated (schedules are per minute)."""
    return int((value - EPOCH).total_seconds() // 60)


def instant_minutes(text: str) -> int:
    return minutes(parse_instant(text))


def at(minute: int, tz: ZoneInfo | timezone = timezone.utc) -> datetime:
    return (EPOCH + timedelta(minutes=minute)).astimezone(tz)


def iso(minute: int, tz: ZoneInfo | timezone = timezone.utc) -> str:
    """ISO 8601 with the zone's offset at that instant, e.g. 2026-12-03T10:05:00+01:00."""
    return at(minute, tz).isoformat()


@lru_cache(maxsize=None)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ZoneInfoNotFoundError(name) from exc


def local_date(minute: int, tz: ZoneInfo) -> date:
    return at(minute, tz).date()


def local_minute_of_day(minute: int, tz: ZoneInfo) -> tuple[date, int]:
    """Local calendar date and minutes since local midnight (wall-clock reading)."""
    local = at(minute, tz)
    return local.date(), local.hour * 60 + local.minute


def parse_time_of_day(text: str) -> int:
    """``HH:MM`` to minutes after midnight; ``24:00`` is allowed (end of the day)."""
    hh, sep, mm = str(text).partition(":")
    if not sep or len(hh) != 2 or len(mm) != 2 or not (hh.isdigit() and mm.isdigit()):
        raise ValueError("expected HH:MM")
    h, m = int(hh), int(mm)
    if m >= 60 or h > 24 or (h == 24 and m != 0):
        raise ValueError("expected HH:MM between 00:00 and 24:00")
    return h * 60 + m


def local_midnights_between(start: int, end: int, tz: ZoneInfo) -> int:
    """Local midnights strictly after ``start`` and at or before ``end``."""
    if end <= start:
        return 0
    return (local_date(end, tz) - local_date(start, tz)).days



HOME_ZONE = "Europe/Amsterdam"  # the planning unit's zone (Scenario.home_tz)


class NonexistentLocalTime(ValueError):
    """A wall-clock time the zone skips (the hour lost when summer time starts)."""


def localize(wall: datetime, tz: ZoneInfo) -> datetime:
    """A wall-clock reading (naive) in ``tz`` as an aware instant.

    In the hour that repeats when summer time ends (``02:30`` on the last Sunday of October in
    Europe/Amsterdam) the *first* occurrence is taken, i.e. still summer time (``+02:00``). A
    time the clocks skip (``02:30`` on the last Sunday of March) does not exist there:
    NonexistentLocalTime.
    """
    if wall.tzinfo is not None:
        raise ValueError("expected a wall-clock time without zone")
    aware = wall.replace(tzinfo=tz, fold=0)
    if aware.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None) != wall:
        raise NonexistentLocalTime(f"{wall:%Y-%m-%d %H:%M} does not exist in {tz.key}")
    return aware
