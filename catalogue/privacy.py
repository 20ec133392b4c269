"""What the catalogue holds of a person: the changes they made to courses (coordinators and admins),
and the courses naming them as a coordinator. Students appear nowhere in it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalogue.models import Course, CourseCoordinator, CourseRevision
from shared.events.enrolment import ErasureRequested
from shared.messaging.envelope import Event
from shared.privacy import forget_outbox_events, pseudonym, record_erasure


def on_erasure_requested(session: Session, event: Event) -> None:
    """Forget the person: a course's history keeps what was changed and when, by a pseudonym. Courses
    naming them as a coordinator are course content, changed by editing the course (docs/privacy.md)."""
    request: ErasureRequested = event.payload
    if not record_erasure(session, request.erasure_id, request.subject_id, request.requested_by, event.occurred_at):
        return
    session.execute(update(CourseRevision).where(CourseRevision.actor_id == request.subject_id)
                    .values(actor_id=pseudonym(), actor_name=""))
    forget_outbox_events(session, request.subject_id)


def personal_data(session: Session, person_id: str) -> dict[str, Any]:
    """The person's changes to courses, and the courses naming them as a coordinator."""
    revisions = session.scalars(select(CourseRevision).where(CourseRevision.actor_id == person_id)
                                .order_by(CourseRevision.at, CourseRevision.id)).all()
    coordinated = session.scalars(select(Course).join(CourseCoordinator).where(CourseCoordinator.value == person_id)
                                  .order_by(Course.code)).all()
    return {
        "course_changes": [{"course_id": revision.course_id, "offering_id": revision.offering_id,
                            "action": revision.action, "version": revision.version, "changes": revision.changes,
                            "actor_name": revision.actor_name, "at": revision.at.isoformat()}
                           for revision in revisions],
        "courses_coordinated": [{"course_id": course.id, "code": course.code, "institution": course.institution}
                                for course in coordinated],
    }
