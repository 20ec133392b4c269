"""The event envelope: what every producer writes and every consumer accepts."""

import json
import uuid

import pytest
from sqlalchemy import select

from shared import events
from shared.logs import correlation
from shared.messaging.envelope import Event, MalformedEvent


def test_an_envelope_round_trips_with_every_field_of_the_contract():
    event = Event(type=events.OFFERING_SCHEDULED, data={"title": {"ru": "Гельминтозы"}}, producer="catalogue")

    raw = json.loads(event.to_json())

    assert set(raw) == {"id", "type", "version", "occurred_at", "producer", "correlation_id", "data"}
    assert raw["version"] == 1 and raw["occurred_at"].endswith("Z")
    assert uuid.UUID(raw["id"])
    assert Event.from_json(event.to_json()) == event


def test_cyrillic_travels_as_utf8_not_escapes():
    body = Event(type=events.COURSE_UPDATED, data={"ru": "Описторхоз"}, producer="catalogue").to_json()
    assert "Описторхоз" in body


def test_an_event_carries_the_correlation_id_of_the_work_that_caused_it():
    with correlation("req-42"):
        event = Event(type=events.ENROLMENT_CONFIRMED, data={}, producer="enrolment")
    assert event.correlation_id == "req-42"


@pytest.mark.parametrize("body, reason", [
    (b"not json", "not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (json.dumps({"id": str(uuid.uuid4()), "type": "enrolment.confirmed"}), "lacks"),
    (json.dumps({"id": str(uuid.uuid4()), "type": "enrolment.exploded", "version": 1,
                 "occurred_at": "2026-01-01T00:00:00Z", "producer": "x", "data": {}}), "unknown event type"),
    (json.dumps({"id": str(uuid.uuid4()), "type": "enrolment.confirmed", "version": 2,
                 "occurred_at": "2026-01-01T00:00:00Z", "producer": "x", "data": {}}), "version"),
    (json.dumps({"id": str(uuid.uuid4()), "type": "enrolment.confirmed", "version": 1,
                 "occurred_at": "2026-01-01T00:00:00Z", "producer": "x", "data": []}), "not a JSON object"),
    (json.dumps({"id": "nope", "type": "enrolment.confirmed", "version": 1,
                 "occurred_at": "2026-01-01T00:00:00Z", "producer": "x", "data": {}}), "bad id"),
    (json.dumps({"id": str(uuid.uuid4()), "type": "enrolment.confirmed", "version": 1,
                 "occurred_at": "2026-01-01T00:00:00", "producer": "x", "data": {}}), "bad id or occurred_at"),
    (json.dumps({"id": str(uuid.uuid4()), "type": ["enrolment.confirmed"], "version": 1,
                 "occurred_at": "2026-01-01T00:00:00Z", "producer": "x", "data": {}}), "not a string"),
    ("[" * 100000 + "]" * 100000, "not JSON"),
])
def test_anything_but_a_valid_envelope_is_refused_as_malformed(body, reason):
    with pytest.raises(MalformedEvent, match=reason):
        Event.from_json(body)


def test_the_outbox_takes_only_event_types_of_the_contract():
    from shared.messaging.outbox import record_event

    with pytest.raises(ValueError, match="not an event type"):
        record_event(None, "notifications", "notifications.sent", {})


def test_every_event_the_producers_record_parses_into_its_typed_payload(catalogue_db, enrolment_db):
    from enrolment.operations import cancel_enrolment, enrol_student
    from enrolment.replica import apply_offering_snapshot
    from shared.events.catalogue import OfferingSnapshot
    from shared.messaging.outbox import OutboxMessage
    from tests.support.payloads import offering_snapshot, seeded_events, student

    recorded = seeded_events(catalogue_db)
    snapshot = OfferingSnapshot.model_validate(offering_snapshot(capacity=1))
    with enrolment_db.transaction() as session:
        apply_offering_snapshot(session, snapshot)
        enrolment = enrol_student(session, student(1), snapshot.offering_id)
        enrol_student(session, student(2), snapshot.offering_id)
        cancel_enrolment(session, student(1), enrolment.id)
    with enrolment_db.transaction() as session:
        recorded += [Event.from_json(body) for body in session.scalars(select(OutboxMessage.body))]

    assert {event.type for event in recorded} >= {events.COURSE_PUBLISHED, events.OFFERING_SCHEDULED,
                                                   events.ENROLMENT_CONFIRMED, events.ENROLMENT_WAITLISTED,
                                                   events.ENROLMENT_CANCELLED, events.ENROLMENT_PROMOTED,
                                                   events.SEATS_CHANGED}
    for event in recorded:
        assert event.payload.to_data() == event.data  # typed, and written back exactly as it came
