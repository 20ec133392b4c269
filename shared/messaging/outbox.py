"""The transactional outbox: events written in the same transaction as the change they describe."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import Index, Integer, String, Text, func, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.db import BigIntegerKey, MessagingBase, UTCDateTime, utcnow
from shared.events import EVENT_TYPES
from shared.messaging.envelope import Event


class OutboxMessage(MessagingBase):
    """An event waiting for the relay, or already confirmed by the broker."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    correlation_id: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (
        # The relay only ever looks for pending rows; keep that index small.
        Index("ix_outbox_pending", "id", postgresql_where=published_at.is_(None),
              sqlite_where=published_at.is_(None)),
    )


# write_events' rows, the other columns taking their defaults. With RETURNING, SQLAlchemy sends the rows as one
# multi-row INSERT, numbered in the order given; without, psycopg runs an executemany in pipeline mode, which on
# a busy machine spent a seventh of a web worker's CPU polling the socket while holding the GIL.
_INSERT = insert(OutboxMessage.__table__).returning(OutboxMessage.id, sort_by_parameter_order=True)


def record_event(session: Session, producer: str, event_type: str, data: Mapping[str, Any]) -> Event:
    """Add an event to the outbox of the session's transaction (written at its next flush) and return it."""
    event = _event(producer, event_type, data)
    session.add(OutboxMessage(**_row(event)))
    return event


def write_events(session: Session, producer: str, events: list[tuple[str, Mapping[str, Any]]]) -> list[Event]:
    """Write events to the outbox of the session's transaction now, after what the session has pending, in one
    round trip; return them. What record_event does without the ORM's bookkeeping, which cost more CPU than
    the INSERT: for a path that holds a lock until its commit (an enrolment deciding a seat)."""
    if session.new:  # rows recorded before these stay before them; what is only changed waits for the commit
        session.flush()
    written = [_event(producer, event_type, data) for event_type, data in events]
    session.connection().execute(_INSERT, [_row(event) for event in written])
    return written


def _event(producer: str, event_type: str, data: Mapping[str, Any]) -> Event:
    if event_type not in EVENT_TYPES:
        raise ValueError(f"{event_type!r} is not an event type of the contract (shared.events)")
    return Event(type=event_type, data=data, producer=producer)


def _row(event: Event) -> dict[str, Any]:
    return {"event_id": event.id, "event_type": event.type, "body": event.to_json(),
            "correlation_id": event.correlation_id}


def claim_pending(session: Session, limit: int) -> list[OutboxMessage]:
    """Lock and return the oldest unpublished rows that no other relay holds."""
    statement = (
        select(OutboxMessage)
        .where(OutboxMessage.published_at.is_(None))
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(statement))


def count_pending(session: Session) -> int:
    """Return how many events still wait for the relay."""
    return session.scalar(select(func.count()).where(OutboxMessage.published_at.is_(None))) or 0
