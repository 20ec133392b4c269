"""The reader's time zone: where the front end shows instants and reads the times people type.

A signed-in person's zone is their notifications preference (`timezone`, which defaults to their
institution's), asked once and remembered in the session for a few minutes; while notifications does
not answer, their institution's. A reader who is not signed in gets the zone their language suggests
(Russian: Tomsk, English: Leiden); every form and enrolment window names the zone it is in.
"""

from __future__ import annotations

import time
from datetime import datetime

from flask import g, session

from shared.timezones import (INSTITUTION_ZONES, is_zone_name, local_to_utc, show_local, utc_to_local, zone_city,
                              zone_of_institution)
from web.client import ServiceError

SESSION_ZONE = "timezone"
ZONE_CACHE_SECONDS = 300  # a zone chosen elsewhere (the API, another browser) shows within five minutes
LOCALE_ZONES = {"ru": INSTITUTION_ZONES["SSMU"], "en": INSTITUTION_ZONES["LUMC"]}
INPUT_FORMAT = "%Y-%m-%dT%H:%M"  # what a datetime-local field sends and shows


def reader_zone() -> str:
    """The IANA zone of whoever reads this page; asked at most once a request."""
    if "reader_zone" not in g:
        g.reader_zone = _zone_of_reader()
    return g.reader_zone


def remember_zone(zone: str) -> None:
    """Remember the zone a person just chose (the preferences page), so the next page uses it."""
    session[SESSION_ZONE] = {"user": g.identity.principal.id, "zone": zone, "until": time.time() + ZONE_CACHE_SECONDS}
    g.reader_zone = zone


def _zone_of_reader() -> str:
    identity = g.get("identity")
    if identity is None:
        return LOCALE_ZONES.get(g.get("locale"), LOCALE_ZONES["en"])
    cached = session.get(SESSION_ZONE)
    if (isinstance(cached, dict) and cached.get("user") == identity.principal.id
            and cached.get("until", 0) > time.time()):
        return cached["zone"]
    try:
        zone = g.services.get("notifications", ("preferences", "me")).body.get("timezone")
    except ServiceError:  # notifications away: the institution's zone, asked again on the next page
        return zone_of_institution(identity.principal.institution)
    if not is_zone_name(zone):
        zone = zone_of_institution(identity.principal.institution)
    remember_zone(zone)
    return zone


def local_input_to_instant(value: str, zone: str) -> str:
    """`2027-01-25T23:59` typed in a datetime-local field, read in the zone, as the UTC instant the API
    takes (`2027-01-25T22:59:00Z` in Amsterdam). Anything else is passed on for the service to judge."""
    try:
        local = datetime.fromisoformat(value)
        if local.tzinfo is not None:
            return value  # an instant already
        return local_to_utc(local, zone).isoformat().replace("+00:00", "Z")
    except (ValueError, OverflowError):  # not a time, or beyond the calendar once moved to UTC
        return value


def instant_to_local_input(value: str | None, zone: str) -> str:
    """An instant from the API as a datetime-local field shows it in the zone (to edit it)."""
    instant = _parse(value)
    return utc_to_local(instant, zone).strftime(INPUT_FORMAT) if instant else ""


def local_time(value: str | None, locale: str, zone: str, *, named: bool = False) -> str:
    """An instant from the API in the reader's zone and language, without seconds; `named` adds the
    zone ("05:59 (Томск, UTC+7)") where someone could take it for another zone's time."""
    instant = _parse(value)
    if instant is None:
        return value or ""
    return show_local(instant, zone, locale, named=named)


def zone_name(zone: str, locale: str) -> str:
    """The zone as a form field's label names it: "Tomsk", "Амстердам"."""
    return zone_city(zone, locale)


def _parse(value: str | None) -> datetime | None:
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
    return instant if instant and instant.tzinfo else None
