"""Enrolment's replica of offerings: the newest version wins, whatever order events arrive in."""

import pytest

from enrolment.models import Offering
from enrolment.operations import get_offering
from enrolment.replica import apply_course_snapshot, apply_offering_snapshot
from shared import events
from shared.events.catalogue import CourseSnapshot, OfferingSnapshot
from shared.http.errors import Problem
from tests.support.payloads import seeded_events


@pytest.fixture
def snapshot(catalogue_db):
    return dict(next(e for e in seeded_events(catalogue_db) if e.type == events.OFFERING_SCHEDULED).data)


def replica(db, offering_id) -> Offering:
    with db.transaction() as session:
        return get_offering(session, offering_id)


def test_a_scheduled_offering_appears_with_free_seats(enrolment_db, snapshot):
    with enrolment_db.transaction() as session:
        assert apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))
    offering = replica(enrolment_db, snapshot["offering_id"])
    assert offering.seats == {"capacity": snapshot["capacity"], "confirmed": 0, "held": 0,
                              "available": snapshot["capacity"], "waitlisted": 0}
    assert offering.course_status == "published"


def test_an_older_offering_version_arriving_late_changes_nothing(enrolment_db, snapshot):
    newer = {**snapshot, "version": 3, "capacity": 99}
    with enrolment_db.transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(newer))
        assert not apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))
    assert replica(enrolment_db, snapshot["offering_id"]).capacity == 99


def test_a_newer_course_state_wins_over_the_course_state_inside_an_older_offering_event(enrolment_db, snapshot):
    archived = {"course_id": snapshot["course_id"], "code": snapshot["course_code"], "version": snapshot["course_version"] + 1,
                "status": "archived", "title": snapshot["course_title"], "coordinators": [],
                "institution": snapshot["institution"]}
    with enrolment_db.transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))
        assert apply_course_snapshot(session, CourseSnapshot.model_validate(archived)) == 1
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(
            {**snapshot, "version": snapshot["version"] + 1, "capacity": 5}))
        assert apply_course_snapshot(session, CourseSnapshot.model_validate(
            {**archived, "version": 1, "status": "published"})) == 0
    offering = replica(enrolment_db, snapshot["offering_id"])
    assert (offering.course_status, offering.capacity) == ("archived", 5)


def test_an_unknown_offering_is_a_404_problem(enrolment_db):
    with pytest.raises(Problem) as problem:
        replica(enrolment_db, "missing")
    assert problem.value.status == 404 and problem.value.code == "offering_not_found"


def test_a_course_event_handled_before_its_offerings_first_event_is_not_lost(enrolment_db, snapshot):
    published = {"course_id": snapshot["course_id"], "code": "HEL-511", "version": snapshot["course_version"] + 1,
                 "status": "published", "title": {"en": "Renamed", "ru": None}, "coordinators": ["x"],
                 "institution": snapshot["institution"]}
    with enrolment_db.transaction() as session:
        assert apply_course_snapshot(session, CourseSnapshot.model_validate(published)) == 0  # no offering yet
        apply_offering_snapshot(session, OfferingSnapshot.model_validate({**snapshot, "course_status": "draft"}))
    offering = replica(enrolment_db, snapshot["offering_id"])
    assert (offering.course_status, offering.course_code, offering.course_title["en"]) == (
        "published", "HEL-511", "Renamed")


def test_the_replica_keeps_the_offerings_seat_rules_and_older_events_mean_todays_rules(enrolment_db, snapshot):
    older = {name: value for name, value in snapshot.items() if name not in ("admission", "promotion", "offer_hours")}
    with enrolment_db.transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(older))
    offering = replica(enrolment_db, snapshot["offering_id"])
    assert (offering.admission, offering.promotion, offering.offer_hours) == ("first_come", "automatic", 48)
    newer = {**snapshot, "version": snapshot["version"] + 1, "admission": "application", "offer_hours": 12}
    with enrolment_db.transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(newer))
    offering = replica(enrolment_db, snapshot["offering_id"])
    assert (offering.admission, offering.offer_hours) == ("application", 12)
