"""Reading the catalogue: who sees which courses, and live seats kept from enrolment's events."""

import pytest
from sqlalchemy import text

from catalogue.handlers import on_seats_changed
from catalogue.operations import create_course
from catalogue.schemas import CourseSchema
from catalogue.seed import COURSES, seed_catalogue
from shared import events
from shared.messaging.envelope import Event
from shared.seats import seat_counts
from tests.support.payloads import SSMU_COORDINATOR, bearer, course_payload


@pytest.fixture
def app(service_app):
    app = service_app("catalogue")
    with app.extensions["database"].transaction() as session:
        seed_catalogue(session)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def add_draft(app, institution="SSMU"):
    with app.extensions["database"].transaction() as session:
        fields = CourseSchema().load(course_payload(code="DRAFT-1", institution=institution, coordinators=[]))
        return create_course(session, SSMU_COORDINATOR, fields).id


def test_anyone_lists_the_published_courses_a_page_at_a_time(client):
    response = client.get("/api/v1/courses?per_page=3&page=2")
    assert response.status_code == 200
    assert len(response.get_json()) == 3
    pagination = response.headers["X-Pagination"]
    assert f'"total": {len(COURSES)}' in pagination and '"page": 2' in pagination


def test_courses_are_filtered_by_institution_in_a_stable_order(client):
    codes = [c["code"] for c in client.get("/api/v1/courses?institution=SSMU&per_page=100").get_json()]
    assert codes == sorted(c["code"] for c in COURSES if c["institution"] == "SSMU")


def test_a_draft_is_hidden_from_students_and_other_institutions_but_not_its_coordinators(app, client):
    draft_id = add_draft(app, "SSMU")
    for headers in ({}, bearer("student", "SSMU"), bearer("coordinator", "LUMC")):
        assert client.get(f"/api/v1/courses/{draft_id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/courses/{draft_id}", headers=bearer("coordinator", "SSMU")).status_code == 200
    assert client.get(f"/api/v1/courses/{draft_id}", headers=bearer("admin", "LUMC")).status_code == 200


def test_an_unknown_course_is_a_404_problem(client):
    response = client.get("/api/v1/courses/nope")
    assert response.status_code == 404 and response.get_json()["code"] == "course_not_found"


def test_bad_paging_is_a_validation_problem(client):
    response = client.get("/api/v1/courses?per_page=1000")
    assert response.status_code == 422 and "per_page" in response.get_json()["errors"]


def test_offerings_show_seats_kept_current_from_enrolment_events(app, client):
    course = client.get("/api/v1/courses?per_page=1").get_json()[0]
    offering = client.get(f"/api/v1/courses/{course['id']}/offerings").get_json()[0]
    capacity = offering["seats"]["capacity"]

    def seats_changed(revision, confirmed, waitlisted):
        return Event(type=events.SEATS_CHANGED, producer="enrolment", data={
            "offering_id": offering["id"], "seats_revision": revision,
            "seats": seat_counts(capacity, confirmed, waitlisted)})

    database = app.extensions["database"]
    with database.transaction() as session:
        on_seats_changed(session, seats_changed(2, confirmed=capacity, waitlisted=3))
        on_seats_changed(session, seats_changed(1, confirmed=1, waitlisted=0))  # late, older: ignored

    seats = client.get(f"/api/v1/offerings/{offering['id']}").get_json()["seats"]
    assert seats == {"capacity": capacity, "confirmed": capacity, "held": 0, "available": 0, "waitlisted": 3, "reserved": []}


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_an_anonymous_list_is_revalidated_by_its_etag_until_the_catalogue_changes(service_app, request, backend):
    app = service_app("catalogue", request.getfixturevalue("postgres_url") if backend == "postgresql" else None)
    with app.extensions["database"].transaction() as session:
        seed_catalogue(session)
    client = app.test_client()
    first = client.get("/api/v1/courses?institution=SSMU")
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    assert "Authorization" in first.headers["Vary"]
    again = client.get("/api/v1/courses?institution=SSMU", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == first.headers["ETag"]
    other_query = client.get("/api/v1/courses?institution=LUMC", headers={"If-None-Match": first.headers["ETag"]})
    assert other_query.status_code == 200

    draft_id = add_draft(app, "SSMU")
    assert client.get("/api/v1/courses?institution=SSMU",
                      headers={"If-None-Match": first.headers["ETag"]}).status_code == 304  # a draft shows nowhere
    assert client.post(f"/api/v1/courses/{draft_id}/publish", headers=bearer("coordinator", "SSMU")).status_code == 200
    changed = client.get("/api/v1/courses?institution=SSMU", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    assert "DRAFT-1" in [course["code"] for course in changed.get_json()]
    assert changed.headers["X-Pagination"] != first.headers["X-Pagination"]


@pytest.mark.postgres
def test_an_anonymous_search_outlives_the_database_cutting_its_connections(service_app, postgres_url):
    app = service_app("catalogue", postgres_url)
    database = app.extensions["database"]
    with database.transaction() as session:
        seed_catalogue(session)
    client = app.test_client()
    first = client.get("/api/v1/courses?q=immunology")
    assert first.status_code == 200
    with database.transaction() as session:  # as a restarted server would: every other connection goes
        session.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    again = client.get("/api/v1/courses?q=immunology", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304  # the version read on a new connection; the answer still current


def test_a_list_read_with_a_token_is_neither_cached_nor_tagged(client):
    answer = client.get("/api/v1/courses", headers=bearer("student", "SSMU"))
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store" and "ETag" not in answer.headers
