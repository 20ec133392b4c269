"""Enrolment's replica of the catalogue's offerings, kept from events so enrolment decides alone."""

from __future__ import annotations

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from enrolment.models import Course, Enrolment, Offering, SeatPool
from shared.db import utcnow
from shared.events.catalogue import CourseSnapshot, OfferingSnapshot, ReservedSeats

_COPIED_OFFERING_FIELDS = ("course_id", "institution", "term", "starts_on", "ends_on", "location", "capacity",
                           "waitlist", "enrolment_opens_at", "enrolment_closes_at", "status", "cancel_reason",
                           "version", "admission", "promotion", "offer_hours")


def apply_offering_snapshot(session: Session, snapshot: OfferingSnapshot) -> Offering | None:
    """Bring the replica up to the catalogue's offering, locked; None if it already holds a newer version."""
    offering = session.get(Offering, snapshot.offering_id, with_for_update=True)
    if offering is not None and offering.version >= snapshot.version:
        return None
    known = session.get(Course, snapshot.course_id)
    if offering is None:
        offering = Offering(id=snapshot.offering_id, course_version=0, confirmed_count=0, waitlisted_count=0,
                            seats_revision=0, last_waitlist_ticket=0)
        session.add(offering)
    for name in _COPIED_OFFERING_FIELDS:
        setattr(offering, name, getattr(snapshot, name))
    _take_pools(session, offering, snapshot.reserved)
    offering.course_version = 0  # take the course as this event has it, unless we know a newer one
    if known is not None and known.version > snapshot.course_version:
        _take_course(offering, known)
    else:
        _take_course(offering, Course(code=snapshot.course_code, title=dict(snapshot.course_title),
                                      status=snapshot.course_status, coordinators=list(snapshot.coordinators),
                                      version=snapshot.course_version))
    offering.updated_at = utcnow()
    return offering


def _take_pools(session: Session, offering: Offering, reserved: list[ReservedSeats]) -> None:
    """Bring the offering's pools to the catalogue's reservations, under the offering's lock. A pool whose
    release instant is unchanged stays released if it was; every other pool is counted again from the
    enrolments (the seats taken from it, and its institution's students waiting)."""
    wanted = {pool.institution: pool for pool in reserved}
    for pool in list(offering.pools):
        if pool.institution not in wanted:
            offering.pools.remove(pool)
    for institution, reservation in wanted.items():
        pool = next((pool for pool in offering.pools if pool.institution == institution), None)
        if pool is None:
            pool = SeatPool(institution=institution, released=False)
            offering.pools.append(pool)
        elif pool.release_at != reservation.release_at:
            pool.released = False
        pool.seats, pool.release_at = reservation.seats, reservation.release_at
        if not pool.released and inspect(offering).persistent:  # a new offering has no enrolments
            _count_pool(session, offering.id, pool)
    offering.reserved_seats = sum(pool.seats for pool in offering.pools if not pool.released)


def _count_pool(session: Session, offering_id: str, pool: SeatPool) -> None:
    counts = dict(session.execute(
        select(Enrolment.status, func.count()).where(Enrolment.offering_id == offering_id,
                                                     Enrolment.pool == pool.institution,
                                                     Enrolment.status.in_(("confirmed", "offered")))
        .group_by(Enrolment.status)).all())
    pool.confirmed_count, pool.held_count = counts.get("confirmed", 0), counts.get("offered", 0)
    pool.waitlisted_count = session.scalar(
        select(func.count()).where(Enrolment.offering_id == offering_id, Enrolment.status == "waitlisted",
                                   Enrolment.student_institution == pool.institution))


def apply_course_snapshot(session: Session, snapshot: CourseSnapshot) -> int:
    """Remember the course's newer state and carry it onto its offerings; return how many changed.

    The course is remembered even when none of its offerings has arrived yet, so that an offering
    event handled later still ends up with the newest course state.
    """
    course = session.get(Course, snapshot.course_id, with_for_update=True)
    if course is not None and course.version >= snapshot.version:
        return 0
    if course is None:
        course = Course(id=snapshot.course_id)
        session.add(course)
    course.code, course.title, course.status = snapshot.code, dict(snapshot.title), snapshot.status
    course.coordinators, course.version = list(snapshot.coordinators), snapshot.version
    offerings = session.scalars(
        select(Offering).where(Offering.course_id == snapshot.course_id).with_for_update())
    return sum(_take_course(offering, course) for offering in offerings)


def _take_course(offering: Offering, course: Course) -> bool:
    """Copy the course's fields onto the offering unless it already has a newer version of the course."""
    if (offering.course_version or 0) >= course.version:
        return False
    offering.course_version, offering.course_code, offering.course_title = course.version, course.code, course.title
    offering.course_status, offering.coordinators = course.status, course.coordinators
    return True
