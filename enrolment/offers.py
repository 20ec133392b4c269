"""Waiting-list offers that expire (DESIGN section 4, promotion `offer`): the student offered a held seat
accepts or declines it before its deadline, or lets it expire; a declined or expired seat is offered to
the next in line (operations.promote_from_waitlist makes the offers).

Everything happens under the lock on the offering's row, taken before the enrolment is read, so an
answer and the sweeper racing it at the deadline settle an offer exactly once. The deadline is decided
by the clock, not by whether the sweeper has run: past it, an answer is 409 `offer_expired`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from enrolment.models import Enrolment, Offering
from enrolment.operations import (announce_seats, cancel_and_pass_on, confirm_seat, get_enrolment, get_offering,
                                  promote_from_waitlist, release_place, tell)
from shared import events
from shared.db import Database, utcnow
from shared.http.auth import Principal
from shared.http.errors import Problem
from shared.messaging.chores import settle_one_at_a_time


def accept_offer(session: Session, actor: Principal, enrolment_id: str, now: datetime | None = None) -> Enrolment:
    """Take the seat offered to you before its deadline: the enrolment is confirmed. Accepting twice
    changes nothing."""
    enrolment = _answerable(session, actor, enrolment_id, now or utcnow(), answered="confirmed")
    if enrolment.status == "confirmed":
        return enrolment
    offering = enrolment.offering
    offering.held_count -= 1
    offering.confirmed_count += 1
    if enrolment.pool is not None and (pool := offering.pool_of(enrolment.pool)) is not None:
        pool.held_count -= 1
        pool.confirmed_count += 1
    confirm_seat(enrolment)
    tell(session, enrolment, events.ENROLMENT_PROMOTED)
    announce_seats(session, offering)
    return enrolment


def decline_offer(session: Session, actor: Principal, enrolment_id: str, now: datetime | None = None) -> Enrolment:
    """Turn down the seat offered to you: the enrolment is cancelled and the seat offered to the next in
    line. Declining twice changes nothing."""
    now = now or utcnow()
    enrolment = _answerable(session, actor, enrolment_id, now, answered="cancelled")
    if enrolment.status == "cancelled":
        return enrolment
    cancel_and_pass_on(session, enrolment, "student", now)
    return enrolment


def _answerable(session: Session, actor: Principal, enrolment_id: str, now: datetime, *, answered: str) -> Enrolment:
    """Return the actor's enrolment, read again under its offering's lock, if its offer may be answered
    now, or if it stands `answered` already (a repeated answer)."""
    enrolment = get_enrolment(session, actor, enrolment_id)
    if enrolment.student_id != actor.id:
        raise Problem(403, "forbidden", "Only the student offered the seat accepts or declines it.")
    get_offering(session, enrolment.offering_id, for_update=True)
    session.refresh(enrolment)
    if enrolment.status == "expired" or (enrolment.status == "offered" and now >= enrolment.offer_expires_at):
        raise Problem(409, "offer_expired", f"The offer of this seat expired at "
                                            f"{enrolment.offer_expires_at.isoformat()}: you left the waiting list.")
    if enrolment.status not in ("offered", answered):
        raise Problem(409, "no_open_offer", f"No seat is offered on this enrolment: it is {enrolment.status}.")
    return enrolment


def expire_offer(session: Session, enrolment_id: str, now: datetime) -> bool:
    """Expire an offer past its deadline: the student leaves the line (status `expired`) and is told, and
    the seat is offered to the next. Return whether it expired here (False: answered or expired already)."""
    enrolment = _locked_offer(session, enrolment_id)
    if enrolment is None or now < enrolment.offer_expires_at:
        return False
    release_place(enrolment)
    enrolment.status = "expired"
    tell(session, enrolment, events.ENROLMENT_OFFER_EXPIRED)
    promote_from_waitlist(session, enrolment.offering, now)
    announce_seats(session, enrolment.offering)
    return True


def remind_of_offer(session: Session, enrolment_id: str, now: datetime) -> bool:
    """Remind the student of an unanswered offer once its reminder is due; return whether it was sent."""
    enrolment = _locked_offer(session, enrolment_id)
    if enrolment is None or enrolment.reminded_at is not None or not enrolment.remind_at <= now:
        return False
    enrolment.reminded_at = now
    tell(session, enrolment, events.ENROLMENT_OFFER_REMINDED)
    return True


def _locked_offer(session: Session, enrolment_id: str) -> Enrolment | None:
    """Return the enrolment, read again under its offering's lock, if it is still an open offer."""
    enrolment = session.get(Enrolment, enrolment_id)
    if enrolment is None:
        return None
    get_offering(session, enrolment.offering_id, for_update=True)
    session.refresh(enrolment)
    return enrolment if enrolment.status == "offered" else None


def _claim_first(*due: ColumnElement[bool], order: ColumnElement) -> Select:
    """The first open offer that is `due`, claimed with its offering's row: a sweeper skips the offerings
    another sweeper (or a request) holds, so sweepers share the work and never wait."""
    return (select(Enrolment.id).join(Offering, Offering.id == Enrolment.offering_id)
            .where(Enrolment.status == "offered", *due).order_by(order, Enrolment.id).limit(1)
            .with_for_update(of=Offering, skip_locked=True))


def sweep_offers(db: Database, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Expire the offers past their deadline, then send the reminders due, each in a short transaction of
    its own with its events in the outbox; return how many of each (at most `limit` tries of each, to yield
    to the relay's publishing). Any number of sweepers may run: each offer is settled exactly once."""
    now = now or utcnow()
    expiring = _claim_first(Enrolment.offer_expires_at <= now, order=Enrolment.offer_expires_at)
    reminding = _claim_first(Enrolment.remind_at <= now, Enrolment.reminded_at.is_(None),
                             Enrolment.offer_expires_at > now, order=Enrolment.remind_at)
    expired = settle_one_at_a_time(db, expiring, lambda session, due: expire_offer(session, due, now), limit)
    reminded = settle_one_at_a_time(db, reminding, lambda session, due: remind_of_offer(session, due, now), limit)
    return {"expired": expired, "reminded": reminded}
