"""What a student's pages need from enrolment and notifications, as plain functions over Services."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import g

from shared.http.app import IDEMPOTENCY_KEY_PATTERN
from web.client import ServiceError, Services
from web.i18n import gettext, ngettext
from web.timezones import local_time, reader_zone

ACTIVE = ("confirmed", "offered", "waitlisted")
MAX_PAGES = 10  # 1,000 enrolments: more than any student has


def my_enrolments(services: Services) -> list[dict[str, Any]]:
    """Every enrolment of the signed-in student, newest first."""
    enrolments: list[dict[str, Any]] = []
    for page in range(1, MAX_PAGES + 1):
        answer = services.get("enrolment", ("enrolments", "me"), page=page, per_page=100)
        enrolments += answer.body
        if len(answer.body) < 100:
            break
    return enrolments


def active_by_offering(enrolments: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The student's confirmed, offered or waiting enrolment in each offering."""
    return {e["offering_id"]: e for e in enrolments if e["status"] in ACTIVE}


def enrolment_outcome(enrolment: dict[str, Any]) -> str:
    """The sentence telling a student where an enrolment stands, in their language."""
    if enrolment["status"] == "confirmed":
        return gettext("You have a seat: your enrolment is confirmed.")
    if enrolment["status"] == "waitlisted":
        return gettext("The course is full: you are number %(position)s on the waiting list.",
                       position=enrolment["waitlist_position"])
    if enrolment["status"] == "expired":
        return gettext("The offer of this seat expired: you left the waiting list.")
    return gettext("Your enrolment is cancelled.")


def enrol_choice(course: dict[str, Any], offering: dict[str, Any], seats: dict[str, Any], now: datetime,
                 institution: str | None = None) -> str:
    """What asking for a seat would do now for a student of `institution`, as enrolment decides it
    (enrolment.operations.enrol_student): `enrol` (a seat), `waitlist` (a place in line), `apply` (the
    offering takes applications), or why it cannot succeed: `cancelled`, `not_open` (course not
    published), `not_yet`, `closed`, `full`."""
    if offering.get("status") == "cancelled":
        return "cancelled"
    if course.get("status") != "published":
        return "not_open"
    if now < instant(offering["enrolment_opens_at"]):
        return "not_yet"
    if now >= instant(offering["enrolment_closes_at"]):
        return "closed"
    if offering.get("admission") == "application":
        return "apply"  # the coordinators decide, also when every seat is taken now
    if seat_is_free_for(seats, institution):
        return "enrol"
    return "waitlist" if offering.get("waitlist") else "full"


def seat_is_free_for(seats: dict[str, Any], institution: str | None) -> bool:
    """Whether a newcomer of the institution takes a seat (enrolment.operations.free_seat_for): one of their
    institution's pool while none of its students waits (the pool's `available` is 0 then), else an open
    seat, one no pool reserves, while nobody waits."""
    pools = seats.get("reserved") or []
    if any(pool["institution"] == institution and pool.get("available", 0) > 0 for pool in pools):
        return True
    reserved_unused = sum(max(pool["seats"] - pool.get("confirmed", 0) - pool.get("held", 0), 0) for pool in pools)
    # `available` is 0 while anyone waits: a free seat is theirs then, never a newcomer's.
    return not seats.get("waitlisted") and seats.get("available", 0) - reserved_unused > 0


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def seats_summary(counts: dict[str, int], capacity: int | None = None) -> str:
    """"3 of 12 seats free, 2 waiting" in the reader's language, with each number's plural form.

    `capacity` is the number of seats the catalogue (their owner) has now. Until enrolment has heard of a
    change, its counts are of the old number: the line then says it is being updated (read your writes:
    a coordinator who just changed the seats never sees the old number as if it were current)."""
    free = ngettext("%(available)s of %(num)d seat free", "%(available)s of %(num)d seats free",
                    counts.get("capacity", 0), available=counts.get("available", 0))
    waiting = ngettext("%(num)d waiting", "%(num)d waiting", counts.get("waitlisted", 0))
    line = gettext("%(free)s, %(waiting)s", free=free, waiting=waiting)
    if capacity is not None and counts.get("capacity") != capacity:
        return ngettext("%(seats)s (updating to %(num)d seat…)", "%(seats)s (updating to %(num)d seats…)", capacity,
                        seats=line)
    return line


def pool_lines(counts: dict[str, Any]) -> list[dict[str, str]]:
    """"8 seats for SSMU students, 3 free, until 1 March 2027, 12:00 (Tomsk, UTC+7)" for each pool still
    reserving seats, in the reader's language and time zone: the course page's lines and its polling's."""
    return [{"institution": pool["institution"],
             "text": ngettext("%(num)d seat for %(institution)s students, %(free)d free, until %(release)s",
                              "%(num)d seats for %(institution)s students, %(free)d free, until %(release)s",
                              pool["seats"], institution=pool["institution"], free=pool["available"],
                              release=local_time(pool["release_at"], g.get("locale", "en"), reader_zone(),
                                                 named=True))}
            for pool in counts.get("reserved") or []]


def idempotency_key(submitted: str | None) -> str:
    """The form's Idempotency-Key if enrolment would take it, else a fresh one.

    A key enrolment refuses (not visible ASCII) could not even be sent as a header; only a tampered
    form has one, and it loses nothing but the double-click protection it broke.
    """
    return submitted if submitted and IDEMPOTENCY_KEY_PATTERN.match(submitted) else str(uuid.uuid4())


def active_by_offering_if_known(services: Services) -> dict[str, dict[str, Any]] | None:
    """The student's active enrolment in each offering; None while enrolment does not answer, so that a
    course page still shows the course and says the student's place is unknown rather than failing."""
    try:
        return active_by_offering(my_enrolments(services))
    except ServiceError as error:
        if not enrolment_is_down(error):
            raise
        return None


def live_seats(services: Services, offering: dict[str, Any]) -> dict[str, int]:
    """Seats as enrolment counts them now; the catalogue's copy (kept from enrolment's events, so at most
    a moment behind) until enrolment has heard of the offering, or while it does not answer."""
    try:
        return services.get("enrolment", ("offerings", offering["id"], "seats")).body
    except ServiceError as error:
        if error.status != 404 and not enrolment_is_down(error):
            raise
        return offering.get("seats") or {}


def enrolment_is_down(error: ServiceError) -> bool:
    """Unreachable (ServiceUnavailable is a 503) or failing on its side: nothing the reader can change."""
    return error.status >= 500


def unread_count(services: Services) -> int | None:
    """How many notifications the signed-in person has not read; None when notifications does not answer."""
    try:
        answer = services.get("notifications", ("notifications", "me"), per_page=1)
    except ServiceError:
        return None  # the navigation bar must not take the page down with it
    return int(answer.headers.get("x-unread-count", "0"))
