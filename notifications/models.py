"""The notification service's tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime, utcnow


class Base(DeclarativeBase):
    """Declarative base of the notification service's own tables."""


class Preference(Base):
    """How a person wants to be told: language and whether to receive email."""

    __tablename__ = "preferences"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    locale: Mapped[str] = mapped_column(String(2))
    email: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
