"""Seats reserved per institution (DESIGN section 4): the release of a pool whose release_at has come.

Any locked decision on an offering releases its due pools first (operations.promote_from_waitlist), so the
clock decides, not the sweeper; this sweeper releases the pools of offerings nobody touches at that moment,
and serves their waiting lists from the seats released, first in line first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from enrolment.models import Offering, SeatPool
from enrolment.operations import announce_seats, get_offering, promote_from_waitlist, release_due_pools
from shared.db import Database, utcnow
from shared.messaging.chores import settle_one_at_a_time


def sweep_pools(db: Database, now: datetime | None = None, limit: int = 500) -> int:
    """Release every pool due, one offering per short transaction with its events in the outbox; return how
    many offerings had pools released (at most `limit`). Any number of sweepers may run: an offering another
    sweeper (or a request) holds is skipped, and a pool is marked released, so it is released once."""
    now = now or utcnow()
    due = (select(Offering.id).join(SeatPool, SeatPool.offering_id == Offering.id)
           .where(SeatPool.released.is_(False), SeatPool.release_at <= now)
           .order_by(SeatPool.release_at, Offering.id).limit(1).with_for_update(of=Offering, skip_locked=True))
    return settle_one_at_a_time(db, due, lambda session, offering_id: _release(session, offering_id, now), limit)


def _release(session: Session, offering_id: str, now: datetime) -> bool:
    offering = get_offering(session, offering_id, for_update=True)
    if not release_due_pools(offering, now):
        return False
    promote_from_waitlist(session, offering, now)
    announce_seats(session, offering)
    return True
