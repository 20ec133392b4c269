"""Seats reserved per institution (DESIGN section 4), as domain functions on SQLite and PostgreSQL: a pool's
seats go only to its institution's students until release_at, then join the open seats and the waiting
list is served from them; each line is first come, first served."""

import itertools
import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH
from sqlalchemy import event, select, update

from enrolment.handlers import HANDLERS
from enrolment.models import Enrolment, Offering, SeatPool
from enrolment.operations import SEAT_COLUMNS, cancel_enrolment, enrol_student, get_offering
from enrolment.pools import sweep_pools
from enrolment.replica import apply_offering_snapshot
from shared import events
from shared.events.catalogue import OfferingSnapshot
from shared.http.errors import Problem
from shared.messaging.consumer import handle_event
from shared.db import Database
from shared.messaging.envelope import Event
from shared.messaging.outbox import OutboxMessage
from tests.support.payloads import bearer, course_payload, offering_payload, offering_snapshot, student
from tests.support.problems import assert_problem
from tests.test_offers import db, seats, told  # noqa: F401 - db is the fixture on SQLite and PostgreSQL

RELEASE = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=1)


def pooled(db, seats_reserved=1, **fields) -> str:
    """An open offering of 2 seats, one reserved for SSMU students until RELEASE, with a waiting list."""
    snapshot = offering_snapshot(**{"reserved": [{"institution": "SSMU", "seats": seats_reserved,
                                                  "release_at": RELEASE.isoformat()}], **fields})
    with db.transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))
    return snapshot["offering_id"]


def enrol(db, who, offering_id, now=None):
    with db.transaction() as session:
        return enrol_student(session, student(who[1], who[0]), offering_id, now)


def refusal(db, who, offering_id, now=None) -> str:
    with pytest.raises(Problem) as problem:
        enrol(db, who, offering_id, now)
    return problem.value.code


def cancel(db, who, enrolment) -> None:
    with db.transaction() as session:
        cancel_enrolment(session, student(who[1], who[0]), enrolment.id)


def status(db, offering_id) -> dict[str, str]:
    """Each student's status, by institution and number: {"ssmu1": "confirmed", ...}."""
    with db.transaction() as session:
        return {e.student_id.replace("-student-", ""): e.status
                for e in session.scalars(select(Enrolment).where(Enrolment.offering_id == offering_id))}


LUMC, SSMU = "LUMC", "SSMU"


def test_a_reserved_seat_is_refused_to_the_other_institution_before_release_and_taken_after(db):
    offering_id = pooled(db, waitlist=False)
    assert enrol(db, (LUMC, 1), offering_id).status == "confirmed"  # the open seat
    assert refusal(db, (LUMC, 2), offering_id) == "offering_full"
    pool = seats(db, offering_id)["reserved"]
    assert [(p["institution"], p["seats"], p["confirmed"], p["available"]) for p in pool] == [(SSMU, 1, 0, 1)]
    assert enrol(db, (LUMC, 2), offering_id, RELEASE).status == "confirmed"  # the clock releases it
    assert seats(db, offering_id)["reserved"] == []
    assert refusal(db, (SSMU, 1), offering_id, RELEASE) == "offering_full"


def test_a_student_takes_their_pool_s_seat_first_then_an_open_one(db):
    offering_id = pooled(db)
    assert [enrol(db, (SSMU, n), offering_id).status for n in (1, 2, 3)] == ["confirmed", "confirmed", "waitlisted"]
    counts = seats(db, offering_id)
    assert (counts["confirmed"], counts["waitlisted"]) == (2, 1)
    assert [(p["confirmed"], p["available"], p["waitlisted"]) for p in counts["reserved"]] == [(1, 0, 1)]


def test_each_pool_keeps_its_own_line(db):
    offering_id = pooled(db)
    lumc1, ssmu1 = enrol(db, (LUMC, 1), offering_id), enrol(db, (SSMU, 1), offering_id)
    for who in ((LUMC, 2), (SSMU, 2), (SSMU, 3)):
        assert enrol(db, who, offering_id).status == "waitlisted"
    cancel(db, (SSMU, 1), ssmu1)  # a reserved seat: to the first waiting SSMU student, not the first in line
    assert status(db, offering_id) == {"lumc1": "confirmed", "ssmu1": "cancelled", "lumc2": "waitlisted",
                                       "ssmu2": "confirmed", "ssmu3": "waitlisted"}
    cancel(db, (LUMC, 1), lumc1)  # an open seat: to the first in line, of any institution
    assert status(db, offering_id)["lumc2"] == "confirmed"
    assert enrol(db, (SSMU, 4), offering_id).status == "waitlisted"  # never ahead of ssmu3
    assert seats(db, offering_id)["reserved"][0]["waitlisted"] == 2


def test_the_release_chore_serves_the_waiting_list_once_first_in_line_first(db):
    offering_id = pooled(db, capacity=3, seats_reserved=2)
    enrol(db, (SSMU, 1), offering_id), enrol(db, (LUMC, 1), offering_id)
    for who in ((LUMC, 2), (LUMC, 3)):
        assert enrol(db, who, offering_id).status == "waitlisted"
    assert sweep_pools(db, RELEASE - timedelta(seconds=1)) == 0
    assert sweep_pools(db, RELEASE) == 1
    assert status(db, offering_id)["lumc2"] == "confirmed" and status(db, offering_id)["lumc3"] == "waitlisted"
    assert sweep_pools(db, RELEASE + timedelta(hours=1)) == 0
    assert told(db, events.ENROLMENT_PROMOTED) == [(events.ENROLMENT_PROMOTED, "2")]
    assert seats(db, offering_id)["reserved"] == []


def test_a_seat_held_by_an_offer_counts_in_its_pool(db):
    offering_id = pooled(db, promotion="offer")
    ssmu1 = enrol(db, (SSMU, 1), offering_id)
    enrol(db, (LUMC, 1), offering_id), enrol(db, (LUMC, 2), offering_id), enrol(db, (SSMU, 2), offering_id)
    cancel(db, (SSMU, 1), ssmu1)
    assert status(db, offering_id)["ssmu2"] == "offered" and status(db, offering_id)["lumc2"] == "waitlisted"
    pool = seats(db, offering_id)["reserved"][0]
    assert (pool["confirmed"], pool["held"], pool["available"], pool["waitlisted"]) == (0, 1, 0, 0)


def test_a_pool_added_later_counts_the_institution_s_students_waiting(db):
    snapshot = offering_snapshot(capacity=1)
    with db.transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))
    offering_id = snapshot["offering_id"]
    enrol(db, (LUMC, 1), offering_id), enrol(db, (LUMC, 2), offering_id), enrol(db, (SSMU, 1), offering_id)
    changed = {**snapshot, "capacity": 2, "version": 2,
               "reserved": [{"institution": SSMU, "seats": 1, "release_at": RELEASE.isoformat()}]}
    handle_event(db, HANDLERS, Event(type=events.OFFERING_UPDATED, producer="catalogue", data=changed))
    # The new seat is SSMU's: it goes to the SSMU student waiting behind lumc2.
    assert status(db, offering_id) == {"lumc1": "confirmed", "lumc2": "waitlisted", "ssmu1": "confirmed"}
    pool = seats(db, offering_id)["reserved"][0]
    assert (pool["confirmed"], pool["waitlisted"]) == (1, 0)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def catalogue(request, service_app):
    """The catalogue's test client with a published course, on SQLite or PostgreSQL; (client, course url)."""
    url = request.getfixturevalue("postgres_database_factory")("catalogue") if request.param == "postgresql" else None
    client = service_app("catalogue", url, migrate=url is None).test_client()
    course = client.post("/api/v1/courses", json=course_payload(), headers=COORDINATOR).get_json()
    client.post(f"/api/v1/courses/{course['id']}/publish", headers=COORDINATOR)
    return client, f"/api/v1/courses/{course['id']}/offerings"


COORDINATOR = bearer("coordinator", "LUMC")
POOL = {"institution": SSMU, "seats": 8, "release_at": "2027-01-10T12:00:00+03:00"}


def test_reserved_seats_are_kept_shown_per_pool_and_carried_to_enrolment(catalogue):
    client, offerings = catalogue
    created = client.post(offerings, json=offering_payload(capacity=30, reserved=[POOL]), headers=COORDINATOR)
    assert created.status_code == 201, created.get_json()
    offering = created.get_json()
    assert offering["reserved"] == [{**POOL, "release_at": "2027-01-10T09:00:00+00:00"}]
    assert offering["seats"]["reserved"] == [{"institution": SSMU, "seats": 8, "confirmed": 0, "held": 0,
                                              "available": 8, "waitlisted": 0,
                                              "release_at": "2027-01-10T09:00:00+00:00"}]
    url = f"/api/v1/offerings/{offering['id']}"
    assert_problem(client.patch(url, json={"capacity": 7}, headers={**COORDINATOR, "If-Match": '"1"'}),
                   422, "validation_error")
    lumc = {"institution": LUMC, "seats": 22, "release_at": "2027-01-11T00:00:00Z"}
    changed = client.patch(url, json={"reserved": [POOL, lumc]}, headers={**COORDINATOR, "If-Match": '"1"'})
    assert changed.status_code == 200, changed.get_json()
    assert [pool["institution"] for pool in changed.get_json()["reserved"]] == [SSMU, LUMC]
    emptied = client.patch(url, json={"reserved": []}, headers={**COORDINATOR, "If-Match": '"2"'})
    assert emptied.get_json()["reserved"] == [] and emptied.get_json()["seats"]["reserved"] == []


@pytest.mark.parametrize("reserved", [
    [{**POOL, "institution": "MIT"}], [{**POOL, "institution": None}], [POOL, POOL], [{**POOL, "seats": 0}],
    [{**POOL, "seats": 31}], [{**POOL, "seats": "8"}], [{**POOL, "seats": 2 ** 63}], [{**POOL, "seats": 8.5}],
    [{**POOL, "release_at": "2027-01-10T12:00:00"}], [{**POOL, "release_at": "10000-01-01T00:00:00Z"}],
    [{**POOL, "release_at": "0001-01-01T00:00:00+01:00"}], [{**POOL, "release_at": "2027-01-10\x00"}],
    [{**POOL, "institution": "SS\ud800"}], [{"institution": SSMU, "seats": 8}], [{**POOL, "extra": 1}],
    {"SSMU": 8}, "SSMU", [None], [[POOL]], None, [POOL, {**POOL, "institution": LUMC}, POOL],
])
def test_bad_reserved_seats_are_422_and_write_nothing(catalogue, reserved):
    client, offerings = catalogue
    body = json.dumps(offering_payload(capacity=30, reserved=reserved))  # a lone surrogate escaped, as clients send it
    refused = client.post(offerings, data=body, content_type="application/json", headers=COORDINATOR)
    assert all(field.startswith("reserved") for field in assert_problem(refused, 422, "validation_error")["errors"])
    assert client.get(offerings).get_json() == []


def statements_of_an_enrolment(db, offering_id, who, *, as_sent: bool = False) -> list[str]:
    """The SQL statements one enrolment sends, whitespace folded (or `as_sent`)."""
    seen = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement if as_sent else " ".join(statement.split()))
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        enrol(db, who, offering_id)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def test_a_newcomer_s_seat_is_one_statement_that_reads_pools_only_where_seats_are_reserved(db):
    snapshot = offering_snapshot()
    with db.transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))
    plain = statements_of_an_enrolment(db, snapshot["offering_id"], (SSMU, 1))
    assert not any("seat_pools" in statement for statement in plain)
    deciding = [statement for statement in plain if "UPDATE offerings" in statement]
    assert len(deciding) == 1
    if db.engine.dialect.name == "postgresql":  # one statement reads the offering, locks, decides and counts
        assert plain[0] == deciding[0] and "FOR UPDATE" in deciding[0]
        assert_one_write_under_the_lock(plain, deciding[0])
        # psycopg converts a statement's placeholders once and remembers it only up to this length: a longer
        # one is parsed again at every run (a twentieth of a rush worker's CPU when it was).
        sent = statements_of_an_enrolment(db, snapshot["offering_id"], (SSMU, 2), as_sent=True)
        assert len(sent) == 2 and all(len(statement) <= MAX_CACHED_STATEMENT_LENGTH for statement in sent)
    pooled_statements = statements_of_an_enrolment(db, pooled(db), (SSMU, 1))
    assert any("seat_pools" in statement for statement in pooled_statements)
    if db.engine.dialect.name == "postgresql":  # with pools, a read (that statement, deciding nothing), then one
        # statement locks, decides and counts
        locking = [statement for statement in pooled_statements if "UPDATE seat_pools" in statement]
        assert pooled_statements[0] == deciding[0] and len(pooled_statements) == 3
        assert len(locking) == 1 and "UPDATE offerings" in locking[0] and "FOR UPDATE" in locking[0]
        assert_one_write_under_the_lock(pooled_statements, locking[0])


def test_enrolments_in_a_transaction_that_changed_the_offering_count_on_what_it_changed(db):
    """The first statement reads the offering on the connection: what the session holds unwritten (the offering
    scheduled in this transaction, an earlier enrolment's counts) is written first, not read past or lost."""
    snapshot = offering_snapshot(capacity=1)
    with db.transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))
        first = enrol_student(session, student(1, SSMU), snapshot["offering_id"])
        get_offering(session, snapshot["offering_id"]).capacity = 2  # unwritten when the next one enrols
        second = enrol_student(session, student(2, LUMC), snapshot["offering_id"])
    assert (first.status, second.status) == ("confirmed", "confirmed")
    with db.reading() as session:
        offering = session.get(Offering, snapshot["offering_id"])
        assert (offering.capacity, offering.confirmed_count, offering.waitlisted_count) == (2, 2, 0)


def assert_one_write_under_the_lock(statements: list[str], deciding: str) -> None:
    """After the deciding statement, one more before the commit: the enrolment and its events together."""
    (written,) = statements[statements.index(deciding) + 1:]
    assert "INSERT INTO enrolments" in written and "INSERT INTO outbox" in written


NOW = datetime.now(timezone.utc).replace(microsecond=0)
POOL_STATES = st.fixed_dictionaries({"seats": st.integers(1, 2), "confirmed": st.integers(0, 2),
                                     "held": st.integers(0, 1), "waitlisted": st.integers(0, 1),
                                     "phase": st.sampled_from(["reserving"] * 3 + ["due", "released"])})
OFFERING_STATES = st.fixed_dictionaries({
    "pools": st.dictionaries(st.sampled_from([LUMC, SSMU]), POOL_STATES, min_size=1),
    "open_seats": st.integers(0, 2), "waitlist": st.booleans(), "newcomer": st.sampled_from([LUMC, SSMU]),
    # The offering's counters: its pools' and these more (open seats taken, students of no pool waiting).
    "confirmed": st.integers(0, 2), "held": st.integers(0, 1), "waitlisted": st.integers(0, 1)})


def decide_in(db, state, number) -> tuple:
    """Schedule an offering in the given state (its counters may be beyond its seats), enrol a newcomer of
    state["newcomer"]; return what she got, the offering's and pools' counters, and the seats announced."""
    pools = state["pools"]
    confirmed, held, waitlisted = (state[counter] + sum(pool[counter] for pool in pools.values())
                                   for counter in ("confirmed", "held", "waitlisted"))
    snapshot = offering_snapshot(
        capacity=sum(pool["seats"] for pool in pools.values()) + state["open_seats"], waitlist=state["waitlist"],
        reserved=[{"institution": institution, "seats": pool["seats"],
                   "release_at": (NOW + timedelta(hours=1 if pool["phase"] == "reserving" else -1)).isoformat()}
                  for institution, pool in pools.items()])
    offering_id = snapshot["offering_id"]
    with db.transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))
        session.execute(update(Offering).where(Offering.id == offering_id).values(
            confirmed_count=confirmed, held_count=held, waitlisted_count=waitlisted, last_waitlist_ticket=waitlisted))
        for institution, pool in pools.items():
            session.execute(update(SeatPool).where(SeatPool.offering_id == offering_id,
                                                   SeatPool.institution == institution).values(
                confirmed_count=pool["confirmed"], held_count=pool["held"], waitlisted_count=pool["waitlisted"],
                released=pool["phase"] == "released"))
        released = sum(pool["seats"] for pool in pools.values() if pool["phase"] == "released")
        session.execute(update(Offering).where(Offering.id == offering_id).values(
            reserved_seats=Offering.reserved_seats - released))
    try:
        enrolment = enrol(db, (state["newcomer"], number), offering_id, NOW)
        outcome = (enrolment.status, enrolment.pool, enrolment.waitlist_position)
    except Problem as problem:
        outcome = (problem.code,)
    with db.transaction() as session:
        offering = session.get(Offering, offering_id)
        counters = [getattr(offering, column.key) for column in SEAT_COLUMNS]
        pool_counters = [(pool.institution, pool.released, pool.confirmed_count, pool.held_count,
                          pool.waitlisted_count) for pool in offering.pools]
        announced = [json.loads(body)["data"]["seats"] for body in session.scalars(
            select(OutboxMessage.body).where(OutboxMessage.event_type == events.SEATS_CHANGED,
                                             OutboxMessage.body.contains(offering_id)).order_by(OutboxMessage.id))]
    return outcome, counters, pool_counters, announced


def corner(newcomer, ssmu, lumc, open_seats=0) -> dict:
    return {"pools": {SSMU: ssmu, LUMC: lumc}, "open_seats": open_seats, "waitlist": True, "newcomer": newcomer,
            "confirmed": 0, "held": 0, "waitlisted": 0}


FREE_POOL = {"seats": 1, "confirmed": 0, "held": 0, "waitlisted": 0, "phase": "reserving"}


@pytest.mark.postgres
def test_the_one_statement_on_postgresql_decides_as_the_rule_written_in_python_for_any_counters(
        enrolment_db, postgres_database_factory):
    """On PostgreSQL a newcomer's place in an offering reserving seats is decided in SQL; on SQLite by the
    Python every other locked decision uses. For any counters (and pools due or released), both give the same place,
    write the same counters and announce the same seats."""
    postgresql = Database(postgres_database_factory("enrolment"))
    numbers = itertools.count()

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(state=OFFERING_STATES)
    @example(state=corner(SSMU, ssmu=FREE_POOL, lumc={**FREE_POOL, "waitlisted": 1}))  # not held up by LUMC's line
    @example(state=corner(SSMU, ssmu={**FREE_POOL, "confirmed": 2}, lumc=FREE_POOL, open_seats=1))  # overfull pool
    @example(state=corner(LUMC, ssmu={**FREE_POOL, "phase": "due"}, lumc=FREE_POOL))  # a pool due: decided in Python
    @example(state=corner(SSMU, ssmu={**FREE_POOL, "phase": "released"}, lumc={**FREE_POOL, "confirmed": 1}))
    def decide_alike(state):
        number = next(numbers)
        assert decide_in(postgresql, state, number) == decide_in(enrolment_db, state, number)

    try:
        decide_alike()
    finally:
        postgresql.dispose()


def test_the_catalogue_shows_enrolment_s_counts_per_pool(catalogue):
    from catalogue.handlers import HANDLERS as CATALOGUE_HANDLERS

    client, offerings = catalogue
    offering = client.post(offerings, json=offering_payload(capacity=30, reserved=[POOL]), headers=COORDINATOR)
    offering_id = offering.get_json()["id"]
    pool = {"institution": SSMU, "seats": 8, "confirmed": 5, "held": 1, "available": 2, "waitlisted": 0,
            "release_at": "2027-01-10T09:00:00+00:00"}
    seats = {"capacity": 30, "confirmed": 20, "held": 1, "available": 9, "waitlisted": 0, "reserved": [pool]}
    handle_event(client.application.extensions["database"], CATALOGUE_HANDLERS, Event(
        type=events.SEATS_CHANGED, producer="enrolment",
        data={"offering_id": offering_id, "seats": seats, "seats_revision": 3}))
    assert client.get(f"/api/v1/offerings/{offering_id}").get_json()["seats"] == seats
