"""Catalogue domain operations on courses: plain functions that take a session and return results."""

from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import Select, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from catalogue.history import course_history, field_changes, record_revision
from catalogue.models import Course, CourseCoordinator, CourseRevision, CourseTopic
from catalogue.search_index import index_course
from shared import events
from shared.db import utcnow
from shared.events.catalogue import CourseSnapshot, CourseUpdated
from shared.http.auth import Principal
from shared.http.errors import Problem
from shared.http.etag import check_version
from shared.messaging.outbox import record_event
from shared.wordforms import fold

PRODUCER = "catalogue"
EDITABLE_COURSE_FIELDS = ("code", "title", "description", "ects", "level", "language", "isced", "topics",
                          "coordinators")
STATUS_EVENTS = {"published": events.COURSE_PUBLISHED, "archived": events.COURSE_ARCHIVED}


def may_edit(actor: Principal | None, course: Course) -> bool:
    """Admins edit every course; coordinators those of their institution or naming them."""
    if actor is None:
        return False
    if actor.is_admin:
        return True
    return actor.role == "coordinator" and (
        course.institution == actor.institution or actor.id in course.coordinators)


def may_view(actor: Principal | None, course: Course) -> bool:
    """Published courses are anyone's to read, and so are archived ones that were once published (they
    stay at their address for the students they had); drafts only their editors'. Lists show archived
    courses to their editors only."""
    if course.status == "published" or may_edit(actor, course):
        return True
    return course.status == "archived" and was_published(course)


def was_published(course: Course) -> bool:
    """Whether the course was ever published (its history says so): archiving a draft keeps it private."""
    return object_session(course).scalar(select(exists().where(
        CourseRevision.course_id == course.id, CourseRevision.action == "published")))


def require_editor(actor: Principal, course: Course) -> None:
    if not may_edit(actor, course):
        raise Problem(403, "forbidden", "Only the course's coordinators and admins may change it.")


def get_course(session: Session, actor: Principal | None, course_id: str, *, for_update: bool = False) -> Course:
    """Return a course the actor may see; 404 otherwise, so drafts stay private."""
    course = session.get(Course, course_id, with_for_update=for_update)
    if course is None or not may_view(actor, course):
        raise Problem(404, "course_not_found", f"There is no course {course_id}.")
    return course


def course_fields(course: Course) -> dict[str, Any]:
    """Return the editable fields of a course as plain values (for history and comparison)."""
    return {"code": course.code, "title": dict(course.title), "description": dict(course.description),
            "ects": float(course.ects), "level": course.level, "language": course.language,
            "isced": course.isced, "topics": course.topics, "coordinators": course.coordinators}


def create_course(session: Session, actor: Principal, fields: Mapping[str, Any]) -> Course:
    """Create a draft course of the actor's institution (admins: of any institution)."""
    if not (actor.is_admin or (actor.role == "coordinator" and actor.institution == fields["institution"])):
        raise Problem(403, "forbidden", "Coordinators create courses of their own institution only.")
    course = Course(institution=fields["institution"], created_by=actor.id, status="draft", version=1,
                    title={}, description={})
    _apply_fields(course, fields)
    index_course(session, course)
    _ensure_code_free(session, course)
    session.add(course)
    _flush_unique_code(session, course)
    record_revision(session, actor, course, "created", field_changes({}, course_fields(course)))
    return course


def update_course(session: Session, actor: Principal, course_id: str, expected_version: int | None,
                  fields: Mapping[str, Any]) -> Course:
    """Apply a coordinator's edit unless it is based on a stale version; record what changed."""
    course = get_course(session, actor, course_id, for_update=True)
    require_editor(actor, course)
    check_version(expected_version, course.version, "course")
    before = course_fields(course)
    _apply_fields(course, fields)
    changes = field_changes(before, course_fields(course))
    if not changes:
        return course
    index_course(session, course)
    _next_version(course)
    _ensure_code_free(session, course)
    _flush_unique_code(session, course)
    record_revision(session, actor, course, "updated", changes)
    record_event(session, PRODUCER, events.COURSE_UPDATED,
                 CourseUpdated(**_course_state(course), changes=changes).to_data())
    return course


def set_course_status(session: Session, actor: Principal, course_id: str, status: str) -> Course:
    """Publish or archive a course and tell the other services; the same status again changes nothing."""
    course = get_course(session, actor, course_id, for_update=True)
    require_editor(actor, course)
    if course.status != status:
        before = course.status
        course.status = status
        _next_version(course)
        record_revision(session, actor, course, status, {"status": {"from": before, "to": status}})
        record_event(session, PRODUCER, STATUS_EVENTS[status], CourseSnapshot(**_course_state(course)).to_data())
    return course


def history_of(session: Session, actor: Principal, course_id: str) -> Select:
    """Return the query of a course's history, for those who may edit the course."""
    require_editor(actor, get_course(session, actor, course_id))
    return course_history(course_id)


def touch_course(course: Course) -> None:
    """Show a change of the course's offerings in the change feed (modified_since)."""
    course.updated_at = utcnow()


def _apply_fields(course: Course, fields: Mapping[str, Any]) -> None:
    for name in ("code", "ects", "level", "isced"):
        if name in fields:
            setattr(course, name, fields[name])
    course.code_key = course.code.lower()
    if "language" in fields:
        course.language = fields["language"].lower()
    for name in ("title", "description"):
        if name in fields:  # a PATCH may send one language; "ru": null removes the Russian text
            setattr(course, name, {"ru": None, **getattr(course, name), **fields[name]})
    if "topics" in fields:
        course.topic_rows = [CourseTopic(value=value, position=index)
                             for index, value in enumerate(_distinct(fold(t).strip() for t in fields["topics"]))]
    if "coordinators" in fields:
        course.coordinator_rows = [CourseCoordinator(value=value, position=index)
                                   for index, value in enumerate(_distinct(c.strip() for c in fields["coordinators"]))]


def _distinct(values) -> list[str]:
    return list(dict.fromkeys(value for value in values if value))


def _next_version(course: Course) -> None:
    course.version += 1
    touch_course(course)


def _ensure_code_free(session: Session, course: Course) -> None:
    """Refuse a code another course of the same institution already has, in whatever case."""
    with session.no_autoflush:
        taken = session.scalar(select(Course.id).where(
            Course.institution == course.institution, Course.code_key == course.code_key,
            Course.id != course.id if course.id else Course.id.isnot(None)))
    if taken is not None:
        raise _duplicate_code(course)


def _flush_unique_code(session: Session, course: Course) -> None:
    """Flush; a concurrent request that took the code in the meantime is a 409, not a crash."""
    try:
        session.flush()
    except IntegrityError:
        raise _duplicate_code(course) from None


def _duplicate_code(course: Course) -> Problem:
    return Problem(409, "duplicate_course_code",
                   f"{course.institution} already has a course with code {course.code}.")


def _course_state(course: Course) -> dict[str, Any]:
    """The fields of the course's state that its events carry."""
    return {"course_id": course.id, "code": course.code, "institution": course.institution,
            "title": course.title, "status": course.status, "coordinators": course.coordinators,
            "version": course.version}
