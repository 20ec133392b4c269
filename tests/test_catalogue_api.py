"""The catalogue over HTTP: editing together without losing edits, who may do what, bad input."""

import json

import pytest
from sqlalchemy import func, select

from catalogue.models import Course, CourseRevision, Offering
from shared.messaging.outbox import OutboxMessage
from tests.support.payloads import bearer, course_payload, offering_payload
from tests.support.problems import assert_problem

LUMC_COORD = bearer("coordinator", "LUMC")
LUMC_COORD_2 = bearer("coordinator", "LUMC", sub="lumc-2", name="Quinten Bakker")
SSMU_COORD = bearer("coordinator", "SSMU")  # named co-coordinator on the course below
SSMU_OTHER = bearer("coordinator", "SSMU", sub="ssmu-2")
LUMC_STUDENT = bearer("student", "LUMC")
ADMIN = bearer("admin", "SSMU")


@pytest.fixture
def app(service_app):
    return service_app("catalogue")


@pytest.fixture
def client(app):
    return app.test_client()


def create_course(client, headers=LUMC_COORD, **overrides):
    payload = course_payload(coordinators=["lumc-coordinator", "ssmu-coordinator"], **overrides)
    response = client.post("/api/v1/courses", json=payload, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response


def rows(app, model):
    with app.extensions["database"].transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_created_course_answers_201_with_its_etag_and_location(client):
    response = create_course(client)
    course = response.get_json()
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"].endswith(f"/api/v1/courses/{course['id']}")
    assert course["status"] == "draft" and course["title"]["ru"].startswith("Углублённая")
    assert client.get(response.headers["Location"], headers=LUMC_COORD).headers["ETag"] == '"1"'


def test_an_edit_needs_if_match(client):
    course_id = create_course(client).get_json()["id"]
    response = client.patch(f"/api/v1/courses/{course_id}", json={"ects": 6}, headers=LUMC_COORD)
    assert_problem(response, 428, "precondition_required")


def test_two_coordinators_editing_the_same_version_one_wins_and_one_is_told(client):
    course_id = create_course(client).get_json()["id"]
    url = f"/api/v1/courses/{course_id}"

    first = client.patch(url, json={"ects": 6}, headers={**LUMC_COORD, "If-Match": '"1"'})
    second = client.patch(url, json={"level": "phd"}, headers={**LUMC_COORD_2, "If-Match": '"1"'})

    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    body = assert_problem(second, 412, "version_conflict")
    assert "version 2" in body["detail"]
    course = client.get(url, headers=LUMC_COORD).get_json()
    assert (course["ects"], course["level"]) == (6.0, "master")
    history = client.get(f"{url}/history", headers=LUMC_COORD).get_json()
    assert [entry["action"] for entry in history] == ["updated", "created"]
    assert history[0]["changes"] == {"ects": {"from": 5.0, "to": 6.0}}
    assert history[0]["actor_id"] == "lumc-coordinator"


def test_a_patch_merges_languages_and_cannot_move_a_course_to_another_institution(app, client):
    course_id = create_course(client).get_json()["id"]
    url = f"/api/v1/courses/{course_id}"
    merged = client.patch(url, json={"title": {"en": "Helminths in depth"}},
                          headers={**LUMC_COORD, "If-Match": '"1"'}).get_json()
    assert merged["title"] == {"en": "Helminths in depth", "ru": course_payload()["title"]["ru"]}
    moved = client.patch(url, json={"institution": "SSMU"}, headers={**LUMC_COORD, "If-Match": '"2"'})
    assert "institution" in assert_problem(moved, 422, "validation_error")["errors"]


# Who may do what. The course is an LUMC draft co-coordinated by ssmu-coordinator.
MATRIX = [
    # (who, headers, read draft, edit draft, create for LUMC)
    ("anonymous", {}, 404, 401, 401),
    ("LUMC student", LUMC_STUDENT, 404, 403, 403),
    ("LUMC coordinator", LUMC_COORD, 200, 200, 201),
    ("SSMU co-coordinator", SSMU_COORD, 200, 200, 403),
    ("SSMU coordinator, not named", SSMU_OTHER, 404, 404, 403),
    ("admin", ADMIN, 200, 200, 201),
]


@pytest.mark.parametrize("who, headers, read, edit, create", MATRIX, ids=[row[0] for row in MATRIX])
def test_the_access_matrix_of_a_draft(client, who, headers, read, edit, create):
    course_id = create_course(client).get_json()["id"]
    assert client.get(f"/api/v1/courses/{course_id}", headers=headers).status_code == read
    edited = client.patch(f"/api/v1/courses/{course_id}", json={"ects": 2},
                          headers={**headers, "If-Match": '"1"'})
    assert edited.status_code == edit
    created = client.post("/api/v1/courses", json=course_payload(code="NEW-1"), headers=headers)
    assert created.status_code == create
    for response in (edited, created):
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json"


def test_a_published_course_is_read_by_all_and_edited_only_by_its_coordinators(client):
    course_id = create_course(client).get_json()["id"]
    assert client.post(f"/api/v1/courses/{course_id}/publish", headers=LUMC_COORD).headers["ETag"] == '"2"'
    for headers in ({}, LUMC_STUDENT, SSMU_OTHER):
        assert client.get(f"/api/v1/courses/{course_id}", headers=headers).status_code == 200
    refused = client.patch(f"/api/v1/courses/{course_id}", json={"ects": 2},
                           headers={**SSMU_OTHER, "If-Match": '"2"'})
    assert_problem(refused, 403, "forbidden")
    assert_problem(client.get(f"/api/v1/courses/{course_id}/history", headers=SSMU_OTHER), 403, "forbidden")
    assert_problem(client.post(f"/api/v1/courses/{course_id}/archive", headers=LUMC_STUDENT), 403, "forbidden")


BAD_COURSES = [
    ("wrong type", course_payload(ects="five"), "ects"),
    ("unknown field", course_payload(colour="blue"), "colour"),
    ("missing English title", course_payload(title={"ru": "Только по-русски"}), "title"),
    ("bad ISCED code", course_payload(isced="0999"), "isced"),
    ("ECTS not in halves", course_payload(ects=2.25), "ects"),
    ("bad level", course_payload(level="postdoc"), "level"),
    ("bad language tag", course_payload(language="english!"), "language"),
    ("title is not an object", course_payload(title="Immunology"), "title"),
]


@pytest.mark.parametrize("case, payload, field", BAD_COURSES, ids=[row[0] for row in BAD_COURSES])
def test_bad_courses_are_422_naming_the_field_and_write_nothing(app, client, case, payload, field):
    response = client.post("/api/v1/courses", json=payload, headers=LUMC_COORD)
    assert field in assert_problem(response, 422, "validation_error")["errors"]
    assert rows(app, Course) == rows(app, OutboxMessage) == rows(app, CourseRevision) == 0


def test_malformed_json_a_json_array_and_a_huge_body_are_refused_and_write_nothing(app, client):
    assert_problem(client.post("/api/v1/courses", data="{", content_type="application/json",
                               headers=LUMC_COORD), 400, "malformed_json")
    assert_problem(client.post("/api/v1/courses", json=[course_payload()], headers=LUMC_COORD),
                   422, "validation_error")
    huge = course_payload(description={"en": "x" * 400_000})
    assert_problem(client.post("/api/v1/courses", data=json.dumps(huge), content_type="application/json",
                               headers=LUMC_COORD), 413, "payload_too_large")
    assert rows(app, Course) == rows(app, CourseRevision) == 0


def test_a_duplicate_code_is_a_409(client):
    create_course(client)
    response = client.post("/api/v1/courses", json=course_payload(), headers=LUMC_COORD)
    assert_problem(response, 409, "duplicate_course_code")


def scheduled(client):
    course_id = create_course(client).get_json()["id"]
    client.post(f"/api/v1/courses/{course_id}/publish", headers=LUMC_COORD)
    response = client.post(f"/api/v1/courses/{course_id}/offerings", json=offering_payload(),
                           headers=LUMC_COORD)
    assert response.status_code == 201, response.get_json()
    return course_id, response


def test_an_offering_is_scheduled_with_live_seats_and_edited_with_if_match(client):
    course_id, response = scheduled(client)
    offering = response.get_json()
    assert offering["seats"] == {"capacity": 20, "confirmed": 0, "held": 0, "available": 20, "waitlisted": 0}
    url = f"/api/v1/offerings/{offering['id']}"
    assert_problem(client.patch(url, json={"capacity": 30}, headers=LUMC_COORD), 428, "precondition_required")
    changed = client.patch(url, json={"capacity": 30}, headers={**LUMC_COORD, "If-Match": '"1"'})
    assert changed.status_code == 200 and changed.get_json()["seats"]["available"] == 30
    stale = client.patch(url, json={"capacity": 10}, headers={**SSMU_COORD, "If-Match": '"1"'})
    assert_problem(stale, 412, "version_conflict")
    listed = client.get(f"/api/v1/courses/{course_id}/offerings").get_json()
    assert [o["capacity"] for o in listed] == [30]


@pytest.mark.parametrize("change, field", [
    ({"enrolment_closes_at": "2025-12-01T00:00:00Z"}, "enrolment_closes_at"),
    ({"ends_on": "2027-01-01"}, "ends_on"),
    ({"capacity": -1}, "capacity"),
    ({"capacity": "ten"}, "capacity"),
    ({"enrolment_opens_at": "2026-01-01T08:00:00"}, "enrolment_opens_at"),  # no time zone
])
def test_an_impossible_offering_edit_is_422_and_changes_nothing(app, client, change, field):
    _, response = scheduled(client)
    url = f"/api/v1/offerings/{response.get_json()['id']}"
    refused = client.patch(url, json=change, headers={**LUMC_COORD, "If-Match": '"1"'})
    assert field in assert_problem(refused, 422, "validation_error")["errors"]
    assert client.get(url).get_json()["version"] == 1


def test_an_offering_window_must_close_after_it_opens(app, client):
    course_id = create_course(client).get_json()["id"]
    bad = offering_payload(enrolment_opens_at="2027-01-01T00:00:00Z", enrolment_closes_at="2026-12-01T00:00:00Z")
    response = client.post(f"/api/v1/courses/{course_id}/offerings", json=bad, headers=LUMC_COORD)
    assert "enrolment_closes_at" in assert_problem(response, 422, "validation_error")["errors"]
    assert rows(app, Offering) == 0


def test_cancelling_an_offering_is_final(client):
    _, response = scheduled(client)
    url = f"/api/v1/offerings/{response.get_json()['id']}"
    cancelled = client.post(f"{url}/cancel", json={"reason": "Lecturer ill"}, headers=LUMC_COORD).get_json()
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "Lecturer ill")
    again = client.patch(url, json={"capacity": 5}, headers={**LUMC_COORD, "If-Match": '"2"'})
    assert_problem(again, 409, "offering_cancelled")
    assert_problem(client.post(f"{url}/cancel", headers=LUMC_STUDENT), 403, "forbidden")


def test_an_offering_of_a_draft_is_as_private_as_its_course(client):
    course_id = create_course(client).get_json()["id"]
    offering = client.post(f"/api/v1/courses/{course_id}/offerings", json=offering_payload(),
                           headers=LUMC_COORD).get_json()
    assert_problem(client.get(f"/api/v1/offerings/{offering['id']}"), 404, "offering_not_found")
    assert client.get(f"/api/v1/offerings/{offering['id']}", headers=SSMU_COORD).status_code == 200


def test_search_over_http_with_filters_and_pagination(client):
    for number in range(3):
        course_id = create_course(client, code=f"GLY-{number}",
                                  title={"en": f"Glycomics {number}", "ru": f"Гликомика {number}"}).get_json()["id"]
        client.post(f"/api/v1/courses/{course_id}/publish", headers=LUMC_COORD)
    response = client.get("/api/v1/courses?q=ГЛИКОМ&per_page=2&page=2")
    assert [c["code"] for c in response.get_json()] == ["GLY-2"]
    assert json.loads(response.headers["X-Pagination"])["total"] == 3
    beyond = client.get("/api/v1/courses?q=гликомика&per_page=2&page=3")  # counted apart: no row carries it
    assert beyond.get_json() == [] and json.loads(beyond.headers["X-Pagination"])["total"] == 3
    nothing = client.get("/api/v1/courses?q=hedgehogs")
    assert nothing.get_json() == [] and json.loads(nothing.headers["X-Pagination"])["total"] == 0
    assert_problem(client.get("/api/v1/courses?modified_since=yesterday"), 422, "validation_error")


def test_an_offering_keeps_todays_seat_rules_unless_told_otherwise(client):
    _, response = scheduled(client)
    offering = response.get_json()
    assert (offering["admission"], offering["promotion"], offering["offer_hours"]) == ("first_come", "automatic", 48)


def test_the_seat_rules_are_edited_with_if_match_and_reach_enrolment_in_the_offering_event(app, client):
    _, response = scheduled(client)
    url = f"/api/v1/offerings/{response.get_json()['id']}"
    changed = client.patch(url, json={"admission": "application", "promotion": "automatic"},
                           headers={**LUMC_COORD, "If-Match": '"1"'})
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["admission"], changed.get_json()["offer_hours"]) == ("application", 48)
    with app.extensions["database"].transaction() as session:
        event = json.loads(session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id.desc())).first())
    assert event["type"] == "catalogue.offering.updated"
    assert {name: event["data"][name] for name in ("admission", "promotion", "offer_hours")} == {
        "admission": "application", "promotion": "automatic", "offer_hours": 48}
    assert event["data"]["changes"]["admission"] == {"from": "first_come", "to": "application"}


@pytest.mark.parametrize("change, field", [
    ({"admission": "lottery"}, "admission"), ({"promotion": None}, "promotion"),
    ({"promotion": "lottery"}, "promotion"), ({"offer_hours": 0}, "offer_hours"),
    ({"offer_hours": 337}, "offer_hours"), ({"offer_hours": "24"}, "offer_hours"),
    ({"offer_hours": 1.5}, "offer_hours"), ({"offer_hours": None}, "offer_hours"),
])
def test_unknown_seat_rules_are_422_and_change_nothing(client, change, field):
    _, response = scheduled(client)
    url = f"/api/v1/offerings/{response.get_json()['id']}"
    refused = client.patch(url, json=change, headers={**LUMC_COORD, "If-Match": '"1"'})
    assert field in assert_problem(refused, 422, "validation_error")["errors"]
    assert client.get(url).get_json()["version"] == 1


def test_promotion_by_offer_with_its_hours_is_kept_and_carried_to_enrolment(app, client):
    _, response = scheduled(client)
    url = f"/api/v1/offerings/{response.get_json()['id']}"
    changed = client.patch(url, json={"promotion": "offer", "offer_hours": 24},
                           headers={**LUMC_COORD, "If-Match": '"1"'})
    assert (changed.get_json()["promotion"], changed.get_json()["offer_hours"]) == ("offer", 24)
    with app.extensions["database"].transaction() as session:
        event = json.loads(session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id.desc())).first())
    assert (event["data"]["promotion"], event["data"]["offer_hours"]) == ("offer", 24)
    assert event["data"]["changes"]["offer_hours"] == {"from": 48, "to": 24}
