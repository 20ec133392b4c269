"""Enrolment's tables: its replica of the catalogue's offerings, enrolments, idempotency keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.db import UTCDateTime, utcnow
from shared.seats import seat_counts


class Base(DeclarativeBase):
    """Declarative base of enrolment's own tables."""


class Course(Base):
    """The newest state of a course enrolment has seen, so that a course event handled before its
    offering's first event is not lost."""

    __tablename__ = "courses"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    title: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    coordinators: Mapped[list] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)


class Offering(Base):
    """What enrolment knows of an offering, kept from catalogue events so it can decide alone."""

    __tablename__ = "offerings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    course_id: Mapped[str] = mapped_column(String(36), index=True)
    course_code: Mapped[str] = mapped_column(String(32))
    course_title: Mapped[dict] = mapped_column(JSON)
    course_status: Mapped[str] = mapped_column(String(16))
    course_version: Mapped[int] = mapped_column(Integer, default=0)
    institution: Mapped[str] = mapped_column(String(8))
    coordinators: Mapped[list] = mapped_column(JSON, default=list)
    term: Mapped[str] = mapped_column(String(16))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    location: Mapped[str] = mapped_column(Text)
    capacity: Mapped[int] = mapped_column(Integer)
    waitlist: Mapped[bool] = mapped_column(Boolean)
    enrolment_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    enrolment_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    admission: Mapped[str] = mapped_column(String(16), default="first_come")
    promotion: Mapped[str] = mapped_column(String(16), default="automatic")
    offer_hours: Mapped[int] = mapped_column(Integer, default=48)
    status: Mapped[str] = mapped_column(String(16))
    cancel_reason: Mapped[str | None] = mapped_column(Text, default=None)
    version: Mapped[int] = mapped_column(Integer)
    confirmed_count: Mapped[int] = mapped_column(Integer, default=0)
    waitlisted_count: Mapped[int] = mapped_column(Integer, default=0)
    # Seats held by open offers (promotion `offer`): taken for everyone but the student offered one.
    held_count: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped with every change of the counts; orders enrolment.seats_changed events.
    seats_revision: Mapped[int] = mapped_column(Integer, default=0)
    # The waiting list's ticket counter: each newcomer on the list draws the next number.
    last_waitlist_ticket: Mapped[int] = mapped_column(Integer, default=0)
    # Seats of the pools not yet released (SeatPool): 0 lets a newcomer's decision stay one statement.
    reserved_seats: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pools: Mapped[list[SeatPool]] = relationship(back_populates="offering", order_by="SeatPool.institution",
                                                 cascade="all, delete-orphan")

    def is_coordinated_by(self, actor) -> bool:
        """Tell whether the actor is one of the course's coordinators (or an admin)."""
        return actor.is_admin or (actor.role == "coordinator" and (
            actor.institution == self.institution or actor.id in self.coordinators))

    @property
    def summary(self) -> dict:
        """Return the offering as a student recognises it, as enrolment's events carry it."""
        return {"id": self.id, "course_id": self.course_id, "course_code": self.course_code,
                "course_title": self.course_title, "institution": self.institution, "term": self.term,
                "starts_on": self.starts_on, "ends_on": self.ends_on, "location": self.location,
                "cancel_reason": self.cancel_reason}

    @property
    def free_seats(self) -> int:
        """Seats neither confirmed nor held by an open offer (may be below zero after the capacity was
        lowered); the caller holds the offering's lock. Newcomers also need nobody waiting
        (operations.seat_is_free)."""
        return self.capacity - self.confirmed_count - self.held_count

    @property
    def reserving_pools(self) -> list[SeatPool]:
        """The pools whose seats are still reserved (not released); loaded only if there are any."""
        return [pool for pool in self.pools if not pool.released] if self.reserved_seats else []

    def pool_of(self, institution: str | None) -> SeatPool | None:
        """The pool still reserving seats for the institution's students, if any."""
        return next((pool for pool in self.reserving_pools if pool.institution == institution), None)

    @property
    def open_free_seats(self) -> int:
        """Free seats anyone may take: the free seats but those a pool still reserves."""
        return self.free_seats - sum(max(pool.unused, 0) for pool in self.reserving_pools)

    def pool_free_seats(self, pool: SeatPool | PoolCounts) -> int:
        """Free seats of a pool (never more than the offering has free)."""
        return min(pool.unused, self.free_seats)

    @property
    def seats(self) -> dict:
        """Return the offering's live seat counts, with the pools still reserving seats."""
        return self.seats_with(self.reserving_pools)

    def seats_with(self, pools: Sequence[SeatPool | PoolCounts]) -> dict:
        """Return the offering's live seat counts with these pools still reserving seats (as read under the
        offering's lock, where a newcomer's seat is decided without loading the pools)."""
        return seat_counts(self.capacity, self.confirmed_count, self.waitlisted_count, self.held_count,
                           [{"institution": pool.institution, "seats": pool.seats, "confirmed": pool.confirmed_count,
                             "held": pool.held_count, "available": 0 if pool.waitlisted_count else
                             max(self.pool_free_seats(pool), 0), "waitlisted": pool.waitlisted_count,
                             "release_at": pool.release_at} for pool in pools])


class PoolArithmetic:
    """What a pool's counters say, for a SeatPool and for a pool's counters read without the ORM alike."""

    @property
    def unused(self) -> int:
        return self.seats - self.confirmed_count - self.held_count


@dataclass(frozen=True)
class PoolCounts(PoolArithmetic):
    """A pool still reserving seats, as the statement deciding a newcomer's seat read and counted it."""

    institution: str
    seats: int
    confirmed_count: int
    held_count: int
    waitlisted_count: int
    release_at: datetime


class SeatPool(Base, PoolArithmetic):
    """Seats of an offering reserved for one institution's students until release_at (DESIGN section 4),
    with its own counters, changed under the offering's lock like the offering's. A released pool's seats
    are open to all; its counters are no longer kept."""

    __tablename__ = "seat_pools"
    __table_args__ = (
        # The pool release chore's walk over pools due (enrolment.pools).
        Index("ix_seat_pools_due", "released", "release_at"),
    )

    offering_id: Mapped[str] = mapped_column(ForeignKey("offerings.id"), primary_key=True)
    institution: Mapped[str] = mapped_column(String(8), primary_key=True)
    seats: Mapped[int] = mapped_column(Integer)
    release_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmed_count: Mapped[int] = mapped_column(Integer, default=0)
    held_count: Mapped[int] = mapped_column(Integer, default=0)
    # The institution's students waiting: for a seat of this pool or an open one.
    waitlisted_count: Mapped[int] = mapped_column(Integer, default=0)

    offering: Mapped[Offering] = relationship(back_populates="pools")


# An enrolment holding a seat, offered one, or waiting for one: at most one per student and offering.
ACTIVE = ("confirmed", "offered", "waitlisted")
ACTIVE_WHERE = "status IN ('confirmed', 'offered', 'waitlisted')"


class Enrolment(Base):
    """A student's place in an offering: confirmed, waiting (by ticket), offered a seat until a deadline,
    cancelled, or expired (an offer left unanswered)."""

    __tablename__ = "enrolments"
    __table_args__ = (
        # At most one active enrolment per student and offering (invariant 2), enforced by the database too.
        Index("uq_enrolments_active_student", "offering_id", "student_id", unique=True,
              postgresql_where=text(ACTIVE_WHERE), sqlite_where=text(ACTIVE_WHERE)),
        Index("ix_enrolments_waiting_list", "offering_id", "status", "waitlist_ticket"),
        # The offer sweeper's walk over open offers by deadline (enrolment.offers).
        Index("ix_enrolments_offer_deadline", "status", "offer_expires_at"),
        Index("ix_enrolments_student", "student_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    offering_id: Mapped[str] = mapped_column(ForeignKey("offerings.id"))
    student_id: Mapped[str] = mapped_column(String(64))
    student_email: Mapped[str] = mapped_column(String(254))
    student_name: Mapped[str] = mapped_column(String(200))
    student_locale: Mapped[str] = mapped_column(String(2))
    student_institution: Mapped[str] = mapped_column(String(8))
    # The institution whose reserved pool the seat (confirmed or offered) came from; None: an open seat.
    pool: Mapped[str | None] = mapped_column(String(8), default=None)
    status: Mapped[str] = mapped_column(String(16))
    waitlist_ticket: Mapped[int | None] = mapped_column(Integer, default=None)
    cancelled_by: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # An offered seat: answer before offer_expires_at; reminded once at remind_at (enrolment.offers).
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    offering: Mapped[Offering] = relationship(lazy="joined")
    # Not stored (it moves whenever someone ahead leaves): enrolment.waiting_list computes it.
    waitlist_position = None

    @property
    def student(self) -> dict[str, str]:
        return {"id": self.student_id, "email": self.student_email, "name": self.student_name,
                "locale": self.student_locale, "institution": self.student_institution}


class IdempotentRequest(Base):
    """The first answer to a request sent with an Idempotency-Key, replayed for its repeats."""

    __tablename__ = "idempotent_requests"

    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    response: Mapped[dict | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)  # for retention


class Application(Base):
    """A request for a place in an offering that takes applications, decided by the course's coordinators;
    an approved one holds its seat as a confirmed enrolment."""

    __tablename__ = "applications"
    __table_args__ = (
        # One pending application per person and offering, enforced by the database too. (An approved one
        # holds a seat, and a seat holder cannot apply; once that seat is given up, they may apply again.)
        Index("uq_applications_pending_applicant", "offering_id", "applicant_id", unique=True,
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
        Index("ix_applications_offering", "offering_id", "created_at"),
        Index("ix_applications_applicant", "applicant_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    offering_id: Mapped[str] = mapped_column(ForeignKey("offerings.id"))
    applicant_id: Mapped[str] = mapped_column(String(64))
    applicant_role: Mapped[str] = mapped_column(String(16))
    applicant_email: Mapped[str] = mapped_column(String(254))
    applicant_name: Mapped[str] = mapped_column(String(200))
    applicant_locale: Mapped[str] = mapped_column(String(2))
    applicant_institution: Mapped[str] = mapped_column(String(8))
    motivation: Mapped[str] = mapped_column(Text)
    proposed_starts_on: Mapped[date | None] = mapped_column(Date, default=None)
    proposed_ends_on: Mapped[date | None] = mapped_column(Date, default=None)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    message: Mapped[str | None] = mapped_column(Text, default=None)
    decided_by: Mapped[str | None] = mapped_column(String(64), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    enrolment_id: Mapped[str | None] = mapped_column(ForeignKey("enrolments.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    offering: Mapped[Offering] = relationship(lazy="joined")

    @property
    def applicant(self) -> dict[str, str]:
        return {"id": self.applicant_id, "email": self.applicant_email, "name": self.applicant_name,
                "locale": self.applicant_locale, "institution": self.applicant_institution,
                "role": self.applicant_role}

    @property
    def proposed_dates(self) -> dict[str, date] | None:
        if self.proposed_starts_on is None:
            return None
        return {"starts_on": self.proposed_starts_on, "ends_on": self.proposed_ends_on}
