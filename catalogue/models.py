"""The catalogue's tables: courses of both institutions and their offerings."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.db import UTCDateTime, utcnow


class Base(DeclarativeBase):
    """Declarative base of the catalogue's own tables."""


def new_id() -> str:
    return str(uuid.uuid4())


class Course(Base):
    """A course one institution contributes to the shared catalogue."""

    __tablename__ = "courses"
    __table_args__ = (UniqueConstraint("institution", "code", name="uq_courses_institution_code"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32))
    institution: Mapped[str] = mapped_column(String(8), index=True)
    title: Mapped[dict] = mapped_column(JSON)
    description: Mapped[dict] = mapped_column(JSON)
    ects: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    level: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(35))
    isced: Mapped[str] = mapped_column(String(4))
    topics: Mapped[list] = mapped_column(JSON, default=list)
    coordinators: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    offerings: Mapped[list["Offering"]] = relationship(back_populates="course", order_by="Offering.starts_on")


class Offering(Base):
    """One run of a course in a term, with a seat limit and an enrolment window."""

    __tablename__ = "offerings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id"), index=True)
    term: Mapped[str] = mapped_column(String(16), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    enrolment_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    enrolment_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer)
    waitlist: Mapped[bool] = mapped_column(Boolean, default=True)
    location: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Kept current from enrolment.seats_changed; seats_revision orders those events.
    seats_confirmed: Mapped[int] = mapped_column(Integer, default=0)
    seats_waitlisted: Mapped[int] = mapped_column(Integer, default=0)
    seats_revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship(back_populates="offerings")

    @property
    def seats(self) -> dict[str, int]:
        """Return the live seat counts shown with the offering."""
        return {
            "capacity": self.capacity,
            "confirmed": self.seats_confirmed,
            "available": max(self.capacity - self.seats_confirmed, 0),
            "waitlisted": self.seats_waitlisted,
        }
