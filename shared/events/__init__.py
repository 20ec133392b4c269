"""The events of the contract (DESIGN section 5), one module per producer; the type is the routing key.

Producers build an event's data from its payload class, consumers get it back typed (`Event.payload`),
and docs/asyncapi.json is generated from the same definitions (`python -m services asyncapi`).
"""

from __future__ import annotations

from typing import Mapping

from shared.events import catalogue, enrolment
from shared.events.catalogue import (COURSE_ARCHIVED, COURSE_PUBLISHED, COURSE_UPDATED, OFFERING_CANCELLED,
                                     OFFERING_SCHEDULED, OFFERING_UPDATED)
from shared.events.contract import EventDefinition, EventPayload
from shared.events.enrolment import (APPLICATION_APPROVED, APPLICATION_DECLINED, APPLICATION_SUBMITTED,
                                     APPLICATION_WITHDRAWN, ENROLMENT_CANCELLED, ENROLMENT_CONFIRMED,
                                     ENROLMENT_OFFER_EXPIRED, ENROLMENT_OFFER_REMINDED, ENROLMENT_OFFERED,
                                     ENROLMENT_PROMOTED, ENROLMENT_WAITLISTED, ERASURE_REQUESTED, SEATS_CHANGED)

__all__ = ["COURSE_ARCHIVED", "COURSE_PUBLISHED", "COURSE_UPDATED", "OFFERING_CANCELLED", "OFFERING_SCHEDULED",
           "OFFERING_UPDATED", "ENROLMENT_CANCELLED", "ENROLMENT_CONFIRMED", "ENROLMENT_PROMOTED",
           "ENROLMENT_WAITLISTED", "ENROLMENT_OFFERED", "ENROLMENT_OFFER_REMINDED", "ENROLMENT_OFFER_EXPIRED",
           "ERASURE_REQUESTED", "SEATS_CHANGED", "APPLICATION_APPROVED",
           "APPLICATION_DECLINED", "APPLICATION_SUBMITTED", "APPLICATION_WITHDRAWN", "DEFINITIONS", "EVENT_TYPES",
           "EventPayload", "UNKEPT_TYPES", "definition_of"]

DEFINITIONS: Mapping[tuple[str, int], EventDefinition] = {
    (definition.type, definition.version): definition
    for definition in (*catalogue.DEFINITIONS, *enrolment.DEFINITIONS)
}
EVENT_TYPES = frozenset(event_type for event_type, _ in DEFINITIONS)
# Event types the producer's outbox deletes once the broker confirmed them (EventDefinition.keep_published).
UNKEPT_TYPES = frozenset(definition.type for definition in DEFINITIONS.values() if not definition.keep_published)


def definition_of(event_type: str, version: int) -> EventDefinition | None:
    """Return the definition of a version of an event type, or None if the contract has none."""
    return DEFINITIONS.get((event_type, version))
