"""Seat counts as every service shows them (DESIGN section 4)."""

from __future__ import annotations

import marshmallow as ma

from shared.http.auth import INSTITUTIONS


def seat_counts(capacity: int, confirmed: int, waitlisted: int, held: int = 0,
                reserved: list[dict] | None = None) -> dict:
    """Return an offering's seats; a seat held by an open offer is taken, and while anyone waits, no
    seat is available to a newcomer. `reserved` lists the pools still reserving seats, each with its own
    counts; the top-level counts are the totals."""
    free = max(capacity - confirmed - held, 0)
    return {"capacity": capacity, "confirmed": confirmed, "held": held, "available": 0 if waitlisted else free,
            "waitlisted": waitlisted, "reserved": list(reserved or [])}


class PoolSeatsSchema(ma.Schema):
    """Live seat counts of a pool still reserved for an institution's students."""

    institution = ma.fields.String(metadata={"enum": list(INSTITUTIONS)})
    seats = ma.fields.Integer()
    confirmed = ma.fields.Integer()
    held = ma.fields.Integer()
    available = ma.fields.Integer(metadata={"description": "Seats of the pool a student of its institution "
                                                           "takes now (0 while one of them waits)"})
    waitlisted = ma.fields.Integer(metadata={"description": "The institution's students waiting (for a seat "
                                                            "of the pool or an open one)"})
    release_at = ma.fields.AwareDateTime()
