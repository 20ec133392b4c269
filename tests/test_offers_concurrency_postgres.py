"""Offers settled exactly once under real concurrency on PostgreSQL: an answer racing the sweeper at the
deadline, two sweepers over the same due offers, and a sweeper SIGKILLed in the middle of a sweep."""

import json
import signal
import subprocess
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from enrolment.models import Enrolment, Offering
from enrolment.offers import accept_offer, sweep_offers
from enrolment.operations import cancel_enrolment, enrol_student
from enrolment.replica import apply_offering_snapshot
from shared import events
from shared.db import Database
from shared.events.catalogue import OfferingSnapshot
from shared.http.errors import Problem
from shared.messaging.outbox import OutboxMessage
from tests.support.payloads import offering_snapshot, student

pytestmark = pytest.mark.postgres
OFFERINGS = 12


@pytest.fixture
def enrolment_url(postgres_database_factory) -> str:
    return postgres_database_factory("enrolment")  # named after the service: a copy of a migrated one


@pytest.fixture
def db(enrolment_url):
    database = Database(enrolment_url)
    yield database
    database.dispose()


def open_offers(db) -> tuple[list[str], datetime]:
    """OFFERINGS offerings of one seat with promotion by offer: in each, the first student cancels, the
    second is offered the seat, the third waits. Return the offered enrolments' ids and their deadline."""
    offered = []
    for _ in range(OFFERINGS):
        snapshot = offering_snapshot(capacity=1, promotion="offer", offer_hours=24)
        with db.transaction() as session:
            apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))
        with db.transaction() as session:
            first, second, _third = (enrol_student(session, student(n), snapshot["offering_id"]) for n in (1, 2, 3))
        with db.transaction() as session:
            cancel_enrolment(session, student(1), first.id)
        offered.append(second.id)
    with db.transaction() as session:
        deadlines = set(session.scalars(select(Enrolment.offer_expires_at).where(Enrolment.id.in_(offered))))
    return offered, max(deadlines)


def events_about(db, event_type) -> Counter:
    """How many events of the type each enrolment has in the outbox."""
    with db.transaction() as session:
        return Counter(json.loads(body)["data"]["enrolment"]["id"] for body in session.scalars(
            select(OutboxMessage.body).where(OutboxMessage.event_type == event_type)))


def assert_counters_match_the_rows(db):
    with db.transaction() as session:
        for offering in session.scalars(select(Offering)):
            rows = Counter(dict(session.execute(select(Enrolment.status, func.count()).where(
                Enrolment.offering_id == offering.id).group_by(Enrolment.status)).all()))
            assert (offering.confirmed_count, offering.held_count, offering.waitlisted_count) == (
                rows["confirmed"], rows["offered"], rows["waitlisted"])
            assert offering.confirmed_count + offering.held_count <= offering.capacity


def test_an_answer_racing_the_sweeper_at_the_deadline_settles_each_offer_once(db):
    offered, deadline = open_offers(db)
    accepted, late = [], []

    def accept(enrolment_id):
        try:
            with db.transaction() as session:
                accept_offer(session, student(2), enrolment_id, deadline - timedelta(microseconds=1))
            accepted.append(enrolment_id)
        except Problem as problem:
            assert problem.code == "offer_expired"
            late.append(enrolment_id)

    with ThreadPoolExecutor(max_workers=8) as pool:
        sweeps = [pool.submit(sweep_offers, db, deadline) for _ in range(2)]
        list(pool.map(accept, offered))
        expired_by_sweeps = sum(sweep.result()["expired"] for sweep in sweeps)
    assert sorted(accepted + late) == sorted(offered)
    assert expired_by_sweeps == len(late)
    promoted, expired = events_about(db, events.ENROLMENT_PROMOTED), events_about(db, events.ENROLMENT_OFFER_EXPIRED)
    assert set(promoted) == set(accepted) and set(expired) == set(late)
    assert set(promoted.values()) <= {1} and set(expired.values()) <= {1}
    assert_counters_match_the_rows(db)


def test_two_sweepers_over_the_same_due_offers_expire_each_once(db):
    offered, deadline = open_offers(db)
    start = threading.Barrier(2)

    def sweep():
        start.wait()
        return sweep_offers(db, deadline)["expired"]

    with ThreadPoolExecutor(max_workers=2) as pool:
        swept = [pool.submit(sweep) for _ in range(2)]
        counts = [sweep.result() for sweep in swept]
    counts.append(sweep_offers(db, deadline)["expired"])  # one skipped an offering the other held, if any
    assert sum(counts) == OFFERINGS
    assert events_about(db, events.ENROLMENT_OFFER_EXPIRED) == Counter(offered)
    # Each seat went on to the next (the third student of each offering), once.
    assert sum(events_about(db, events.ENROLMENT_OFFERED).values()) == 2 * OFFERINGS
    assert_counters_match_the_rows(db)


def test_a_sweeper_killed_mid_sweep_leaves_the_rest_to_the_others_still_exactly_once(db, enrolment_url):
    offered, deadline = open_offers(db)
    # Run as a module of this checkout (cwd first on sys.path), whichever checkout the venv points at.
    killed = subprocess.run([sys.executable, "-m", "tests.kill_sweeper_mid_sweep", enrolment_url, deadline.isoformat(),
                             "4"], cwd=Path(__file__).parent.parent, capture_output=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    # Three offers expired and committed; the fourth, expired but not committed, died with the process.
    assert sum(events_about(db, events.ENROLMENT_OFFER_EXPIRED).values()) == 3
    with ThreadPoolExecutor(max_workers=2) as pool:
        survivors = [pool.submit(sweep_offers, db, deadline) for _ in range(2)]
        swept = sum(survivor.result()["expired"] for survivor in survivors)
    swept += sweep_offers(db, deadline)["expired"]  # one skipped an offering the other held, if any
    assert swept == OFFERINGS - 3
    assert events_about(db, events.ENROLMENT_OFFER_EXPIRED) == Counter(offered)
    assert sum(events_about(db, events.ENROLMENT_OFFERED).values()) == 2 * OFFERINGS
    assert_counters_match_the_rows(db)
