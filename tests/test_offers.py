"""Waiting-list offers that expire (DESIGN section 4, promotion `offer`), as domain functions on SQLite and
PostgreSQL: a freed seat is held for the first in line, who accepts or declines it before the deadline or
lets it expire; the seat then goes to the next in line."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from enrolment.handlers import HANDLERS
from enrolment.models import Enrolment
from enrolment.offers import accept_offer, decline_offer, sweep_offers
from enrolment.operations import cancel_enrolment, enrol_student, get_offering
from enrolment.replica import apply_offering_snapshot
from shared import events
from shared.db import Database
from shared.events.catalogue import OfferingSnapshot
from shared.http.errors import Problem
from shared.messaging.consumer import handle_event
from shared.messaging.envelope import Event
from shared.messaging.outbox import OutboxMessage
from tests.support.environment import migrate_to_head
from tests.support.payloads import offering_snapshot, student


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request, tmp_path):
    """Enrolment's database, migrated, on a SQLite file or a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'enrolment.db'}"
        migrate_to_head("enrolment", url)
    else:  # named after the service: a copy of a migrated one
        url = request.getfixturevalue("postgres_database_factory")("enrolment")
    database = Database(url)
    yield database
    database.dispose()


def scheduled(db, **fields) -> str:
    """An open offering with one seat, a waiting list and promotion by offer (24 hours)."""
    snapshot = offering_snapshot(**{"capacity": 1, "promotion": "offer", "offer_hours": 24, **fields})
    with db.transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))
    return snapshot["offering_id"]


def enrol(db, number, offering_id) -> Enrolment:
    with db.transaction() as session:
        return enrol_student(session, student(number), offering_id)


def cancel(db, enrolment: Enrolment) -> None:
    with db.transaction() as session:
        cancel_enrolment(session, student(int(enrolment.student_id.rsplit("-", 1)[1])), enrolment.id)


def answer(db, how, number, enrolment_id, now=None) -> Enrolment:
    with db.transaction() as session:
        return how(session, student(number), enrolment_id, now)


def refusal(db, how, number, enrolment_id, now=None) -> str:
    with pytest.raises(Problem) as problem:
        answer(db, how, number, enrolment_id, now)
    return problem.value.code


def states(db, offering_id) -> dict[str, str]:
    with db.transaction() as session:
        return {e.student_id.rsplit("-", 1)[1]: e.status for e in session.scalars(
            select(Enrolment).where(Enrolment.offering_id == offering_id))}


def seats(db, offering_id) -> dict:
    with db.transaction() as session:
        return get_offering(session, offering_id).seats


def told(db, *types) -> list[tuple[str, str]]:
    """(event type, student number) of each enrolment event of the given types, in order."""
    with db.transaction() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.event_type.in_(types))
                               .order_by(OutboxMessage.id))
        return [(row.event_type, json.loads(row.body)["data"]["student"]["id"].rsplit("-", 1)[1]) for row in rows]


def offered_one(db):
    """Students 1 (confirmed), 2 and 3 (waiting); 1 cancels, so 2 is offered the seat. Return (offering, 2's id)."""
    offering_id = scheduled(db)
    first, second, _third = (enrol(db, n, offering_id) for n in (1, 2, 3))
    cancel(db, first)
    return offering_id, second.id


def deadline_of(db, enrolment_id) -> datetime:
    with db.transaction() as session:
        return session.get(Enrolment, enrolment_id).offer_expires_at


def test_a_freed_seat_is_offered_to_the_first_in_line_and_held(db):
    offering_id, offered_id = offered_one(db)
    assert states(db, offering_id) == {"1": "cancelled", "2": "offered", "3": "waitlisted"}
    assert seats(db, offering_id) == {"capacity": 1, "confirmed": 0, "held": 1, "available": 0, "waitlisted": 1}
    expires = deadline_of(db, offered_id)
    assert timedelta(hours=23, minutes=59) < expires - datetime.now(timezone.utc) <= timedelta(hours=24)
    assert told(db, events.ENROLMENT_OFFERED, events.ENROLMENT_PROMOTED) == [(events.ENROLMENT_OFFERED, "2")]
    with db.transaction() as session:
        data = json.loads(session.scalars(select(OutboxMessage.body).where(
            OutboxMessage.event_type == events.ENROLMENT_OFFERED)).one())["data"]
    assert data["enrolment"]["status"] == "offered"
    assert datetime.fromisoformat(data["enrolment"]["offer_expires_at"]) == expires
    assert data["seats"]["held"] == 1


def test_a_held_seat_is_taken_for_newcomers_even_with_nobody_waiting(db):
    offering_id = scheduled(db)
    first, second = enrol(db, 1, offering_id), enrol(db, 2, offering_id)
    cancel(db, first)  # 2 is offered the seat; nobody waits any more
    assert seats(db, offering_id)["waitlisted"] == 0
    newcomer = enrol(db, 3, offering_id)
    assert (newcomer.status, newcomer.waitlist_position) == ("waitlisted", 1)
    assert states(db, offering_id)["2"] == "offered"
    assert answer(db, accept_offer, 2, second.id).status == "confirmed"
    assert seats(db, offering_id) == {"capacity": 1, "confirmed": 1, "held": 0, "available": 0, "waitlisted": 1}


def test_an_offer_accepted_before_its_deadline_confirms_the_seat_once(db):
    offering_id, offered_id = offered_one(db)
    accepted = answer(db, accept_offer, 2, offered_id)
    assert (accepted.status, accepted.waitlist_position) == ("confirmed", None)
    assert answer(db, accept_offer, 2, offered_id).status == "confirmed"  # a repeat changes nothing
    assert told(db, events.ENROLMENT_PROMOTED) == [(events.ENROLMENT_PROMOTED, "2")]
    assert refusal(db, decline_offer, 2, offered_id) == "no_open_offer"  # cancel a held seat instead
    assert sweep_offers(db, now=deadline_of(db, offered_id) + timedelta(hours=1)) == {"expired": 0, "reminded": 0}
    assert states(db, offering_id) == {"1": "cancelled", "2": "confirmed", "3": "waitlisted"}


def test_answers_after_the_deadline_are_409_offer_expired_before_and_after_the_sweep(db):
    offering_id, offered_id = offered_one(db)
    late = deadline_of(db, offered_id)
    assert refusal(db, accept_offer, 2, offered_id, late) == "offer_expired"
    assert refusal(db, decline_offer, 2, offered_id, late) == "offer_expired"
    assert states(db, offering_id)["2"] == "offered"  # the sweeper has not run yet: the clock decided
    assert sweep_offers(db, now=late)["expired"] == 1
    assert refusal(db, accept_offer, 2, offered_id) == "offer_expired"
    assert refusal(db, decline_offer, 2, offered_id) == "offer_expired"


def test_only_the_student_offered_the_seat_answers(db):
    offering_id, offered_id = offered_one(db)
    assert refusal(db, accept_offer, 3, offered_id) == "enrolment_not_found"
    assert refusal(db, accept_offer, 3, _id_of(db, offering_id, "3")) == "no_open_offer"  # still waiting


def test_a_declined_offer_goes_to_the_next_in_line(db):
    offering_id, offered_id = offered_one(db)
    declined = answer(db, decline_offer, 2, offered_id)
    assert (declined.status, declined.cancelled_by) == ("cancelled", "student")
    assert answer(db, decline_offer, 2, offered_id).status == "cancelled"  # a repeat changes nothing
    assert states(db, offering_id) == {"1": "cancelled", "2": "cancelled", "3": "offered"}
    assert seats(db, offering_id) == {"capacity": 1, "confirmed": 0, "held": 1, "available": 0, "waitlisted": 0}
    assert told(db, events.ENROLMENT_OFFERED) == [(events.ENROLMENT_OFFERED, "2"), (events.ENROLMENT_OFFERED, "3")]


def test_an_expired_offer_leaves_the_line_is_told_and_goes_to_the_next(db):
    offering_id, offered_id = offered_one(db)
    deadline = deadline_of(db, offered_id)
    assert sweep_offers(db, now=deadline - timedelta(seconds=1))["expired"] == 0
    assert sweep_offers(db, now=deadline) == {"expired": 1, "reminded": 0}
    assert states(db, offering_id) == {"1": "cancelled", "2": "expired", "3": "offered"}
    assert told(db, events.ENROLMENT_OFFER_EXPIRED, events.ENROLMENT_OFFERED) == [
        (events.ENROLMENT_OFFERED, "2"), (events.ENROLMENT_OFFER_EXPIRED, "2"), (events.ENROLMENT_OFFERED, "3")]
    assert sweep_offers(db, now=deadline)["expired"] == 0  # exactly once
    # The next offer's window starts when it was made, at the expiry.
    assert deadline_of(db, _id_of(db, offering_id, "3")) == deadline + timedelta(hours=24)
    assert enrol(db, 2, offering_id).status == "waitlisted"  # gone from the line: joins again at the end


def _id_of(db, offering_id, number) -> str:
    with db.transaction() as session:
        return session.scalars(select(Enrolment.id).where(Enrolment.offering_id == offering_id,
                                                          Enrolment.student_id.endswith(f"-{number}"),
                                                          Enrolment.status.in_(("offered", "waitlisted")))).one()


def test_an_offer_is_reminded_of_once_a_quarter_of_its_window_before_the_deadline(db):
    _offering_id, offered_id = offered_one(db)
    deadline = deadline_of(db, offered_id)
    assert sweep_offers(db, now=deadline - timedelta(hours=6, seconds=1))["reminded"] == 0
    assert sweep_offers(db, now=deadline - timedelta(hours=6)) == {"expired": 0, "reminded": 1}
    assert sweep_offers(db, now=deadline - timedelta(hours=1)) == {"expired": 0, "reminded": 0}
    assert told(db, events.ENROLMENT_OFFER_REMINDED) == [(events.ENROLMENT_OFFER_REMINDED, "2")]


def test_a_sweeper_that_was_down_expires_without_a_late_reminder(db):
    _offering_id, offered_id = offered_one(db)
    assert sweep_offers(db, now=deadline_of(db, offered_id) + timedelta(days=3)) == {"expired": 1, "reminded": 0}


def test_raising_the_capacity_offers_the_new_seats_in_order(db):
    offering_id = scheduled(db)
    for number in (1, 2, 3, 4):
        enrol(db, number, offering_id)
    snapshot = offering_snapshot(offering_id=offering_id, capacity=3, promotion="offer", offer_hours=24, version=2)
    handle_event(db, HANDLERS, Event(type=events.OFFERING_UPDATED, producer="catalogue", data=snapshot))
    assert states(db, offering_id) == {"1": "confirmed", "2": "offered", "3": "offered", "4": "waitlisted"}
    assert seats(db, offering_id) == {"capacity": 3, "confirmed": 1, "held": 2, "available": 0, "waitlisted": 1}


def test_a_cancelled_offering_cancels_open_offers(db):
    offering_id, offered_id = offered_one(db)
    snapshot = offering_snapshot(offering_id=offering_id, capacity=1, promotion="offer", version=2,
                                 status="cancelled", cancel_reason="No lab")
    handle_event(db, HANDLERS, Event(type=events.OFFERING_CANCELLED, producer="catalogue", data=snapshot))
    assert states(db, offering_id) == {"1": "cancelled", "2": "cancelled", "3": "cancelled"}
    assert seats(db, offering_id) == {"capacity": 1, "confirmed": 0, "held": 0, "available": 1, "waitlisted": 0}


def test_cancelling_an_offered_enrolment_passes_the_seat_on(db):
    offering_id, offered_id = offered_one(db)
    with db.transaction() as session:
        cancel_enrolment(session, student(2), offered_id)
    assert states(db, offering_id) == {"1": "cancelled", "2": "cancelled", "3": "offered"}


def test_automatic_promotion_is_unchanged(db):
    offering_id = scheduled(db, promotion="automatic")
    first, _second = enrol(db, 1, offering_id), enrol(db, 2, offering_id)
    cancel(db, first)
    assert states(db, offering_id) == {"1": "cancelled", "2": "confirmed"}
    assert told(db, events.ENROLMENT_OFFERED, events.ENROLMENT_PROMOTED) == [(events.ENROLMENT_PROMOTED, "2")]


def test_enrolment_s_relay_expires_due_offers_between_its_sweeps_and_publishes_what_followed(enrolment_db, tmp_path):
    import dataclasses
    import threading

    from sqlalchemy import update

    from services.registry import relay_chores
    from shared.messaging.connection import connect
    from shared.messaging.relay import Relay
    from tests.support.environment import make_settings, wait_for

    settings = dataclasses.replace(make_settings("enrolment", tmp_path), offer_sweep_seconds=0.1)
    offering_id, offered_id = offered_one(enrolment_db)
    with enrolment_db.transaction() as session:  # the deadline has passed
        session.execute(update(Enrolment).where(Enrolment.id == offered_id)
                        .values(offer_expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    stop = threading.Event()
    relay = Relay(enrolment_db, connect(settings), service="enrolment", chores=relay_chores(settings, enrolment_db))
    thread = threading.Thread(target=relay.run, args=(stop,), kwargs={"idle_seconds": 0.1}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: states(enrolment_db, offering_id) == {"1": "cancelled", "2": "expired", "3": "offered"})
        wait_for(lambda: published(enrolment_db, events.ENROLMENT_OFFER_EXPIRED))
    finally:
        stop.set()
        thread.join(timeout=10)


def published(db, event_type) -> bool:
    with db.transaction() as session:
        return session.scalar(select(OutboxMessage.published_at)
                              .where(OutboxMessage.event_type == event_type)) is not None
