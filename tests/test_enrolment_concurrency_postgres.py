"""A seat rush on PostgreSQL through HTTP under gunicorn: no overselling, a fair line, promotions once."""

from collections import Counter

import httpx
import pytest
from sqlalchemy import select

from enrolment.models import Enrolment
from enrolment.operations import get_offering
from shared import events
from shared.config import DEVELOPMENT_JWT_SECRET
from shared.http.demo_tokens import demo_token
from shared.messaging.outbox import OutboxMessage
from tests.support.rush import post_all, served_offering

pytestmark = pytest.mark.postgres

STUDENTS = 200
SEATS = 20


def token(number: int) -> str:
    return demo_token(DEVELOPMENT_JWT_SECRET, role="student", institution="SSMU", sub=f"rush-{number}",
                      name=f"Студент {number}")


@pytest.fixture
def rush(postgres_url, tmp_path):
    with served_offering(postgres_url, tmp_path, capacity=SEATS) as served:
        yield served


def as_student(number: int) -> dict:
    return {"Authorization": f"Bearer {token(number)}"}


def test_200_students_racing_for_20_seats_then_cancellations_promoting_in_order(rush):
    db, url, offering_id = rush
    answers = post_all(url, [("/api/v1/enrolments", {"offering_id": offering_id}, as_student(n))
                             for n in range(STUDENTS)])

    assert Counter(a.status_code for a in answers) == {201: STUDENTS}
    bodies = [a.json() for a in answers]
    assert Counter(b["status"] for b in bodies) == {"confirmed": SEATS, "waitlisted": STUDENTS - SEATS}
    assert sorted(b["waitlist_position"] for b in bodies if b["status"] == "waitlisted") == \
        list(range(1, STUDENTS - SEATS + 1))

    with db.transaction() as session:
        offering = get_offering(session, offering_id)
        assert (offering.confirmed_count, offering.waitlisted_count) == (SEATS, STUDENTS - SEATS)
        line = list(session.scalars(select(Enrolment).where(Enrolment.status == "waitlisted")
                                    .order_by(Enrolment.waitlist_ticket)))
    first_ten_in_line = [e.student_id for e in line[:10]]
    # The roster shows when each enrolled: nobody further down the line enrolled before someone ahead.
    assert [e.created_at for e in line] == sorted(e.created_at for e in line)

    seated = [b for b in bodies if b["status"] == "confirmed"][:10]
    cancels = post_all(url, [(f"/api/v1/enrolments/{b['id']}/cancel", {},
                              as_student(int(b["student_id"].removeprefix("rush-")))) for b in seated])
    assert Counter(c.status_code for c in cancels) == {200: 10}

    with db.transaction() as session:
        now_confirmed = set(session.scalars(select(Enrolment.student_id).where(Enrolment.status == "confirmed")))
        promoted = list(session.scalars(select(OutboxMessage.body).where(
            OutboxMessage.event_type == events.ENROLMENT_PROMOTED)))
        offering = get_offering(session, offering_id)
        assert (offering.confirmed_count, offering.waitlisted_count) == (SEATS, STUDENTS - SEATS - 10)
    assert len(now_confirmed) == SEATS and set(first_ten_in_line) <= now_confirmed
    assert len(promoted) == 10 and all(student in "".join(promoted) for student in first_ten_in_line)

    roster = httpx.get(f"{url}/api/v1/offerings/{offering_id}/roster", headers={
        "Authorization": "Bearer " + demo_token(DEVELOPMENT_JWT_SECRET, role="coordinator", institution="LUMC")})
    positions = [entry["waitlist_position"] for entry in roster.json() if entry["status"] == "waitlisted"]
    assert positions == list(range(1, STUDENTS - SEATS - 10 + 1))


def test_concurrent_repeats_of_one_idempotency_key_enrol_once_and_answer_alike(rush):
    db, url, offering_id = rush
    headers = {"Authorization": f"Bearer {token(999)}", "Idempotency-Key": "double-click"}
    answers = post_all(url, [("/api/v1/enrolments", {"offering_id": offering_id}, headers)] * 20)

    assert {a.status_code for a in answers} == {201}
    assert len({a.text for a in answers}) == 1
    with db.transaction() as session:
        assert len(list(session.scalars(select(Enrolment.id).where(Enrolment.student_id == "rush-999")))) == 1


def test_one_student_s_repeats_racing_without_a_key_enrol_her_once(rush):
    """A double click, a client retrying: her repeats arrive at once, without an Idempotency-Key. One enrolment,
    the others 409, the seat counted once (each decided before the others' enrolment was there to see)."""
    db, url, offering_id = rush
    answers = post_all(url, [("/api/v1/enrolments", {"offering_id": offering_id}, as_student(1))] * 8)
    assert Counter(a.status_code for a in answers) == {201: 1, 409: 7}
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"already_enrolled"}
    with db.transaction() as session:
        offering = get_offering(session, offering_id)
        assert (offering.confirmed_count, offering.waitlisted_count) == (1, 0)
        assert len(session.scalars(select(Enrolment).where(Enrolment.offering_id == offering_id)).all()) == 1
