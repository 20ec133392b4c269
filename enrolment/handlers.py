"""How enrolment keeps its replica of the catalogue's offerings, and what follows from a change."""

from __future__ import annotations

from sqlalchemy.orm import Session

from enrolment.applications import decline_open_applications
from enrolment.operations import announce_seats, cancel_all, promote_from_waitlist
from enrolment.replica import apply_course_snapshot, apply_offering_snapshot
from shared import events
from shared.events.catalogue import CourseSnapshot, OfferingSnapshot
from shared.messaging.envelope import Event


def on_offering_changed(session: Session, event: Event) -> None:
    """Take the offering's newest state; a raised capacity promotes, a cancellation cancels everyone
    (and declines the applications still pending)."""
    snapshot: OfferingSnapshot = event.payload
    offering = apply_offering_snapshot(session, snapshot)
    if offering is None or event.type == events.OFFERING_SCHEDULED:
        return  # an older snapshot, or a new offering nobody has enrolled in yet
    if offering.status == "cancelled":
        cancel_all(session, offering)
        decline_open_applications(session, offering)
    else:
        promote_from_waitlist(session, offering)
    announce_seats(session, offering)


def on_course_changed(session: Session, event: Event) -> None:
    """Take the course's newest status, title and coordinators onto its offerings."""
    course: CourseSnapshot = event.payload
    apply_course_snapshot(session, course)


HANDLERS = {
    events.OFFERING_SCHEDULED: on_offering_changed,
    events.OFFERING_UPDATED: on_offering_changed,
    events.OFFERING_CANCELLED: on_offering_changed,
    events.COURSE_PUBLISHED: on_course_changed,
    events.COURSE_UPDATED: on_course_changed,
    events.COURSE_ARCHIVED: on_course_changed,
}
