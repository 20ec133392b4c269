"""Seat counts as every service shows them (DESIGN section 4)."""

from __future__ import annotations


def seat_counts(capacity: int, confirmed: int, waitlisted: int) -> dict[str, int]:
    """Return an offering's seats; while anyone waits, no seat is available to a newcomer."""
    free = max(capacity - confirmed, 0)
    return {"capacity": capacity, "confirmed": confirmed, "available": 0 if waitlisted else free,
            "waitlisted": waitlisted}
