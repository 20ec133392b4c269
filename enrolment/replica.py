"""Enrolment's replica of the catalogue's offerings, kept from events so enrolment decides alone."""

from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from enrolment.models import Course, Offering
from shared.db import utcnow
from shared.messaging.envelope import parse_instant

_COPIED_OFFERING_FIELDS = ("course_id", "institution", "term", "location", "capacity", "waitlist", "status",
                           "cancel_reason", "version")


def apply_offering_snapshot(session: Session, data: Mapping[str, Any]) -> Offering | None:
    """Bring the replica up to the catalogue's offering, locked; None if it already holds a newer version."""
    offering = session.get(Offering, data["offering_id"], with_for_update=True)
    if offering is not None and offering.version >= data["version"]:
        return None
    known = session.get(Course, data["course_id"])
    if offering is None:
        offering = Offering(id=data["offering_id"], course_version=0, confirmed_count=0, waitlisted_count=0,
                            seats_revision=0, last_waitlist_ticket=0)
        session.add(offering)
    for name in _COPIED_OFFERING_FIELDS:
        setattr(offering, name, data[name])
    offering.starts_on = date.fromisoformat(data["starts_on"])
    offering.ends_on = date.fromisoformat(data["ends_on"])
    offering.enrolment_opens_at = parse_instant(data["enrolment_opens_at"])
    offering.enrolment_closes_at = parse_instant(data["enrolment_closes_at"])
    offering.course_version = 0  # take the course as this event has it, unless we know a newer one
    if known is not None and known.version > data["course_version"]:
        _take_course(offering, known)
    else:
        _take_course(offering, Course(code=data["course_code"], title=data["course_title"],
                                      status=data["course_status"], coordinators=data["coordinators"],
                                      version=data["course_version"]))
    offering.updated_at = utcnow()
    return offering


def apply_course_snapshot(session: Session, data: Mapping[str, Any]) -> int:
    """Remember the course's newer state and carry it onto its offerings; return how many changed.

    The course is remembered even when none of its offerings has arrived yet, so that an offering
    event handled later still ends up with the newest course state.
    """
    course = session.get(Course, data["course_id"], with_for_update=True)
    if course is not None and course.version >= data["version"]:
        return 0
    if course is None:
        course = Course(id=data["course_id"])
        session.add(course)
    course.code, course.title, course.status = data["code"], data["title"], data["status"]
    course.coordinators, course.version = data["coordinators"], data["version"]
    offerings = session.scalars(
        select(Offering).where(Offering.course_id == data["course_id"]).with_for_update())
    return sum(_take_course(offering, course) for offering in offerings)


def _take_course(offering: Offering, course: Course) -> bool:
    """Copy the course's fields onto the offering unless it already has a newer version of the course."""
    if (offering.course_version or 0) >= course.version:
        return False
    offering.course_version, offering.course_code, offering.course_title = course.version, course.code, course.title
    offering.course_status, offering.coordinators = course.status, course.coordinators
    return True
