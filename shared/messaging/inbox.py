"""The inbox: event ids a consumer has handled, committed with the handler's own changes."""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy import String
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.db import MessagingBase, UTCDateTime, insert_missing, utcnow
from shared.messaging.envelope import Event


class InboxMessage(MessagingBase):
    """An event this service has already handled."""

    __tablename__ = "inbox"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(100))
    producer: Mapped[str] = mapped_column(String(40))
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)  # for retention


def claim_events(session: Session, events: Sequence[Event]) -> set[str]:
    """Record the events as handled in this transaction; return the ids that were not already."""
    return insert_missing(session, InboxMessage.__table__, [
        {"event_id": event.id, "event_type": event.type, "producer": event.producer, "handled_at": utcnow()}
        for event in events])
