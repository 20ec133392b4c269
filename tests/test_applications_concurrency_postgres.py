"""Approvals racing for the last seats on PostgreSQL, through HTTP under gunicorn: never more approved than
capacity, each application decided once, one open application per person."""

from collections import Counter

import pytest
from sqlalchemy import func, select

from enrolment.applications import submit_application
from enrolment.models import Application, Enrolment
from enrolment.operations import get_offering
from shared.config import DEVELOPMENT_JWT_SECRET
from shared.db import Database
from shared.http.auth import Principal
from shared.http.demo_tokens import demo_token
from tests.support.rush import post_all, served_offering

pytestmark = pytest.mark.postgres

APPLICANTS = 60
SEATS = 5


def bearer(role: str, sub: str) -> dict:
    token = demo_token(DEVELOPMENT_JWT_SECRET, role=role, institution="SSMU" if role == "student" else "LUMC",
                       sub=sub)
    return {"Authorization": f"Bearer {token}"}


COORDINATORS = [bearer("coordinator", "lumc-coordinator"), bearer("admin", "lumc-admin")]


@pytest.fixture
def lab(postgres_url, tmp_path):
    with served_offering(postgres_url, tmp_path, capacity=SEATS, admission="application") as served:
        yield served


def pending_applications(db: Database, offering_id: str) -> list[str]:
    ids = []
    with db.transaction() as session:
        for number in range(APPLICANTS):
            person = Principal(f"applicant-{number}", "student", "SSMU", f"a{number}@ssmu.ru", f"Студент {number}",
                               "ru")
            ids.append(submit_application(session, person, offering_id, "Why I come").id)
    return ids


def test_sixty_approvals_racing_for_five_seats_approve_exactly_five(lab):
    db, url, offering_id = lab
    ids = pending_applications(db, offering_id)
    answers = post_all(url, [(f"/api/v1/applications/{application_id}/approve", {"message": "Welcome"},
                              COORDINATORS[n % 2]) for n, application_id in enumerate(ids)])

    assert Counter(a.status_code for a in answers) == {200: SEATS, 409: APPLICANTS - SEATS}
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"offering_full"}
    with db.transaction() as session:
        assert get_offering(session, offering_id).confirmed_count == SEATS
        confirmed = select(func.count()).select_from(Enrolment).where(Enrolment.status == "confirmed")
        assert session.scalar(confirmed) == SEATS
        approved = set(session.scalars(select(Application.enrolment_id).where(Application.status == "approved")))
    assert len(approved) == SEATS and None not in approved


def test_an_approval_and_a_withdrawal_racing_end_the_application_once(lab):
    db, url, offering_id = lab
    ids = pending_applications(db, offering_id)[:20]
    requests = []
    for n, application_id in enumerate(ids):
        requests += [(f"/api/v1/applications/{application_id}/withdraw", {}, bearer("student", f"applicant-{n}")),
                     (f"/api/v1/applications/{application_id}/approve", {}, COORDINATORS[0])]
    answers = post_all(url, requests)

    for withdraw, approve in zip(answers[::2], answers[1::2]):
        assert sorted((withdraw.status_code, approve.status_code)) == [200, 409]
    with db.transaction() as session:
        statuses = dict(session.execute(select(Application.id, Application.status)).all())
        confirmed = session.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.status == "confirmed"))
    assert confirmed == Counter(statuses.values())["approved"] <= SEATS
    for withdraw, approve in zip(answers[::2], answers[1::2]):
        won = withdraw if withdraw.status_code == 200 else approve
        assert statuses[won.json()["id"]] == won.json()["status"]


def test_one_person_applying_many_times_at_once_gets_one_application(lab):
    db, url, offering_id = lab
    answers = post_all(url, [("/api/v1/applications", {"offering_id": offering_id, "motivation": f"Try {n}"},
                              bearer("student", "eager")) for n in range(20)])
    assert Counter(a.status_code for a in answers) == {201: 1, 409: 19}
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"already_applied"}
