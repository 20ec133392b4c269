"""The event envelope of DESIGN section 5: defined once, serialised in one place."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import cached_property
from typing import Any, Mapping

from pydantic import ValidationError

from shared.events import EVENT_TYPES, EventPayload, definition_of
from shared.logs import current_correlation_id

# The version of its event type's payload an event is published in, unless its definition says otherwise.
ENVELOPE_VERSION = 1


class MalformedEvent(ValueError):
    """A message that is not an event envelope we understand; retrying will not help."""


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable in an event")


def format_instant(value: datetime) -> str:
    """Format an aware datetime as RFC 3339 UTC with a Z."""
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def parse_instant(value: str) -> datetime:
    """Parse an RFC 3339 instant into an aware UTC datetime."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("instant without a UTC offset")
    return parsed.astimezone(timezone.utc)


@dataclass(frozen=True)
class Event:
    """One event: what happened, in which service, caused by which request."""

    type: str
    data: Mapping[str, Any]
    producer: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    correlation_id: str | None = field(default_factory=current_correlation_id)
    version: int = ENVELOPE_VERSION

    def to_json(self) -> str:
        """Serialise the envelope; the relay publishes exactly these bytes."""
        return json.dumps({
            "id": self.id,
            "type": self.type,
            "version": self.version,
            "occurred_at": format_instant(self.occurred_at),
            "producer": self.producer,
            "correlation_id": self.correlation_id,
            "data": self.data,
        }, default=_json_default, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, body: bytes | str) -> "Event":
        """Parse and check an envelope, raising MalformedEvent for anything else."""
        try:
            raw = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise MalformedEvent(f"body is not JSON: {type(exc).__name__}") from None
        if not isinstance(raw, dict):
            raise MalformedEvent("envelope is not a JSON object")
        missing = {"id", "type", "version", "occurred_at", "producer", "data"} - raw.keys()
        if missing:
            raise MalformedEvent(f"envelope lacks {', '.join(sorted(missing))}")
        for name in ("id", "type", "occurred_at", "producer"):
            if not isinstance(raw[name], str):
                raise MalformedEvent(f"envelope field {name} is not a string")
        if raw["type"] not in EVENT_TYPES:
            raise MalformedEvent(f"unknown event type {raw['type']!r}")
        if not isinstance(raw["version"], int) or isinstance(raw["version"], bool):
            raise MalformedEvent("envelope field version is not an integer")
        if definition_of(raw["type"], raw["version"]) is None:
            raise MalformedEvent(f"unknown version {raw['version']!r} of {raw['type']} (this consumer knows "
                                 "the versions in shared.events)")
        if not isinstance(raw["data"], dict):
            raise MalformedEvent("event data is not a JSON object")
        correlation_id = raw.get("correlation_id")
        if correlation_id is not None and not isinstance(correlation_id, str):
            raise MalformedEvent("correlation_id is not a string")
        try:
            event_id = str(uuid.UUID(raw["id"]))
            occurred_at = parse_instant(raw["occurred_at"])
        except ValueError as exc:
            raise MalformedEvent(f"bad id or occurred_at: {exc}") from None
        return cls(type=raw["type"], data=raw["data"], producer=raw["producer"], id=event_id,
                   occurred_at=occurred_at, correlation_id=correlation_id, version=raw["version"])

    @cached_property
    def payload(self) -> EventPayload:
        """The data as the typed payload of this event type and version; MalformedEvent if it does not match."""
        definition = definition_of(self.type, self.version)
        if definition is None:
            raise MalformedEvent(f"unknown version {self.version!r} of {self.type}")
        try:
            return definition.payload.model_validate(self.data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, error['loc'])) or 'data'}: {error['msg']}"
                                 for error in exc.errors()[:10])
            raise MalformedEvent(f"data of {self.type} version {self.version} does not match the contract: "
                                 f"{problems}") from None
