"""What the enrolment service answers."""

from __future__ import annotations

import marshmallow as ma


class SeatsSchema(ma.Schema):
    """Live seat counts of an offering."""

    offering_id = ma.fields.String(attribute="id")
    capacity = ma.fields.Integer(attribute="seats.capacity")
    confirmed = ma.fields.Integer(attribute="seats.confirmed")
    available = ma.fields.Integer(attribute="seats.available")
    waitlisted = ma.fields.Integer(attribute="seats.waitlisted")
