"""Catalogue domain operations on offerings: scheduling, editing, cancelling, live seats."""

from __future__ import annotations

from datetime import date, timezone
from typing import Any, Mapping

import marshmallow as ma
from sqlalchemy.orm import Session

from catalogue.history import field_changes, record_revision
from catalogue.models import Course, Offering
from catalogue.operations import PRODUCER, get_course, may_view, require_editor, set_course_status, touch_course
from catalogue.schemas import check_offering_dates
from shared import events
from shared.db import utcnow
from shared.events.catalogue import OfferingSnapshot, OfferingUpdated
from shared.events.enrolment import SeatCounts
from shared.http.auth import Principal
from shared.http.errors import Problem
from shared.http.etag import check_version
from shared.messaging.outbox import record_event

EDITABLE_OFFERING_FIELDS = ("term", "starts_on", "ends_on", "enrolment_opens_at", "enrolment_closes_at",
                            "capacity", "waitlist", "location", "admission", "promotion", "offer_hours")


def offering_fields(offering: Offering) -> dict[str, Any]:
    return {name: getattr(offering, name) for name in EDITABLE_OFFERING_FIELDS}


def get_offering(session: Session, actor: Principal | None, offering_id: str, *,
                 for_update: bool = False) -> Offering:
    """Return an offering of a course the actor may see; 404 otherwise."""
    offering = session.get(Offering, offering_id, with_for_update=for_update)
    if offering is None or not may_view(actor, offering.course):
        raise Problem(404, "offering_not_found", f"There is no offering {offering_id}.")
    return offering


def list_offerings(session: Session, actor: Principal | None, course_id: str) -> list[Offering]:
    return list(get_course(session, actor, course_id).offerings)


def schedule_offering(session: Session, actor: Principal, course_id: str, fields: Mapping[str, Any]) -> Offering:
    """Schedule a run of a course and announce it to enrolment."""
    course = get_course(session, actor, course_id)
    require_editor(actor, course)
    if course.status == "archived":
        raise Problem(409, "course_archived", "An archived course cannot be scheduled; publish it again first.")
    check_schedule(fields, utcnow().date())
    offering = Offering(course=course, **fields, status="scheduled", version=1)
    session.add(offering)
    session.flush()
    touch_course(course)
    record_revision(session, actor, course, "offering_scheduled",
                    field_changes({}, _plain(offering_fields(offering))), offering)
    record_event(session, PRODUCER, events.OFFERING_SCHEDULED, OfferingSnapshot(**_offering_state(offering)).to_data())
    return offering


def check_schedule(fields: Mapping[str, Any], today: date, *, changed: set[str] | None = None) -> None:
    """Refuse an enrolment window that closes after the offering has ended, and an end date in the past
    (an ended offering is history: it cannot be scheduled, nor an offering moved into the past). On a
    change, only what the change touches (`changed`) is checked: an ended offering can still be corrected.

    Several offerings of one course in the same term are allowed: parallel groups (one in Leiden, one in
    Tomsk, or two groups of one size) are offerings of their own, told apart by their place."""
    errors: dict[str, list[str]] = {}
    closes, ends_on = fields.get("enrolment_closes_at"), fields.get("ends_on")

    def touched(*names: str) -> bool:
        return changed is None or bool(changed.intersection(names))

    # Compared as UTC days: an end on 9999-12-31 has no day after it to compare with.
    if touched("enrolment_closes_at", "ends_on") and closes and ends_on and \
            closes.astimezone(timezone.utc).date() > ends_on:
        errors["enrolment_closes_at"] = ["enrolment_closes_at must be before the offering ends."]
    if touched("ends_on") and ends_on and ends_on < today:
        errors["ends_on"] = ["ends_on is in the past: an offering that has ended cannot be scheduled."]
    if errors:
        raise ma.ValidationError(errors)


def update_offering(session: Session, actor: Principal, offering_id: str, expected_version: int | None,
                    fields: Mapping[str, Any]) -> Offering:
    """Change an offering unless the edit is based on a stale version; tell who is affected."""
    offering = get_offering(session, actor, offering_id, for_update=True)
    require_editor(actor, offering.course)
    check_version(expected_version, offering.version, "offering")
    if offering.status == "cancelled":
        raise Problem(409, "offering_cancelled", "A cancelled offering cannot be changed.")
    before = offering_fields(offering)
    merged = {**before, **fields}
    check_offering_dates(merged)
    changed = {name for name in fields if fields[name] != before[name]}
    check_schedule(merged, utcnow().date(), changed=changed)
    changes = field_changes(_plain(before), _plain(merged))
    if not changes:
        return offering
    for name, value in fields.items():
        setattr(offering, name, value)
    offering.version += 1
    touch_course(offering.course)
    record_revision(session, actor, offering.course, "offering_updated", changes, offering)
    record_event(session, PRODUCER, events.OFFERING_UPDATED,
                 OfferingUpdated(**_offering_state(offering), changes=changes).to_data())
    return offering


def cancel_offering(session: Session, actor: Principal, offering_id: str, reason: str | None) -> Offering:
    """Cancel an offering; enrolment cancels its enrolments and everyone is told. Cancelling twice
    changes nothing."""
    offering = get_offering(session, actor, offering_id, for_update=True)
    require_editor(actor, offering.course)
    if offering.status != "cancelled":
        _cancel(session, actor, offering, reason)
    return offering


def archive_course(session: Session, actor: Principal, course_id: str, reason: str | None) -> Course:
    """Archive a course and cancel its offerings that have not ended, with the reason: their students
    are then told (enrolment cancels each enrolment, notifications writes to each student) instead of
    holding a seat in a course nobody runs any more. Ended offerings stay as they were."""
    course = set_course_status(session, actor, course_id, "archived")
    today = utcnow().date()
    for offering in course.offerings:
        if offering.status == "scheduled" and offering.ends_on >= today:
            _cancel(session, actor, offering, reason)
    return course


def _cancel(session: Session, actor: Principal, offering: Offering, reason: str | None) -> None:
    offering.status = "cancelled"
    offering.cancel_reason = reason
    offering.version += 1
    touch_course(offering.course)
    record_revision(session, actor, offering.course, "offering_cancelled",
                    {"status": {"from": "scheduled", "to": "cancelled"},
                     "cancel_reason": {"from": None, "to": reason}}, offering)
    record_event(session, PRODUCER, events.OFFERING_CANCELLED, OfferingSnapshot(**_offering_state(offering)).to_data())
    return offering


def record_seats(session: Session, offering_id: str, seats: SeatCounts, revision: int) -> bool:
    """Show enrolment's seat counts on an offering unless newer ones arrived first."""
    offering = session.get(Offering, offering_id, with_for_update=True)
    if offering is None or revision <= offering.seats_revision:
        return False
    offering.seats_confirmed = seats.confirmed
    offering.seats_waitlisted = seats.waitlisted
    offering.seats_held = seats.held
    offering.seats_revision = revision
    return True


def _plain(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Return JSON-ready values (dates and instants as ISO strings) for history and events."""
    return {name: value.isoformat() if hasattr(value, "isoformat") else value for name, value in fields.items()}


def _offering_state(offering: Offering) -> dict[str, Any]:
    """The fields of the offering's state, and its course's, that its events carry."""
    course = offering.course
    return {"offering_id": offering.id, "course_id": offering.course_id, "course_code": course.code,
            "course_title": course.title, "course_status": course.status, "course_version": course.version,
            "institution": course.institution, "coordinators": course.coordinators, "term": offering.term,
            "starts_on": offering.starts_on, "ends_on": offering.ends_on, "location": offering.location,
            "capacity": offering.capacity, "waitlist": offering.waitlist, "admission": offering.admission,
            "promotion": offering.promotion, "offer_hours": offering.offer_hours,
            "enrolment_opens_at": offering.enrolment_opens_at, "enrolment_closes_at": offering.enrolment_closes_at,
            "status": offering.status, "cancel_reason": offering.cancel_reason, "version": offering.version}
