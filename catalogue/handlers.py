"""How the catalogue reacts to other services' events."""

from __future__ import annotations

from sqlalchemy.orm import Session

from catalogue.offerings import record_seats
from catalogue.privacy import on_erasure_requested
from shared import events
from shared.events.enrolment import SeatsChanged
from shared.messaging.envelope import Event


def on_seats_changed(session: Session, event: Event) -> None:
    """Show enrolment's latest seat counts on the offering."""
    change: SeatsChanged = event.payload
    record_seats(session, change.offering_id, change.seats, change.seats_revision)


HANDLERS = {events.SEATS_CHANGED: on_seats_changed, events.ERASURE_REQUESTED: on_erasure_requested}
