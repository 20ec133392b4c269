"""Seats reserved per institution (DESIGN section 4): the release of a pool whose release_at has come.

Any locked decision on an offering releases its due pools first (operations.promote_from_waitlist), so the
clock decides, not the sweeper; this sweeper releases the pools of offerings nobody touches at that moment,
and serves their waiting lists from the seats released, first in line first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from enrolment.models import Offering, SeatPool
from enrolment.operations import announce_seats, get_offering, promote_from_waitlist, release_due_pools
from shared.db import Database, utcnow


def sweep_pools(db: Database, now: datetime | None = None, limit: int = 500) -> int:
    """Release every pool due, one offering per short transaction with its events in the outbox; return how
    many offerings had pools released (at most `limit`). Any number of sweepers may run: an offering another
    sweeper (or a request) holds is skipped, and a pool is marked released, so it is released once."""
    now = now or utcnow()
    due = (select(Offering.id).join(SeatPool, SeatPool.offering_id == Offering.id)
           .where(SeatPool.released.is_(False), SeatPool.release_at <= now)
           .order_by(SeatPool.release_at, Offering.id).limit(1).with_for_update(of=Offering, skip_locked=True))
    released = 0
    for _ in range(limit):
        with db.transaction() as session:
            offering_id = session.scalar(due)
            if offering_id is None:
                break
            offering = get_offering(session, offering_id, for_update=True)
            if release_due_pools(offering, now):
                promote_from_waitlist(session, offering, now)
                announce_seats(session, offering)
                released += 1
    return released
