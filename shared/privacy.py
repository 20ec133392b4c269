"""Erasure records, written once for every service (DESIGN section 6, invariant 10).

Each service keeps one record per erasure it carried out. The record holds no personal data: the
person appears only as a one-way hash of their id, which is what lets a late or replayed event about
them be recognised and dropped instead of bringing their data back. An event is stale when it
occurred at or before the erasure (`erased_as_of`); what the person does after it is new data.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import String, delete, exists, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.db import MessagingBase, UTCDateTime, insert_unless_present, utcnow
from shared.messaging.outbox import OutboxMessage

ERASED_BY = ("student", "staff", "admin")  # the person themself (by their role), or an admin


class ErasureRecord(MessagingBase):
    """That a service erased one person, when, and as of which instant; never who."""

    __tablename__ = "erasures"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_hash: Mapped[str] = mapped_column(String(64), index=True)
    requested_by: Mapped[str] = mapped_column(String(16))
    erased_as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def subject_hash(person_id: str) -> str:
    """The one-way name of a person in erasure records and dead-letter scrubbing."""
    return hashlib.sha256(f"course-exchange:subject:{person_id}".encode()).hexdigest()


def pseudonym() -> str:
    """A fresh random stand-in for an erased person's id, linked to nothing."""
    return f"erased-{uuid.uuid4().hex}"


def record_erasure(session: Session, erasure_id: str, person_id: str, requested_by: str,
                   as_of: datetime) -> bool:
    """Record that this service erased the person; False when this erasure was recorded before
    (a repeated or redelivered request, which then changes nothing)."""
    return insert_unless_present(session, ErasureRecord.__table__, {
        "id": erasure_id, "subject_hash": subject_hash(person_id), "requested_by": requested_by,
        "erased_as_of": as_of, "completed_at": utcnow()})


def is_erased(session: Session, person_id: str, occurred_at: datetime) -> bool:
    """Tell whether what happened at `occurred_at` about the person was erased since (a late or
    replayed event, which must not bring their data back)."""
    return bool(session.scalar(select(exists().where(
        ErasureRecord.subject_hash == subject_hash(person_id), ErasureRecord.erased_as_of >= occurred_at))))


def forget_outbox_events(session: Session, person_id: str) -> int:
    """Delete this service's outbox rows whose event names the person, published or not, and return
    how many. An unpublished one is about the erased person alone (their own enrolment), so nobody
    else misses it; a row a relay is publishing right now is deleted once the relay commits."""
    needle = json.dumps(person_id, ensure_ascii=False)
    candidates = session.execute(select(OutboxMessage.id, OutboxMessage.body)
                                 .where(OutboxMessage.body.contains(needle, autoescape=True))).all()
    doomed = [row_id for row_id, body in candidates if names_person(json.loads(body), person_id)]
    if doomed:
        session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(doomed)))
    return len(doomed)


def names_person(envelope: Any, person_id: str) -> bool:
    """Tell whether an event envelope is about the person: they are its student or applicant, or its subject."""
    if not isinstance(envelope, dict) or not isinstance(envelope.get("data"), dict):
        return False
    data = envelope["data"]
    return data.get("subject_id") == person_id or any(
        isinstance(data.get(role), dict) and data[role].get("id") == person_id for role in ("student", "applicant"))


def erasure_record(session: Session, erasure_id: str) -> ErasureRecord | None:
    return session.get(ErasureRecord, erasure_id)
