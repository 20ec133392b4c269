"""What the catalogue accepts and answers, and the data its events carry."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from shared.auth import INSTITUTIONS
from shared.pagination import PageArgsSchema

LEVELS = ("bachelor", "master", "phd", "staff")
COURSE_STATUSES = ("draft", "published", "archived")
OFFERING_STATUSES = ("scheduled", "cancelled")


class LocalisedTextSchema(ma.Schema):
    """A text in English (required) and Russian (optional)."""

    en = ma.fields.String(required=True, validate=validate.Length(min=1, max=4000))
    ru = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))


class CourseSchema(ma.Schema):
    """A course as the catalogue shows it."""

    id = ma.fields.String(dump_only=True)
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"))
    institution = ma.fields.String(required=True, validate=validate.OneOf(INSTITUTIONS))
    title = ma.fields.Nested(LocalisedTextSchema, required=True)
    description = ma.fields.Nested(LocalisedTextSchema, required=True)
    ects = ma.fields.Float(required=True, validate=validate.Range(min=0.5, max=60))
    level = ma.fields.String(required=True, validate=validate.OneOf(LEVELS))
    language = ma.fields.String(required=True, validate=validate.Regexp(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"))
    isced = ma.fields.String(required=True, validate=validate.Regexp(r"^\d{2,4}$"))
    topics = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=60)), load_default=list,
                            validate=validate.Length(max=20))
    coordinators = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=64)),
                                  load_default=list, validate=validate.Length(max=20))
    status = ma.fields.String(dump_only=True, metadata={"enum": list(COURSE_STATUSES)})
    version = ma.fields.Integer(dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)


class SeatsSchema(ma.Schema):
    """Live seat counts of an offering."""

    capacity = ma.fields.Integer()
    confirmed = ma.fields.Integer()
    available = ma.fields.Integer()
    waitlisted = ma.fields.Integer()


class OfferingSchema(ma.Schema):
    """A run of a course in a term."""

    id = ma.fields.String(dump_only=True)
    course_id = ma.fields.String(dump_only=True)
    term = ma.fields.String(required=True, validate=validate.Regexp(r"^\d{4}-(spring|summer|autumn|winter)$"))
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(required=True)
    enrolment_opens_at = ma.fields.AwareDateTime(required=True, default_timezone=None)
    enrolment_closes_at = ma.fields.AwareDateTime(required=True, default_timezone=None)
    capacity = ma.fields.Integer(required=True, validate=validate.Range(min=0, max=100000))
    waitlist = ma.fields.Boolean(load_default=True)
    location = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    status = ma.fields.String(dump_only=True, metadata={"enum": list(OFFERING_STATUSES)})
    version = ma.fields.Integer(dump_only=True)
    seats = ma.fields.Nested(SeatsSchema, dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)

    @ma.validates_schema
    def check_dates(self, data, **_kwargs):
        if "starts_on" in data and "ends_on" in data and data["ends_on"] < data["starts_on"]:
            raise ma.ValidationError("ends_on must not be before starts_on", "ends_on")
        opens, closes = data.get("enrolment_opens_at"), data.get("enrolment_closes_at")
        if opens and closes and closes <= opens:
            raise ma.ValidationError("enrolment_closes_at must be after enrolment_opens_at",
                                     "enrolment_closes_at")


class CourseQuerySchema(PageArgsSchema):
    """Filters of the course list."""

    institution = ma.fields.String(validate=validate.OneOf(INSTITUTIONS))


class OfferingEventSchema(ma.Schema):
    """What enrolment and notifications need to act on an offering alone (DESIGN section 5)."""

    offering_id = ma.fields.String(attribute="id")
    course_id = ma.fields.String()
    course_code = ma.fields.String(attribute="course.code")
    course_title = ma.fields.Dict(attribute="course.title")
    course_status = ma.fields.String(attribute="course.status")
    course_version = ma.fields.Integer(attribute="course.version")
    institution = ma.fields.String(attribute="course.institution")
    coordinators = ma.fields.List(ma.fields.String(), attribute="course.coordinators")
    term = ma.fields.String()
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()
    location = ma.fields.String()
    capacity = ma.fields.Integer()
    waitlist = ma.fields.Boolean()
    enrolment_opens_at = ma.fields.DateTime()
    enrolment_closes_at = ma.fields.DateTime()
    status = ma.fields.String()
    version = ma.fields.Integer()


class CourseEventSchema(ma.Schema):
    """What consumers need to know about a course's state."""

    course_id = ma.fields.String(attribute="id")
    code = ma.fields.String()
    institution = ma.fields.String()
    title = ma.fields.Dict()
    status = ma.fields.String()
    coordinators = ma.fields.List(ma.fields.String())
    version = ma.fields.Integer()
