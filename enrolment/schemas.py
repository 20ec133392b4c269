"""What the enrolment service accepts and answers, and the data its events carry."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

ENROLMENT_STATUSES = ("confirmed", "waitlisted", "cancelled")


class SeatsSchema(ma.Schema):
    """Live seat counts of an offering."""

    offering_id = ma.fields.String(attribute="id")
    capacity = ma.fields.Integer(attribute="seats.capacity")
    confirmed = ma.fields.Integer(attribute="seats.confirmed")
    available = ma.fields.Integer(attribute="seats.available")
    waitlisted = ma.fields.Integer(attribute="seats.waitlisted")


class EnrolRequestSchema(ma.Schema):
    """The offering to enrol in."""

    offering_id = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))


class OfferingSummarySchema(ma.Schema):
    """The offering an enrolment is for, as a student recognises it."""

    id = ma.fields.String()
    course_id = ma.fields.String()
    course_code = ma.fields.String()
    course_title = ma.fields.Dict()
    institution = ma.fields.String()
    term = ma.fields.String()
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()
    location = ma.fields.String()
    cancel_reason = ma.fields.String(allow_none=True, metadata={"description": "Why the offering was cancelled"})


class EnrolmentSchema(ma.Schema):
    """An enrolment and where it stands."""

    id = ma.fields.String()
    offering_id = ma.fields.String()
    student_id = ma.fields.String()
    status = ma.fields.String(metadata={"enum": list(ENROLMENT_STATUSES)})
    waitlist_position = ma.fields.Integer(allow_none=True,
                                          metadata={"description": "1 for the first in line; null unless waiting"})
    cancelled_by = ma.fields.String(allow_none=True, metadata={"enum": ["student", "coordinator", "catalogue"]})
    created_at = ma.fields.DateTime()
    confirmed_at = ma.fields.DateTime(allow_none=True)
    cancelled_at = ma.fields.DateTime(allow_none=True)
    offering = ma.fields.Nested(OfferingSummarySchema)


class RosterEntrySchema(ma.Schema):
    """A confirmed or waiting student on an offering's roster."""

    enrolment_id = ma.fields.String(attribute="id")
    status = ma.fields.String()
    waitlist_position = ma.fields.Integer(allow_none=True)
    student_id = ma.fields.String()
    name = ma.fields.String(attribute="student_name")
    email = ma.fields.String(attribute="student_email")
    institution = ma.fields.String(attribute="student_institution")
    enrolled_at = ma.fields.DateTime(attribute="created_at")
    confirmed_at = ma.fields.DateTime(allow_none=True)
    cancelled_at = ma.fields.DateTime(allow_none=True)
    cancelled_by = ma.fields.String(allow_none=True, metadata={"enum": ["student", "coordinator", "catalogue"]})


class RosterQuerySchema(ma.Schema):
    """Which enrolments a roster lists."""

    cancelled = ma.fields.Boolean(load_default=False, metadata={
        "description": "Also list the cancelled enrolments (who cancelled, when), last cancelled first"})


class EnrolmentEventSchema(ma.Schema):
    """What notifications (and anyone else) need to tell a student what changed (DESIGN section 5)."""

    enrolment = ma.fields.Method("dump_enrolment")
    offering = ma.fields.Nested(OfferingSummarySchema)
    student = ma.fields.Dict()
    seats = ma.fields.Dict(attribute="offering.seats")

    def dump_enrolment(self, enrolment) -> dict:
        return {"id": enrolment.id, "status": enrolment.status, "waitlist_position": enrolment.waitlist_position,
                "cancelled_by": enrolment.cancelled_by}
