"""How the notification service turns events into messages: once per event and recipient."""

from __future__ import annotations

from functools import partial
from typing import Mapping

from sqlalchemy.orm import Session

from notifications.lookups import is_erased, read_ahead
from notifications.messages import CHANGE_LABELS, FrontEnd, course_context, describe_changes, show_date, show_instant
from notifications.operations import audience, follow_enrolment, notify
from notifications.privacy import on_erasure_requested
from shared import events
from shared.events.catalogue import OfferingUpdated
from shared.events.enrolment import ApplicationChanged, EnrolmentChanged
from shared.messaging.consumer import Handler, Handlers
from shared.messaging.envelope import Event

ENROLMENT_KINDS = {
    events.ENROLMENT_CONFIRMED: "confirmed",
    events.ENROLMENT_WAITLISTED: "waitlisted",
    events.ENROLMENT_PROMOTED: "promoted",
    events.ENROLMENT_CANCELLED: "cancelled",
}

# A coordinator who has not chosen a language reads the one of the course's institution.
INSTITUTION_LOCALES = {"LUMC": "en", "SSMU": "ru"}


def on_enrolment_changed(front_end: FrontEnd, session: Session, event: Event) -> None:
    """Tell the student what happened to their enrolment, and the course's coordinators; remember who
    takes the offering."""
    change: EnrolmentChanged = event.payload
    enrolment, offering, student = change.enrolment, change.offering, change.student.model_dump()
    if is_erased(session, student["id"], event.occurred_at):
        return  # late or replayed: the student has been forgotten since
    was_waiting = follow_enrolment(session, offering.id, student, enrolment.status, event.occurred_at)
    notify(session, event, student, ENROLMENT_KINDS[event.type], lambda locale, _zone: {
        "course": course_context(offering.model_dump(), locale, front_end),
        "position": enrolment.waitlist_position,
        "cancelled_by": enrolment.cancelled_by,
        "reason": offering.cancel_reason,
        "was_waiting": was_waiting,
    }, front_end, offering_id=offering.id, enrolment_id=enrolment.id)
    tell_coordinators(front_end, session, event)


def tell_coordinators(front_end: FrontEnd, session: Session, event: Event) -> None:
    """Tell each of the course's coordinators in their inbox who enrolled, joined the waiting list, got a
    seat from it or cancelled. Cancellations by a coordinator or by the catalogue are the coordinators'
    own doing, not news to them. The event carries no coordinator's address: no email."""
    change: EnrolmentChanged = event.payload
    enrolment, offering, student = change.enrolment, change.offering, change.student
    if enrolment.cancelled_by in ("coordinator", "catalogue"):
        return
    for coordinator in dict.fromkeys(offering.coordinators):  # each once, even if named twice
        if coordinator == student.id:
            continue  # a coordinator enrolling in their own course hears it as the student
        recipient = {"id": coordinator, "email": None, "name": "", "institution": offering.institution,
                     "locale": INSTITUTION_LOCALES.get(offering.institution, "en")}
        notify(session, event, recipient, "roster_changed", lambda locale, _zone: {
            "course": course_context(offering.model_dump(), locale, front_end), "what": ENROLMENT_KINDS[event.type],
            "student": student.model_dump(), "position": enrolment.waitlist_position,
            "seats": change.seats.model_dump(), "roster_url": front_end.roster_page(offering.id),
        }, front_end, offering_id=offering.id, enrolment_id=enrolment.id)


OFFER_KINDS = {
    events.ENROLMENT_OFFERED: "offered",
    events.ENROLMENT_OFFER_REMINDED: "offer_reminder",
    events.ENROLMENT_OFFER_EXPIRED: "offer_expired",
}


def on_offer_changed(front_end: FrontEnd, session: Session, event: Event) -> None:
    """Tell the student a seat is offered to them until its deadline (in their time zone) and where to
    answer, remind them once before it, or tell them it expired and they left the waiting list. The
    course's coordinators see offers on the roster; an answer reaches them as a promotion or cancellation."""
    change: EnrolmentChanged = event.payload
    enrolment, offering, student = change.enrolment, change.offering, change.student.model_dump()
    with session.no_autoflush:  # see follow_enrolment
        if is_erased(session, student["id"], event.occurred_at):
            return  # late or replayed: the student has been forgotten since
    follow_enrolment(session, offering.id, student, enrolment.status, event.occurred_at)
    notify(session, event, student, OFFER_KINDS[event.type], lambda locale, zone: {
        "course": course_context(offering.model_dump(), locale, front_end),
        "expires_at": show_instant(enrolment.offer_expires_at, locale, zone),
        "answer_url": front_end.enrolments_page,
    }, front_end, offering_id=offering.id, enrolment_id=enrolment.id)


# What the applicant is told, and what the course's coordinators are told (None: nothing, they decided it).
APPLICATION_KINDS = {
    events.APPLICATION_SUBMITTED: ("application_submitted", "application_received"),
    events.APPLICATION_APPROVED: ("application_approved", None),
    events.APPLICATION_DECLINED: ("application_declined", None),
    events.APPLICATION_WITHDRAWN: ("application_withdrawn", "applicant_withdrew"),
}


def on_application_changed(front_end: FrontEnd, session: Session, event: Event) -> None:
    """Tell the applicant, and the course's coordinators of new and withdrawn applications (without the
    applicant's name: a coordinator's inbox must not keep a person an erasure forgot; enrolment shows who);
    an approved applicant holds a seat, so later changes to the offering reach them too."""
    change: ApplicationChanged = event.payload
    application, offering, applicant = change.application, change.offering.model_dump(), change.applicant.model_dump()
    if is_erased(session, applicant["id"], event.occurred_at):
        return  # late or replayed: the applicant has been forgotten since
    if application.status == "approved":
        follow_enrolment(session, offering["id"], applicant, "confirmed", event.occurred_at)
    dates = application.proposed_dates

    def context_in(locale: str, _zone: str) -> dict:
        return {"course": course_context(offering, locale, front_end), "message": application.message,
                "dates": dates and {"starts_on": show_date(dates.starts_on, locale),
                                    "ends_on": show_date(dates.ends_on, locale)}}

    to_applicant, to_coordinators = APPLICATION_KINDS[event.type]
    notify(session, event, applicant, to_applicant, context_in, front_end, offering_id=offering["id"],
           enrolment_id=application.enrolment_id)
    for coordinator_id in dict.fromkeys(change.coordinators) if to_coordinators else ():
        notify(session, event, {"id": coordinator_id, "name": "", "email": None}, to_coordinators, context_in,
               front_end, offering_id=offering["id"])


def on_offering_updated(front_end: FrontEnd, session: Session, event: Event) -> None:
    """Tell everyone holding or waiting for a seat when dates, place or window changed."""
    update: OfferingUpdated = event.payload
    if not set(update.changes) & set(CHANGE_LABELS["en"]):
        return  # capacity or waiting-list changes reach students as promotions, not as news
    offering = update.model_dump()
    for member in audience(session, update.offering_id):
        recipient = {"id": member.student_id, "email": member.email, "name": member.name, "locale": member.locale,
                     "institution": member.institution}
        notify(session, event, recipient, "offering_changed", lambda locale, zone, waiting=member.waiting: {
            "course": course_context(offering, locale, front_end),
            "changes": describe_changes(update.changes, locale, zone), "waiting": waiting,
        }, front_end, offering_id=update.offering_id)


def on_offering_cancelled(session: Session, event: Event) -> None:
    """Nothing to send here: enrolment cancels each enrolment of the offering and its
    enrolment.cancelled event (cancelled_by: catalogue) tells each student, with the reason."""


# The handlers that write messages, which link to the front end: they are given its address first.
MESSAGE_HANDLERS = {
    **{event_type: on_enrolment_changed for event_type in ENROLMENT_KINDS},
    **{event_type: on_offer_changed for event_type in OFFER_KINDS},
    **{event_type: on_application_changed for event_type in APPLICATION_KINDS},
    events.OFFERING_UPDATED: on_offering_updated,
}
OTHER_HANDLERS: Mapping[str, Handler] = {
    events.OFFERING_CANCELLED: on_offering_cancelled,
    events.ERASURE_REQUESTED: on_erasure_requested,
}


def read_ahead_for(session: Session, batch: list[Event]) -> None:
    """Read what the batch's enrolment and application events will look up, one query for each kind of row
    (notifications.lookups)."""
    subjects, recipients, followers = set(), set(), set()
    for event in batch:
        if event.type in ENROLMENT_KINDS or event.type in OFFER_KINDS or event.type in APPLICATION_KINDS:
            change: EnrolmentChanged | ApplicationChanged = event.payload
            person = change.student if isinstance(change, EnrolmentChanged) else change.applicant
            coordinators = change.offering.coordinators if isinstance(change, EnrolmentChanged) else change.coordinators
            subjects.add(person.id)
            recipients.update([person.id, *coordinators])
            followers.add((change.offering.id, person.id))
    read_ahead(session, subjects, recipients, followers)


def handlers(front_end: FrontEnd) -> Handlers:
    """The consumer's handlers, their messages linking to the front end at its address (WEB_URL)."""
    return Handlers({**{event_type: partial(handler, front_end) for event_type, handler in MESSAGE_HANDLERS.items()},
                     **OTHER_HANDLERS}, read_ahead_for)
