"""Enrolment decisions as plain domain functions: seats, a fair waiting list, cancellations."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from enrolment.handlers import HANDLERS
from enrolment.models import Enrolment
from enrolment.operations import cancel_enrolment, enrol_student, get_enrolment, get_offering, roster
from enrolment.replica import apply_offering_snapshot
from shared import events
from shared.events.catalogue import OfferingSnapshot
from shared.http.auth import Principal
from shared.http.errors import Problem
from shared.messaging.consumer import handle_event
from shared.messaging.envelope import Event
from shared.messaging.outbox import OutboxMessage
from tests.support.payloads import offering_snapshot, student

COORDINATOR = Principal("lumc-coordinator", "coordinator", "LUMC", "c@lumc.nl", "Pieter", "en")
OTHER_COORDINATOR = Principal("ssmu-coordinator", "coordinator", "SSMU", "i@ssmu.ru", "Ирина", "ru")


@pytest.fixture
def offering(enrolment_db):
    """An open offering with 2 seats and a waiting list."""
    snapshot = offering_snapshot()
    with enrolment_db.transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))
    return snapshot


def enrol(db, number, offering_id):
    with db.transaction() as session:
        return enrol_student(session, student(number), offering_id)


def refused(db, number, offering_id) -> str:
    with pytest.raises(Problem) as problem:
        enrol(db, number, offering_id)
    return problem.value.code


def outbox(db) -> list[tuple[str, dict]]:
    with db.transaction() as session:
        return [(row.event_type, json.loads(row.body)["data"])
                for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def statuses(db, offering_id) -> dict[str, str]:
    with db.transaction() as session:
        return {e.student_id: e.status for e in session.scalars(
            select(Enrolment).where(Enrolment.offering_id == offering_id))}


def test_students_get_seats_then_places_in_line(enrolment_db, offering):
    first, second, third, fourth = (enrol(enrolment_db, n, offering["offering_id"]) for n in range(1, 5))
    assert [first.status, second.status] == ["confirmed", "confirmed"]
    assert (third.status, third.waitlist_position) == ("waitlisted", 1)
    assert (fourth.status, fourth.waitlist_position) == ("waitlisted", 2)
    with enrolment_db.transaction() as session:
        assert get_offering(session, offering["offering_id"]).seats == {
            "capacity": 2, "confirmed": 2, "held": 0, "available": 0, "waitlisted": 2}


def test_a_full_offering_without_a_waiting_list_refuses(enrolment_db):
    snapshot = offering_snapshot(capacity=1, waitlist=False)
    with enrolment_db.transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))
    enrol(enrolment_db, 1, snapshot["offering_id"])
    assert refused(enrolment_db, 2, snapshot["offering_id"]) == "offering_full"


def test_a_student_enrols_once(enrolment_db, offering):
    enrol(enrolment_db, 1, offering["offering_id"])
    assert refused(enrolment_db, 1, offering["offering_id"]) == "already_enrolled"


def test_an_unknown_offering_is_404(enrolment_db):
    with pytest.raises(Problem) as problem:
        enrol(enrolment_db, 1, "no-such-offering")
    assert problem.value.status == 404


@pytest.mark.parametrize("change", [
    {"enrolment_opens_at": (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()},
    {"enrolment_opens_at": (datetime.now(timezone.utc) - timedelta(days=9)).isoformat(),
     "enrolment_closes_at": (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()},
    {"course_status": "draft"},
    {"course_status": "archived"},
    {"status": "cancelled"},
], ids=["not-yet-open", "closed", "draft-course", "archived-course", "cancelled-offering"])
def test_outside_the_window_or_for_an_unpublished_course_enrolment_is_closed(enrolment_db, change):
    snapshot = offering_snapshot(**change)
    with enrolment_db.transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))
    assert refused(enrolment_db, 1, snapshot["offering_id"]) == "enrolment_closed"
    assert statuses(enrolment_db, snapshot["offering_id"]) == {}


def test_a_freed_seat_goes_to_the_first_in_line_never_to_a_newcomer(enrolment_db, offering):
    offering_id = offering["offering_id"]
    seated = enrol(enrolment_db, 1, offering_id)
    enrol(enrolment_db, 2, offering_id)
    enrol(enrolment_db, 3, offering_id)  # first in line
    enrol(enrolment_db, 4, offering_id)
    with enrolment_db.transaction() as session:
        cancel_enrolment(session, student(1), seated.id)
    newcomer = enrol(enrolment_db, 5, offering_id)

    assert newcomer.status == "waitlisted" and newcomer.waitlist_position == 2
    assert statuses(enrolment_db, offering_id) == {
        "ssmu-student-1": "cancelled", "ssmu-student-2": "confirmed", "ssmu-student-3": "confirmed",
        "ssmu-student-4": "waitlisted", "ssmu-student-5": "waitlisted"}


def test_cancelling_tells_everyone_what_changed_once(enrolment_db, offering):
    offering_id = offering["offering_id"]
    seated = enrol(enrolment_db, 1, offering_id)
    enrol(enrolment_db, 2, offering_id)
    enrol(enrolment_db, 3, offering_id)
    before = len(outbox(enrolment_db))
    with enrolment_db.transaction() as session:
        cancel_enrolment(session, student(1), seated.id)
    with enrolment_db.transaction() as session:
        again = cancel_enrolment(session, student(1), seated.id)  # a second click changes nothing
    assert again.status == "cancelled"

    told = outbox(enrolment_db)[before:]
    assert [event_type for event_type, _ in told] == [
        events.ENROLMENT_CANCELLED, events.ENROLMENT_PROMOTED, events.SEATS_CHANGED]
    cancelled, promoted, seats = (data for _, data in told)
    assert cancelled["enrolment"]["cancelled_by"] == "student"
    assert promoted["student"] == {"id": "ssmu-student-3", "email": "student3@ssmu.ru",
                                   "name": "Студент Номер 3", "locale": "ru", "institution": "SSMU"}
    assert promoted["offering"]["course_title"]["ru"] == "Гельминтозы и иммунная система"
    assert promoted["seats"] == {"capacity": 2, "confirmed": 2, "held": 0, "available": 0, "waitlisted": 0}
    assert seats["seats_revision"] > 0 and seats["offering_id"] == offering_id


def test_positions_move_up_when_someone_ahead_leaves(enrolment_db, offering):
    offering_id = offering["offering_id"]
    for number in range(1, 3):
        enrol(enrolment_db, number, offering_id)
    waiting = [enrol(enrolment_db, number, offering_id) for number in range(3, 6)]
    with enrolment_db.transaction() as session:
        cancel_enrolment(session, student(4), waiting[1].id)
        positions = [get_enrolment(session, student(n), e.id).waitlist_position
                     for n, e in ((3, waiting[0]), (5, waiting[2]))]
    assert positions == [1, 2]


def capacity_changed(snapshot, capacity, version):
    return Event(type=events.OFFERING_UPDATED, producer="catalogue",
                 data={**snapshot, "capacity": capacity, "version": version,
                       "changes": {"capacity": {"from": snapshot["capacity"], "to": capacity}}})


def test_raising_capacity_promotes_that_many_in_order_and_a_replay_changes_nothing(enrolment_db, offering):
    offering_id = offering["offering_id"]
    for number in range(1, 7):
        enrol(enrolment_db, number, offering_id)
    raised = capacity_changed(offering, 4, 2)
    handle_event(enrolment_db, HANDLERS, raised)
    handle_event(enrolment_db, HANDLERS, raised)  # redelivered

    assert statuses(enrolment_db, offering_id) == {
        **{f"ssmu-student-{n}": "confirmed" for n in range(1, 5)},
        **{f"ssmu-student-{n}": "waitlisted" for n in range(5, 7)}}
    assert [t for t, _ in outbox(enrolment_db)].count(events.ENROLMENT_PROMOTED) == 2


def test_lowering_capacity_removes_no_one_but_admits_no_one_until_seats_free_up(enrolment_db, offering):
    offering_id = offering["offering_id"]
    seated = [enrol(enrolment_db, number, offering_id) for number in range(1, 3)]
    enrol(enrolment_db, 3, offering_id)
    handle_event(enrolment_db, HANDLERS, capacity_changed(offering, 1, 2))
    with enrolment_db.transaction() as session:
        assert get_offering(session, offering_id).seats == {
            "capacity": 1, "confirmed": 2, "held": 0, "available": 0, "waitlisted": 1}
        cancel_enrolment(session, student(1), seated[0].id)  # still one over: nobody moves up
    assert statuses(enrolment_db, offering_id)["ssmu-student-3"] == "waitlisted"
    with enrolment_db.transaction() as session:
        cancel_enrolment(session, student(2), seated[1].id)
    assert statuses(enrolment_db, offering_id)["ssmu-student-3"] == "confirmed"


def test_a_late_older_capacity_change_is_ignored(enrolment_db, offering):
    handle_event(enrolment_db, HANDLERS, capacity_changed(offering, 5, 3))
    handle_event(enrolment_db, HANDLERS, capacity_changed(offering, 9, 2))
    with enrolment_db.transaction() as session:
        assert get_offering(session, offering["offering_id"]).capacity == 5


def test_a_cancelled_offering_cancels_every_enrolment_and_tells_each_student(enrolment_db, offering):
    offering_id = offering["offering_id"]
    for number in range(1, 4):
        enrol(enrolment_db, number, offering_id)
    cancelled = Event(type=events.OFFERING_CANCELLED, producer="catalogue",
                      data={**offering, "status": "cancelled", "version": 2, "cancel_reason": "Lecturer ill"})
    handle_event(enrolment_db, HANDLERS, cancelled)

    assert set(statuses(enrolment_db, offering_id).values()) == {"cancelled"}
    told = [data for event_type, data in outbox(enrolment_db) if event_type == events.ENROLMENT_CANCELLED]
    assert sorted(d["student"]["id"] for d in told) == [f"ssmu-student-{n}" for n in range(1, 4)]
    assert {d["enrolment"]["cancelled_by"] for d in told} == {"catalogue"}
    assert refused(enrolment_db, 4, offering_id) == "enrolment_closed"


def test_a_student_may_enrol_again_after_cancelling(enrolment_db, offering):
    first = enrol(enrolment_db, 1, offering["offering_id"])
    with enrolment_db.transaction() as session:
        cancel_enrolment(session, student(1), first.id)
    assert enrol(enrolment_db, 1, offering["offering_id"]).status == "confirmed"


def test_an_enrolment_is_shown_to_its_student_the_course_coordinators_and_admins_only(enrolment_db, offering):
    mine = enrol(enrolment_db, 1, offering["offering_id"])
    with enrolment_db.transaction() as session:
        assert get_enrolment(session, COORDINATOR, mine.id).student_id == "ssmu-student-1"
        for outsider in (student(2), OTHER_COORDINATOR):
            with pytest.raises(Problem) as problem:
                get_enrolment(session, outsider, mine.id)
            assert problem.value.status == 404
        with pytest.raises(Problem) as problem:
            cancel_enrolment(session, student(2), mine.id)
        assert problem.value.status == 404


def test_the_roster_lists_the_seated_then_the_line_in_order(enrolment_db, offering):
    for number in range(1, 6):
        enrol(enrolment_db, number, offering["offering_id"])
    with enrolment_db.transaction() as session:
        entries = roster(session, COORDINATOR, offering["offering_id"])
        assert [(e.status, e.waitlist_position) for e in entries] == [
            ("confirmed", None), ("confirmed", None), ("waitlisted", 1), ("waitlisted", 2), ("waitlisted", 3)]
        with pytest.raises(Problem) as problem:
            roster(session, OTHER_COORDINATOR, offering["offering_id"])
        assert problem.value.status == 403
