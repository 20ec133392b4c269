"""The events of the contract (DESIGN section 5): their types, routing keys alike."""

COURSE_PUBLISHED = "catalogue.course.published"
COURSE_UPDATED = "catalogue.course.updated"
COURSE_ARCHIVED = "catalogue.course.archived"
OFFERING_SCHEDULED = "catalogue.offering.scheduled"
OFFERING_UPDATED = "catalogue.offering.updated"
OFFERING_CANCELLED = "catalogue.offering.cancelled"
ENROLMENT_CONFIRMED = "enrolment.confirmed"
ENROLMENT_WAITLISTED = "enrolment.waitlisted"
ENROLMENT_PROMOTED = "enrolment.promoted"
ENROLMENT_CANCELLED = "enrolment.cancelled"
SEATS_CHANGED = "enrolment.seats_changed"

EVENT_TYPES = frozenset({
    COURSE_PUBLISHED, COURSE_UPDATED, COURSE_ARCHIVED,
    OFFERING_SCHEDULED, OFFERING_UPDATED, OFFERING_CANCELLED,
    ENROLMENT_CONFIRMED, ENROLMENT_WAITLISTED, ENROLMENT_PROMOTED, ENROLMENT_CANCELLED,
    SEATS_CHANGED,
})
