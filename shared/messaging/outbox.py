"""The transactional outbox: events written in the same transaction as the change they describe."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, Mapping

from sqlalchemy import Index, Insert, Integer, String, Table, Text, bindparam, func, insert, select, union_all
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


def write_events(session: Session, producer: str, events: list[tuple[str, Mapping[str, Any]]],
                 along: tuple[Table, dict[str, Any]] | None = None) -> list[Event]:
    """Write events to the outbox of the session's transaction now, after what the session has pending, in one
    round trip; return them. What record_event does without the ORM's bookkeeping, which cost more CPU than
    the INSERT: for a path that holds a lock until its commit (an enrolment deciding a seat). `along` is a
    row (its table, its values) the events describe, inserted by the same statement on PostgreSQL (a
    data-modifying CTE): a round trip fewer under that lock."""
    if session.new:  # rows recorded before these stay before them; what is only changed waits for the commit
        session.flush()
    written = [_event(producer, event_type, data) for event_type, data in events]
    rows = [_row(event) for event in written]
    connection = session.connection()
    if along is None:
        connection.execute(_INSERT, rows)
    elif connection.dialect.name == "postgresql":
        table, values = along
        connection.execute(_events_with_row(table, tuple(values), len(rows)), {
            **{f"row_{key}": value for key, value in values.items()},
            **{f"event{number}_{key}": value for number, row in enumerate(rows) for key, value in row.items()}})
    else:  # SQLite has no data-modifying CTE
        connection.execute(_insert_into(along[0]), along[1])
        connection.execute(_INSERT, rows)
    return written


@cache
def _events_with_row(table: Table, columns: tuple[str, ...], events: int) -> Insert:
    """`events` outbox rows (:event<n>_<field>, numbered in that order) and a row of `table` (:row_<column>),
    in one statement; built once for each shape. The events are a UNION ALL of one-row SELECTs, not one
    multi-row VALUES, which SQLAlchemy would compile anew on every run."""
    row = insert(table).values({column: bindparam(f"row_{column}") for column in columns}).cte("row_written")
    outbox = OutboxMessage.__table__.c
    rows = union_all(*(select(*(bindparam(f"event{number}_{field}", type_=outbox[field].type)
                                for field in EVENT_FIELDS)) for number in range(events)))
    return insert(OutboxMessage.__table__).add_cte(row).from_select(EVENT_FIELDS, rows)


_insert_into = cache(insert)


def _event(producer: str, event_type: str, data: Mapping[str, Any]) -> Event:
    if event_type not in EVENT_TYPES:
        raise ValueError(f"{event_type!r} is not an event type of the contract (shared.events)")
    return Event(type=event_type, data=data, producer=producer)


# Every column a new row needs: a statement of bound parameters alone gets no Python-side defaults.
EVENT_FIELDS = ("event_id", "event_type", "body", "correlation_id", "created_at", "attempts")


def _row(event: Event) -> dict[str, Any]:
    return dict(zip(EVENT_FIELDS, (event.id, event.type, event.to_json(), event.correlation_id, utcnow(), 0)))


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
