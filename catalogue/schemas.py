"""What the catalogue accepts and answers (its events are defined in shared.events.catalogue)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Mapping

import marshmallow as ma
from marshmallow import validate

from catalogue.isced import ISCED_F_CODES
from shared.http.auth import INSTITUTIONS
from shared.seats import PoolSeatsSchema
from shared.http.fields import Instant, Line, Paragraphs, StrictBoolean, StrictFloat
from shared.http.pagination import PageArgsSchema

LEVELS = ("bachelor", "master", "phd", "staff")
COURSE_STATUSES = ("draft", "published", "archived")
OFFERING_STATUSES = ("scheduled", "cancelled")
ADMISSIONS = ("first_come", "application")
PROMOTIONS = ("automatic", "offer")
# How long an offered seat may wait for its answer: an hour at least, two weeks at most.
OFFER_HOURS = (1, 336)
BCP47 = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"
TERM = r"^\d{4}-(spring|summer|autumn|winter)$"
# Lengths people write in practice, with room to spare; a page lays them out (long words wrap).
TITLE_LENGTH, DESCRIPTION_LENGTH, LOCATION_LENGTH, TOPIC_LENGTH, REASON_LENGTH = 200, 4000, 200, 60, 1000
# An offering's instants, far enough from the ends of the date types that any time zone can show them.
INSTANTS_FROM, INSTANTS_UNTIL = datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(9000, 1, 1, tzinfo=timezone.utc)


class LocalisedTitleSchema(ma.Schema):
    """A title in English (required) and Russian (optional): one line each."""

    en = Line(required=True, max_length=TITLE_LENGTH)
    ru = Line(allow_none=True, max_length=TITLE_LENGTH)


class LocalisedTitlePatchSchema(LocalisedTitleSchema):
    """The languages of a title to change; the others keep their text."""

    en = Line(max_length=TITLE_LENGTH)


class LocalisedTextSchema(ma.Schema):
    """A text in English (required) and Russian (optional)."""

    en = Paragraphs(required=True, min_length=1, max_length=DESCRIPTION_LENGTH)
    ru = Paragraphs(allow_none=True, min_length=1, max_length=DESCRIPTION_LENGTH)


class LocalisedTextPatchSchema(LocalisedTextSchema):
    """The languages of a text to change; the others keep their text."""

    en = Paragraphs(min_length=1, max_length=DESCRIPTION_LENGTH)


def _half_steps(value: float) -> None:
    if not float(value * 2).is_integer():  # 1e308 * 2 is infinite: not a step either, and no crash
        raise ma.ValidationError("ECTS credits come in steps of 0.5.")


COURSE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")


def _offering_instant(**kwargs) -> Instant:
    return Instant(validate=validate.Range(min=INSTANTS_FROM, max=INSTANTS_UNTIL), **kwargs)


class CourseSchema(ma.Schema):
    """A course as the catalogue shows it, and the fields a coordinator writes."""

    id = ma.fields.String(dump_only=True)
    code = ma.fields.String(required=True, validate=validate.Regexp(
        COURSE_CODE, error="1 to 32 letters, digits, '.', '_' or '-'."))
    institution = ma.fields.String(required=True, validate=validate.OneOf(INSTITUTIONS))
    title = ma.fields.Nested(LocalisedTitleSchema, required=True)
    description = ma.fields.Nested(LocalisedTextSchema, required=True)
    ects = StrictFloat(required=True, validate=[validate.Range(min=0.5, max=60), _half_steps],
                           allow_nan=False, metadata={"multipleOf": 0.5})
    level = ma.fields.String(required=True, validate=validate.OneOf(LEVELS))
    language = ma.fields.String(required=True, validate=[validate.Regexp(BCP47), validate.Length(max=35)],
                                metadata={"description": "BCP 47 tag of the teaching language, e.g. en, ru"})
    isced = ma.fields.String(required=True, validate=validate.OneOf(
        sorted(ISCED_F_CODES), error="Not an ISCED-F 2013 field code (e.g. 0912 Medicine, 0512 Biochemistry)."),
                             metadata={"description": "ISCED-F 2013 field of education code"})
    topics = ma.fields.List(Line(max_length=TOPIC_LENGTH), load_default=list, validate=validate.Length(max=20))
    coordinators = ma.fields.List(Line(max_length=64),
                                  load_default=list, validate=validate.Length(max=20),
                                  metadata={"description": "User ids of coordinators, of either institution"})
    status = ma.fields.String(dump_only=True, metadata={"enum": list(COURSE_STATUSES)})
    version = ma.fields.Integer(dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)


class CoursePatchSchema(CourseSchema):
    """The fields of a course to change; titles and descriptions merge per language."""

    class Meta:
        exclude = ("institution",)

    title = ma.fields.Nested(LocalisedTitlePatchSchema)
    description = ma.fields.Nested(LocalisedTextPatchSchema)

    @ma.pre_load
    def refuse_institution(self, data, **_kwargs):
        if isinstance(data, Mapping) and "institution" in data:
            raise ma.ValidationError({"institution": ["A course's institution cannot be changed."]})
        return data


class CourseQuerySchema(PageArgsSchema):
    """Search and filters of the course list."""

    q = ma.fields.String(validate=validate.Length(max=200),
                         metadata={"description": "Words in code, title, topics or description, English or Russian, "
                                                  "in any form (Snowball stems), one typo forgiven; every word must "
                                                  "match; ranked by relevance"})
    institution = ma.fields.String(validate=validate.OneOf(INSTITUTIONS))
    topic = ma.fields.String(validate=validate.Length(max=60))
    level = ma.fields.String(validate=validate.OneOf(LEVELS))
    language = ma.fields.String(validate=validate.Regexp(BCP47))
    term = ma.fields.String(validate=validate.Regexp(TERM))
    status = ma.fields.String(validate=validate.OneOf(COURSE_STATUSES))
    coordinator = ma.fields.String(validate=validate.Length(max=64), metadata={
        "description": "Only courses naming this person's id among their coordinators, of either institution "
                       "(an addition to the contract, for a co-coordinator's list of courses)"})
    modified_since = Instant(
        metadata={"description": "Only courses changed at or after this instant, oldest change first"})


class SeatsSchema(ma.Schema):
    """Live seat counts of an offering; the top-level counts are the totals."""

    capacity = ma.fields.Integer()
    confirmed = ma.fields.Integer()
    held = ma.fields.Integer(metadata={"description": "Seats held by open offers (promotion offer)"})
    available = ma.fields.Integer()
    waitlisted = ma.fields.Integer()
    reserved = ma.fields.List(ma.fields.Nested(PoolSeatsSchema), metadata={
        "description": "The pools still reserving seats for an institution's students (a released pool "
                       "leaves the list)"})


class ReservedSeatsSchema(ma.Schema):
    """Seats of an offering reserved for an institution's students until release_at, then open to all."""

    institution = ma.fields.String(required=True, validate=validate.OneOf(INSTITUTIONS))
    seats = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10000))
    release_at = _offering_instant(required=True)


def check_reserved(fields: Mapping[str, Any]) -> None:
    """Refuse two pools of one institution, and more reserved seats than the offering's capacity."""
    reserved, capacity = fields.get("reserved"), fields.get("capacity")
    if not reserved:
        return
    institutions = [pool["institution"] for pool in reserved]
    if len(set(institutions)) != len(institutions):
        raise ma.ValidationError({"reserved": ["At most one pool per institution."]})
    if capacity is not None and sum(pool["seats"] for pool in reserved) > capacity:
        raise ma.ValidationError({"reserved": ["More seats reserved than the offering's capacity."]})


def check_offering_dates(fields: Mapping[str, Any]) -> None:
    """Refuse an offering that ends before it starts, or whose window closes before it opens."""
    if fields.get("starts_on") and fields.get("ends_on") and fields["ends_on"] < fields["starts_on"]:
        raise ma.ValidationError({"ends_on": ["ends_on must not be before starts_on."]})
    opens, closes = fields.get("enrolment_opens_at"), fields.get("enrolment_closes_at")
    if opens and closes and closes <= opens:
        raise ma.ValidationError({"enrolment_closes_at": ["enrolment_closes_at must be after "
                                                          "enrolment_opens_at."]})


class OfferingSchema(ma.Schema):
    """A run of a course in a term."""

    id = ma.fields.String(dump_only=True)
    course_id = ma.fields.String(dump_only=True)
    term = ma.fields.String(required=True, validate=validate.Regexp(TERM, error="Like 2027-spring."))
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(required=True)
    enrolment_opens_at = _offering_instant(required=True)
    enrolment_closes_at = _offering_instant(required=True)
    capacity = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10000))
    waitlist = StrictBoolean(load_default=True)
    location = Line(required=True, max_length=LOCATION_LENGTH)
    admission = ma.fields.String(load_default="first_come", validate=validate.OneOf(ADMISSIONS), metadata={
        "description": "first_come: a seat to whoever enrols first; application: coordinators approve applications"})
    promotion = ma.fields.String(load_default="automatic", validate=validate.OneOf(PROMOTIONS), metadata={
        "description": "automatic: a freed seat goes to the first in line at once; offer: it is held for them "
                       "to accept or decline within offer_hours, then offered to the next"})
    offer_hours = ma.fields.Integer(load_default=48, strict=True, validate=validate.Range(*OFFER_HOURS), metadata={
        "description": "How long an offered seat waits for the student's answer, in hours"})
    reserved = ma.fields.List(ma.fields.Nested(ReservedSeatsSchema), load_default=list,
                              validate=validate.Length(max=len(INSTITUTIONS)), metadata={
        "description": "Seats reserved per institution: a reserved seat goes only to a student of that institution "
                       "until release_at, then its unused seats are open to all (at most one pool per institution; "
                       "at most capacity seats reserved in all)"})
    status = ma.fields.String(dump_only=True, metadata={"enum": list(OFFERING_STATUSES)})
    cancel_reason = ma.fields.String(dump_only=True, allow_none=True)
    version = ma.fields.Integer(dump_only=True)
    seats = ma.fields.Nested(SeatsSchema, dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)

    @ma.validates_schema
    def check_dates(self, data, **_kwargs):
        check_offering_dates(data)
        check_reserved(data)


class OfferingPatchSchema(OfferingSchema):
    """The fields of an offering to change."""


class CancelSchema(ma.Schema):
    """Why an offering is cancelled or a course archived (told to the enrolled students)."""

    reason = Paragraphs(max_length=REASON_LENGTH, load_default=None, allow_none=True)


class RevisionSchema(ma.Schema):
    """One entry of a course's history."""

    action = ma.fields.String(metadata={"description": "created, updated, published, archived, "
                                                       "offering_scheduled, offering_updated, offering_cancelled"})
    offering_id = ma.fields.String(allow_none=True)
    version = ma.fields.Integer(metadata={"description": "Version of the course or offering after the change"})
    changes = ma.fields.Dict(metadata={"description": "{field: {from, to}}"})
    actor_id = ma.fields.String()
    actor_name = ma.fields.String()
    at = ma.fields.DateTime()
