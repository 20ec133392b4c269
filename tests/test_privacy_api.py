"""Export and erasure over each service's HTTP API: who may ask for whom, what is answered, and what a
late or repeated event does after an erasure."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from catalogue.models import CourseRevision
from catalogue.privacy import on_erasure_requested as catalogue_erases
from enrolment.models import Enrolment
from enrolment.replica import apply_offering_snapshot
from notifications.handlers import handlers
from notifications.messages import FrontEnd
from notifications.mailer import FolderTransport, Mailer
from notifications.models import Notification
from shared import events
from shared.events.catalogue import OfferingSnapshot
from shared.messaging.consumer import Outcome, handle_event
from shared.messaging.envelope import Event
from tests.support.payloads import ANNA, FRONT_END_URL, OFFERING, SANNE, bearer, enrolment_event, offering_snapshot
from tests.support.problems import assert_problem

ADMIN = bearer("admin", "LUMC")
HANDLERS = handlers(FrontEnd(FRONT_END_URL))


def student(sub, name="Анна Смирнова"):
    return bearer("student", "SSMU", sub=sub, name=name, email=f"{sub}@ssmu.ru")


@pytest.fixture
def enrolment(service_app):
    app = service_app("enrolment")
    snapshot = offering_snapshot(capacity=1)
    with app.extensions["database"].transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))
    client = app.test_client()
    for sub in ("anna", "boris"):
        assert client.post("/api/v1/enrolments", json={"offering_id": snapshot["offering_id"]},
                           headers=student(sub)).status_code == 201
    return app


def erasure_event(erasure_id="e-1", subject=ANNA["id"], at=None):
    return Event(type=events.ERASURE_REQUESTED, producer="enrolment", occurred_at=at or datetime.now(timezone.utc),
                 data={"erasure_id": erasure_id, "subject_id": subject, "requested_by": "student"})


def test_a_student_exports_what_enrolment_holds_of_them_and_of_nobody_else(enrolment):
    client = enrolment.test_client()
    answer = client.get("/api/v1/privacy/enrolment/personal-data/me", headers=student("anna"))
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["service"], body["person_id"]) == ("enrolment", "anna")
    (mine,) = body["data"]["enrolments"]
    assert mine["status"] == "confirmed" and mine["student"]["email"] == "anna@ssmu.ru"
    assert_problem(client.get("/api/v1/privacy/enrolment/personal-data/boris", headers=student("anna")), 403, "forbidden")
    on_behalf = client.get("/api/v1/privacy/enrolment/personal-data/boris", headers=ADMIN).get_json()
    assert on_behalf["data"]["enrolments"][0]["waitlist_position"] == 1


def test_erasing_frees_the_seat_for_the_next_in_line_and_keeps_only_a_pseudonym(enrolment):
    client = enrolment.test_client()
    answer = client.post("/api/v1/erasures", json={}, headers=student("anna"))
    assert answer.status_code == 202
    erasure = answer.get_json()
    assert erasure["requested_by"] == "student"
    with enrolment.extensions["database"].reading() as session:
        rows = {row.status: row for row in session.scalars(select(Enrolment))}
    assert rows["confirmed"].student_id == "boris"
    assert rows["cancelled"].student_id.startswith("erased-")
    assert (rows["cancelled"].student_name, rows["cancelled"].student_email) == ("", "")
    assert client.get("/api/v1/privacy/enrolment/personal-data/me", headers=student("anna")).get_json()["data"] == {
        "enrolments": [], "applications": [], "remembered_requests": []}

    status = client.get(f"/api/v1/privacy/enrolment/erasures/{erasure['id']}", headers=student("anna")).get_json()
    assert (status["service"], status["status"]) == ("enrolment", "complete")
    assert_problem(client.get(f"/api/v1/privacy/enrolment/erasures/{erasure['id']}", headers=student("boris")), 404,
                   "erasure_not_found")
    (listed,) = client.get("/api/v1/erasures", headers=ADMIN).get_json()
    assert listed["id"] == erasure["id"]


def test_only_admins_erase_someone_else(enrolment):
    client = enrolment.test_client()
    assert_problem(client.post("/api/v1/erasures", json={"person_id": "boris"}, headers=student("anna")),
                   403, "forbidden")
    assert_problem(client.post("/api/v1/erasures", json={}, headers=bearer("coordinator", "LUMC")), 403, "forbidden")
    assert_problem(client.get("/api/v1/erasures", headers=student("anna")), 403, "forbidden")
    answer = client.post("/api/v1/erasures", json={"person_id": "boris"}, headers=ADMIN)
    assert answer.status_code == 202 and answer.get_json()["requested_by"] == "admin"


@pytest.mark.parametrize("body", [{"person_id": "an\u0000id"}, {"person_id": "x" * 65}, {"person_id": ""},
                                  {"person_id": 7}, {"someone": "else"}])
def test_a_hostile_erasure_request_is_refused_and_changes_nothing(enrolment, body):
    client = enrolment.test_client()
    assert_problem(client.post("/api/v1/erasures", json=body, headers=ADMIN), 422, "validation_error")
    with enrolment.extensions["database"].reading() as session:
        assert session.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.student_id == "anna")) == 1


def test_notifications_forget_a_student_and_a_late_or_repeated_event_brings_nothing_back(service_app, tmp_path):
    app = service_app("notifications")
    db = app.extensions["database"]
    before = datetime.now(timezone.utc) - timedelta(minutes=1)
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_CONFIRMED, status="confirmed", position=None,
                                               offering={**OFFERING, "coordinators": ["lumc-coordinator"]}))
    mailer = Mailer(db, FolderTransport(tmp_path / "mail"), "exchange@test.invalid")
    assert mailer.send_due() == 1 and len(list((tmp_path / "mail").glob("*.eml"))) == 1
    client = app.test_client()
    anna = student(ANNA["id"])
    assert len(client.get("/api/v1/privacy/notifications/personal-data/me", headers=anna).get_json()["data"]["notifications"]) == 1

    pieter = bearer("coordinator", "LUMC")  # the course's coordinator, told of her enrolment
    assert [n["kind"] for n in client.get("/api/v1/notifications/me", headers=pieter).get_json()] == ["roster_changed"]
    # What he was told names her: her copy of her data says what, and to whom it went.
    (told,) = client.get("/api/v1/privacy/notifications/personal-data/me", headers=anna).get_json()["data"][
        "coordinators_told"]
    assert told["to_user_id"] == "lumc-coordinator" and told["kind"] == "roster_changed"
    assert ANNA["name"] in told["body"]

    assert handle_event(db, HANDLERS, erasure_event()) == Outcome.HANDLED
    assert client.get("/api/v1/privacy/notifications/erasures/e-1", headers=ADMIN).get_json()["status"] == "in_progress"
    mailer.send_due()  # removes the mail file
    assert client.get("/api/v1/privacy/notifications/erasures/e-1", headers=ADMIN).get_json()["status"] == "complete"
    assert list((tmp_path / "mail").glob("*.eml")) == []

    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_PROMOTED, status="confirmed", position=None,
                                               at=before))  # late: it happened before the erasure
    handle_event(db, HANDLERS, erasure_event(subject=ANNA["id"]))  # the same erasure again, as a new event
    assert client.get("/api/v1/privacy/notifications/personal-data/me", headers=anna).get_json()["data"] == {
        "preferences": None, "notifications": [], "offerings_followed": [], "coordinators_told": []}
    assert client.get("/api/v1/notifications/me", headers=pieter).get_json() == []  # her name is gone there too

    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_CONFIRMED, status="confirmed", position=None))
    with db.reading() as session:  # what she does after the erasure is new, and kept
        assert session.scalar(select(func.count()).select_from(Notification)) == 1


def test_what_coordinators_were_told_is_in_each_student_s_export_and_only_hers(service_app):
    """Two coordinators are told of Anna's and of Sanne's enrolments. Each student's export holds the notices
    naming her (one per coordinator); a coordinator's own export and erasure touch none of them."""
    app = service_app("notifications")
    db = app.extensions["database"]
    two_coordinators = {**OFFERING, "coordinators": ["lumc-coordinator", "ssmu-coordinator"]}
    for person in (ANNA, SANNE):
        handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_CONFIRMED, student=person, status="confirmed",
                                                   position=None, offering=two_coordinators))
    client = app.test_client()
    for person, other in ((ANNA, SANNE), (SANNE, ANNA)):
        told = client.get("/api/v1/privacy/notifications/personal-data/me", headers=bearer(
            "student", person["institution"], sub=person["id"])).get_json()["data"]["coordinators_told"]
        assert sorted(notice["to_user_id"] for notice in told) == ["lumc-coordinator", "ssmu-coordinator"]
        assert all(person["name"] in notice["body"] and other["name"] not in notice["body"] for notice in told)
    coordinator = bearer("coordinator", "LUMC")
    assert client.get("/api/v1/privacy/notifications/personal-data/me",
                      headers=coordinator).get_json()["data"]["coordinators_told"] == []
    handle_event(db, HANDLERS, erasure_event(subject="lumc-coordinator"))
    assert len(client.get("/api/v1/notifications/me", headers=bearer("coordinator", "SSMU")).get_json()) == 2


def test_the_catalogue_keeps_the_history_of_a_forgotten_editor_by_a_pseudonym(catalogue_db):
    from catalogue.operations import create_course
    from tests.support.payloads import LUMC_COORDINATOR, course_payload

    with catalogue_db.transaction() as session:
        create_course(session, LUMC_COORDINATOR, course_payload())
    with catalogue_db.transaction() as session:
        catalogue_erases(session, erasure_event(subject=LUMC_COORDINATOR.id))
    with catalogue_db.reading() as session:
        (revision,) = session.scalars(select(CourseRevision)).all()
    assert revision.actor_id.startswith("erased-") and revision.actor_name == ""


@pytest.mark.postgres
def test_hostile_privacy_requests_are_refused_on_postgresql_too(service_app, postgres_url):
    client = service_app("enrolment", database_url=postgres_url).test_client()
    assert_problem(client.post("/api/v1/erasures", data='{"person_id": "\\ud800"}', content_type="application/json",
                               headers=ADMIN), 422, "validation_error")
    assert_problem(client.get("/api/v1/privacy/enrolment/personal-data/a%00b", headers=ADMIN), 404, "not_found")
    assert_problem(client.get("/api/v1/privacy/enrolment/erasures/a%00b", headers=ADMIN), 404, "not_found")
    assert client.get("/api/v1/privacy/enrolment/personal-data/%E2%80%AE", headers=ADMIN).get_json()["data"]["enrolments"] == []
