"""What the notification service accepts and answers."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from shared.auth import LOCALES


class PreferenceSchema(ma.Schema):
    """Your language for messages, and whether you also want them by email."""

    locale = ma.fields.String(required=True, validate=validate.OneOf(LOCALES))
    email = ma.fields.Boolean(required=True)
    updated_at = ma.fields.DateTime(dump_only=True, allow_none=True)
