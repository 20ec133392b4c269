"""The Flask application every service is built on: one error shape, docs, health, metrics, logs."""

from __future__ import annotations

import re
from functools import wraps
from http import HTTPStatus
from typing import Callable, Iterable, Mapping

import flask_smorest
import marshmallow as ma
from flask import Flask, g, request, send_from_directory
from swagger_ui_bundle import swagger_ui_path
from webargs.flaskparser import FlaskParser, is_json_request

from shared.config import Settings
from shared.db import Database
from shared.http.auth import BEARER_SCHEME, TokenVerifier
from shared.http.errors import (GENERAL_PROBLEMS, PROBLEM_MEDIA_TYPE, Problem, ProblemSchema, documents_problems,
                           register_error_handlers)
from shared.http.health import health_blueprint
from shared.http.limits import install_rate_limits
from shared.http.metrics import install_metrics
from shared.http.text import UNSTORABLE, unstorable_path
from shared.logs import (bind_correlation_id, configure_logging, current_correlation_id,
                         new_correlation_id, unbind_correlation_id)

SWAGGER_ASSETS_URL = "/docs/assets/"
MAX_URL_LENGTH = 4096  # path and query; gunicorn sets no limit of its own (services/gunicorn_conf.py)
# The Idempotency-Key the enrolment API accepts (visible ASCII, as HTTP header values allow); the web
# front end checks the keys it sends against the same pattern.
IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")
# The API answers data, never pages: nothing may run, load or frame it. The interactive docs page
# is the exception (Swagger UI starts from an inline script flask-smorest renders).
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"
DOCS_CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
                                "style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")
# TLS ends at the operator's proxy; browsers honour this over HTTPS only, and then never use plain HTTP again.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-site",
}
_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
UNSTORABLE_MESSAGE = "Holds a character that cannot be stored: NUL, or half of a surrogate pair."


def _refuse_unstorable(path: str | None) -> None:
    if path is not None:
        raise Problem(422, "validation_error", "The request has invalid fields; see errors.",
                      errors={path: [UNSTORABLE_MESSAGE]})


class ProblemParser(FlaskParser):
    """webargs' parser, answering unreadable bodies with our problem codes."""

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        raise Problem(400, "malformed_json", "The request body is not valid JSON.")

    def load_querystring(self, req, schema):
        """A parameter of one value given twice is refused, not read as whichever comes first."""
        repeated = {name: ["Give this parameter once."] for name, field in schema.fields.items()
                    if not isinstance(field, ma.fields.List) and len(req.args.getlist(field.data_key or name)) > 1}
        if repeated:
            raise Problem(422, "validation_error", "The request has invalid fields; see errors.", errors=repeated)
        _refuse_unstorable(next((name for name, field in schema.fields.items() if any(
            UNSTORABLE.search(value) for value in req.args.getlist(field.data_key or name))), None))
        return super().load_querystring(req, schema)

    def load_json(self, req, schema):
        if req.get_data(cache=True) and not is_json_request(req):
            raise Problem(415, "unsupported_media_type", "Send the request body as application/json.")
        try:
            body = super().load_json(req, schema)
        except RecursionError:  # nested deeper than the JSON parser goes
            raise Problem(400, "malformed_json", "The request body is nested too deeply.") from None
        except ValueError:  # e.g. an integer longer than Python converts (4300 digits)
            raise Problem(400, "malformed_json", "The request body holds a number too long to read.") from None
        _refuse_unstorable(unstorable_path(body))
        return body


BODY_PROBLEMS = ("malformed_json", "unsupported_media_type", "payload_too_large", "validation_error")


class ServiceBlueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose argument errors are problem+json, and whose views document
    every problem they may answer (the OpenAPI document is what clients and schemathesis trust)."""

    ARGUMENTS_PARSER = ProblemParser()

    def __init__(self, *args, problems: Mapping[str, tuple[int, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.known_problems = {**GENERAL_PROBLEMS, **(problems or {})}

    def problems(self, *codes: str) -> Callable:
        """Decorate a view: it may answer these problem codes (general or this service's own)."""
        return documents_problems(self.known_problems, *codes)

    def arguments(self, schema, *, location="json", required=True, **kwargs):
        """As flask-smorest's, with the schema made once: given a class, webargs would make one per request."""
        schema = schema() if isinstance(schema, type) else schema
        parse = super().arguments(schema, location=location, required=required, **kwargs)
        body = location == "json"

        def decorator(view: Callable) -> Callable:
            parsed = _body_required(parse(view)) if body and required else parse(view)
            return self.problems(*(BODY_PROBLEMS if body else ("validation_error",)))(parsed)

        return decorator

    def response(self, status_code, schema=None, **kwargs):
        """Every view touches its database, which may be unreachable, and any address may be too long:
        document those answers too."""
        respond = super().response(status_code, schema, **kwargs)
        return lambda view: self.problems("uri_too_long", "unavailable")(respond(view))


def _body_required(view: Callable) -> Callable:
    """Refuse an empty body where the document says one is required (webargs would read it as {})."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not request.get_data(cache=True):
            raise Problem(400, "malformed_json", "The request needs a JSON body; it is empty.")
        return view(*args, **kwargs)

    return wrapper


class ServiceApi(flask_smorest.Api):
    """flask-smorest's Api with problem details as the one error shape, and no catch-all
    "default" response: each view names the statuses it answers."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        register_error_handlers(self._app)

    def _register_responses(self):
        for status in HTTPStatus:
            if status >= 400:
                self.spec.components.response(status.name, {
                    "description": status.phrase,
                    "content": {PROBLEM_MEDIA_TYPE: {"schema": self.ERROR_SCHEMA}}}, lazy=True)


def create_service_app(settings: Settings, *, title: str, description: str,
                       blueprints: Iterable[flask_smorest.Blueprint],
                       rate_limits: Mapping[str, str] | None = None) -> Flask:
    """Build a service's Flask app around its API blueprints."""
    settings.check()
    configure_logging(settings.service, settings.log_level)
    app = Flask(settings.service)
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        API_TITLE=title,
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=SWAGGER_ASSETS_URL,
        API_SPEC_OPTIONS={"info": {"description": description}},
    )
    app.json.ensure_ascii = False  # Russian titles stay readable
    app.json.sort_keys = False  # fields in the order the schemas declare them
    app.extensions["token_verifier"] = TokenVerifier.from_settings(settings)
    app.extensions["database"] = Database(settings.database_url, application_name=f"{settings.service}-web")
    api = ServiceApi(app)
    api.spec.components.security_scheme("bearerAuth", BEARER_SCHEME)
    api.register_blueprint(health_blueprint)
    for blueprint in blueprints:
        api.register_blueprint(blueprint, url_prefix="/api/v1")
    install_correlation_ids(app)
    _install_security_headers(app, settings.is_production)
    _refuse_long_urls(app)
    _refuse_unstorable_ids(app)
    install_metrics(app, settings.service)
    if rate_limits:
        install_rate_limits(app, settings.rate_limit_storage_url, rate_limits)
    app.add_url_rule(f"{SWAGGER_ASSETS_URL}<path:filename>", "swagger_assets",
                     lambda filename: send_from_directory(swagger_ui_path, filename))
    return app


def _refuse_long_urls(app: Flask) -> None:
    @app.before_request
    def refuse_long_url():
        if len(request.full_path) > MAX_URL_LENGTH:
            raise Problem(414, "uri_too_long", f"The address is longer than {MAX_URL_LENGTH} characters.")


def _refuse_unstorable_ids(app: Flask) -> None:
    @app.before_request
    def refuse_unstorable_id():
        """An id holding NUL or a lone surrogate names nothing that could exist (and must not reach a query)."""
        if any(isinstance(value, str) and UNSTORABLE.search(value) for value in (request.view_args or {}).values()):
            raise Problem(404, "not_found", "There is nothing at this address.")


def _install_security_headers(app: Flask, production: bool) -> None:
    """Harden every response; personal answers (to a bearer token) are never cached."""

    @app.after_request
    def add_security_headers(response):
        response.headers.update(SECURITY_HEADERS)
        docs_page = request.path == "/docs" or request.path.startswith(SWAGGER_ASSETS_URL)
        response.headers["Content-Security-Policy"] = (DOCS_CONTENT_SECURITY_POLICY if docs_page
                                                       else API_CONTENT_SECURITY_POLICY)
        if "Authorization" in request.headers:
            response.headers["Cache-Control"] = "no-store"
        if production:
            response.headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
        return response


def install_correlation_ids(app: Flask) -> None:
    """Carry X-Correlation-ID from the request into logs, the outbox and the response."""

    @app.before_request
    def adopt_correlation_id():
        incoming = request.headers.get("X-Correlation-ID", "")
        value = incoming if _CORRELATION_ID.match(incoming) else new_correlation_id()
        g.correlation_token = bind_correlation_id(value)

    @app.after_request
    def echo_correlation_id(response):
        response.headers["X-Correlation-ID"] = current_correlation_id() or ""
        return response

    @app.teardown_request
    def release_correlation_id(_exc):
        token = g.pop("correlation_token", None)
        if token is not None:
            unbind_correlation_id(token)
