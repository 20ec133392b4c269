"""What the notification service accepts and answers."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from notifications.messages import KINDS
from shared.http.auth import LOCALES
from shared.http.fields import StrictBoolean
from shared.timezones import zone_names


class PreferenceSchema(ma.Schema):
    """Your language for messages, whether you also want them by email, and your time zone."""

    locale = ma.fields.String(required=True, validate=validate.OneOf(LOCALES))
    email = StrictBoolean(required=True)
    timezone = ma.fields.String(validate=validate.OneOf(  # an enum in the OpenAPI document
        zone_names(), error="Not an IANA time zone name (e.g. Europe/Amsterdam, Asia/Tomsk)."),
        metadata={"description": "IANA time zone name, in which times are shown to you; until you choose one, "
                                 "your institution's (Europe/Amsterdam for LUMC, Asia/Tomsk for SSMU). "
                                 "Left out of a PUT, it stays as it is.", "example": "Asia/Tomsk"})
    updated_at = ma.fields.DateTime(dump_only=True, allow_none=True)


class EmailStatusSchema(ma.Schema):
    """Where the email of a notification stands."""

    status = ma.fields.String(attribute="shown_status", metadata={"enum": ["pending", "sent", "failed"]})
    attempts = ma.fields.Integer()
    last_error = ma.fields.String(allow_none=True)
    sent_at = ma.fields.DateTime(allow_none=True)
    next_attempt_at = ma.fields.DateTime()


class NotificationSchema(ma.Schema):
    """A message in your inbox."""

    id = ma.fields.String()
    kind = ma.fields.String(metadata={"enum": list(KINDS)})
    locale = ma.fields.String()
    subject = ma.fields.String()
    body = ma.fields.String(metadata={"description": "The message as plain text"})
    offering_id = ma.fields.String(allow_none=True)
    enrolment_id = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    read_at = ma.fields.DateTime(allow_none=True)
    email = ma.fields.Nested(EmailStatusSchema, allow_none=True,
                             metadata={"description": "null when you turned email off"})
