"""Waiting-list positions: computed from tickets, since they move whenever someone ahead leaves."""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from enrolment.models import Enrolment


def with_positions(session: Session, enrolments: Iterable[Enrolment]) -> list[Enrolment]:
    """Set waitlist_position on each waiting enrolment (1 = next to get a seat) and return them."""
    enrolments = list(enrolments)
    waiting = [e for e in enrolments if e.status == "waitlisted"]
    if waiting:
        rank = func.row_number().over(partition_by=Enrolment.offering_id,
                                      order_by=Enrolment.waitlist_ticket).label("position")
        ranked = (select(Enrolment.id, rank)
                  .where(Enrolment.offering_id.in_({e.offering_id for e in waiting}),
                         Enrolment.status == "waitlisted").subquery())
        positions = dict(session.execute(select(ranked.c.id, ranked.c.position)
                                         .where(ranked.c.id.in_([e.id for e in waiting]))).all())
        for enrolment in waiting:
            enrolment.waitlist_position = positions[enrolment.id]
    for enrolment in enrolments:
        if enrolment.status != "waitlisted":
            enrolment.waitlist_position = None
    return enrolments


def first_in_line(session: Session, offering_id: str, count: int, institution: str | None = None) -> list[Enrolment]:
    """Return the first `count` waiting enrolments of an offering (of the institution's students only, if
    given), in the order they joined."""
    query = select(Enrolment).where(Enrolment.offering_id == offering_id, Enrolment.status == "waitlisted")
    if institution is not None:
        query = query.where(Enrolment.student_institution == institution)
    return list(session.scalars(query.order_by(Enrolment.waitlist_ticket).limit(count)))
