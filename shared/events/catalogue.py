"""The catalogue's events: what enrolment and notifications need to know of courses and offerings."""

from __future__ import annotations

from datetime import date
from typing import Literal

from shared.events.contract import EventDefinition, EventPayload, FieldChange, Instant, LocalisedText

PRODUCER = "catalogue"
COURSE_PUBLISHED = "catalogue.course.published"
COURSE_UPDATED = "catalogue.course.updated"
COURSE_ARCHIVED = "catalogue.course.archived"
OFFERING_SCHEDULED = "catalogue.offering.scheduled"
OFFERING_UPDATED = "catalogue.offering.updated"
OFFERING_CANCELLED = "catalogue.offering.cancelled"


class CourseSnapshot(EventPayload):
    """A course's state as the other services keep it; the newest `version` wins."""

    course_id: str
    code: str
    institution: str
    title: LocalisedText
    status: Literal["draft", "published", "archived"]
    coordinators: list[str]
    version: int


class CourseUpdated(CourseSnapshot):
    """A course's state after an edit, and what the edit changed (read as nothing when absent)."""

    changes: dict[str, FieldChange] = {}


class ReservedSeats(EventPayload):
    """Seats of an offering reserved for an institution's students until release_at, then open to all."""

    institution: Literal["LUMC", "SSMU"]
    seats: int
    release_at: Instant


class OfferingSnapshot(EventPayload):
    """What enrolment needs to decide alone about an offering (DESIGN section 5): the offering, its
    course's code, title, status and coordinators, capacity, waiting list, window and status."""

    offering_id: str
    course_id: str
    course_code: str
    course_title: LocalisedText
    course_status: Literal["draft", "published", "archived"]
    course_version: int
    institution: str
    coordinators: list[str]
    term: str
    starts_on: date
    ends_on: date
    location: str
    capacity: int
    waitlist: bool
    enrolment_opens_at: Instant
    enrolment_closes_at: Instant
    status: Literal["scheduled", "cancelled"]
    cancel_reason: str | None
    version: int
    # The exchange's seat rules (DESIGN section 4), added to version 1: events written before them lack
    # them, and such offerings keep today's rules.
    admission: Literal["first_come", "application"] = "first_come"
    promotion: Literal["automatic", "offer"] = "automatic"
    offer_hours: int = 48
    # Seats reserved per institution (DESIGN section 4), added to version 1 like the rules above.
    reserved: list[ReservedSeats] = []


class OfferingUpdated(OfferingSnapshot):
    """An offering's state after an edit, and what the edit changed (read as nothing when absent)."""

    changes: dict[str, FieldChange] = {}


DEFINITIONS = (
    EventDefinition(COURSE_PUBLISHED, 1, PRODUCER, CourseSnapshot, "A course was published: open for offerings "
                    "and enrolment."),
    EventDefinition(COURSE_UPDATED, 1, PRODUCER, CourseUpdated, "A course's code, title, coordinators or other "
                    "fields were edited."),
    EventDefinition(COURSE_ARCHIVED, 1, PRODUCER, CourseSnapshot, "A course was archived: no new enrolments."),
    EventDefinition(OFFERING_SCHEDULED, 1, PRODUCER, OfferingSnapshot, "A new run of a course was scheduled."),
    EventDefinition(OFFERING_UPDATED, 1, PRODUCER, OfferingUpdated, "An offering's dates, place, window, "
                    "capacity or waiting list changed."),
    EventDefinition(OFFERING_CANCELLED, 1, PRODUCER, OfferingSnapshot, "An offering was cancelled, with the "
                    "reason told to its students."),
)
