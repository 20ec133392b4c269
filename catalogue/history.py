"""The revision history of courses: who changed which fields, from what to what, and when."""

from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import Select, select

from catalogue.models import Course, CourseRevision, Offering
from shared.http.auth import Principal


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return {field: {"from": old, "to": new}} for the fields whose values differ."""
    return {name: {"from": before.get(name), "to": value}
            for name, value in after.items() if before.get(name) != value}


def record_revision(session, actor: Principal, course: Course, action: str,
                    changes: Mapping[str, Any] | None = None, offering: Offering | None = None) -> None:
    """Add one entry to a course's history, in the transaction of the change it describes."""
    session.add(CourseRevision(
        course_id=course.id, offering_id=offering.id if offering else None, action=action,
        version=offering.version if offering else course.version, changes=dict(changes or {}),
        actor_id=actor.id, actor_name=actor.name))


def course_history(course_id: str) -> Select:
    """Return the query of a course's history, newest first."""
    return (select(CourseRevision).where(CourseRevision.course_id == course_id)
            .order_by(CourseRevision.at.desc(), CourseRevision.id.desc()))
