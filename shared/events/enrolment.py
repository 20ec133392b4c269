"""The enrolment service's events: what happened to an enrolment, and an offering's seat counts."""

from __future__ import annotations

from datetime import date
from typing import Literal

from shared.events.contract import EventDefinition, EventPayload, Instant, LocalisedText

PRODUCER = "enrolment"
ENROLMENT_CONFIRMED = "enrolment.confirmed"
ENROLMENT_WAITLISTED = "enrolment.waitlisted"
ENROLMENT_PROMOTED = "enrolment.promoted"
ENROLMENT_CANCELLED = "enrolment.cancelled"
ENROLMENT_OFFERED = "enrolment.offered"
ENROLMENT_OFFER_REMINDED = "enrolment.offer_reminded"
ENROLMENT_OFFER_EXPIRED = "enrolment.offer_expired"
SEATS_CHANGED = "enrolment.seats_changed"
APPLICATION_SUBMITTED = "enrolment.application_submitted"
APPLICATION_APPROVED = "enrolment.application_approved"
APPLICATION_DECLINED = "enrolment.application_declined"
APPLICATION_WITHDRAWN = "enrolment.application_withdrawn"
# Accepted by the enrolment API, which erases its own data in the same transaction; about a person,
# not an enrolment, hence not under enrolment.* (docs/privacy.md).
ERASURE_REQUESTED = "identity.erasure_requested"


class EnrolmentState(EventPayload):
    """Where an enrolment stands."""

    id: str
    status: Literal["confirmed", "waitlisted", "offered", "cancelled", "expired"]
    waitlist_position: int | None
    cancelled_by: Literal["student", "coordinator", "catalogue"] | None
    # The deadline of an offered seat (promotion `offer`); added to version 1, absent before offers.
    offer_expires_at: Instant | None = None


class OfferingSummary(EventPayload):
    """The offering an enrolment is for, as a student recognises it."""

    id: str
    course_id: str
    course_code: str
    course_title: LocalisedText
    institution: str
    term: str
    starts_on: date
    ends_on: date
    location: str
    cancel_reason: str | None
    # User ids of the course's coordinators, who are told of each enrolment. Added to version 1:
    # events written before it lack it, read as none.
    coordinators: list[str] = []


class Student(EventPayload):
    """Who enrolled, and how to reach them."""

    id: str
    email: str
    name: str
    locale: str
    institution: str | None = None  # added to version 1: events written before it lack it


class PoolSeats(EventPayload):
    """The seats of a pool still reserved for an institution's students, counted as the offering's are."""

    institution: str
    seats: int
    confirmed: int
    held: int
    available: int
    waitlisted: int  # the institution's students waiting (for a seat of this pool or an open one)
    release_at: Instant


class SeatCounts(EventPayload):
    """An offering's seats (DESIGN section 4): a seat held by an open offer is taken, and while anyone
    waits, none is available to a newcomer."""

    capacity: int
    confirmed: int
    available: int
    waitlisted: int
    held: int = 0  # seats held by open offers; added to version 1, absent before offers
    # The pools still reserving seats (released ones leave the list); added to version 1, absent before.
    reserved: list[PoolSeats] = []


class EnrolmentChanged(EventPayload):
    """What notifications (and anyone else) need to tell a student what changed (DESIGN section 5)."""

    enrolment: EnrolmentState
    offering: OfferingSummary
    student: Student
    seats: SeatCounts


class ProposedDates(EventPayload):
    """When a visiting researcher proposes to come."""

    starts_on: date
    ends_on: date


class ApplicationState(EventPayload):
    """Where an application stands; the motivation stays in enrolment (the coordinators read it there)."""

    id: str
    status: Literal["pending", "approved", "declined", "withdrawn"]
    proposed_dates: ProposedDates | None
    message: str | None  # the coordinators' message with their decision
    enrolment_id: str | None  # the seat an approval took


class Applicant(Student):
    """Who applied: a student, or visiting staff or a PhD researcher (role `staff`)."""

    role: Literal["student", "staff"]


class ApplicationChanged(EventPayload):
    """What notifications need to tell the applicant and the course's coordinators what changed."""

    application: ApplicationState
    offering: OfferingSummary
    applicant: Applicant
    coordinators: list[str]  # user ids of the course's coordinators, told of new and withdrawn applications
    seats: SeatCounts


class SeatsChanged(EventPayload):
    """An offering's new seat counts, numbered so consumers keep the newest."""

    offering_id: str
    seats: SeatCounts
    seats_revision: int


class ErasureRequested(EventPayload):
    """A person asked to be forgotten (or an admin did for them): every service erases what it holds
    of them, and drops later-arriving events that occurred before this one. Their id is the only
    personal data carried, and the producer's outbox does not keep the event once published."""

    erasure_id: str
    subject_id: str
    requested_by: Literal["student", "staff", "admin"]


DEFINITIONS = (
    EventDefinition(ENROLMENT_CONFIRMED, 1, PRODUCER, EnrolmentChanged, "A student got a seat at once."),
    EventDefinition(ENROLMENT_WAITLISTED, 1, PRODUCER, EnrolmentChanged, "Every seat was taken: the student "
                    "is on the waiting list."),
    EventDefinition(ENROLMENT_PROMOTED, 1, PRODUCER, EnrolmentChanged, "A seat freed up and went to the student "
                    "first on the waiting list (with promotion `offer`: the student accepted the seat offered)."),
    EventDefinition(ENROLMENT_CANCELLED, 1, PRODUCER, EnrolmentChanged, "An enrolment was cancelled by its "
                    "student, a coordinator, or the catalogue (offering cancelled)."),
    EventDefinition(ENROLMENT_OFFERED, 1, PRODUCER, EnrolmentChanged, "A seat freed up in an offering with "
                    "promotion `offer`: it is held for the student first on the waiting list until "
                    "`offer_expires_at`, for them to accept or decline."),
    EventDefinition(ENROLMENT_OFFER_REMINDED, 1, PRODUCER, EnrolmentChanged, "An offered seat is still "
                    "unanswered a quarter of its window before the deadline: remind the student (once)."),
    EventDefinition(ENROLMENT_OFFER_EXPIRED, 1, PRODUCER, EnrolmentChanged, "An offered seat was not answered "
                    "by its deadline: the student left the waiting list, and the seat is offered to the next."),
    EventDefinition(SEATS_CHANGED, 1, PRODUCER, SeatsChanged, "An offering's seat counts changed."),
    EventDefinition(APPLICATION_SUBMITTED, 1, PRODUCER, ApplicationChanged, "Someone applied for a place in an "
                    "offering that takes applications."),
    EventDefinition(APPLICATION_APPROVED, 1, PRODUCER, ApplicationChanged, "The course's coordinators approved "
                    "an application: the applicant holds a seat (a confirmed enrolment)."),
    EventDefinition(APPLICATION_DECLINED, 1, PRODUCER, ApplicationChanged, "The course's coordinators declined "
                    "an application, with a message."),
    EventDefinition(APPLICATION_WITHDRAWN, 1, PRODUCER, ApplicationChanged, "The applicant withdrew a pending "
                    "application."),
    EventDefinition(ERASURE_REQUESTED, 1, PRODUCER, ErasureRequested, "A person is to be forgotten: each "
                    "service erases or pseudonymises what it holds of them.", keep_published=False),
)
