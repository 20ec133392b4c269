"""What the enrolment service accepts and answers (its events are defined in shared.events.enrolment)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from shared.http.auth import INSTITUTIONS
from shared.http.fields import Paragraphs
from shared.http.text import is_blank
from shared.seats import PoolSeatsSchema

ENROLMENT_STATUSES = ("confirmed", "waitlisted", "offered", "cancelled", "expired")
APPLICATION_STATUSES = ("pending", "approved", "declined", "withdrawn")
MOTIVATION_LENGTH, MESSAGE_LENGTH = 4000, 2000


class SeatsSchema(ma.Schema):
    """Live seat counts of an offering."""

    offering_id = ma.fields.String(attribute="id")
    capacity = ma.fields.Integer(attribute="seats.capacity")
    confirmed = ma.fields.Integer(attribute="seats.confirmed")
    held = ma.fields.Integer(attribute="seats.held", metadata={"description": "Seats held by open offers"})
    available = ma.fields.Integer(attribute="seats.available")
    waitlisted = ma.fields.Integer(attribute="seats.waitlisted")
    reserved = ma.fields.List(ma.fields.Nested(PoolSeatsSchema), attribute="seats.reserved", metadata={
        "description": "The pools still reserving seats for an institution's students (a released pool "
                       "leaves the list); the counts above are the totals"})


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
    offer_expires_at = ma.fields.DateTime(allow_none=True, metadata={
        "description": "Until when a seat offered to the student waits for their answer (status offered); kept "
                       "once the offer was answered or expired; null if no seat was ever offered"})
    offering = ma.fields.Nested(OfferingSummarySchema)


class RosterEntrySchema(ma.Schema):
    """A confirmed, offered or waiting student on an offering's roster (with `cancelled`, those gone too)."""

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
    offer_expires_at = ma.fields.DateTime(allow_none=True)
    pool = ma.fields.String(allow_none=True, metadata={
        "enum": list(INSTITUTIONS), "description": "The institution whose reserved seats this seat (or the seat "
                                                   "offered) was taken from; null for an open seat or a place in line"})


class RosterQuerySchema(ma.Schema):
    """Which enrolments a roster lists."""

    cancelled = ma.fields.Boolean(load_default=False, metadata={
        "description": "Also list the cancelled enrolments (who cancelled, when), last cancelled first, then the "
                       "expired offers"})



class ProposedDatesSchema(ma.Schema):
    """When a visiting researcher proposes to come."""

    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(required=True)

    @ma.validates_schema
    def check_order(self, data, **_kwargs):
        if data["ends_on"] < data["starts_on"]:
            raise ma.ValidationError({"ends_on": ["ends_on must not be before starts_on."]})


class ApplyRequestSchema(ma.Schema):
    """An application for a place: why, and for visiting staff when."""

    offering_id = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    motivation = Paragraphs(required=True, min_length=1, max_length=MOTIVATION_LENGTH)
    proposed_dates = ma.fields.Nested(ProposedDatesSchema, load_default=None, allow_none=True, metadata={
        "description": "Required of visiting staff (role staff)"})

    @ma.validates("motivation")
    def check_visible(self, text, **_kwargs):
        if is_blank(text):
            raise ma.ValidationError("Must show something: not only spaces or invisible characters.")


class DecisionSchema(ma.Schema):
    """The coordinators' message to the applicant with their decision."""

    message = Paragraphs(max_length=MESSAGE_LENGTH, load_default=None, allow_none=True)


class ApplicantSchema(ma.Schema):
    """Who applied."""

    id = ma.fields.String()
    name = ma.fields.String()
    email = ma.fields.String()
    institution = ma.fields.String()
    role = ma.fields.String(metadata={"enum": ["student", "staff"]})


class ApplicationSchema(ma.Schema):
    """An application and where it stands."""

    id = ma.fields.String()
    offering_id = ma.fields.String()
    status = ma.fields.String(metadata={"enum": list(APPLICATION_STATUSES)})
    applicant = ma.fields.Nested(ApplicantSchema)
    motivation = ma.fields.String()
    proposed_dates = ma.fields.Nested(ProposedDatesSchema, allow_none=True)
    message = ma.fields.String(allow_none=True,
                               metadata={"description": "The coordinators' message with their decision"})
    decided_at = ma.fields.DateTime(allow_none=True)
    enrolment_id = ma.fields.String(allow_none=True, metadata={"description": "The seat an approval took"})
    created_at = ma.fields.DateTime()
    offering = ma.fields.Nested(OfferingSummarySchema)
