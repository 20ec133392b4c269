"""The catalogue's tables: courses of both institutions and their offerings."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.db import BigIntegerKey, UTCDateTime, utcnow
from shared.seats import seat_counts


SEARCH_WORD_LENGTH = 60  # longer "words" (a pasted URL, a sequence) are searchable but not corrected to


class Base(DeclarativeBase):
    """Declarative base of the catalogue's own tables."""


def new_id() -> str:
    return str(uuid.uuid4())


class Course(Base):
    """A course one institution contributes to the shared catalogue."""

    __tablename__ = "courses"
    __table_args__ = (
        UniqueConstraint("institution", "code", name="uq_courses_institution_code"),
        # IMM-700 and imm-700 are one course to a reader: unique whatever the case.
        UniqueConstraint("institution", "code_key", name="uq_courses_institution_code_key"),
        Index("ix_courses_feed", "updated_at", "id"),
        # Substring search on PostgreSQL; SQLite scans, which is fine at its scale.
        Index("ix_courses_search_trgm", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32))
    code_key: Mapped[str] = mapped_column(String(32))  # the code in lower case
    institution: Mapped[str] = mapped_column(String(8), index=True)
    title: Mapped[dict] = mapped_column(JSON)
    description: Mapped[dict] = mapped_column(JSON)
    ects: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    level: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(35))
    isced: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The stems of the course's words, each after a space, for word-form search (see catalogue.search):
    # of code, titles, topics and descriptions, and of code, titles and topics alone (ranked first).
    search_text: Mapped[str] = mapped_column(Text, default="")
    search_title: Mapped[str] = mapped_column(Text, default="")

    offerings: Mapped[list["Offering"]] = relationship(
        back_populates="course", order_by="(Offering.starts_on, Offering.id)")
    topic_rows: Mapped[list["CourseTopic"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CourseTopic.position")
    coordinator_rows: Mapped[list["CourseCoordinator"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CourseCoordinator.position")

    @property
    def topics(self) -> list[str]:
        return [row.value for row in self.topic_rows]

    @property
    def coordinators(self) -> list[str]:
        return [row.value for row in self.coordinator_rows]


class SearchWord(Base):
    """A stem some course's text has: the vocabulary a mistyped word is corrected against."""

    __tablename__ = "search_words"

    # Byte order on both databases, so a range of words is the words beginning with a stem.
    word: Mapped[str] = mapped_column(String(SEARCH_WORD_LENGTH).with_variant(
        String(SEARCH_WORD_LENGTH, collation="C"), "postgresql"), primary_key=True)


class _CourseListItem:
    """A value in one of a course's lists, kept in order; a table of its own so filters use an index."""

    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class CourseTopic(_CourseListItem, Base):
    """A topic of a course (normalised to lower case)."""

    __tablename__ = "course_topics"


class CourseCoordinator(_CourseListItem, Base):
    """The user id of a coordinator named on a course (possibly of the other institution)."""

    __tablename__ = "course_coordinators"


class CourseRevision(Base):
    """One change to a course or one of its offerings: who, when, which fields from what to what."""

    __tablename__ = "course_revisions"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    offering_id: Mapped[str | None] = mapped_column(String(36), default=None)
    action: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


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
    # The exchange's seat rules (DESIGN section 4): how a seat is given, and how a freed one is passed on.
    admission: Mapped[str] = mapped_column(String(16), default="first_come")
    promotion: Mapped[str] = mapped_column(String(16), default="automatic")
    offer_hours: Mapped[int] = mapped_column(Integer, default=48)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    cancel_reason: Mapped[str | None] = mapped_column(Text, default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Kept current from enrolment.seats_changed; seats_revision orders those events.
    seats_confirmed: Mapped[int] = mapped_column(Integer, default=0)
    seats_waitlisted: Mapped[int] = mapped_column(Integer, default=0)
    seats_held: Mapped[int] = mapped_column(Integer, default=0)
    seats_revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship(back_populates="offerings")

    @property
    def seats(self) -> dict[str, int]:
        """Return the live seat counts shown with the offering."""
        return seat_counts(self.capacity, self.seats_confirmed, self.seats_waitlisted, self.seats_held)


class CatalogueVersion(Base):
    """One row counting the catalogue's committed changes: a trigger adds one with every transaction
    that records catalogue events (every change anyone can see records one), so answers made from an
    older catalogue can be told apart without comparing them (the course list's ETag and cache)."""

    __tablename__ = "catalogue_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigIntegerKey)
