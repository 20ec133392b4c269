"""What every service answers the same way: problem details, auth, health, metrics, docs."""

import json
import time
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import func, select

from notifications.models import Preference
from shared.config import DEVELOPMENT_JWT_SECRET
from shared.http.auth import mint_token
from tests.support.payloads import bearer
from tests.support.problems import assert_problem

PREFERENCES = "/api/v1/preferences/me"


@pytest.fixture
def app(service_app):
    return service_app("notifications")


@pytest.fixture
def client(app):
    return app.test_client()


def stored_preferences(app) -> int:
    with app.extensions["database"].transaction() as session:
        return session.scalar(select(func.count()).select_from(Preference))


def test_a_valid_request_is_stored(client, app):
    response = client.put(PREFERENCES, json={"locale": "ru", "email": False}, headers=bearer())
    assert response.status_code == 200
    assert response.get_json()["locale"] == "ru"
    assert client.get(PREFERENCES, headers=bearer()).get_json()["email"] is False
    assert stored_preferences(app) == 1


def test_a_persons_time_zone_defaults_from_their_institution_until_they_choose_one(client):
    assert client.get(PREFERENCES, headers=bearer(institution="SSMU")).get_json()["timezone"] == "Asia/Tomsk"
    assert client.get(PREFERENCES, headers=bearer(institution="LUMC")).get_json()["timezone"] == "Europe/Amsterdam"
    client.put(PREFERENCES, json={"locale": "ru", "email": True}, headers=bearer(institution="SSMU"))
    assert client.get(PREFERENCES, headers=bearer(institution="SSMU")).get_json()["timezone"] == "Asia/Tomsk"
    chosen = client.put(PREFERENCES, json={"locale": "ru", "email": True, "timezone": "Europe/Amsterdam"},
                        headers=bearer(institution="SSMU"))
    assert chosen.get_json()["timezone"] == "Europe/Amsterdam"
    client.put(PREFERENCES, json={"locale": "en", "email": True}, headers=bearer(institution="SSMU"))
    assert client.get(PREFERENCES, headers=bearer(institution="SSMU")).get_json()["timezone"] == "Europe/Amsterdam"


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../../etc/passwd", "/usr/share/zoneinfo/UTC", "", "utc",
                                  "Europe/Amsterdam\x00", "x" * 300])
def test_a_time_zone_that_is_not_an_iana_name_is_refused_and_nothing_is_stored(client, app, zone):
    response = client.put(PREFERENCES, json={"locale": "ru", "email": True, "timezone": zone}, headers=bearer())
    assert set(assert_problem(response, 422, "validation_error")["errors"]) == {"timezone"}
    assert stored_preferences(app) == 0


def test_malformed_json_is_a_400_problem_and_writes_nothing(client, app):
    response = client.put(PREFERENCES, data='{"locale": "ru",', content_type="application/json",
                          headers=bearer())
    assert_problem(response, 400, "malformed_json")
    assert stored_preferences(app) == 0


def test_unknown_fields_and_wrong_types_are_named_per_field(client, app):
    response = client.put(PREFERENCES, json={"locale": "de", "email": "sometimes", "colour": "red"},
                          headers=bearer())
    body = assert_problem(response, 422, "validation_error")
    assert set(body["errors"]) == {"locale", "email", "colour"}
    assert stored_preferences(app) == 0


def test_a_body_that_is_not_json_is_a_415_problem(client):
    response = client.put(PREFERENCES, data="locale=ru", content_type="application/x-www-form-urlencoded",
                          headers=bearer())
    assert_problem(response, 415, "unsupported_media_type")


def test_an_oversized_body_is_a_413_problem(client, app):
    huge = json.dumps({"locale": "ru", "email": True, "pad": "x" * (300 * 1024)})
    response = client.put(PREFERENCES, data=huge, content_type="application/json", headers=bearer())
    assert_problem(response, 413, "payload_too_large")
    assert stored_preferences(app) == 0


def test_no_token_is_401_with_a_bearer_challenge(client):
    response = client.get(PREFERENCES)
    assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("token", [
    mint_token(DEVELOPMENT_JWT_SECRET, sub="s1", role="student", institution="SSMU", email="a@b.ru",
               name="A", ttl=timedelta(minutes=-5)),
    mint_token("another-secret-that-is-long-enough-to-sign-with", sub="s1", role="student",
               institution="SSMU", email="a@b.ru", name="A"),
    jwt.encode({"sub": "s1", "role": "student", "institution": "SSMU", "email": "a@b.ru", "name": "A"},
               DEVELOPMENT_JWT_SECRET, algorithm="HS256"),
    jwt.encode({"sub": "s1", "role": "dean", "institution": "SSMU", "email": "a@b.ru", "name": "A",
                "exp": 4102444800}, DEVELOPMENT_JWT_SECRET, algorithm="HS256"),
    "not-a-jwt",
], ids=["expired", "forged", "no-exp", "unknown-role", "garbage"])
def test_expired_forged_or_incomplete_tokens_are_401(client, token):
    response = client.get(PREFERENCES, headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 401, "unauthorized")


def test_a_token_of_another_scheme_is_401(client):
    assert_problem(client.get(PREFERENCES, headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401, "unauthorized")


def test_unknown_paths_and_methods_are_problems_too(client):
    assert_problem(client.get("/api/v1/nowhere"), 404, "not_found")
    assert_problem(client.delete(PREFERENCES, headers=bearer()), 405, "method_not_allowed")


def test_liveness_and_readiness_answer_ok(client):
    assert client.get("/health/live").get_json() == {"status": "ok"}
    assert client.get("/health/ready").status_code == 200


def test_readiness_is_503_when_the_database_is_unreachable(service_app):
    app = service_app("notifications", database_url="postgresql://postgres@127.0.0.1:1/nowhere",
                      migrate=False)
    assert_problem(app.test_client().get("/health/ready"), 503, "unavailable")
    assert app.test_client().get("/health/live").status_code == 200


def test_metrics_count_requests_in_prometheus_format(client):
    client.get("/health/live")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert 'http_requests_total{endpoint="/health/live",method="GET",service="notifications",status="200"}' \
        in response.get_data(as_text=True)


def test_the_openapi_document_and_docs_are_served(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert PREFERENCES in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["paths"][PREFERENCES]["get"]["security"] == [{"bearerAuth": []}]
    docs = client.get("/docs")
    assert docs.status_code == 200 and b"swagger-ui" in docs.data
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_the_correlation_id_is_echoed_or_made(client):
    assert client.get("/health/live", headers={"X-Correlation-ID": "abc-123"}).headers["X-Correlation-ID"] \
        == "abc-123"
    made = client.get("/health/live", headers={"X-Correlation-ID": "bad id with spaces"})
    assert len(made.headers["X-Correlation-ID"]) == 32


def test_a_view_for_some_roles_refuses_the_others_with_403(tmp_path):
    from flask.views import MethodView

    from shared.http.app import ServiceBlueprint, create_service_app
    from shared.http.auth import requires
    from tests.support.environment import make_settings

    blp = ServiceBlueprint("admin_only", __name__)

    @blp.route("/secret")
    class Secret(MethodView):
        @requires("admin", "coordinator")
        def get(self):
            """Only for staff"""
            return {"ok": True}

    app = create_service_app(make_settings("notifications", tmp_path), title="t", description="d",
                             blueprints=[blp])
    client = app.test_client()
    assert_problem(client.get("/api/v1/secret", headers=bearer("student")), 403, "forbidden")
    assert_problem(client.get("/api/v1/secret"), 401, "unauthorized")
    assert client.get("/api/v1/secret", headers=bearer("coordinator", "LUMC")).get_json() == {"ok": True}


def test_json_nested_deeper_than_the_parser_goes_is_a_400_not_a_crash(client, app):
    body = "[" * 5000 + "]" * 5000
    response = client.put(PREFERENCES, data=body, content_type="application/json", headers=bearer())
    assert_problem(response, 400, "malformed_json")


def test_a_405_says_which_methods_are_allowed(client):
    response = client.delete(PREFERENCES, headers=bearer())
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "PUT"}


def test_an_absurd_page_number_is_a_validation_problem(service_app):
    client = service_app("catalogue").test_client()
    assert_problem(client.get("/api/v1/courses?page=99999999999999999999"), 422, "validation_error")


def test_claims_longer_than_what_is_stored_are_refused_not_a_crash(client):
    token = jwt.encode({"sub": "s" * 65, "role": "student", "institution": "SSMU", "email": "a@b.ru",
                        "name": "A", "exp": int(time.time()) + 3600}, DEVELOPMENT_JWT_SECRET, algorithm="HS256")
    assert_problem(client.get(PREFERENCES, headers={"Authorization": f"Bearer {token}"}), 401, "unauthorized")
