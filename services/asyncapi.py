"""The AsyncAPI 3 document of the events, generated from their definitions (shared.events) and from which
service handles which (services.registry): docs/asyncapi.json, checked in CI against this code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic.json_schema import models_json_schema

from services.registry import consumed_event_types
from shared.config import SERVICES
from shared.events import DEFINITIONS
from shared.events.contract import EventDefinition
from shared.messaging.topology import EXCHANGE_NAME

DOCUMENT_PATH = Path(__file__).resolve().parent.parent / "docs" / "asyncapi.json"
SCHEMA_REF = "#/components/schemas/{model}"
AMQP_BINDING_VERSION = "0.3.0"
# Published persistent and mandatory (an unroutable event is an error); acked after the handler's commit.
OPERATION_BINDINGS = {"send": {"deliveryMode": 2, "mandatory": True, "bindingVersion": AMQP_BINDING_VERSION},
                      "receive": {"ack": True, "bindingVersion": AMQP_BINDING_VERSION}}
DESCRIPTION = """Every event of the LUMC–SSMU course exchange, published on the durable topic exchange
`events` with the event type as routing key (DESIGN section 5). Each message is the envelope below; its
`data` is the payload of the event type and `version`. Payloads evolve by adding fields (consumers ignore
fields they do not know); an incompatible change is a new version, published alongside the old one until
every consumer reads it; a field is never given a new meaning. Generated from shared/events/ by
`python -m services asyncapi`."""


def asyncapi_document() -> dict[str, Any]:
    """Return the AsyncAPI 3.0.0 document of every event of the contract."""
    definitions = sorted(DEFINITIONS.values(), key=lambda d: (d.type, d.version))
    _, schemas = models_json_schema([(d.payload, "validation") for d in definitions], ref_template=SCHEMA_REF)
    channels, operations, messages = {}, {}, {}
    for definition in definitions:
        message_id = f"{definition.type}.v{definition.version}"
        messages[message_id] = _message(definition)
        channel = channels.setdefault(definition.type, {
            "address": definition.type, "title": definition.type, "messages": {},
            "bindings": {"amqp": _channel_binding()}})
        channel["messages"][message_id] = {"$ref": f"#/components/messages/{message_id}"}
        for service, action in [(definition.producer, "send"), *((s, "receive") for s in _consumers(definition))]:
            operation = operations.setdefault(f"{service}.{action}.{definition.type}", {
                "action": action, "channel": {"$ref": f"#/channels/{definition.type}"},
                "title": f"{service} {'publishes' if action == 'send' else 'consumes'} {definition.type}",
                "tags": [{"name": service}], "bindings": {"amqp": OPERATION_BINDINGS[action]}, "messages": []})
            operation["messages"].append({"$ref": f"#/channels/{definition.type}/messages/{message_id}"})
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "LUMC–SSMU course exchange events", "version": "1.0.0", "description": DESCRIPTION},
        "defaultContentType": "application/json",
        "servers": {"rabbitmq": {"host": "localhost:5672", "protocol": "amqp", "protocolVersion": "0.9.1",
                                 "description": "The broker of a deployment (AMQP_URL)"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas.get("$defs", {})},
    }


def _consumers(definition: EventDefinition) -> list[str]:
    return sorted(service for service in SERVICES if definition.type in consumed_event_types(service))


def _channel_binding() -> dict[str, Any]:
    return {"is": "routingKey", "bindingVersion": AMQP_BINDING_VERSION,
            "exchange": {"name": EXCHANGE_NAME, "type": "topic", "durable": True, "autoDelete": False}}


def _message(definition: EventDefinition) -> dict[str, Any]:
    """The envelope of one event type and version, its data being that version's payload."""
    return {
        "name": definition.type, "title": f"{definition.type} (version {definition.version})",
        "summary": definition.summary, "contentType": "application/json",
        "bindings": {"amqp": {"messageType": definition.type, "bindingVersion": AMQP_BINDING_VERSION}},
        "payload": {
            "type": "object",
            "required": ["id", "type", "version", "occurred_at", "producer", "data"],
            "properties": {
                "id": {"type": "string", "format": "uuid", "description": "Also the AMQP message_id"},
                "type": {"const": definition.type, "description": "Also the routing key and AMQP type"},
                "version": {"const": definition.version},
                "occurred_at": {"type": "string", "format": "date-time", "description": "RFC 3339, UTC"},
                "producer": {"const": definition.producer},
                "correlation_id": {"type": ["string", "null"],
                                   "description": "Of the request or event that caused this one"},
                "data": {"$ref": SCHEMA_REF.format(model=definition.payload.__name__)},
            },
        },
    }


def render() -> str:
    """Return the document as committed in docs/asyncapi.json."""
    return json.dumps(asyncapi_document(), indent=2, ensure_ascii=False) + "\n"
