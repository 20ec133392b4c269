"""The notification service's tables: inbox, outgoing mail, preferences, and who takes which offering."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.db import BigIntegerKey, UTCDateTime, utcnow


class Base(DeclarativeBase):
    """Declarative base of the notification service's own tables."""


class Preference(Base):
    """How a person wants to be told: language, whether to receive email, and in which time zone."""

    __tablename__ = "preferences"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    locale: Mapped[str] = mapped_column(String(2))
    email: Mapped[bool] = mapped_column(Boolean, default=True)
    # An IANA name; None until the person chooses one: their institution's zone (shared.timezones).
    timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(Base):
    """A message in a person's inbox; one per event and recipient."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id", name="uq_notifications_event_recipient"),
        Index("ix_notifications_inbox", "user_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    user_id: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    offering_id: Mapped[str | None] = mapped_column(String(36), default=None)
    enrolment_id: Mapped[str | None] = mapped_column(String(36), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    email: Mapped["EmailDelivery | None"] = relationship(back_populates="notification", lazy="joined")


class EmailDelivery(Base):
    """The email of a notification: sent, waiting for its next attempt, or failed for good."""

    __tablename__ = "email_deliveries"
    __table_args__ = (Index("ix_email_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    notification_id: Mapped[str] = mapped_column(ForeignKey("notifications.id"), unique=True)
    to_address: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(200))
    html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)  # for retention

    notification: Mapped[Notification] = relationship(back_populates="email", lazy="joined")

    @property
    def shown_status(self) -> str:
        """What people are shown: an email a mailer has claimed is still on its way."""
        return "pending" if self.status == "sending" else self.status


class ErasedMail(Base):
    """The email of an erased person's notification: its row is gone, and the mailer removes the copy it
    may have left outside the database (a mail file) before forgetting this too."""

    __tablename__ = "erased_mail"

    notification_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    erasure_id: Mapped[str] = mapped_column(String(36), index=True)


class AudienceMember(Base):
    """A student holding or waiting for a seat in an offering, kept from enrolment events, so that
    changes to the offering reach them."""

    __tablename__ = "offering_audience"

    offering_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(2))
    institution: Mapped[str | None] = mapped_column(String(8), default=None)  # None: from an older event
    active: Mapped[bool] = mapped_column(Boolean)
    waiting: Mapped[bool] = mapped_column(Boolean)
    # The newest enrolment event applied; an older one arriving late changes nothing.
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
