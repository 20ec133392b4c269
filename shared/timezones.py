"""People's time zones: instants are stored and exchanged in UTC, typed and read in a person's zone.

Leiden keeps Europe/Amsterdam (UTC+1, +2 in summer), Tomsk Asia/Tomsk (UTC+7 all year).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import format_datetime, get_timezone_location

INSTITUTION_ZONES = {"LUMC": "Europe/Amsterdam", "SSMU": "Asia/Tomsk"}
# Nobody's zone known (an event from before zones were carried): UTC, and the zone is always named.
UNKNOWN_ZONE = "UTC"
TIME_FORMAT = "d MMM y, HH:mm"  # no seconds: nobody schedules to the second


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Every IANA time zone name zoneinfo knows, sorted (the preferences' OpenAPI enum)."""
    return tuple(sorted(available_timezones() | {"UTC"}))


def is_zone_name(name: object) -> bool:
    """Whether a value is an IANA time zone name ("Asia/Tomsk"); never a path or anything else."""
    return isinstance(name, str) and name in _zone_name_set()


@lru_cache(maxsize=1)
def _zone_name_set() -> frozenset[str]:
    return frozenset(zone_names())


def zone_of_institution(institution: str | None) -> str:
    """The zone people of an institution live in, by default."""
    return INSTITUTION_ZONES.get(institution or "", UNKNOWN_ZONE)


def local_to_utc(local: datetime, zone: str) -> datetime:
    """The UTC instant of a wall-clock time typed in a zone.

    A time the clocks skip (02:30 on the last Sunday of March in Amsterdam) is read as the same time
    after the jump (03:30 summer time); a time that happens twice (02:30 on the last Sunday of
    October) as the first of the two, still summer time.
    """
    return local.replace(tzinfo=ZoneInfo(zone), fold=0).astimezone(timezone.utc)


def utc_to_local(instant: datetime, zone: str) -> datetime:
    """The wall-clock time in a zone of an instant (which must carry its offset)."""
    return instant.astimezone(ZoneInfo(zone))


def zone_city(zone: str, locale: str) -> str:
    """The zone as people name it: its city in their language ("Томск", "Amsterdam"), or "UTC"."""
    return get_timezone_location(ZoneInfo(zone), locale, return_city=True)


def zone_label(instant: datetime, zone: str, locale: str) -> str:
    """The zone with its offset at that instant: "Amsterdam, UTC+1", "Томск, UTC+7", "UTC"."""
    offset = utc_to_local(instant, zone).utcoffset() or timedelta(0)
    city = zone_city(zone, locale)
    if not offset:
        return city if city == "UTC" else f"{city}, UTC"
    sign, minutes = ("+" if offset > timedelta(0) else "-"), abs(int(offset.total_seconds())) // 60
    hours, rest = divmod(minutes, 60)
    return f"{city}, UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def show_local(instant: datetime, zone: str, locale: str, *, named: bool = False) -> str:
    """An instant as a person of that zone and language reads it, without seconds:
    "26 янв. 2027, 05:59", named "26 янв. 2027, 05:59 (Томск, UTC+7)"."""
    shown = format_datetime(instant, TIME_FORMAT, tzinfo=ZoneInfo(zone), locale=locale)
    return f"{shown} ({zone_label(instant, zone, locale)})" if named else shown
