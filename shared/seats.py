"""Seat counts as every service shows them (DESIGN section 4)."""

from __future__ import annotations


def seat_counts(capacity: int, confirmed: int, waitlisted: int, held: int = 0) -> dict[str, int]:
    """Return an offering's seats; a seat held by an open offer is taken, and while anyone waits, no
    seat is available to a newcomer."""
    free = max(capacity - confirmed - held, 0)
    return {"capacity": capacity, "confirmed": confirmed, "held": held, "available": 0 if waitlisted else free,
            "waitlisted": waitlisted}
