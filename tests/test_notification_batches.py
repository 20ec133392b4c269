"""Notifications handle a batch of events with a few reads for the whole batch, and tell the same as one by one."""

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event as sqlalchemy_event, select

from notifications.handlers import handlers
from notifications.messages import FrontEnd
from notifications.models import AudienceMember, EmailDelivery, Notification, Preference
from shared import events
from shared.messaging.consumer import Outcome, handle_events
from shared.messaging.envelope import Event
from tests.support.environment import make_settings, migrated_database
from tests.support.payloads import ANNA, FRONT_END_URL, OFFERING, SANNE, enrolment_event

HANDLERS = handlers(FrontEnd(FRONT_END_URL))
COORDINATED = {**OFFERING, "coordinators": ["lumc-coordinator"]}


@pytest.fixture
def db(tmp_path):
    database = migrated_database("notifications", make_settings("notifications", tmp_path))
    yield database
    database.dispose()


def students(count: int) -> list[dict]:
    return [{**SANNE, "id": f"student-{n}", "email": f"student-{n}@lumc.nl"} for n in range(count)]


def reads_to_handle(db, batch: list[Event]) -> int:
    """Handle the batch and return how many SELECTs it took (SQLite inserts email rows one by one: their
    ids come from the database, which PostgreSQL returns for many rows at once)."""
    counted = []

    def counter(_connection, _cursor, statement, *_args):
        counted.append(statement.lstrip().upper().startswith("SELECT"))

    sqlalchemy_event.listen(db.engine, "before_cursor_execute", counter)
    try:
        assert set(handle_events(db, HANDLERS, batch)) == {Outcome.HANDLED}
    finally:
        sqlalchemy_event.remove(db.engine, "before_cursor_execute", counter)
    return sum(counted)


def test_a_batch_reads_as_much_for_two_enrolments_as_for_twenty(db):
    def batch(people):
        return [enrolment_event(events.ENROLMENT_CONFIRMED, person, "confirmed", None, offering=COORDINATED)
                for person in people]

    with db.transaction() as session:  # some have preferences, some not: both are read ahead
        session.add_all(Preference(user_id=f"student-{n}", locale="ru", email=False) for n in range(0, 22, 3))
    people = students(22)
    assert reads_to_handle(db, batch(people[:2])) == reads_to_handle(db, batch(people[2:])) == 3
    with db.transaction() as session:
        told = session.scalars(select(Notification).where(Notification.kind == "confirmed")).all()
        assert len(told) == 22 and {n.locale for n in told if int(n.user_id.split("-")[1]) % 3 == 0} == {"ru"}
        assert session.scalar(select(EmailDelivery.id).join(Notification).where(
            Notification.user_id == "student-3")) is None  # email off
        assert len(session.scalars(select(Notification).where(Notification.kind == "roster_changed")).all()) == 22


def test_a_student_waitlisted_then_promoted_in_one_batch_is_one_audience_member_told_twice(db):
    batch = [enrolment_event(events.ENROLMENT_WAITLISTED, ANNA),
             enrolment_event(events.ENROLMENT_PROMOTED, ANNA, "confirmed", None)]
    assert handle_events(db, HANDLERS, batch) == [Outcome.HANDLED, Outcome.HANDLED]
    with db.transaction() as session:
        (member,) = session.scalars(select(AudienceMember)).all()
        assert (member.active, member.waiting) == (True, False)
        kinds = [n.kind for n in session.scalars(select(Notification).where(Notification.user_id == ANNA["id"]))]
        assert sorted(kinds) == ["promoted", "waitlisted"]


def test_an_erasure_inside_a_batch_drops_what_came_before_it_and_keeps_what_came_after(db):
    now = datetime.now(timezone.utc)
    other_offering = {**OFFERING, "id": "off-2"}
    erasure = Event(type=events.ERASURE_REQUESTED, producer="enrolment", occurred_at=now, data={
        "erasure_id": str(uuid.uuid4()), "subject_id": ANNA["id"], "requested_by": "student"})
    batch = [enrolment_event(events.ENROLMENT_WAITLISTED, ANNA, at=now - timedelta(seconds=2)),
             erasure,
             enrolment_event(events.ENROLMENT_CONFIRMED, ANNA, "confirmed", None, at=now - timedelta(seconds=1),
                             offering=other_offering),  # late: occurred before the erasure
             enrolment_event(events.ENROLMENT_CONFIRMED, SANNE, "confirmed", None),
             enrolment_event(events.ENROLMENT_WAITLISTED, ANNA, at=now + timedelta(seconds=1))]  # new data
    assert set(handle_events(db, HANDLERS, batch)) == {Outcome.HANDLED}
    with db.transaction() as session:
        told = {(n.user_id, n.offering_id, n.kind) for n in session.scalars(select(Notification))}
        assert told == {(ANNA["id"], "off-1", "waitlisted"), (SANNE["id"], "off-1", "confirmed")}
        followers = {(m.student_id, m.offering_id, m.waiting) for m in session.scalars(select(AudienceMember))}
        assert followers == {(ANNA["id"], "off-1", True), (SANNE["id"], "off-1", False)}
