"""The AsyncAPI document of the events: generated from their definitions, valid AsyncAPI 3, true to the wire.

tests/support/asyncapi/ holds the official AsyncAPI 3.0.0 JSON schema (npm @asyncapi/specs 6.11.1,
Apache-2.0, AsyncAPI Initiative; see its LICENSE and NOTICE there).
"""

import json
from pathlib import Path

import jsonschema
import pytest

from services.asyncapi import DOCUMENT_PATH, asyncapi_document, render
from shared import events
from shared.events import DEFINITIONS
from tests.support.payloads import seeded_events

ASYNCAPI_3_SCHEMA = Path(__file__).parent / "support" / "asyncapi" / "asyncapi-3.0.0.schema.json"


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))


def test_the_committed_document_is_the_one_the_code_generates(document):
    assert DOCUMENT_PATH.read_text(encoding="utf-8") == render(), \
        "docs/asyncapi.json is stale: run `python -m services asyncapi` and commit the result"


def test_the_document_is_valid_asyncapi_3(document):
    validator = jsonschema.Draft7Validator(json.loads(ASYNCAPI_3_SCHEMA.read_text(encoding="utf-8")))
    assert [error.message for error in validator.iter_errors(document)] == []
    broken = asyncapi_document()
    broken["channels"][events.SEATS_CHANGED]["address"] = 42
    assert list(validator.iter_errors(broken))  # the check can fail


def test_every_event_is_a_channel_with_who_publishes_and_who_consumes_it(document):
    assert set(document["channels"]) == {event_type for event_type, _ in DEFINITIONS}
    by_channel = {}
    for operation_id, operation in document["operations"].items():
        by_channel.setdefault(operation["channel"]["$ref"].rsplit("/", 1)[1], set()).add(operation_id)
    assert by_channel[events.OFFERING_CANCELLED] == {
        "catalogue.send.catalogue.offering.cancelled", "enrolment.receive.catalogue.offering.cancelled",
        "notifications.receive.catalogue.offering.cancelled"}
    assert by_channel[events.SEATS_CHANGED] == {"enrolment.send.enrolment.seats_changed",
                                                "catalogue.receive.enrolment.seats_changed"}


def test_the_events_a_producer_writes_match_the_documented_messages(document, catalogue_db):
    schemas = {"components": document["components"]}
    for event in seeded_events(catalogue_db):
        message = document["components"]["messages"][f"{event.type}.v{event.version}"]
        envelope = json.loads(event.to_json())
        jsonschema.validate(envelope, {**message["payload"], **schemas})
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**envelope, "data": {**envelope["data"], "version": "two"}},
                                {**message["payload"], **schemas})
