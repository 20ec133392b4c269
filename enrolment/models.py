"""Enrolment's tables: its own replica of the catalogue's offerings."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime, utcnow
from shared.seats import seat_counts


class Base(DeclarativeBase):
    """Declarative base of enrolment's own tables."""


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
    status: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    confirmed_count: Mapped[int] = mapped_column(Integer, default=0)
    waitlisted_count: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped with every change of the counts; orders enrolment.seats_changed events.
    seats_revision: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def seats(self) -> dict[str, int]:
        """Return the offering's live seat counts."""
        return seat_counts(self.capacity, self.confirmed_count, self.waitlisted_count)
