"""A coordinator's edits of courses and offerings, and what to show when someone else was quicker."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

from werkzeug.exceptions import BadRequest

from shared.http.auth import Principal
from web.client import ServiceError, Services
from web.forms import (EDITABLE_COURSE_FIELDS, EDITABLE_OFFERING_FIELDS, Merge, course_form_values, course_payload,
                       loaded_version, merge_edit, offering_payload, originals_of, service_field_errors, whole_number)


@dataclass
class EditOutcome:
    """The result of saving a form: the saved resource, or why not (errors, or the version it conflicted with)."""

    saved: dict[str, Any] | None = None
    version: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    problem: ServiceError | None = None
    current: dict[str, Any] | None = None  # on a conflict: the course as the other person saved it
    merge: Merge | None = None  # on a conflict: your edit merged onto theirs, for the form to show


def create_course(services: Services, form: Mapping[str, str]) -> EditOutcome:
    """Create a draft course from the form."""
    payload, errors = course_payload(form)
    if errors:
        return EditOutcome(errors=errors)
    try:
        answer = services.post("catalogue", ("courses",), payload)
    except ServiceError as error:
        return refused(error)
    return EditOutcome(saved=answer.body, version=answer.version)


def edit_course(services: Services, course_id: str, form: Mapping[str, str]) -> EditOutcome:
    """Save the form on the version it was loaded from; on a conflict, return the current course and
    your edit merged onto it (see forms.merge_edit), to check and save again."""
    version = version_to_match(form)
    payload, errors = course_payload(form, EDITABLE_COURSE_FIELDS)
    if errors:
        return EditOutcome(errors=errors)
    outcome = save_on_version(services, ("courses", course_id), payload, version)
    if outcome.current:
        outcome.merge = merge_edit(originals_of(form, EDITABLE_COURSE_FIELDS), form,
                                   course_form_values(outcome.current), EDITABLE_COURSE_FIELDS)
    return outcome


def schedule_offering(services: Services, course_id: str, payload: dict[str, Any]) -> EditOutcome:
    """Schedule an offering of a course."""
    try:
        answer = services.post("catalogue", ("courses", course_id, "offerings"), payload)
    except ServiceError as error:
        return refused(error)
    return EditOutcome(saved=answer.body, version=answer.version)


def edit_offering(services: Services, offering_id: str, form: Mapping[str, str], zone: str) -> EditOutcome:
    """Change an offering's dates, window, place and waiting list on the version the form was loaded from;
    a conflict returns the offering as it is now, the form keeping what was typed. Times are read in `zone`."""
    version = version_to_match(form)
    payload, errors = offering_payload(form, zone, EDITABLE_OFFERING_FIELDS)
    if errors:
        return EditOutcome(errors=errors)
    return save_on_version(services, ("offerings", offering_id), payload, version)


def change_capacity(services: Services, offering_id: str, form: Mapping[str, str]) -> EditOutcome:
    """Change an offering's seats on the version the form showed; a conflict returns the current offering."""
    version = version_to_match(form)
    capacity, error_key = whole_number(form.get("capacity", ""))
    if error_key:
        return EditOutcome(errors={"capacity": error_key})
    return save_on_version(services, ("offerings", offering_id), {"capacity": capacity}, version)


def save_on_version(services: Services, path: tuple[str, ...], payload: dict[str, Any], version: str) -> EditOutcome:
    """PATCH a course or offering of the catalogue with If-Match; when someone else saved first, return
    it as it is now (`current`, `version`) with the conflict as the problem."""
    try:
        answer = services.patch("catalogue", path, payload, version)
    except ServiceError as error:
        if error.code != "version_conflict":
            return refused(error)
        current = services.get("catalogue", path)
        return EditOutcome(problem=error, current=current.body, version=current.version)
    return EditOutcome(saved=answer.body, version=answer.version)


def version_to_match(form: Mapping[str, str]) -> str:
    """The form's version for If-Match; a bad request when it is not a number, as only a tampered form sends."""
    version = loaded_version(form)
    if version is None:
        raise BadRequest("The form's version is not a number.")
    return version


def refused(error: ServiceError) -> EditOutcome:
    """A refusal to show on the form, with what was typed: field errors next to their fields, anything
    else (a 403 too) above it."""
    if error.status in (400, 403, 409, 422):
        return EditOutcome(problem=error, errors=service_field_errors(error.errors))
    raise error


@dataclass
class Roster:
    """Who holds a seat, who is offered one, who waits in line, and who was there but no longer is (and who
    ended it, or whose offer expired)."""

    confirmed: list[dict]
    waiting: list[dict]
    cancelled: list[dict]
    offered: list[dict] = field(default_factory=list)


def roster_of(services: Services, offering_id: str) -> Roster:
    """An offering's roster, cancelled enrolments included (all empty until enrolment knows the offering)."""
    try:
        rows = services.get("enrolment", ("offerings", offering_id, "roster"), cancelled="true").body
    except ServiceError as error:
        if error.status != 404:
            raise
        rows = []
    waiting = sorted((row for row in rows if row["status"] == "waitlisted"), key=lambda row: row["waitlist_position"])
    return Roster(confirmed=[row for row in rows if row["status"] == "confirmed"], waiting=waiting,
                  cancelled=[row for row in rows if row["status"] in ("cancelled", "expired")],
                  offered=[row for row in rows if row["status"] == "offered"])


def offerings_archiving_cancels(offerings: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    """The offerings that archiving their course cancels: scheduled ones that have not ended (as the
    catalogue's archive_course decides)."""
    return [offering for offering in offerings
            if offering["status"] == "scheduled" and date.fromisoformat(offering["ends_on"]) >= today]


def courses_i_manage(services: Services, principal: Principal) -> list[dict[str, Any]]:
    """The courses a coordinator may edit: all of their institution's, drafts included, then the other
    institution's courses naming them among their coordinators (as catalogue.operations.may_edit allows);
    admins: all. Each list comes in the catalogue's order (institution, code), so the order is stable."""
    if principal.is_admin:
        return services.get("catalogue", ("courses",), per_page=100).body
    own = services.get("catalogue", ("courses",), institution=principal.institution, per_page=100).body
    naming_me = services.get("catalogue", ("courses",), coordinator=principal.id, per_page=100).body
    return own + [course for course in naming_me if course["institution"] != principal.institution]
