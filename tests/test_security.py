"""Security: identity-provider tokens against a real JWKS server, rate limits, limits on input,
security headers, and error bodies that give nothing away."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask

from shared.config import ConfigError, Settings
from shared.events.catalogue import OfferingSnapshot
from shared.http.errors import register_error_handlers
from tests.support.payloads import bearer, course_payload, offering_snapshot

ISSUER = "https://login.lumc-ssmu.invalid/realms/exchange"
AUDIENCE = "course-exchange"


class KeyServer:
    """An identity provider's JWKS endpoint on a real socket, whose keys the test rotates."""

    def __init__(self):
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.fetches = 0
        self.down = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.fetches += 1
                if server.down:
                    self.send_error(503)
                    return
                body = json.dumps({"keys": [server.public_jwk(kid) for kid in server.keys]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_port}/realms/exchange/certs"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def add_key(self, kid: str) -> None:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def public_jwk(self, kid: str) -> dict:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.keys[kid].public_key(), as_dict=True)
        return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}

    def public_pem(self, kid: str) -> bytes:
        return self.keys[kid].public_key().public_bytes(serialization.Encoding.PEM,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo)

    def token(self, kid: str, key: rsa.RSAPrivateKey | None = None, **changes) -> str:
        return jwt.encode(claims(**changes), key or self.keys[kid], algorithm="RS256", headers={"kid": kid})

    def stop(self) -> None:
        self.http.shutdown()


def claims(**changes) -> dict:
    now = datetime.now(timezone.utc)
    base = {"sub": "ssmu-student-7", "role": "student", "institution": "SSMU", "email": "s7@ssmu.ru",
            "name": "Ольга Иванова", "locale": "ru", "iss": ISSUER, "aud": AUDIENCE, "iat": now,
            "exp": now + timedelta(minutes=5)}
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


@pytest.fixture
def key_server():
    server = KeyServer()
    server.add_key("key-2026-11")
    yield server
    server.stop()


@pytest.fixture
def jwks_app(service_app, key_server):
    return service_app("notifications", jwks_url=key_server.url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE,
                       jwks_cooldown_seconds=0)


def inbox(app: Flask, token: str):
    return app.test_client().get("/api/v1/notifications/me", headers={"Authorization": f"Bearer {token}"})


def unsigned(payload: dict, header: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value, default=str).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(payload)}."


# --- identity-provider tokens (RS256 against a JWKS) -------------------------------------------


def test_a_token_signed_by_the_identity_provider_is_accepted(jwks_app, key_server):
    answer = inbox(jwks_app, key_server.token("key-2026-11"))
    assert answer.status_code == 200, answer.json


def test_keys_are_cached_between_requests(jwks_app, key_server):
    for _ in range(5):
        assert inbox(jwks_app, key_server.token("key-2026-11")).status_code == 200
    assert key_server.fetches == 1


def test_a_rotated_key_is_fetched_on_first_sight_and_a_removed_one_is_refused(jwks_app, key_server):
    assert inbox(jwks_app, key_server.token("key-2026-11")).status_code == 200
    key_server.add_key("key-2026-12")
    assert inbox(jwks_app, key_server.token("key-2026-12")).status_code == 200
    assert key_server.fetches == 2

    retired = key_server.keys.pop("key-2026-11")
    verifier = jwks_app.extensions["token_verifier"]
    verifier.jwks.jwk_set_cache.jwk_set_with_timestamp = None  # cache lifespan over ...
    verifier._verified.clear()  # ... and the minute for which a verified token is remembered
    answer = inbox(jwks_app, key_server.token("key-2026-11", key=retired))
    assert answer.status_code == 401
    assert "signing key" in answer.json["detail"]


def test_a_token_naming_an_unknown_key_is_refused(jwks_app, key_server):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    answer = inbox(jwks_app, key_server.token("someone-elses-key", key=stranger))
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_forged_with_another_key_under_a_known_kid_is_refused(jwks_app, key_server):
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert inbox(jwks_app, key_server.token("key-2026-11", key=forger)).status_code == 401


@pytest.mark.parametrize("changes, reason", [
    ({"exp": datetime.now(timezone.utc) - timedelta(minutes=2)}, "expired"),
    ({"exp": None}, "exp"),
    ({"iss": "https://evil.invalid/"}, "issuer"),
    ({"iss": None}, "iss"),
    ({"aud": "another-application"}, "audience"),
    ({"aud": None}, "aud"),
    ({"role": "superuser"}, "role"),
    ({"sub": "x" * 65}, "sub"),
    ({"exp": datetime.now(timezone.utc) + timedelta(days=365 * 300)}, "longer than 24 hours"),
    ({"email": '"x" <me@x.example>, evil@attacker.example'}, "email must be exactly one address"),
    ({"email": "me@x.example, evil@attacker.example"}, "email must be exactly one address"),
    ({"email": "Anna <me@x.example>"}, "email must be exactly one address"),
    ({"email": "not-an-address"}, "email must be exactly one address"),
    ({"email": "me@x.example\r\nBcc: evil@attacker.example"}, "email holds control characters"),
    ({"name": "Anna\r\nBcc: evil@attacker.example"}, "name holds control characters"),
    ({"name": "Anna\x00"}, "name holds control characters"),
    ({"name": "Anna\ud800"}, "name holds control characters or unpaired surrogates"),
    ({"name": "\u200b\u2060 "}, "name is required"),
    ({"sub": "student\x00"}, "sub holds control characters"),
])
def test_tokens_with_bad_claims_are_refused(jwks_app, key_server, changes, reason):
    answer = inbox(jwks_app, key_server.token("key-2026-11", **changes))
    assert answer.status_code == 401
    assert reason in answer.json["detail"].lower()


def test_clock_skew_within_the_leeway_is_tolerated(jwks_app, key_server):
    slightly_expired = datetime.now(timezone.utc) - timedelta(seconds=10)
    assert inbox(jwks_app, key_server.token("key-2026-11", exp=slightly_expired)).status_code == 200


def test_alg_none_is_refused(jwks_app):
    token = unsigned(claims(), {"alg": "none", "typ": "JWT", "kid": "key-2026-11"})
    assert inbox(jwks_app, token).status_code == 401


def test_an_hs256_token_keyed_with_the_providers_public_key_is_refused(jwks_app, key_server):
    # The classic RS/HS confusion: the public key is public, so an HMAC made with it proves nothing.
    header = {"alg": "HS256", "typ": "JWT", "kid": "key-2026-11"}
    signing_input = unsigned(claims(), header)[:-1].encode()
    signature = hmac.new(key_server.public_pem("key-2026-11"), signing_input, hashlib.sha256).digest()
    token = signing_input.decode() + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    assert inbox(jwks_app, token).status_code == 401


def test_development_tokens_are_refused_when_the_identity_provider_decides(jwks_app):
    assert jwks_app.test_client().get("/api/v1/notifications/me", headers=bearer()).status_code == 401


def test_an_unreachable_identity_provider_is_503_not_401(service_app, key_server):
    app = service_app("notifications", jwks_url=key_server.url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE)
    token = key_server.token("key-2026-11")
    key_server.down = True
    answer = inbox(app, token)
    assert answer.status_code == 503
    assert answer.json["code"] == "unavailable"
    assert answer.headers["Retry-After"]


def test_hs256_mode_refuses_rs256_tokens(service_app, key_server):
    app = service_app("notifications")
    assert inbox(app, key_server.token("key-2026-11")).status_code == 401


def test_hs256_mode_checks_issuer_and_audience_when_configured(service_app):
    app = service_app("notifications", jwt_issuer=ISSUER, jwt_audience=AUDIENCE)
    client = app.test_client()
    assert client.get("/api/v1/notifications/me", headers=bearer()).status_code == 401
    assert client.get("/api/v1/notifications/me",
                      headers=bearer(issuer=ISSUER, audience=AUDIENCE)).status_code == 200


@pytest.mark.parametrize("environment, complaint", [
    ({"JWKS_URL": "https://idp.invalid/certs"}, "JWT_ISSUER and JWT_AUDIENCE"),
    ({"JWT_SECRET": "s" * 40}, "JWT_ISSUER and JWT_AUDIENCE"),
    ({"JWT_SECRET": "s" * 40, "JWT_ISSUER": ISSUER}, "JWT_ISSUER and JWT_AUDIENCE"),
    ({"JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE}, "JWT_SECRET"),
    ({"JWT_SECRET": "short", "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE}, "JWT_SECRET"),
])
def test_production_refuses_unsafe_token_settings(environment, complaint):
    production = {"APP_ENV": "production", "CATALOGUE_DATABASE_URL": "postgresql://db/catalogue",
                  "AMQP_URL": "amqp://rabbitmq/"}
    with pytest.raises(ConfigError, match=complaint):
        Settings.from_env("catalogue", {**production, **environment})


def test_production_runs_on_an_identity_provider_without_any_secret():
    settings = Settings.from_env("catalogue", {
        "APP_ENV": "production", "CATALOGUE_DATABASE_URL": "postgresql://db/catalogue", "AMQP_URL": "amqp://r/",
        "JWKS_URL": "https://idp.invalid/certs", "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE})
    assert settings.jwks_url == "https://idp.invalid/certs"


@pytest.mark.parametrize("app_env", ["Production", "prod", "staging", ""])
def test_a_misspelt_app_env_is_refused_rather_than_taken_for_development(app_env):
    with pytest.raises(ConfigError, match="APP_ENV"):
        Settings.from_env("catalogue", {"APP_ENV": app_env})


def test_production_fetches_the_providers_keys_over_https_only():
    with pytest.raises(ConfigError, match="https"):
        Settings.from_env("catalogue", {
            "APP_ENV": "production", "CATALOGUE_DATABASE_URL": "postgresql://db/catalogue", "AMQP_URL": "amqp://r/",
            "JWKS_URL": "http://idp.invalid/certs", "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE})


def test_a_jwks_url_must_be_http():
    with pytest.raises(ConfigError, match="JWKS_URL"):
        Settings.from_env("catalogue", {"JWKS_URL": "file:///etc/passwd"})


# --- rate limits ----------------------------------------------------------------------------------


def enrolment_app_with_offering(service_app, **settings_changes) -> Flask:
    from enrolment.replica import apply_offering_snapshot

    app = service_app("enrolment", **settings_changes)
    with app.extensions["database"].transaction() as session:
        apply_offering_snapshot(session, OfferingSnapshot.model_validate(offering_snapshot(offering_id="off-1")))
    return app


def enrol(client, who: dict) -> int:
    return client.post("/api/v1/enrolments", json={"offering_id": "off-1"}, headers=who).status_code


def test_a_student_hammering_enrol_is_told_to_wait(service_app):
    client = enrolment_app_with_offering(service_app, enrolment_rate_limit="3/minute").test_client()
    student = bearer(sub="eager-student")
    assert [enrol(client, student) for _ in range(3)] == [201, 409, 409]
    refused = client.post("/api/v1/enrolments", json={"offering_id": "off-1"}, headers=student)
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert refused.json["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Another student is not held back by the first.
    assert enrol(client, bearer(sub="patient-student")) == 201


def test_a_per_process_window_moves_on_and_forgets_idle_callers(monkeypatch):
    from limits import parse

    from shared.http import limits

    clock = [1_000.0]
    monkeypatch.setattr(limits.time, "time", lambda: clock[0])
    window, two_a_minute = limits.ProcessMovingWindow(), parse("2/minute")
    assert [window.hit(two_a_minute, "enrol", "ann") for _ in range(3)] == [True, True, False]
    assert window.hit(two_a_minute, "enrol", "bob")  # counted per caller
    clock[0] += 30
    assert not window.hit(two_a_minute, "enrol", "ann")
    assert window.get_window_stats(two_a_minute, "enrol", "ann").reset_time == 1_060.0  # the oldest leaves then
    clock[0] += 31  # ann's attempts of a minute ago have left the window
    assert window.hit(two_a_minute, "enrol", "ann")
    clock[0] += limits.SWEEP_SECONDS + 60
    window.hit(two_a_minute, "enrol", "cid")  # the sweep drops callers with no attempt in their window
    assert list(window._attempts) == [two_a_minute.key_for("enrol", "cid")]  # memory stays bounded


@pytest.mark.redis
def test_rate_limits_are_shared_through_redis_across_processes(service_app, redis_url):
    limits = {"enrolment_rate_limit": "2/minute", "rate_limit_storage_url": redis_url}
    first = enrolment_app_with_offering(service_app, **limits).test_client()
    second = service_app("enrolment", migrate=False, **limits).test_client()  # another worker, same data
    student = bearer(sub=f"student-{time.time_ns()}")
    assert enrol(first, student) == 201
    assert enrol(second, student) == 409
    assert enrol(first, student) == 429


def test_replays_of_an_idempotency_key_are_not_new_attempts(service_app):
    client = enrolment_app_with_offering(service_app, enrolment_rate_limit="2/minute").test_client()
    student = {**bearer(sub="double-clicker"), "Idempotency-Key": "enrol-off-1"}
    answers = [client.post("/api/v1/enrolments", json={"offering_id": "off-1"}, headers=student) for _ in range(5)]
    assert {answer.status_code for answer in answers} == {201}
    assert len({answer.json["id"] for answer in answers}) == 1


def test_an_attempt_refused_for_its_rate_leaves_the_idempotency_key_free(service_app):
    client = enrolment_app_with_offering(service_app, enrolment_rate_limit="1/minute").test_client()
    student = bearer(sub="busy-student")
    assert enrol(client, student) == 201  # the one attempt of this minute
    keyed = {**student, "Idempotency-Key": "second-try"}
    assert client.post("/api/v1/enrolments", json={"offering_id": "off-1"}, headers=keyed).status_code == 429
    with client.application.extensions["database"].reading() as session:
        from enrolment.models import IdempotentRequest
        assert session.get(IdempotentRequest, ("busy-student", "second-try")) is None


def test_an_unreachable_rate_limit_store_does_not_stop_enrolment(service_app):
    client = enrolment_app_with_offering(service_app, rate_limit_storage_url="redis://127.0.0.1:1/0").test_client()
    assert enrol(client, bearer(sub="lucky-student")) == 201


def test_a_malformed_rate_limit_is_refused_at_start():
    with pytest.raises(ConfigError, match="ENROLMENT_RATE_LIMIT"):
        Settings.from_env("enrolment", {"ENROLMENT_RATE_LIMIT": "lots"})


# --- limits on input ----------------------------------------------------------------------------


def test_page_size_and_page_number_are_capped(service_app):
    client = service_app("catalogue").test_client()
    assert client.get("/api/v1/courses?per_page=100").status_code == 200
    for query in ("per_page=101", "per_page=0", "page=0", "page=100001"):
        answer = client.get(f"/api/v1/courses?{query}")
        assert answer.status_code == 422, query
        assert answer.json["code"] == "validation_error"


def test_overlong_strings_are_refused_field_by_field(service_app, course_json):
    client = service_app("catalogue").test_client()
    course = {**course_json, "title": {"en": "x" * 4001}, "topics": ["y" * 61]}
    answer = client.post("/api/v1/courses", json=course, headers=bearer("coordinator", "LUMC"))
    assert answer.status_code == 422
    assert set(answer.json["errors"]) == {"title", "topics"}


def test_a_body_over_the_limit_is_413_and_writes_nothing(service_app, course_json):
    app = service_app("catalogue", max_body_bytes=2048)
    client = app.test_client()
    course = {**course_json, "description": {"en": "z" * 3000}}
    answer = client.post("/api/v1/courses", json=course, headers=bearer("coordinator", "LUMC"))
    assert answer.status_code == 413
    assert answer.json["code"] == "payload_too_large"
    assert client.get("/api/v1/courses?q=SEC-101", headers=bearer("coordinator", "LUMC")).json == []


@pytest.mark.parametrize("if_match", ['"²"', '"' + "1" * 5000 + '"', 'W/"1"', '"1 "', "1"])
def test_an_if_match_naming_no_version_is_412_never_500(service_app, if_match):
    client = service_app("catalogue").test_client()
    coordinator = bearer("coordinator", "LUMC")
    course = client.post("/api/v1/courses", json=course_payload(code="ETAG-1"), headers=coordinator).json
    answer = client.patch(f"/api/v1/courses/{course['id']}", json={"topics": ["x"]},
                          headers={**coordinator, "If-Match": if_match.encode().decode("latin-1")})
    assert answer.status_code == 412
    assert answer.json["code"] == "version_conflict"


def test_a_number_too_long_to_read_is_400(service_app, course_json):
    client = service_app("catalogue").test_client()
    body = json.dumps(course_json)[:-1] + ', "ects": ' + "1" * 5000 + "}"
    answer = client.post("/api/v1/courses", data=body, content_type="application/json",
                         headers=bearer("coordinator", "LUMC"))
    assert answer.status_code == 400
    assert answer.json["code"] == "malformed_json"


@pytest.fixture
def course_json():
    return course_payload(code="SEC-101")


# --- headers and error bodies ------------------------------------------------------------------


def test_api_answers_carry_security_headers(service_app):
    client = service_app("catalogue").test_client()
    answer = client.get("/api/v1/courses")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert answer.headers["Cache-Control"].startswith("public")  # the public catalogue may be cached
    assert "Strict-Transport-Security" not in answer.headers


def test_personal_answers_are_never_cached(service_app):
    client = service_app("notifications").test_client()
    answer = client.get("/api/v1/notifications/me", headers=bearer())
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_docs_page_may_run_its_own_scripts_only(service_app):
    client = service_app("catalogue").test_client()
    page = client.get("/docs")
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline'" in policy and "default-src 'self'" in policy


@pytest.mark.postgres
def test_production_answers_ask_browsers_for_https(service_app, postgres_url):
    client = service_app("catalogue", postgres_url, app_env="production", jwt_secret="p" * 40, jwt_issuer=ISSUER,
                         jwt_audience=AUDIENCE, amqp_url="amqp://guest:guest@127.0.0.1:5672/").test_client()
    assert client.get("/health/live").headers["Strict-Transport-Security"].startswith("max-age=")


def test_an_unexpected_error_shows_no_trace_and_no_sql():
    from sqlalchemy import create_engine, text

    app = Flask("crashing")
    register_error_handlers(app)
    engine = create_engine("sqlite://")

    @app.get("/crash")
    def crash():
        with engine.connect() as connection:
            connection.execute(text("SELECT secret_column FROM no_such_table"))

    answer = app.test_client().get("/crash")
    assert answer.status_code == 500
    assert answer.mimetype == "application/problem+json"
    body = answer.get_data(as_text=True)
    for leak in ("Traceback", "SELECT", "no_such_table", "sqlite", "File \""):
        assert leak not in body


def test_the_web_front_end_signs_people_in_with_the_identity_providers_token(service_app, key_server):
    from tests.support.front_end import csrf_token, front_end
    from web.identity import mint_demo_token

    provider = {"jwks_url": key_server.url, "jwt_issuer": ISSUER, "jwt_audience": AUDIENCE}
    catalogue = service_app("catalogue", **provider)
    app = front_end({"catalogue": catalogue}, **provider)
    client = app.test_client()
    # With a valid CSRF token, so that it is the view that refuses (a missing token would be a 400 first).
    token = csrf_token(client.get("/signin").text)
    assert client.post("/signin", data={"person": "lumc-coordinator", "csrf_token": token}).status_code == 404
    coordinator = key_server.token("key-2026-11", sub="lumc-coordinator-1", role="coordinator",
                                   institution="LUMC", name="Dr. Marieke Bos", email="m.bos@lumc.nl", locale="en")
    page = client.get("/manage/", headers={"X-Forwarded-Access-Token": coordinator})
    assert page.status_code == 200 and "Dr. Marieke Bos" in page.text
    development = mint_demo_token(app.extensions["web_settings"], "lumc-coordinator")
    assert client.get("/manage/", headers={"X-Forwarded-Access-Token": development}).status_code == 302


def test_an_address_too_long_is_414_problem_json(service_app):
    client = service_app("catalogue").test_client()
    answer = client.get("/api/v1/courses?q=" + "x" * 5000)
    assert answer.status_code == 414
    assert answer.json["code"] == "uri_too_long"


def test_a_single_valued_parameter_given_twice_is_refused(service_app):
    client = service_app("catalogue").test_client()
    answer = client.get("/api/v1/courses?page=1&page=2")
    assert answer.status_code == 422
    assert answer.json["errors"] == {"page": ["Give this parameter once."]}
    assert client.get("/api/v1/courses?topic=helminths&page=1").status_code == 200


def test_development_tokens_live_a_working_day_at_most():
    from shared.http.auth import mint_token

    with pytest.raises(ValueError, match="24 hours"):
        mint_token("s" * 40, sub="x", role="student", institution="SSMU", email="x@ssmu.ru", name="X",
                   ttl=timedelta(days=3650))


def test_under_gunicorn_a_very_long_address_is_still_414_problem_json(tmp_path):
    """gunicorn's own refusal (over 8190 characters) would be a bare HTML page; the app answers instead."""
    import httpx

    from tests.support.servers import gunicorn

    with gunicorn("catalogue", {"DATA_DIR": str(tmp_path)}, tmp_path, workers=1) as url:
        answer = httpx.get(f"{url}/api/v1/courses", params={"q": "a" * 10_000}, timeout=30)
    assert answer.status_code == 414 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "uri_too_long"


def _student_token(secret: str, expires: datetime) -> str:
    claims = {"sub": "s-1", "role": "student", "institution": "SSMU", "email": "s1@ssmu.ru", "name": "С. Один",
              "exp": expires}
    return jwt.encode(claims, secret, algorithm="HS256")


def test_a_verified_token_is_not_checked_again_while_the_process_remembers_it(monkeypatch):
    """A student's requests pay for the signature once (a rush's every request carries the same token)."""
    from shared.http import auth

    verifier, secret = auth.TokenVerifier(secret="s" * 40), "s" * 40
    decoded, decode = [], jwt.decode
    monkeypatch.setattr(auth.jwt, "decode", lambda *args, **kwargs: decoded.append(args[0]) or decode(
        *args, **kwargs))
    token = _student_token(secret, datetime.now(timezone.utc) + timedelta(hours=1))
    other = _student_token(secret, datetime.now(timezone.utc) + timedelta(hours=2))
    assert verifier.verify(token) == verifier.verify(token) == verifier.verify(other)
    assert decoded == [token, other]
    with pytest.raises(auth.Problem):  # a token it does not know is checked, not taken for a known one
        verifier.verify(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))


def test_a_verified_token_is_checked_again_after_a_minute(monkeypatch):
    """A key withdrawn from the identity provider stops admitting its tokens soon after the JWKS cache lets it go."""
    from shared.http import auth

    now = [time.time()]
    verifier, secret = auth.TokenVerifier(secret="s" * 40, clock=lambda: now[0]), "s" * 40
    decoded, decode = [], jwt.decode
    monkeypatch.setattr(auth.jwt, "decode", lambda *args, **kwargs: decoded.append(args[0]) or decode(
        *args, **kwargs))
    token = _student_token(secret, datetime.now(timezone.utc) + timedelta(hours=1))
    verifier.verify(token)
    now[0] += auth.VERIFIED_TOKEN_SECONDS - 1
    verifier.verify(token)
    assert len(decoded) == 1
    now[0] += 2
    verifier.verify(token)
    assert len(decoded) == 2


def test_a_remembered_token_is_refused_once_it_expires():
    from shared.http import auth

    verifier, secret = auth.TokenVerifier(secret="s" * 40), "s" * 40
    # Expired 28 s ago: still inside the 30 s leeway for about two seconds more.
    token = _student_token(secret, datetime.now(timezone.utc) - timedelta(seconds=auth.LEEWAY_SECONDS - 2))
    assert verifier.verify(token).id == "s-1"
    time.sleep(2.5)
    with pytest.raises(auth.Problem) as refused:
        verifier.verify(token)
    assert refused.value.status == 401 and "expired" in refused.value.detail
