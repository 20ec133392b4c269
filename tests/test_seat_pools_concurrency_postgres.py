"""Reserved seats under real concurrency on PostgreSQL: students of both institutions racing for an
offering with pools, some cancelling as they race, then two release sweepers at once. Never more seats
confirmed or held than capacity, in a pool or in total; a pool's seats only to its institution's students;
the counters always match the rows; each pool released once."""

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from enrolment.models import Enrolment, Offering, SeatPool
from enrolment.operations import cancel_enrolment, enrol_student
from enrolment.pools import sweep_pools
from enrolment.replica import apply_offering_snapshot
from shared import events
from shared.db import Database
from shared.events.catalogue import OfferingSnapshot
from shared.http.errors import Problem
from shared.messaging.outbox import OutboxMessage
from tests.support.payloads import offering_snapshot, student

pytestmark = pytest.mark.postgres
STUDENTS = 24  # of each institution
RELEASE = datetime.now(timezone.utc) + timedelta(days=1)


@pytest.fixture
def db(postgres_database_factory):
    database = Database(postgres_database_factory("enrolment"))
    yield database
    database.dispose()


def assert_pools_hold(db, offering_id):
    with db.transaction() as session:
        offering = session.get(Offering, offering_id)
        rows = Counter(dict(session.execute(select(Enrolment.status, func.count()).where(
            Enrolment.offering_id == offering_id).group_by(Enrolment.status)).all()))
        assert (offering.confirmed_count, offering.held_count, offering.waitlisted_count) == (
            rows["confirmed"], rows["offered"], rows["waitlisted"])
        assert offering.confirmed_count + offering.held_count <= offering.capacity
        seated = list(session.execute(select(Enrolment.pool, Enrolment.student_institution, Enrolment.status).where(
            Enrolment.offering_id == offering_id, Enrolment.status.in_(("confirmed", "offered")))))
        assert all(pool in (None, institution) for pool, institution, _ in seated)
        for pool in session.scalars(select(SeatPool).where(SeatPool.offering_id == offering_id,
                                                           SeatPool.released.is_(False))):
            taken = Counter(status for name, _, status in seated if name == pool.institution)
            assert (pool.confirmed_count, pool.held_count) == (taken["confirmed"], taken["offered"])
            assert pool.confirmed_count + pool.held_count <= pool.seats
            waiting = session.scalar(select(func.count()).where(
                Enrolment.offering_id == offering_id, Enrolment.status == "waitlisted",
                Enrolment.student_institution == pool.institution))
            assert pool.waitlisted_count == waiting
        return offering


@pytest.mark.parametrize("promotion", ["automatic", "offer"])
def test_students_of_both_institutions_racing_for_pools_never_overfill_one(db, promotion):
    snapshot = offering_snapshot(capacity=12, promotion=promotion, reserved=[
        {"institution": "SSMU", "seats": 5, "release_at": RELEASE.isoformat()},
        {"institution": "LUMC", "seats": 3, "release_at": (RELEASE + timedelta(hours=1)).isoformat()}])
    with db.transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))
    offering_id = snapshot["offering_id"]

    def race(who):
        institution, number = who
        try:
            with db.transaction() as session:
                enrolment = enrol_student(session, student(number, institution), offering_id)
            if number % 4 == 0:  # some give their place up at once, while the others still race
                with db.transaction() as session:
                    cancel_enrolment(session, student(number, institution), enrolment.id)
        except Problem as problem:
            assert problem.code == "offering_full"

    racers = [(institution, n) for n in range(1, STUDENTS + 1) for institution in ("SSMU", "LUMC")]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(race, racers))
    offering = assert_pools_hold(db, offering_id)
    assert offering.confirmed_count + offering.held_count == 12  # more wanted seats than there are

    with ThreadPoolExecutor(max_workers=2) as pool:
        released = sum(pool.map(lambda _: sweep_pools(db, RELEASE + timedelta(hours=2)), range(2)))
    assert released == 1  # one offering, released by one of the two sweepers
    offering = assert_pools_hold(db, offering_id)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).where(SeatPool.offering_id == offering_id,
                                                         SeatPool.released.is_(False))) == 0
    assert offering.confirmed_count + offering.held_count == 12


WAITING_FOR_A_LOCK = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                          "AND wait_event_type = 'Lock'")


def enrol_while_the_catalogue_changes(db, snapshot: dict, changes: dict) -> str | None:
    """Schedule the offering of `snapshot`; let the catalogue apply `changes` to it while an LUMC student's
    enrolment, which has read the offering, waits for its lock; return the pool her seat came from."""
    with db.transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))

    def enrol_lumc_student():
        with db.transaction() as session:
            return enrol_student(session, student(1, "LUMC"), snapshot["offering_id"]).pool

    with ThreadPoolExecutor(max_workers=1) as pool, db.transaction() as catalogue_update:  # commits first
        catalogue_update.get(Offering, snapshot["offering_id"], with_for_update=True)
        enrolled = pool.submit(enrol_lumc_student)
        deadline = time.monotonic() + 10
        while not db.read_value(WAITING_FOR_A_LOCK):  # until her enrolment waits for the lock
            assert time.monotonic() < deadline and not enrolled.done(), "the enrolment never waited"
            time.sleep(0.05)
        apply_offering_snapshot(catalogue_update, OfferingSnapshot.model_validate(
            {**snapshot, "version": 2, **changes}))
    return enrolled.result()


def test_a_pool_reserved_while_a_student_waits_for_the_lock_is_the_one_her_seat_comes_from(db):
    """The catalogue reserves a seat for LUMC students while an LUMC student's enrolment waits for the
    offering's lock: once she has it, the new pool counts (her seat is its seat, not an open one)."""
    pools = [{"institution": "SSMU", "seats": 1, "release_at": RELEASE.isoformat()}]
    snapshot = offering_snapshot(capacity=3, reserved=pools)
    assert enrol_while_the_catalogue_changes(db, snapshot, {
        "reserved": [*pools, {**pools[0], "institution": "LUMC"}]}) == "LUMC"
    assert_pools_hold(db, snapshot["offering_id"])


@pytest.mark.parametrize("reserved", [[], [{"institution": "SSMU", "seats": 2, "release_at": RELEASE.isoformat()}]],
                         ids=["without reservations", "with a pool"])
def test_seats_announced_after_waiting_for_the_lock_count_the_capacity_set_meanwhile(db, reserved):
    """The catalogue lowers the capacity while a student's enrolment waits for the offering's lock (having
    read the offering before it): the seats her enrolment announces are counted against the new capacity."""
    snapshot = offering_snapshot(capacity=10, reserved=reserved)
    enrol_while_the_catalogue_changes(db, snapshot, {"capacity": 4})
    with db.transaction() as session:
        announced = json.loads(session.scalars(select(OutboxMessage.body).where(
            OutboxMessage.event_type == events.SEATS_CHANGED).order_by(OutboxMessage.id.desc())).first())["data"]
        assert seat_figures(announced["seats"]) == seat_figures(session.get(Offering, snapshot["offering_id"]).seats)
    assert announced["seats"]["capacity"] == 4


def seat_figures(seats: dict) -> tuple:
    """The counts of an offering's seats and of each pool's, without the release instants' formats."""
    return ({key: value for key, value in seats.items() if key != "reserved"},
            [{key: value for key, value in pool.items() if key != "release_at"} for pool in seats["reserved"]])


def test_a_student_seated_after_waiting_for_the_lock_is_told_of_the_course_as_it_is_then(db):
    """The catalogue renames the course while a student's enrolment waits for the offering's lock: her
    confirmation names the course by its new title, the one she will find in the catalogue."""
    snapshot = offering_snapshot(capacity=10)
    renamed = {"en": "Helminths, renamed", "ru": "Гельминты, новое название"}
    enrol_while_the_catalogue_changes(db, snapshot, {"course_title": renamed})
    with db.transaction() as session:
        told = json.loads(session.scalars(select(OutboxMessage.body).where(
            OutboxMessage.event_type == events.ENROLMENT_CONFIRMED)).one())["data"]
    assert told["offering"]["course_title"] == renamed
