"""Finding courses: case-insensitive text search in both languages, filters and a stable order."""

from __future__ import annotations

import unicodedata
from typing import Any, Mapping

from sqlalchemy import Select, exists, or_, select

from catalogue.models import Course, CourseCoordinator, CourseTopic, Offering
from shared.http.auth import Principal


def fold(text: str) -> str:
    """Fold text for matching: case-insensitive in Cyrillic too, and ё matches е as readers expect."""
    return unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")


def search_text_of(course: Course) -> str:
    """Return the folded text a course is found by: its code, titles and descriptions."""
    parts = [course.code, *course.title.values(), *course.description.values()]
    return fold(" ".join(part for part in parts if part))


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def visible_courses(actor: Principal | None) -> Select:
    """Return the courses the actor may see: published ones, and those the actor may edit."""
    statement = select(Course)
    if actor is not None and actor.is_admin:
        return statement
    if actor is not None and actor.role == "coordinator":
        named = exists().where(CourseCoordinator.course_id == Course.id, CourseCoordinator.value == actor.id)
        return statement.where(or_(Course.status == "published", Course.institution == actor.institution, named))
    return statement.where(Course.status == "published")


def search_courses(actor: Principal | None, filters: Mapping[str, Any]) -> Select:
    """Return the query of visible courses matching every given filter, in a stable order."""
    statement = visible_courses(actor)
    for term in fold(filters.get("q") or "").split():
        statement = statement.where(Course.search_text.like(f"%{_escape_like(term)}%", escape="\\"))
    for name in ("institution", "level", "status"):
        if filters.get(name):
            statement = statement.where(getattr(Course, name) == filters[name])
    if filters.get("language"):
        statement = statement.where(Course.language == filters["language"].lower())
    if filters.get("topic"):
        statement = statement.where(exists().where(
            CourseTopic.course_id == Course.id, CourseTopic.value == fold(filters["topic"]).strip()))
    if filters.get("term"):
        statement = statement.where(exists().where(Offering.course_id == Course.id,
                                                   Offering.term == filters["term"]))
    if filters.get("modified_since"):
        # A change feed: oldest change first, so a partner can page through and remember the last.
        return statement.where(Course.updated_at >= filters["modified_since"]).order_by(
            Course.updated_at, Course.id)
    return statement.order_by(Course.institution, Course.code, Course.id)
