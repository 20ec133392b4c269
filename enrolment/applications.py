"""Places by application (DESIGN section 4): someone applies, the course's coordinators approve or decline,
the applicant may withdraw. Plain functions that take a session and return results.

Every decision happens under the lock on the offering's row, as enrolments do, so an approval's seat
check and the seat it takes are one atomic decision: never more approved (confirmed) than capacity.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Mapping

import marshmallow as ma
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from enrolment.models import Application, Enrolment, Offering
from enrolment.operations import (PRODUCER, active_enrolment, announce_seats, confirm_seat, count_seat,
                                  free_seat_for, get_offering, promote_from_waitlist, require_open)
from shared import events
from shared.db import utcnow
from shared.events.enrolment import ApplicationChanged
from shared.http.auth import Principal
from shared.http.errors import Problem
from shared.messaging.outbox import record_event


def submit_application(session: Session, applicant: Principal, offering_id: str, motivation: str,
                       proposed_dates: Mapping[str, date] | None = None, now: datetime | None = None) -> Application:
    """Apply for a place in an offering that takes applications, while its enrolment window is open."""
    if applicant.role == "staff" and not proposed_dates:
        raise ma.ValidationError({"proposed_dates": ["Visiting staff propose the dates of their visit."]})
    offering = get_offering(session, offering_id, for_update=True)
    require_open(offering, now or utcnow())
    if offering.admission != "application":
        raise Problem(409, "not_by_application", "This offering takes no applications: enrol in it directly.")
    if active_enrolment(session, offering.id, applicant.id) is not None:
        raise Problem(409, "already_enrolled", "You already hold a seat or wait for one in this offering.")
    application = Application(
        offering=offering, applicant_id=applicant.id, applicant_role=applicant.role, applicant_email=applicant.email,
        applicant_name=applicant.name, applicant_locale=applicant.locale,
        applicant_institution=applicant.institution, motivation=motivation, status="pending",
        proposed_starts_on=(proposed_dates or {}).get("starts_on"),
        proposed_ends_on=(proposed_dates or {}).get("ends_on"))
    session.add(application)
    try:
        session.flush()
    except IntegrityError:  # the unique index, should two submissions pass the check together
        raise _already_applied() from None
    _tell(session, application, events.APPLICATION_SUBMITTED)
    return application


def approve_application(session: Session, actor: Principal, application_id: str, message: str | None) -> Application:
    """Approve a pending application: the applicant takes a free seat (a confirmed enrolment), or 409
    `offering_full` when none is free. Approving twice changes nothing."""
    application, offering = _locked(session, actor, application_id, deciding=True)
    if application.status == "approved":
        return application
    _require_pending(application)
    if offering.status != "scheduled":
        raise Problem(409, "enrolment_closed", "This offering has been cancelled.")
    promote_from_waitlist(session, offering, utcnow())  # a pool due is released first, and serves the line
    free, from_pool = free_seat_for(offering, application.applicant_institution)
    if not free:
        raise Problem(409, "offering_full", "Every seat is taken: free one, or raise the capacity, first.")
    if active_enrolment(session, offering.id, application.applicant_id) is not None:
        raise Problem(409, "already_enrolled", "The applicant already holds a seat or waits for one.")
    enrolment = _take_seat(session, application, offering, from_pool)
    _decide(application, actor, "approved", message)
    application.enrolment_id = enrolment.id
    _tell(session, application, events.APPLICATION_APPROVED)
    announce_seats(session, offering)
    return application


def decline_application(session: Session, actor: Principal, application_id: str, message: str | None) -> Application:
    """Decline a pending application with a message to the applicant. Declining twice changes nothing."""
    application, _offering = _locked(session, actor, application_id, deciding=True)
    if application.status == "declined":
        return application
    _require_pending(application)
    _decide(application, actor, "declined", message)
    _tell(session, application, events.APPLICATION_DECLINED)
    return application


def withdraw_application(session: Session, actor: Principal, application_id: str) -> Application:
    """Withdraw your pending application (an approved one is a seat: cancel that enrolment instead).
    Withdrawing twice changes nothing."""
    application, _offering = _locked(session, actor, application_id, deciding=False)
    if application.status == "withdrawn":
        return application
    _require_pending(application)
    application.status, application.decided_at = "withdrawn", utcnow()
    _tell(session, application, events.APPLICATION_WITHDRAWN)
    return application


def decline_open_applications(session: Session, offering: Offering) -> int:
    """Decline the pending applications of an offering the catalogue cancelled, with its reason; return how
    many. (Approved ones hold enrolments, which the cancellation cancels.)"""
    pending = list(session.scalars(select(Application).where(Application.offering_id == offering.id,
                                                             Application.status == "pending")))
    for application in pending:
        application.status, application.message = "declined", offering.cancel_reason
        application.decided_by, application.decided_at = "catalogue", utcnow()
        _tell(session, application, events.APPLICATION_DECLINED)
    return len(pending)


def get_application(session: Session, actor: Principal, application_id: str) -> Application:
    """Return an application to its applicant, the course's coordinators and admins; 404 to anyone else."""
    application = session.get(Application, application_id)
    if application is None or not (application.applicant_id == actor.id
                                   or application.offering.is_coordinated_by(actor)):
        raise Problem(404, "application_not_found", f"There is no application {application_id}.")
    return application


def applications_of(applicant: Principal) -> Select:
    """Return the query of a person's applications, newest first."""
    return (select(Application).where(Application.applicant_id == applicant.id)
            .order_by(Application.created_at.desc(), Application.id))


def applications_to(session: Session, actor: Principal, offering_id: str) -> Select:
    """Return the query of an offering's applications, oldest first, for the course's coordinators."""
    offering = get_offering(session, offering_id)
    if not offering.is_coordinated_by(actor):
        raise Problem(403, "forbidden", "Only the course's coordinators and admins see its applications.")
    return (select(Application).where(Application.offering_id == offering_id)
            .order_by(Application.created_at, Application.id))


def _locked(session: Session, actor: Principal, application_id: str, *,
            deciding: bool) -> tuple[Application, Offering]:
    """Return the application, read again under its offering's lock, if the actor may act on it."""
    application = get_application(session, actor, application_id)
    if deciding and not application.offering.is_coordinated_by(actor):
        raise Problem(403, "forbidden", "Only the course's coordinators decide on applications.")
    if not deciding and application.applicant_id != actor.id:
        raise Problem(403, "forbidden", "Only the applicant withdraws an application.")
    offering = get_offering(session, application.offering_id, for_update=True)
    session.refresh(application)
    return application, offering


def _require_pending(application: Application) -> None:
    if application.status != "pending":
        raise Problem(409, "application_decided", f"This application is {application.status} already.")


def _decide(application: Application, actor: Principal, status: str, message: str | None) -> None:
    application.status, application.message = status, message
    application.decided_by, application.decided_at = actor.id, utcnow()


def _take_seat(session: Session, application: Application, offering: Offering, from_pool: bool) -> Enrolment:
    enrolment = Enrolment(offering=offering, student_id=application.applicant_id,
                          student_email=application.applicant_email, student_name=application.applicant_name,
                          student_locale=application.applicant_locale,
                          student_institution=application.applicant_institution,
                          pool=application.applicant_institution if from_pool else None)
    confirm_seat(enrolment)
    count_seat(offering, from_pool, application.applicant_institution)
    session.add(enrolment)
    session.flush()
    return enrolment


def _already_applied() -> Problem:
    return Problem(409, "already_applied", "Your application for this offering awaits a decision; withdraw it "
                                          "first to write a new one.")


def _tell(session: Session, application: Application, event_type: str) -> None:
    offering = application.offering
    record_event(session, PRODUCER, event_type, ApplicationChanged(
        application={"id": application.id, "status": application.status,
                     "proposed_dates": application.proposed_dates, "message": application.message,
                     "enrolment_id": application.enrolment_id},
        offering=offering.summary, applicant=application.applicant, coordinators=offering.coordinators,
        seats=offering.seats).to_data())
