"""Enrolment's replica of the catalogue's offerings, kept from events so enrolment decides alone."""

from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from enrolment.models import Offering
from shared.db import utcnow
from shared.events import parse_instant

_COPIED_OFFERING_FIELDS = ("course_id", "course_code", "institution", "term", "location", "capacity",
                           "waitlist", "status", "cancel_reason", "version")


def apply_offering_snapshot(session: Session, data: Mapping[str, Any]) -> Offering | None:
    """Bring the replica up to the catalogue's offering, locked; None if it already holds a newer version."""
    offering = session.get(Offering, data["offering_id"], with_for_update=True)
    if offering is not None and offering.version >= data["version"]:
        return None
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
    _apply_course_fields(offering, version=data["course_version"], status=data["course_status"],
                         title=data["course_title"], coordinators=data["coordinators"])
    offering.updated_at = utcnow()
    return offering


def apply_course_snapshot(session: Session, data: Mapping[str, Any]) -> int:
    """Carry a course's newer status, title and coordinators onto its offerings; return how many."""
    offerings = session.scalars(
        select(Offering).where(Offering.course_id == data["course_id"]).with_for_update())
    return sum(_apply_course_fields(offering, version=data["version"], status=data["status"],
                                    title=data["title"], coordinators=data["coordinators"])
               for offering in offerings)


def _apply_course_fields(offering: Offering, *, version: int, status: str, title: dict,
                         coordinators: list) -> bool:
    """Take the course's fields unless the replica already has a newer version of the course."""
    if (offering.course_version or 0) >= version:
        return False
    offering.course_version = version
    offering.course_status = status
    offering.course_title = title
    offering.coordinators = coordinators
    return True
