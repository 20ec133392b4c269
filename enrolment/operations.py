"""Enrolment decisions: plain functions that take a session and return results.

Every change to an offering's enrolments happens under a lock on the offering's row (on SQLite,
the database-wide write lock): the seat check and the insert are one atomic decision.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy import ColumnElement, Row, Select, and_, case, false, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from enrolment.models import ACTIVE, Enrolment, Offering
from enrolment.waiting_list import first_in_line, with_positions
from shared import events
from shared.db import utcnow
from shared.events.enrolment import EnrolmentChanged, SeatsChanged
from shared.http.auth import Principal
from shared.http.errors import Problem
from shared.messaging.outbox import record_event

PRODUCER = "enrolment"
# The offering's counters an enrolment changes, as the deciding statement returns them.
COUNTERS = (Offering.confirmed_count, Offering.waitlisted_count, Offering.held_count, Offering.last_waitlist_ticket,
            Offering.seats_revision)
# An offer is reminded of once, when this share of its window is left (12 hours of the default 48).
REMIND_WHEN_LEFT = 0.25


def get_offering(session: Session, offering_id: str, *, for_update: bool = False) -> Offering:
    """Return the replica of an offering or answer 404."""
    offering = session.get(Offering, offering_id, with_for_update=for_update, populate_existing=for_update)
    if offering is None:
        raise Problem(404, "offering_not_found", f"There is no offering {offering_id}.")
    return offering


def seats_of(session: Session, actor: Principal | None, offering_id: str) -> Offering:
    """Return an offering for its seat counts; one of a course the catalogue hides (a draft, an archived
    course) is 404 to all but the course's coordinators, as in the catalogue."""
    offering = get_offering(session, offering_id)
    if offering.course_status != "published" and not (actor is not None and offering.is_coordinated_by(actor)):
        raise Problem(404, "offering_not_found", f"There is no offering {offering_id}.")
    return offering


def enrol_student(session: Session, student: Principal, offering_id: str, now: datetime | None = None) -> Enrolment:
    """Give the student a seat if one is free and nobody waits, else a place in line, else refuse.

    What does not depend on the seats is checked before the offering's row is locked; the decision
    and the counters are one statement, which takes the lock (_take_place); the enrolment and its
    events follow, and the commit releases the lock. A lock held briefly is what a rush waits for.
    """
    now = now or utcnow()
    offering = get_offering(session, offering_id)
    require_open(offering, now)
    _require_first_come(offering)
    if active_enrolment(session, offering.id, student.id) is not None:
        raise Problem(409, "already_enrolled", "You are already enrolled or on the waiting list of this offering.")
    enrolment = Enrolment(id=str(uuid.uuid4()), offering=offering, student_id=student.id,
                          student_email=student.email, student_name=student.name, student_locale=student.locale,
                          student_institution=student.institution)
    place = _take_place(session, offering, now)
    if place is None:
        _refuse(session, offering_id, now)
    if place.seat:
        confirm_seat(enrolment)
    else:
        enrolment.status, enrolment.waitlist_ticket = "waitlisted", place.last_waitlist_ticket
        enrolment.waitlist_position = place.waitlisted_count  # newcomers join at the end
    session.add(enrolment)
    tell(session, enrolment, events.ENROLMENT_CONFIRMED if place.seat else events.ENROLMENT_WAITLISTED)
    _record_seats(session, offering)
    try:
        session.flush()
    except IntegrityError:  # the unique index guards invariant 2 against a racing duplicate
        raise Problem(409, "already_enrolled", "You are already enrolled in this offering.") from None
    return enrolment


def seat_is_free() -> ColumnElement[bool]:
    """Whether a newcomer gets a seat: one is free (neither confirmed nor held by an open offer) and nobody
    waits. The database evaluates it on the offering's row while holding its lock, so this is the one place
    the rule is written."""
    return and_(Offering.waitlisted_count == 0, Offering.confirmed_count + Offering.held_count < Offering.capacity)


def _take_place(session: Session, offering: Offering, now: datetime) -> Row | None:
    """Decide the newcomer's place and count it in one statement, which locks the offering's row until
    the commit; return the decision (`seat`) and the new counters, or None if the offering is closed, or
    full with no waiting list. The offering object is brought up to date without becoming dirty."""
    is_open = and_(Offering.id == offering.id, Offering.status == "scheduled", Offering.course_status == "published",
                   Offering.enrolment_opens_at <= now, Offering.enrolment_closes_at > now,
                   Offering.admission == "first_come")
    if session.get_bind().dialect.name == "postgresql":
        decision = select(Offering.id, seat_is_free().label("seat")).where(is_open).with_for_update().cte("decision")
        seat, statement = decision.c.seat, update(Offering).where(Offering.id == decision.c.id)
    else:  # SQLite: the transaction already holds the database's write lock (shared.db)
        decided = session.scalar(select(seat_is_free()).where(is_open))
        if decided is None:
            return None
        seat, statement = (true() if decided else false()), update(Offering).where(Offering.id == offering.id)
    joins, waits = case((seat, 1), else_=0), case((seat, 0), else_=1)
    place = session.execute(
        statement.where(or_(seat, Offering.waitlist))
        .values(confirmed_count=Offering.confirmed_count + joins, waitlisted_count=Offering.waitlisted_count + waits,
                last_waitlist_ticket=Offering.last_waitlist_ticket + waits, seats_revision=Offering.seats_revision + 1)
        .returning(seat.label("seat"), *COUNTERS),
        execution_options={"synchronize_session": False}).one_or_none()
    if place is not None:
        for column in COUNTERS:
            set_committed_value(offering, column.key, getattr(place, column.key))
    return place


def _require_first_come(offering: Offering) -> None:
    if offering.admission == "application":
        raise Problem(409, "application_required", "This offering takes applications: apply for a place instead.")


def _refuse(session: Session, offering_id: str, now: datetime) -> NoReturn:
    """Say why a newcomer got no place: the offering closed meanwhile, or it is full with no waiting list."""
    offering = get_offering(session, offering_id, for_update=True)
    require_open(offering, now)
    _require_first_come(offering)
    raise Problem(409, "offering_full", "Every seat is taken and this offering has no waiting list.")


def cancel_enrolment(session: Session, actor: Principal, enrolment_id: str) -> Enrolment:
    """Cancel an enrolment (the student's own, or as the course's coordinator); a freed seat goes to
    the first in line. Cancelling twice changes nothing."""
    enrolment = get_enrolment(session, actor, enrolment_id)
    offering = get_offering(session, enrolment.offering_id, for_update=True)
    session.refresh(enrolment)  # read again under the offering's lock
    if enrolment.status not in ACTIVE:
        return with_positions(session, [enrolment])[0]
    cancel_and_pass_on(session, enrolment, "student" if actor.id == enrolment.student_id else "coordinator")
    return enrolment


def cancel_and_pass_on(session: Session, enrolment: Enrolment, by: str, now: datetime | None = None) -> None:
    """Cancel an active enrolment and pass a freed seat to the first in line; the caller holds the lock."""
    _cancel(session, enrolment, by)
    promote_from_waitlist(session, enrolment.offering, now)
    announce_seats(session, enrolment.offering)


def promote_from_waitlist(session: Session, offering: Offering, now: datetime | None = None) -> list[Enrolment]:
    """Give every free seat to the first in line, each exactly once; with promotion `offer`, hold it for
    them to accept until a deadline instead. The caller holds the offering's lock."""
    free = offering.free_seats
    if free <= 0 or offering.waitlisted_count == 0:
        return []
    first = first_in_line(session, offering.id, free)
    for enrolment in first:
        offering.waitlisted_count -= 1
        if offering.promotion == "offer":
            _offer_seat(enrolment, offering, now or utcnow())
            offering.held_count += 1
            tell(session, enrolment, events.ENROLMENT_OFFERED)
        else:
            confirm_seat(enrolment)
            offering.confirmed_count += 1
            tell(session, enrolment, events.ENROLMENT_PROMOTED)
    return first


def _offer_seat(enrolment: Enrolment, offering: Offering, now: datetime) -> None:
    """Hold a seat for the student until the offering's offer_hours have passed (waitlist_ticket stays:
    it tells whom the offers went to, in the order they joined)."""
    window = timedelta(hours=offering.offer_hours)
    enrolment.status, enrolment.waitlist_position = "offered", None
    enrolment.offer_expires_at = now + window
    enrolment.remind_at = enrolment.offer_expires_at - window * REMIND_WHEN_LEFT


def cancel_all(session: Session, offering: Offering) -> int:
    """Cancel every active enrolment of an offering the catalogue cancelled; return how many."""
    active = list(session.scalars(select(Enrolment).where(Enrolment.offering_id == offering.id,
                                                          Enrolment.status.in_(ACTIVE))))
    for enrolment in active:
        _cancel(session, enrolment, "catalogue")
    return len(active)


def announce_seats(session: Session, offering: Offering) -> None:
    """Publish the offering's new seat counts, numbered so consumers keep the newest."""
    offering.seats_revision += 1
    _record_seats(session, offering)


def _record_seats(session: Session, offering: Offering) -> None:
    record_event(session, PRODUCER, events.SEATS_CHANGED, SeatsChanged(
        offering_id=offering.id, seats=offering.seats, seats_revision=offering.seats_revision).to_data())


def get_enrolment(session: Session, actor: Principal, enrolment_id: str) -> Enrolment:
    """Return an enrolment to its student, the course's coordinators and admins; 404 to anyone else."""
    enrolment = session.get(Enrolment, enrolment_id)
    if enrolment is None or not (enrolment.student_id == actor.id or enrolment.offering.is_coordinated_by(actor)):
        raise Problem(404, "enrolment_not_found", f"There is no enrolment {enrolment_id}.")
    return with_positions(session, [enrolment])[0]


def enrolments_of(student: Principal) -> Select:
    """Return the query of a student's enrolments, newest first."""
    return (select(Enrolment).where(Enrolment.student_id == student.id)
            .order_by(Enrolment.created_at.desc(), Enrolment.id))


def roster(session: Session, actor: Principal, offering_id: str, *, cancelled: bool = False) -> list[Enrolment]:
    """Return the confirmed students, then those offered a seat (soonest deadline first), then the waiting
    list in order, to the course's coordinators; with `cancelled`, then the cancelled enrolments too, last
    cancelled first (who was there, and who ended it), and the expired offers, last expired first."""
    offering = get_offering(session, offering_id)
    if not offering.is_coordinated_by(actor):
        raise Problem(403, "forbidden", "Only the course's coordinators and admins see its roster.")
    confirmed = session.scalars(select(Enrolment).where(Enrolment.offering_id == offering_id,
                                                        Enrolment.status == "confirmed")
                                .order_by(Enrolment.confirmed_at, Enrolment.id))
    offered = session.scalars(select(Enrolment).where(Enrolment.offering_id == offering_id,
                                                      Enrolment.status == "offered")
                              .order_by(Enrolment.offer_expires_at, Enrolment.id))
    waiting = first_in_line(session, offering_id, offering.waitlisted_count)
    gone = [*session.scalars(select(Enrolment).where(Enrolment.offering_id == offering_id,
                                                     Enrolment.status == "cancelled")
                             .order_by(Enrolment.cancelled_at.desc(), Enrolment.id)),
            *session.scalars(select(Enrolment).where(Enrolment.offering_id == offering_id,
                                                     Enrolment.status == "expired")
                             .order_by(Enrolment.offer_expires_at.desc(), Enrolment.id))] if cancelled else []
    return with_positions(session, [*confirmed, *offered, *waiting, *gone])


def require_open(offering: Offering, now: datetime) -> None:
    """Refuse (409 enrolment_closed) unless the offering takes enrolments at `now`."""
    if offering.status != "scheduled":
        raise Problem(409, "enrolment_closed", "This offering has been cancelled.")
    if offering.course_status != "published":
        raise Problem(409, "enrolment_closed", "This course is not open for enrolment.")
    if now < offering.enrolment_opens_at:
        raise Problem(409, "enrolment_closed", f"Enrolment opens at {offering.enrolment_opens_at.isoformat()}.")
    if now >= offering.enrolment_closes_at:
        raise Problem(409, "enrolment_closed", f"Enrolment closed at {offering.enrolment_closes_at.isoformat()}.")


def active_enrolment(session: Session, offering_id: str, student_id: str) -> Enrolment | None:
    """Return the person's confirmed, offered or waiting enrolment in the offering, if any."""
    return session.scalar(select(Enrolment).where(Enrolment.offering_id == offering_id,
                                                  Enrolment.student_id == student_id,
                                                  Enrolment.status.in_(ACTIVE)))


def confirm_seat(enrolment: Enrolment) -> None:
    """Mark an enrolment as holding a seat; the caller counts it under the offering's lock."""
    enrolment.status = "confirmed"
    enrolment.confirmed_at = utcnow()
    enrolment.waitlist_position = None


def _cancel(session: Session, enrolment: Enrolment, by: str) -> None:
    release_place(enrolment)
    enrolment.status, enrolment.cancelled_by, enrolment.cancelled_at = "cancelled", by, utcnow()
    tell(session, enrolment, events.ENROLMENT_CANCELLED)


def release_place(enrolment: Enrolment) -> None:
    """Uncount the seat, offer or place in line an active enrolment leaves; the caller holds the lock."""
    offering = enrolment.offering
    if enrolment.status == "confirmed":
        offering.confirmed_count -= 1
    elif enrolment.status == "offered":
        offering.held_count -= 1
    else:
        offering.waitlisted_count -= 1
    enrolment.waitlist_position = None


def tell(session: Session, enrolment: Enrolment, event_type: str) -> None:
    """Record what happened to the enrolment, with the offering and its seats, in the outbox."""
    offering = enrolment.offering
    deadline = enrolment.offer_expires_at if enrolment.status in ("offered", "expired") else None
    record_event(session, PRODUCER, event_type, EnrolmentChanged(
        enrolment={"id": enrolment.id, "status": enrolment.status, "waitlist_position": enrolment.waitlist_position,
                   "cancelled_by": enrolment.cancelled_by, "offer_expires_at": deadline},
        offering={**offering.summary, "coordinators": offering.coordinators}, student=enrolment.student,
        seats=offering.seats).to_data())
