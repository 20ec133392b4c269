"""How an event of the contract is defined: one typed payload per event type and version.

The same definition builds an event's data (producers), checks and parses it into a typed object
(consumers) and documents it (the AsyncAPI document). Consumers ignore fields they do not know, so a
producer may add fields to a version; anything else is a new version, published alongside the old one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, PlainSerializer
from typing_extensions import NotRequired, TypedDict  # pydantic needs this one before Python 3.12

# An instant, read as UTC, and written as the producers always have: ISO 8601 with its offset ("+00:00").
Instant = Annotated[AwareDatetime, AfterValidator(lambda instant: instant.astimezone(timezone.utc)),
                    PlainSerializer(datetime.isoformat, return_type=str, when_used="json")]


class LocalisedText(TypedDict):
    """A text in English (always) and Russian (when there is one)."""

    en: str
    ru: NotRequired[str | None]


# One changed field of an edit: its value before and after.
FieldChange = TypedDict("FieldChange", {"from": Any, "to": Any})


class EventPayload(BaseModel):
    """The data of one event type and version; unknown fields are ignored (payloads grow by adding)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    def to_data(self) -> dict[str, Any]:
        """Return the JSON-ready data the envelope carries."""
        return self.model_dump(mode="json")


@dataclass(frozen=True)
class EventDefinition:
    """One event type and version of the contract: what it says, who publishes it, its payload."""

    type: str
    version: int
    producer: str
    payload: type[EventPayload]
    summary: str
    # Whether the producer's outbox keeps the event once the broker confirmed it (until retention
    # prunes it). An event naming a person who asked to be forgotten is deleted at once instead.
    keep_published: bool = True
