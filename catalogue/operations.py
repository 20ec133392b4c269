"""Catalogue domain operations: plain functions that take a session and return results."""

from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from catalogue.models import Course, Offering
from catalogue.schemas import CourseEventSchema, OfferingEventSchema
from shared import events
from shared.auth import Principal
from shared.db import utcnow
from shared.errors import Problem
from shared.outbox import record_event

PRODUCER = "catalogue"


def may_edit(actor: Principal | None, course: Course) -> bool:
    """Admins edit every course; coordinators those of their institution or naming them."""
    if actor is None:
        return False
    if actor.is_admin:
        return True
    return actor.role == "coordinator" and (
        course.institution == actor.institution or actor.id in course.coordinators)


def may_view(actor: Principal | None, course: Course) -> bool:
    return course.status == "published" or may_edit(actor, course)


def create_course(session: Session, actor: Principal, fields: Mapping[str, Any]) -> Course:
    """Create a draft course of the actor's institution (admins: any institution)."""
    if not (actor.is_admin or (actor.role == "coordinator" and actor.institution == fields["institution"])):
        raise Problem(403, "forbidden", "Coordinators create courses of their own institution only.")
    duplicate = session.scalar(select(Course.id).where(
        Course.institution == fields["institution"], Course.code == fields["code"]))
    if duplicate is not None:
        raise Problem(409, "duplicate_course_code",
                      f"{fields['institution']} already has a course with code {fields['code']}.")
    course = Course(**fields, created_by=actor.id, status="draft", version=1)
    session.add(course)
    session.flush()
    return course


def publish_course(session: Session, actor: Principal, course_id: str) -> Course:
    """Make a course visible to everyone and tell the other services."""
    course = get_course(session, actor, course_id)
    _require_editor(actor, course)
    if course.status != "published":
        course.status = "published"
        _touch(course)
        record_event(session, PRODUCER, events.COURSE_PUBLISHED, CourseEventSchema().dump(course))
    return course


def schedule_offering(session: Session, actor: Principal, course_id: str, fields: Mapping[str, Any]) -> Offering:
    """Schedule a run of a course and announce it to enrolment."""
    course = get_course(session, actor, course_id)
    _require_editor(actor, course)
    if course.status == "archived":
        raise Problem(409, "course_archived", "An archived course cannot be scheduled.")
    offering = Offering(course=course, **fields, status="scheduled", version=1)
    session.add(offering)
    session.flush()
    record_event(session, PRODUCER, events.OFFERING_SCHEDULED, OfferingEventSchema().dump(offering))
    return offering


def list_courses(actor: Principal | None, institution: str | None = None) -> Select:
    """Return the query of courses the actor may see, in a stable order."""
    statement = select(Course).order_by(Course.institution, Course.code, Course.id)
    if institution:
        statement = statement.where(Course.institution == institution)
    if actor is None or not (actor.is_admin or actor.role == "coordinator"):
        return statement.where(Course.status == "published")
    if actor.is_admin:
        return statement
    return statement.where((Course.status == "published") | (Course.institution == actor.institution))


def get_course(session: Session, actor: Principal | None, course_id: str) -> Course:
    """Return a course the actor may see; 404 otherwise, so drafts stay private."""
    course = session.get(Course, course_id)
    if course is None or not may_view(actor, course):
        raise Problem(404, "course_not_found", f"There is no course {course_id}.")
    return course


def list_offerings(session: Session, actor: Principal | None, course_id: str) -> list[Offering]:
    return list(get_course(session, actor, course_id).offerings)


def get_offering(session: Session, actor: Principal | None, offering_id: str) -> Offering:
    offering = session.get(Offering, offering_id)
    if offering is None or not may_view(actor, offering.course):
        raise Problem(404, "offering_not_found", f"There is no offering {offering_id}.")
    return offering


def record_seats(session: Session, offering_id: str, seats: Mapping[str, int], revision: int) -> bool:
    """Show enrolment's seat counts on an offering unless newer ones arrived first."""
    offering = session.get(Offering, offering_id, with_for_update=True)
    if offering is None or revision <= offering.seats_revision:
        return False
    offering.seats_confirmed = seats["confirmed"]
    offering.seats_waitlisted = seats["waitlisted"]
    offering.seats_revision = revision
    return True


def _require_editor(actor: Principal, course: Course) -> None:
    if not may_edit(actor, course):
        raise Problem(403, "forbidden", "Only the course's coordinators and admins may change it.")


def _touch(course: Course) -> None:
    course.version += 1
    course.updated_at = utcnow()
