"""How enrolment keeps its replica of the catalogue's offerings."""

from __future__ import annotations

from sqlalchemy.orm import Session

from enrolment.operations import apply_course_snapshot, apply_offering_snapshot
from shared import events
from shared.events import Event


def on_offering_changed(session: Session, event: Event) -> None:
    """Take the offering's newest state; older or repeated snapshots change nothing."""
    apply_offering_snapshot(session, event.data)


def on_course_changed(session: Session, event: Event) -> None:
    """Take the course's newest status, title and coordinators onto its offerings."""
    apply_course_snapshot(session, event.data)


HANDLERS = {
    events.OFFERING_SCHEDULED: on_offering_changed,
    events.OFFERING_UPDATED: on_offering_changed,
    events.OFFERING_CANCELLED: on_offering_changed,
    events.COURSE_PUBLISHED: on_course_changed,
    events.COURSE_UPDATED: on_course_changed,
    events.COURSE_ARCHIVED: on_course_changed,
}
