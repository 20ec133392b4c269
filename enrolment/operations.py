"""Enrolment decisions: plain functions that take a session and return results.

Every change to an offering's enrolments happens under a lock on the offering's row (on SQLite,
the database-wide write lock): the seat check and the insert are one atomic decision.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import (Column, ColumnElement, CompoundSelect, Exists, Row, Select, Update, and_, bindparam, case,
                        exists, false, func, inspect, not_, null, or_, select, true, update)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from enrolment.models import ACTIVE, Enrolment, Offering, PoolCounts, SeatPool
from enrolment.waiting_list import first_in_line, with_positions
from shared import events
from shared.db import utcnow
from shared.events.enrolment import EnrolmentChanged, SeatsChanged
from shared.http.auth import Principal
from shared.http.errors import Problem
from shared.messaging.outbox import record_event, write_events

PRODUCER = "enrolment"
# What the offering's seats are counted from, as the deciding statement returns it under the lock: the counters an
# enrolment changes, and the capacity (the offering was read before the lock; a catalogue update may change it).
SEAT_COLUMNS = (Offering.confirmed_count, Offering.waitlisted_count, Offering.held_count,
                Offering.last_waitlist_ticket, Offering.seats_revision, Offering.capacity)
ENROLMENT_COLUMNS = tuple(Enrolment.__table__.columns)
OFFERING_COLUMNS = tuple(Offering.__table__.columns)
# An offer is reminded of once, when this share of its window is left (12 hours of the default 48).
REMIND_WHEN_LEFT = 0.25


def get_offering(session: Session, offering_id: str, *, for_update: bool = False,
                 with_pools: bool = False) -> Offering:
    """Return the replica of an offering or answer 404; `for_update` locks it and reads it, and its pools,
    again under the lock; `with_pools` reads its pools too (for its seats, shown after the session)."""
    offering = session.get(Offering, offering_id, with_for_update=for_update, populate_existing=for_update,
                           options=[selectinload(Offering.pools)] if for_update or with_pools else None)
    if offering is None:
        raise Problem(404, "offering_not_found", f"There is no offering {offering_id}.")
    return offering


def seats_of(session: Session, actor: Principal | None, offering_id: str) -> Offering:
    """Return an offering for its seat counts; one of a course the catalogue hides (a draft, an archived
    course) is 404 to all but the course's coordinators, as in the catalogue."""
    offering = get_offering(session, offering_id, with_pools=True)
    if offering.course_status != "published" and not (actor is not None and offering.is_coordinated_by(actor)):
        raise Problem(404, "offering_not_found", f"There is no offering {offering_id}.")
    return offering


def enrol_student(session: Session, student: Principal, offering_id: str, now: datetime | None = None) -> Enrolment:
    """Give the student a seat if one is free and nobody waits, else a place in line, else refuse.

    On PostgreSQL one statement reads the offering and, if it takes first-come newcomers, reserves no seats
    and the student is not in it yet, decides the place and counts it, taking the offering's lock
    (_offering_and_place); otherwise the checks below say why not, and the place is decided by
    _take_pooled_place if seats are reserved (rare cases by _take_place_with_pools). The enrolment and its
    events follow, one INSERT on PostgreSQL, and the commit releases the lock. A lock held briefly is what a
    rush waits for; the statements are built once and the rows written without the ORM's unit of work,
    whose CPU, on a busy machine, the lock waited for.
    """
    now = now or utcnow()
    offering, enrolled, place = _offering_and_place(session, student, offering_id, now)
    if place is None:
        require_open(offering, now)
        _require_first_come(offering)
        if enrolled:
            raise Problem(409, "already_enrolled", "You are already enrolled or on the waiting list of this offering.")
        place = (_take_pooled_place(session, offering, student.institution, now) if offering.reserved_seats
                 else _take_place(session, offering, now)) or _take_place_with_pools(session, offering_id, student, now)
    # Not added to the session: written below by one INSERT, without the ORM's bookkeeping under the lock.
    enrolment = Enrolment(id=str(uuid.uuid4()), offering_id=offering.id, offering=offering, student_id=student.id,
                          student_email=student.email, student_name=student.name, student_locale=student.locale,
                          student_institution=student.institution)
    # Stamped under the lock, like the ticket: down the waiting line, enrolment times never go back.
    enrolment.created_at = utcnow()
    if place.seat:
        confirm_seat(enrolment)
        enrolment.pool = place.pool
    else:
        enrolment.status, enrolment.waitlist_ticket = "waitlisted", place.last_waitlist_ticket
        enrolment.waitlist_position = place.waitlisted_count  # newcomers join at the end
    # Only what was set: a column left out gets its default, as the ORM would have written it.
    written = inspect(enrolment).dict
    told = events.ENROLMENT_CONFIRMED if place.seat else events.ENROLMENT_WAITLISTED
    try:
        write_events(session, PRODUCER, [
            (told, _changed(enrolment, place.seats)), (events.SEATS_CHANGED, _seats_changed(offering, place.seats))],
            along=(Enrolment.__table__, {column.key: written[column.key] for column in ENROLMENT_COLUMNS
                                         if column.key in written}))
    except IntegrityError:  # the unique index guards invariant 2 against a racing duplicate
        raise Problem(409, "already_enrolled", "You are already enrolled in this offering.") from None
    return enrolment


def _offering_and_place(session: Session, student: Principal, offering_id: str, now: datetime
                        ) -> tuple[Offering, bool, Place | None]:
    """Return the offering, whether the student is in it already (confirmed, offered or waiting), and their
    place if one statement could decide it (PostgreSQL, see _offering_and_first_come_place), else None;
    answer 404 if there is no such offering."""
    where = {"offering": offering_id, "student": student.id, "now": now}
    if session.get_bind().dialect.name == "postgresql":
        session.flush()  # on the connection, not through the ORM, which would flush first (nothing, in a request)
        found = session.connection().execute(_offering_and_first_come_place(), where).first()
        offering = None if found is None else _as_loaded(session, found)
    else:
        found = session.execute(_offering_and_enrolled(), where).first()
        offering = None if found is None else found.Offering
    if found is None:
        raise Problem(404, "offering_not_found", f"There is no offering {offering_id}.")
    return offering, found.enrolled, None if found.seat is None else Place(found.seat, None, offering)


def _as_loaded(session: Session, row: Row) -> Offering:
    """The offering in the row (OFFERING_COLUMNS), in the session as if the session had loaded it."""
    offering = Offering(**{column.key: row._mapping[column.key] for column in OFFERING_COLUMNS})
    make_transient_to_detached(offering)  # its values are the database's, not changes to write
    if session.identity_map.get(inspect(offering).key) is not None:
        return session.merge(offering, load=False)  # brings the one the session holds up to date
    session.add(offering)
    return offering


def _enrolled() -> Exists:
    """Whether :student is in the offering already: confirmed, offered or waiting (compared one by one: the
    parameters of an IN list are expanded anew at every run)."""
    return exists().where(Enrolment.offering_id == Offering.id, Enrolment.student_id == bindparam("student"),
                          or_(*(Enrolment.status == status for status in ACTIVE)))


@cache
def _offering_and_enrolled() -> Select:
    """The offering :offering, whether :student is in it already, and no decision (`seat`): one round trip
    (SQLite's, where deciding takes a statement of its own). Built once, like the deciding statements: building
    a statement cost more CPU than running it."""
    return select(Offering, _enrolled().label("enrolled"), null().label("seat")).where(
        Offering.id == bindparam("offering"))


@cache
def _offering_and_first_come_place() -> CompoundSelect:
    """On PostgreSQL, enrol_student's first statement, built once: if the offering :offering takes first-come
    newcomers at :now, reserves no seats and :student is not in it yet, the newcomer's place decided by
    seat_is_free and counted (the lock taken, the newest version of the row read after waiting), with the offering
    as counted; else the offering as read before any lock, whether :student is in it, and no decision (`seat`
    null). No row if there is no such offering."""
    decision = (select(Offering.id, seat_is_free().label("seat")).where(_takes_newcomers(), not_(_enrolled()))
                .with_for_update().cte("decision"))
    counted = _counted(update(Offering).where(Offering.id == decision.c.id), decision.c.seat,
                       OFFERING_COLUMNS).cte("counted")
    as_counted = select(counted.c.seat, false().label("enrolled"), *(counted.c[column.key] for column in OFFERING_COLUMNS))
    as_read = select(null().label("seat"), _enrolled().label("enrolled"), *OFFERING_COLUMNS).where(
        Offering.id == bindparam("offering"), ~exists().select_from(counted))
    return as_counted.union_all(as_read)


def seat_is_free() -> ColumnElement[bool]:
    """Whether a newcomer gets a seat: one is free (neither confirmed nor held by an open offer) and nobody
    waits. The database evaluates it on the offering's row while holding its lock, so this is the one place
    the rule is written."""
    return and_(Offering.waitlisted_count == 0, Offering.confirmed_count + Offering.held_count < Offering.capacity)


def _take_place(session: Session, offering: Offering, now: datetime) -> Place | None:
    """On SQLite, whose first statement only reads, decide the newcomer's place (the transaction holds the
    database's write lock, shared.db) and count it; return the decision (`seat`) and the new counters, the
    offering object brought up to date without becoming dirty. None if the offering is closed, or full with
    no waiting list, or reserves seats, and always on PostgreSQL, whose first statement decided wherever one
    statement can without reserved seats: _take_place_with_pools decides then."""
    if session.get_bind().dialect.name == "postgresql":
        return None
    where = {"offering": offering.id, "now": now}
    decided = session.scalar(select(seat_is_free()).where(_takes_newcomers()), where)
    if decided is None:
        return None
    # On the session's connection, not through the ORM; the counters go into the offering object just below.
    counted = session.connection().execute(_counted(update(Offering).where(Offering.id == offering.id),
                                                    true() if decided else false()), where).one_or_none()
    if counted is None:
        return None
    _counters_read(offering, counted)
    return Place(counted.seat, None, offering)


def _counters_read(offering: Offering, counted: Row) -> None:
    """Bring the offering's seats up to what the deciding statement read and wrote, without making it dirty."""
    for column in SEAT_COLUMNS:
        set_committed_value(offering, column.key, getattr(counted, column.key))


@cache
def _takes_newcomers() -> ColumnElement[bool]:
    """Whether the offering :offering takes first-come newcomers at :now, with no seats reserved."""
    return and_(_open_to_newcomers(), Offering.reserved_seats == 0)


@cache
def _open_to_newcomers() -> ColumnElement[bool]:
    """Whether the offering :offering takes first-come newcomers at :now (a bound parameter named after no
    column: in an UPDATE, one named after a column of its table would set that column too)."""
    return and_(Offering.id == bindparam("offering"), Offering.status == "scheduled",
                Offering.course_status == "published", Offering.enrolment_opens_at <= bindparam("now"),
                Offering.enrolment_closes_at > bindparam("now"), Offering.admission == "first_come")


def _counted(statement: Update, seat: ColumnElement[bool], returned: Sequence[Column] = SEAT_COLUMNS) -> Update:
    """Count the newcomer (a seat, or a place in line if the offering keeps one); return the decision and the
    offering's `returned` columns."""
    joins, waits = case((seat, 1), else_=0), case((seat, 0), else_=1)
    return (statement.where(or_(seat, Offering.waitlist))
            .values(confirmed_count=Offering.confirmed_count + joins,
                    waitlisted_count=Offering.waitlisted_count + waits,
                    last_waitlist_ticket=Offering.last_waitlist_ticket + waits,
                    seats_revision=Offering.seats_revision + 1)
            .returning(seat.label("seat"), *returned))


class Place:
    """A newcomer's place: a seat (from the pool of the institution `pool`, or open), or in line; the
    offering's counters after it was counted, and its seats (with the pools as counted)."""

    def __init__(self, seat: bool, pool: str | None, offering: Offering,
                 pools: Sequence[PoolCounts] | None = None) -> None:
        self.seat, self.pool = seat, pool
        self.waitlisted_count, self.last_waitlist_ticket = offering.waitlisted_count, offering.last_waitlist_ticket
        self.seats = offering.seats if pools is None else offering.seats_with(pools)


def _take_pooled_place(session: Session, offering: Offering, institution: str | None, now: datetime
                       ) -> Place | None:
    """Decide the place of a newcomer of the institution in an offering reserving seats, and count it, in one
    statement that locks the offering's row and its pools' until the commit: the rule of
    _take_place_with_pools, which decides when this cannot (SQLite; a pool due for release, or added while
    the statement waited for the lock; the offering closed, or full with no waiting list): None then."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    rows = session.connection().execute(_take_pooled_place_on_postgresql(), {
        "offering": offering.id, "student_institution": institution, "now": now}).all()
    if not rows:
        return None
    _counters_read(offering, rows[0])
    pools = [PoolCounts(row.institution, row.seats, row.pool_confirmed, row.pool_held, row.pool_waitlisted,
                        row.release_at) for row in rows]
    return Place(rows[0].seat, institution if rows[0].seat and rows[0].from_pool else None, offering, pools)


@cache
def _take_pooled_place_on_postgresql() -> Select:
    """The statement of _take_pooled_place, built once: one row per pool still reserving seats, each with the
    decision (`seat`, and `from_pool`: a seat of the institution's pool), the offering's new counters and the
    pool's. PostgreSQL locks the offering's row, then its pools' (the order every locked read takes them in),
    and, having waited, reads the newest version of each; the counters are written by two data-modifying CTEs.
    The seat rule is that of free_seat_for, evaluated on the locked rows."""
    locked = (select(Offering.id, Offering.capacity, Offering.confirmed_count, Offering.held_count,
                     Offering.waitlisted_count, Offering.waitlist, Offering.reserved_seats, SeatPool.institution,
                     SeatPool.seats, SeatPool.release_at, SeatPool.confirmed_count.label("pool_confirmed"),
                     SeatPool.held_count.label("pool_held"), SeatPool.waitlisted_count.label("pool_waitlisted"))
              .join(SeatPool, and_(SeatPool.offering_id == Offering.id, SeatPool.released.is_(False)))
              .where(_open_to_newcomers()).with_for_update().cte("locked"))
    row = locked.c
    free = row.capacity - row.confirmed_count - row.held_count
    unused = row.seats - row.pool_confirmed - row.pool_held
    mine = row.institution == bindparam("student_institution")
    pool_has_free = func.bool_or(and_(mine, func.least(unused, free) > 0))
    # A pool's seat if the institution's pool has one free and none of its students waits; else an open
    # seat if one is free and nobody waits at all.
    seat = case((pool_has_free, func.sum(case((mine, row.pool_waitlisted), else_=0)) == 0),
                else_=and_(free - func.sum(func.greatest(unused, 0)) > 0, row.waitlisted_count == 0))
    # No decision if a pool is due for release, or the pools read are not all the offering reserves.
    decidable = and_(func.sum(row.seats) == row.reserved_seats, func.bool_and(row.release_at > bindparam("now")))
    decision = (select(row.id, row.waitlist, seat.label("seat"), pool_has_free.label("from_pool"))
                .group_by(row.id, row.capacity, row.confirmed_count, row.held_count, row.waitlisted_count,
                          row.waitlist, row.reserved_seats)
                .having(decidable)
                .cte("decision"))
    decided = decision.c
    from_pool, waits = and_(decided.seat, decided.from_pool), and_(not_(decided.seat), decided.waitlist)
    pool_counted = (update(SeatPool)
                    .where(SeatPool.offering_id == decided.id, SeatPool.institution == bindparam("student_institution"),
                           SeatPool.released.is_(False), or_(from_pool, waits))
                    .values(confirmed_count=SeatPool.confirmed_count + case((from_pool, 1), else_=0),
                            waitlisted_count=SeatPool.waitlisted_count + case((waits, 1), else_=0))
                    .returning(SeatPool.institution, SeatPool.confirmed_count, SeatPool.waitlisted_count)
                    .cte("pool_counted"))
    offering_counted = (_counted(update(Offering).where(Offering.id == decided.id), decided.seat)
                        .returning(decided.from_pool).cte("offering_counted"))
    counted, pool = offering_counted.c, pool_counted.c
    return (select(counted.seat, counted.from_pool, *(counted[column.key] for column in SEAT_COLUMNS),
                   row.institution, row.seats, row.release_at, row.pool_held,
                   func.coalesce(pool.confirmed_count, row.pool_confirmed).label("pool_confirmed"),
                   func.coalesce(pool.waitlisted_count, row.pool_waitlisted).label("pool_waitlisted"))
            .join_from(offering_counted, locked, true()).outerjoin(pool_counted, pool.institution == row.institution)
            .order_by(row.institution))


def _take_place_with_pools(session: Session, offering_id: str, student: Principal, now: datetime) -> Place:
    """Decide a newcomer's place under the offering's lock when one statement could not (SQLite; the offering
    is closed or full; a pool is due for release: its seats are passed on first): the student's institution's
    pool if a seat of it is free and none of its students waits, else an open seat if one is free and nobody
    waits, else the waiting list. Refuse if the offering is closed or full."""
    offering = get_offering(session, offering_id, for_update=True)
    require_open(offering, now)
    _require_first_come(offering)
    if any(pool.release_at <= now for pool in offering.reserving_pools):
        promote_from_waitlist(session, offering, now)  # releases them, and serves the line first
        announce_seats(session, offering)
    pool = offering.pool_of(student.institution)
    free, from_pool = free_seat_for(offering, student.institution)
    # Nobody eligible for the seat waits: for a pool's seat, no student of its institution; for an open one,
    # nobody at all (a seat freed while someone eligible waits is passed on at once, so none is left over).
    if free and (pool.waitlisted_count if from_pool else offering.waitlisted_count) == 0:
        count_seat(offering, from_pool, student.institution)
        offering.seats_revision += 1
        return Place(True, pool.institution if from_pool else None, offering)
    if not offering.waitlist:
        raise Problem(409, "offering_full", "Every seat is taken and this offering has no waiting list.")
    offering.waitlisted_count += 1
    offering.last_waitlist_ticket += 1
    if pool is not None:
        pool.waitlisted_count += 1
    offering.seats_revision += 1
    return Place(False, None, offering)


def free_seat_for(offering: Offering, institution: str | None) -> tuple[bool, bool]:
    """Whether a seat is free for a student of the institution, and whether it is one of the institution's
    pool (taken before an open one); the caller holds the offering's lock."""
    pool = offering.pool_of(institution)
    if pool is not None and offering.pool_free_seats(pool) > 0:
        return True, True
    return offering.open_free_seats > 0, False


def count_seat(offering: Offering, from_pool: bool, institution: str | None = None) -> None:
    """Count a confirmed seat, in the pool of the institution if `from_pool`; the caller holds the lock."""
    offering.confirmed_count += 1
    if from_pool:
        offering.pool_of(institution).confirmed_count += 1


def release_due_pools(offering: Offering, now: datetime) -> list[SeatPool]:
    """Release the pools whose release_at has come: their unused seats join the open pool (the caller,
    holding the offering's lock, passes them on to the waiting list). Each pool is released once."""
    due = [pool for pool in offering.reserving_pools if pool.release_at <= now]
    for pool in due:
        pool.released = True
        offering.reserved_seats -= pool.seats
    return due


def _require_first_come(offering: Offering) -> None:
    if offering.admission == "application":
        raise Problem(409, "application_required", "This offering takes applications: apply for a place instead.")


def cancel_enrolment(session: Session, actor: Principal, enrolment_id: str) -> Enrolment:
    """Cancel an enrolment (the student's own, or as the course's coordinator); a freed seat goes to
    the first in line. Cancelling twice changes nothing."""
    enrolment = get_enrolment(session, actor, enrolment_id)
    get_offering(session, enrolment.offering_id, for_update=True)  # takes the offering's lock
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
    them to accept until a deadline instead. The caller holds the offering's lock.

    With reserved pools, each pool's free seats go first to the first waiting students of its institution,
    then the open seats to the first waiting students of any institution (a waiting student waits for a
    seat of their institution's pool or an open one, in the order of their tickets). Pools whose release
    has come are released first: the clock decides, not whether the release chore has run."""
    now = now or utcnow()
    release_due_pools(offering, now)
    if offering.waitlisted_count == 0:
        return []
    promoted = []
    for pool in offering.reserving_pools:
        free = offering.pool_free_seats(pool)
        if free > 0 and pool.waitlisted_count > 0:
            for enrolment in first_in_line(session, offering.id, free, institution=pool.institution):
                promoted.append(_promote(session, offering, enrolment, pool, now))
    free = offering.open_free_seats
    if free > 0 and offering.waitlisted_count > 0:
        for enrolment in first_in_line(session, offering.id, free):
            promoted.append(_promote(session, offering, enrolment, None, now))
    return promoted


def _promote(session: Session, offering: Offering, enrolment: Enrolment, pool: SeatPool | None,
             now: datetime) -> Enrolment:
    _leave_line(offering, enrolment)
    enrolment.pool = pool.institution if pool is not None else None
    if offering.promotion == "offer":
        _offer_seat(enrolment, offering, now)
        offering.held_count += 1
        if pool is not None:
            pool.held_count += 1
        tell(session, enrolment, events.ENROLMENT_OFFERED)
    else:
        confirm_seat(enrolment)
        offering.confirmed_count += 1
        if pool is not None:
            pool.confirmed_count += 1
        tell(session, enrolment, events.ENROLMENT_PROMOTED)
    return enrolment


def _leave_line(offering: Offering, enrolment: Enrolment) -> None:
    offering.waitlisted_count -= 1
    if (pool := offering.pool_of(enrolment.student_institution)) is not None:
        pool.waitlisted_count -= 1


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
    record_event(session, PRODUCER, events.SEATS_CHANGED, _seats_changed(offering))


def _seats_changed(offering: Offering, seats: dict | None = None) -> dict:
    return SeatsChanged(offering_id=offering.id, seats=seats or offering.seats,
                        seats_revision=offering.seats_revision).to_data()


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
    pool = offering.pool_of(enrolment.pool) if enrolment.pool is not None else None
    if enrolment.status == "confirmed":
        offering.confirmed_count -= 1
        if pool is not None:
            pool.confirmed_count -= 1
    elif enrolment.status == "offered":
        offering.held_count -= 1
        if pool is not None:
            pool.held_count -= 1
    else:
        _leave_line(offering, enrolment)
    enrolment.waitlist_position = None


def tell(session: Session, enrolment: Enrolment, event_type: str) -> None:
    """Record what happened to the enrolment, with the offering and its seats, in the outbox."""
    record_event(session, PRODUCER, event_type, _changed(enrolment))


def _changed(enrolment: Enrolment, seats: dict | None = None) -> dict:
    offering = enrolment.offering
    deadline = enrolment.offer_expires_at if enrolment.status in ("offered", "expired") else None
    return EnrolmentChanged(
        enrolment={"id": enrolment.id, "status": enrolment.status, "waitlist_position": enrolment.waitlist_position,
                   "cancelled_by": enrolment.cancelled_by, "offer_expires_at": deadline},
        offering={**offering.summary, "coordinators": offering.coordinators}, student=enrolment.student,
        seats=seats or offering.seats).to_data()
