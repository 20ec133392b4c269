"""Realistic LUMC and SSMU courses for a first start, entered through the domain operations."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from catalogue import offerings, operations
from catalogue.models import Course
from catalogue.schemas import CourseSchema, OfferingSchema
from shared.http.auth import Principal
from shared.logs import correlation

SEED_ADMIN = Principal(id="seed", role="admin", institution="LUMC", email="exchange-admin@lumc.nl",
                       name="Exchange administrator", locale="en")

COURSES = json.loads((Path(__file__).with_name("seed_courses.json")).read_text(encoding="utf-8"))

LOCATIONS = {"LUMC": "LUMC, Albinusdreef 2, Leiden", "SSMU": "SSMU, Moskovsky trakt 2, Tomsk"}


def next_term_start(today: date) -> tuple[str, date]:
    """Return the next spring or autumn term starting at least six weeks from today."""
    earliest = today + timedelta(weeks=6)
    for year in (earliest.year, earliest.year + 1):
        for season, start in (("spring", date(year, 2, 1)), ("autumn", date(year, 9, 1))):
            if start >= earliest:
                return f"{year}-{season}", start
    raise AssertionError("unreachable: a term starts within every 18 months")


def offering_fields(institution: str, today: date, capacity: int) -> dict:
    """Return an offering of the next term whose enrolment window is open today."""
    term, starts_on = next_term_start(today)
    opened = datetime.combine(today - timedelta(days=7), time(8), tzinfo=timezone.utc)
    closes = datetime.combine(starts_on - timedelta(days=14), time(23, 59), tzinfo=timezone.utc)
    return OfferingSchema().load({
        "term": term, "starts_on": starts_on.isoformat(),
        "ends_on": (starts_on + timedelta(weeks=4)).isoformat(),
        "enrolment_opens_at": opened.isoformat(), "enrolment_closes_at": closes.isoformat(),
        "capacity": capacity, "waitlist": True, "location": LOCATIONS[institution],
    })


def seed_catalogue(session: Session, today: date | None = None) -> int:
    """Create, publish and schedule the demo courses unless the catalogue has courses; return how many."""
    if session.scalar(select(exists().where(Course.id.isnot(None)))):
        return 0
    today = today or datetime.now(timezone.utc).date()
    with correlation(None):  # one id for all the events of the seeding
        for number, raw in enumerate(COURSES):
            course = operations.create_course(session, SEED_ADMIN, CourseSchema().load(raw))
            operations.set_course_status(session, SEED_ADMIN, course.id, "published")
            capacity = 2 if number == 0 else 12 + 4 * number
            offerings.schedule_offering(session, SEED_ADMIN, course.id,
                                        offering_fields(course.institution, today, capacity))
    return len(COURSES)
