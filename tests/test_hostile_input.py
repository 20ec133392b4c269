"""Hostile input at the edge of every service, on SQLite and on PostgreSQL (which refuses NUL in text and
cannot encode lone surrogates, so most of these were 500s there only): always a 4xx problem, never a write."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from sqlalchemy import func, select

from catalogue.models import Course, Offering
from shared.config import DEVELOPMENT_JWT_SECRET
from shared.http.errors import PROBLEM_MEDIA_TYPE
from shared.messaging.outbox import OutboxMessage
from tests.support.payloads import bearer, course_payload, offering_payload

COORDINATOR = bearer("coordinator", "LUMC")
UNSTORABLE = ["\x00", "\ud800", "a\udfffb"]


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request):
    """A database URL factory for the test's services: None (a fresh SQLite file) or a fresh PostgreSQL one."""
    if request.param == "sqlite":
        return lambda label: None
    return request.getfixturevalue("postgres_database_factory")


@pytest.fixture
def catalogue(service_app, database):
    return service_app("catalogue", database("catalogue"))


@pytest.fixture
def enrolment(service_app, database):
    return service_app("enrolment", database("enrolment"))


def raw_json(value) -> dict:
    """A request body as JSON text: lone surrogates travel as `\\ud800` escapes, which JSON allows."""
    return {"data": json.dumps(value), "content_type": "application/json"}


def refused(answer, status: int) -> dict:
    assert answer.status_code == status, answer.get_data(as_text=True)[:500]
    assert answer.mimetype == PROBLEM_MEDIA_TYPE
    return answer.get_json()


def rows(app, *models) -> int:
    with app.extensions["database"].transaction() as session:
        return sum(session.scalar(select(func.count()).select_from(model)) for model in models)


def published_course(client) -> str:
    course_id = client.post("/api/v1/courses", json=course_payload(), headers=COORDINATOR).get_json()["id"]
    client.post(f"/api/v1/courses/{course_id}/publish", headers=COORDINATOR)
    return course_id


@pytest.mark.parametrize("character", UNSTORABLE)
def test_unstorable_characters_in_body_fields_are_422_and_write_nothing(catalogue, character):
    client = catalogue.test_client()
    for body in (course_payload(title={"en": f"Immunology{character}"}),
                 course_payload(topics=["allergy", character]),
                 course_payload(description={"en": "Text", "ru": character}),
                 {**course_payload(), f"field{character}": 1}):
        problem = refused(client.post("/api/v1/courses", headers=COORDINATOR, **raw_json(body)), 422)
        assert problem["code"] == "validation_error"
    assert rows(catalogue, Course, OutboxMessage) == 0
    course_id = published_course(client)
    before = rows(catalogue, Offering, OutboxMessage)
    refused(client.post(f"/api/v1/courses/{course_id}/offerings", headers=COORDINATOR,
                        **raw_json(offering_payload(location=f"Leiden{character}"))), 422)
    refused(client.patch(f"/api/v1/courses/{course_id}", headers={**COORDINATOR, "If-Match": '"2"'},
                         **raw_json({"title": {"ru": character}})), 422)
    assert rows(catalogue, Offering, OutboxMessage) == before


@pytest.mark.parametrize("parameter", ["q", "topic", "language", "term", "coordinator", "modified_since"])
def test_nul_in_a_query_parameter_is_422(catalogue, parameter):
    refused(catalogue.test_client().get(f"/api/v1/courses?{parameter}=imm%00"), 422)


def test_the_coordinator_filter_finds_the_courses_naming_an_id_and_refuses_one_too_long_for_any(catalogue):
    client = catalogue.test_client()
    course_id = published_course(client)  # naming lumc-coordinator

    def found(coordinator: str) -> list[str]:
        answer = client.get("/api/v1/courses", query_string={"coordinator": coordinator})
        assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
        return [course["id"] for course in answer.get_json()]

    assert found("lumc-coordinator") == [course_id]
    assert found("ssmu-coordinator") == found("lumc-coordinator%") == found("\u202e\U0001f600' OR 1=1 --") == []
    assert refused(client.get("/api/v1/courses", query_string={"coordinator": "x" * 65}), 422)["errors"]


@pytest.mark.parametrize("path", ["/api/v1/courses/%00", "/api/v1/courses/x%00/offerings", "/api/v1/offerings/%00",
                                  "/api/v1/courses/%00/history"])
def test_nul_in_a_path_id_is_404(catalogue, path):
    refused(catalogue.test_client().get(path, headers=COORDINATOR), 404)


def test_nul_reaches_no_query_of_enrolment_or_notifications(service_app, enrolment, database):
    client = enrolment.test_client()
    refused(client.post("/api/v1/enrolments", json={"offering_id": "x\x00"}, headers=bearer()), 422)
    refused(client.get("/api/v1/offerings/%00/seats"), 404)
    refused(client.get("/api/v1/enrolments/%00", headers=bearer()), 404)
    notifications = service_app("notifications", database("notifications")).test_client()
    refused(notifications.post("/api/v1/notifications/%00/read", headers=bearer()), 404)


@pytest.mark.parametrize("claims", [{"sub": "student\x00"}, {"name": "Anna\ud800"}, {"email": "a\x00@ssmu.ru"}])
def test_unstorable_characters_in_token_claims_are_401(service_app, database, claims):
    token = jwt.encode({"sub": "ssmu-student", "role": "student", "institution": "SSMU", "email": "a@ssmu.ru",
                        "name": "Anna", "exp": datetime.now(timezone.utc) + timedelta(hours=1), **claims},
                       DEVELOPMENT_JWT_SECRET, algorithm="HS256")
    notifications = service_app("notifications", database("notifications")).test_client()
    refused(notifications.get("/api/v1/preferences/me", headers={"Authorization": f"Bearer {token}"}), 401)


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-00:01"])
def test_a_change_feed_instant_outside_the_years_of_utc_is_422(catalogue, since):
    problem = refused(catalogue.test_client().get("/api/v1/courses", query_string={"modified_since": since}), 422)
    assert "modified_since" in problem["errors"]


def test_the_widest_change_feed_instants_that_fit_are_answered(catalogue):
    client = catalogue.test_client()
    assert client.get("/api/v1/courses", query_string={"modified_since": "0001-01-01T00:00:00Z"}).status_code == 200
    assert client.get("/api/v1/courses", query_string={"modified_since": "9999-12-31T23:59:59Z"}).get_json() == []


@pytest.mark.parametrize("ects", [1e308, -1e308, 10 ** 400, 60.25])
def test_ects_at_the_edge_of_numbers_is_422(catalogue, ects):
    answer = catalogue.test_client().post("/api/v1/courses", headers=COORDINATOR,
                                          **raw_json(course_payload(ects=ects)))
    assert answer.status_code in (400, 422) and answer.mimetype == PROBLEM_MEDIA_TYPE
    assert rows(catalogue, Course) == 0


@pytest.mark.parametrize("field, instant", [
    ("enrolment_opens_at", "0001-01-01T00:00:00+01:00"), ("enrolment_closes_at", "9999-12-31T23:59:59-00:01"),
    ("enrolment_opens_at", "0001-01-01T23:00:00-02:00"), ("enrolment_closes_at", "9999-12-31T00:00:00+14:00"),
])
def test_offering_instants_at_the_edge_of_the_date_types_are_422(catalogue, field, instant):
    client = catalogue.test_client()
    course_id = published_course(client)
    before = rows(catalogue, Offering)
    problem = refused(client.post(f"/api/v1/courses/{course_id}/offerings", headers=COORDINATOR,
                                  json=offering_payload(**{field: instant})), 422)
    assert field in problem["errors"] and rows(catalogue, Offering) == before


REFUSED_TEXTS = [("title", text) for text in ("", "   ", "\u200b\u200c\u2060", "\ufeff", "Allergy\r\nBcc: x",
                                                 "Allergy\x1b[31m", "W" * 201)] + \
                [("description", text) for text in ("", "Line one\x0bline two", "\x7f", "D" * 4001)]
KEPT_TEXTS = [("title", {"en": "\u202bمناعة\u202c Immunology", "ru": "Иммунология\u200d"}),
              ("description", {"en": "Week 1:\tallergy\r\nWeek 2:\thelminths", "ru": "Неделя 1\nНеделя 2"})]


@pytest.mark.parametrize("field, text", REFUSED_TEXTS)
def test_blank_invisible_overlong_or_control_character_text_is_422(catalogue, field, text):
    problem = refused(catalogue.test_client().post("/api/v1/courses", headers=COORDINATOR,
                                                   json=course_payload(**{field: {"en": text}})), 422)
    assert "en" in problem["errors"][field]


@pytest.mark.parametrize("field, text", KEPT_TEXTS)
def test_text_in_any_script_with_direction_marks_and_line_breaks_where_they_belong_is_kept(catalogue, field, text):
    answer = catalogue.test_client().post("/api/v1/courses", headers=COORDINATOR, json=course_payload(**{field: text}))
    assert answer.status_code == 201 and answer.get_json()[field] == text


def test_course_codes_that_differ_only_in_case_are_one_code(catalogue):
    client = catalogue.test_client()
    assert client.post("/api/v1/courses", headers=COORDINATOR, json=course_payload(code="IMM-700")).status_code == 201
    refused(client.post("/api/v1/courses", headers=COORDINATOR, json=course_payload(code="imm-700")), 409)
    other = client.post("/api/v1/courses", headers=COORDINATOR, json=course_payload(code="IMM-701")).get_json()
    refused(client.patch(f"/api/v1/courses/{other['id']}", headers={**COORDINATOR, "If-Match": '"1"'},
                         json={"code": "Imm-700"}), 409)
    assert client.post("/api/v1/courses", headers=bearer("coordinator", "SSMU"),
                       json=course_payload(code="imm-700", institution="SSMU")).status_code == 201

