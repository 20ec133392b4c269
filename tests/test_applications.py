"""Places by application over HTTP: apply, approve or decline with a message, withdraw; never more approved
than seats; offerings without applications behave as before."""

import json

import pytest
from sqlalchemy import func, select

from catalogue.privacy import on_erasure_requested as catalogue_erases
from enrolment.handlers import on_offering_changed
from enrolment.models import Application, Enrolment
from enrolment.replica import apply_offering_snapshot
from notifications.privacy import on_erasure_requested as notifications_erase
from shared import events
from shared.events.catalogue import OfferingSnapshot
from shared.messaging.envelope import Event
from shared.messaging.outbox import OutboxMessage
from tests.support.payloads import bearer, offering_snapshot
from tests.support.problems import assert_problem

COORDINATOR = bearer("coordinator", "LUMC")
OTHER_COORDINATOR = bearer("coordinator", "SSMU", sub="ssmu-2")  # neither named nor of LUMC
STAFF = bearer("staff", "SSMU", sub="ssmu-visitor", name="Олег Кузнецов")
VISIT = {"starts_on": "2027-03-01", "ends_on": "2027-03-14"}


def applicant(number: int) -> dict:
    return bearer("student", "SSMU", sub=f"ssmu-student-{number}", name=f"Студентка Номер {number}")


@pytest.fixture
def app(service_app):
    return service_app("enrolment")


@pytest.fixture
def client(app):
    return app.test_client()


def scheduled(app, **overrides) -> str:
    snapshot = offering_snapshot(**{"capacity": 1, "admission": "application", **overrides})
    with app.extensions["database"].transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))
    return snapshot["offering_id"]


@pytest.fixture
def offering_id(app):
    return scheduled(app)


def apply(client, offering_id, headers, **body):
    return client.post("/api/v1/applications", headers=headers,
                       json={"offering_id": offering_id, "motivation": "I study glycomics.", **body})


def decide(client, application_id, decision, headers=COORDINATOR, message=None):
    return client.post(f"/api/v1/applications/{application_id}/{decision}", headers=headers,
                       json={"message": message})


def events_of(app) -> list[dict]:
    with app.extensions["database"].transaction() as session:
        return [json.loads(body) for body in session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id))]


def count(app, model, **where) -> int:
    with app.extensions["database"].transaction() as session:
        return session.scalar(select(func.count()).select_from(model).filter_by(**where))


def test_an_application_is_pending_until_a_coordinator_approves_it_and_then_holds_a_seat(app, client, offering_id):
    submitted = apply(client, offering_id, applicant(1))
    assert submitted.status_code == 201, submitted.get_json()
    body = submitted.get_json()
    assert (body["status"], body["applicant"]["role"], body["motivation"]) == ("pending", "student",
                                                                               "I study glycomics.")
    assert client.get(f"/api/v1/offerings/{offering_id}/seats").get_json()["confirmed"] == 0
    approved = decide(client, body["id"], "approve", message="Welcome to the lab!")
    assert approved.status_code == 200, approved.get_json()
    assert (approved.get_json()["status"], approved.get_json()["message"]) == ("approved", "Welcome to the lab!")
    enrolments = client.get("/api/v1/enrolments/me", headers=applicant(1)).get_json()
    assert [(e["id"], e["status"]) for e in enrolments] == [(approved.get_json()["enrolment_id"], "confirmed")]
    assert client.get(f"/api/v1/offerings/{offering_id}/seats").get_json()["confirmed"] == 1
    types = [event["type"] for event in events_of(app)]
    assert types[-3:] == ["enrolment.application_submitted", "enrolment.application_approved",
                          "enrolment.seats_changed"]


def test_approving_when_every_seat_is_taken_is_refused_and_changes_nothing(app, client, offering_id):
    first, second = (apply(client, offering_id, applicant(n)).get_json()["id"] for n in (1, 2))
    decide(client, first, "approve")
    assert_problem(decide(client, second, "approve"), 409, "offering_full")
    assert count(app, Enrolment, status="confirmed") == 1
    assert client.get("/api/v1/applications/me", headers=applicant(2)).get_json()[0]["status"] == "pending"


def test_a_freed_seat_can_be_given_to_the_next_applicant_and_who_gave_it_up_may_apply_again(client, offering_id):
    first, second = (apply(client, offering_id, applicant(n)).get_json()["id"] for n in (1, 2))
    enrolment_id = decide(client, first, "approve").get_json()["enrolment_id"]
    assert_problem(apply(client, offering_id, applicant(1)), 409, "already_enrolled")
    client.post(f"/api/v1/enrolments/{enrolment_id}/cancel", headers=applicant(1))
    assert decide(client, second, "approve").get_json()["status"] == "approved"
    assert apply(client, offering_id, applicant(1)).status_code == 201


def test_a_declined_applicant_reads_the_coordinators_message_and_a_decision_is_made_once(app, client, offering_id):
    application_id = apply(client, offering_id, applicant(1)).get_json()["id"]
    declined = decide(client, application_id, "decline", message="The lab is full this spring.")
    assert (declined.get_json()["status"], declined.get_json()["message"]) == ("declined",
                                                                              "The lab is full this spring.")
    assert decide(client, application_id, "decline").get_json()["message"] == "The lab is full this spring."
    assert_problem(decide(client, application_id, "approve"), 409, "application_decided")
    assert [e["type"] for e in events_of(app)].count("enrolment.application_declined") == 1
    mine = client.get("/api/v1/applications/me", headers=applicant(1)).get_json()
    assert [(a["status"], a["message"]) for a in mine] == [("declined", "The lab is full this spring.")]


def test_the_applicant_withdraws_a_pending_application_and_may_apply_again(client, offering_id):
    application_id = apply(client, offering_id, applicant(1)).get_json()["id"]
    assert_problem(apply(client, offering_id, applicant(1)), 409, "already_applied")
    assert_problem(client.post(f"/api/v1/applications/{application_id}/withdraw", headers=applicant(2)),
                   404, "application_not_found")
    withdrawn = client.post(f"/api/v1/applications/{application_id}/withdraw", headers=applicant(1))
    assert withdrawn.get_json()["status"] == "withdrawn"
    assert_problem(decide(client, application_id, "approve"), 409, "application_decided")
    assert apply(client, offering_id, applicant(1)).status_code == 201


def test_visiting_staff_apply_with_the_dates_they_propose(client, offering_id):
    refused = apply(client, offering_id, STAFF)
    assert "proposed_dates" in assert_problem(refused, 422, "validation_error")["errors"]
    backwards = apply(client, offering_id, STAFF, proposed_dates={"starts_on": "2027-03-14", "ends_on": "2027-03-01"})
    assert_problem(backwards, 422, "validation_error")
    body = apply(client, offering_id, STAFF, proposed_dates=VISIT).get_json()
    assert (body["applicant"]["role"], body["proposed_dates"]) == ("staff", VISIT)
    listed = client.get(f"/api/v1/offerings/{offering_id}/applications", headers=COORDINATOR)
    assert [a["applicant"]["name"] for a in listed.get_json()] == ["Олег Кузнецов"]
    assert "X-Pagination" in listed.headers


def test_the_seat_rules_of_each_kind_of_offering_are_kept_apart(app, client, offering_id):
    assert_problem(client.post("/api/v1/enrolments", json={"offering_id": offering_id}, headers=applicant(1)),
                   409, "application_required")
    first_come = scheduled(app, admission="first_come")
    assert_problem(apply(client, first_come, applicant(1)), 409, "not_by_application")
    closed = scheduled(app, enrolment_opens_at="2030-01-01T00:00:00+00:00",
                       enrolment_closes_at="2030-02-01T00:00:00+00:00")
    assert_problem(apply(client, closed, applicant(1)), 409, "enrolment_closed")
    assert count(app, Application) == 0


def test_only_the_courses_coordinators_see_and_decide_applications(client, offering_id):
    application_id = apply(client, offering_id, applicant(1)).get_json()["id"]
    assert_problem(client.get(f"/api/v1/offerings/{offering_id}/applications", headers=OTHER_COORDINATOR),
                   403, "forbidden")
    assert_problem(decide(client, application_id, "approve", headers=OTHER_COORDINATOR), 404, "application_not_found")
    assert_problem(client.post(f"/api/v1/applications/{application_id}/approve", headers=applicant(1), json={}),
                   403, "forbidden")
    assert_problem(client.post("/api/v1/applications", json={"offering_id": offering_id, "motivation": "x"},
                               headers=COORDINATOR), 403, "forbidden")


@pytest.mark.parametrize("body", [
    {"motivation": " \u200b "}, {"motivation": ""}, {"motivation": "x" * 4001}, {"motivation": "a\x00b"},
    {"motivation": 42}, {"proposed_dates": {"starts_on": "2027-03-01"}}, {"proposed_dates": "March"},
    {"proposed_dates": {"starts_on": "2027-02-30", "ends_on": "2027-03-01"}}, {"seat": 1},
])
def test_bad_applications_are_422_and_write_nothing(app, client, offering_id, body):
    response = client.post("/api/v1/applications", headers=applicant(1),
                           json={"offering_id": offering_id, "motivation": "Why", **body})
    assert_problem(response, 422, "validation_error")
    assert count(app, Application) == 0


def test_a_cancelled_offering_declines_the_pending_applications_with_its_reason(app, client, offering_id):
    application_id = apply(client, offering_id, applicant(1)).get_json()["id"]
    cancelled = offering_snapshot(offering_id=offering_id, capacity=1, admission="application", status="cancelled",
                                  cancel_reason="Lab closed for renovation", version=2)
    event = Event(type=events.OFFERING_CANCELLED, producer="catalogue", data=cancelled)
    with app.extensions["database"].transaction() as session:
        on_offering_changed(session, event)
    mine = client.get("/api/v1/applications/me", headers=applicant(1)).get_json()
    assert [(a["id"], a["status"], a["message"]) for a in mine] == [
        (application_id, "declined", "Lab closed for renovation")]


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database_app(request, service_app):
    """The enrolment app on a fresh SQLite file or a fresh PostgreSQL database."""
    url = None if request.param == "sqlite" else request.getfixturevalue("postgres_database_factory")("enrolment")
    return service_app("enrolment", url)


@pytest.mark.parametrize("change", [
    {"motivation": "a\x00b"}, {"motivation": "a\ud800b"}, {"offering_id": "x\x00"},
    {"proposed_dates": {"starts_on": "0000-01-01", "ends_on": "2027-01-01"}},
])
def test_unstorable_applications_are_422_and_write_nothing_on_either_database(any_database_app, change):
    client = any_database_app.test_client()
    offering_id = scheduled(any_database_app)
    body = json.dumps({"offering_id": offering_id, "motivation": "Why", **change})
    answer = client.post("/api/v1/applications", data=body, content_type="application/json", headers=applicant(1))
    assert_problem(answer, 422, "validation_error")
    assert count(any_database_app, Application) == 0


def test_the_widest_dates_and_a_hostile_message_are_kept_as_typed_on_either_database(any_database_app):
    client = any_database_app.test_client()
    offering_id = scheduled(any_database_app)
    body = apply(client, offering_id, STAFF, motivation="«Зачем?»\n\tبحث", proposed_dates={
        "starts_on": "0001-01-01", "ends_on": "9999-12-31"}).get_json()
    assert body["proposed_dates"] == {"starts_on": "0001-01-01", "ends_on": "9999-12-31"}
    refused = client.post(f"/api/v1/applications/{body['id']}/decline", headers=COORDINATOR,
                          data=json.dumps({"message": "no\x00"}), content_type="application/json")
    assert_problem(refused, 422, "validation_error")
    declined = decide(client, body["id"], "decline", message="<b>Нет</b> =1+1")
    assert declined.get_json()["message"] == "<b>Нет</b> =1+1"
    nul_id = client.post("/api/v1/applications/%00/withdraw", headers=STAFF)
    assert nul_id.status_code == 404 and nul_id.mimetype == "application/problem+json"


def test_erasing_an_applicant_withdraws_what_is_pending_and_keeps_only_a_pseudonym(app, client, offering_id):
    other = scheduled(app)
    pending = apply(client, offering_id, STAFF, proposed_dates=VISIT).get_json()["id"]
    approved = apply(client, other, STAFF, proposed_dates=VISIT).get_json()["id"]
    decide(client, approved, "approve", message="Welcome, Oleg")
    admin = bearer("admin", "LUMC")  # visiting staff are forgotten by an admin on their behalf
    assert client.post("/api/v1/erasures", json={"person_id": "ssmu-visitor"}, headers=admin).status_code == 202
    with app.extensions["database"].transaction() as session:
        rows = {row.id: row for row in session.scalars(select(Application))}
        assert (rows[pending].status, rows[approved].status) == ("withdrawn", "approved")
        for row in rows.values():
            assert row.applicant_id.startswith("erased-") and row.applicant_id == rows[pending].applicant_id
            assert (row.applicant_name, row.applicant_email, row.motivation, row.message) == ("", "", "", None)
            assert row.proposed_dates is None
        left = [body for body in session.scalars(select(OutboxMessage.body)) if "ssmu-visitor" in body]
    assert left == [] or all("identity.erasure_requested" in body for body in left)
    export = client.get("/api/v1/privacy/enrolment/personal-data/ssmu-visitor", headers=admin).get_json()["data"]
    assert export["applications"] == [] and export["enrolments"] == []


def test_visiting_staff_are_forgotten_at_their_own_request_everywhere(service_app, client, offering_id):
    """The right to erasure is not only students': a visiting researcher's application is withdrawn and keeps a
    pseudonym, and the other services accept the erasure event, which says the person asked as staff."""
    applied = apply(client, offering_id, STAFF, proposed_dates=VISIT).get_json()
    erasure = client.post("/api/v1/erasures", json={}, headers=STAFF)
    assert erasure.status_code == 202 and erasure.get_json()["requested_by"] == "staff"
    listed = client.get(f"/api/v1/offerings/{offering_id}/applications", headers=COORDINATOR).get_json()
    assert [(a["id"], a["status"], a["applicant"]["name"]) for a in listed] == [(applied["id"], "withdrawn", "")]
    assert listed[0]["applicant"]["id"].startswith("erased-")

    enrolment_db = client.application.extensions["database"]
    with enrolment_db.reading() as session:
        (body,) = session.scalars(select(OutboxMessage.body).where(
            OutboxMessage.event_type == events.ERASURE_REQUESTED)).all()
    told = Event.from_json(body)
    assert told.data["requested_by"] == "staff"
    for service, erase in (("catalogue", catalogue_erases), ("notifications", notifications_erase)):
        with service_app(service).extensions["database"].transaction() as session:
            erase(session, told)  # validates the event against the contract, as their consumers do
    assert_problem(client.post("/api/v1/erasures", json={}, headers=COORDINATOR), 403, "forbidden")
