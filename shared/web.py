"""The Flask application every service is built on: one error shape, docs, health, metrics, logs."""

from __future__ import annotations

import re
from typing import Iterable

import flask_smorest
from flask import Flask, g, request, send_from_directory
from swagger_ui_bundle import swagger_ui_path
from webargs.flaskparser import FlaskParser, is_json_request

from shared.auth import BEARER_SCHEME
from shared.config import Settings
from shared.db import Database
from shared.errors import Problem, ProblemSchema, register_error_handlers
from shared.health import health_blueprint
from shared.logs import (bind_correlation_id, configure_logging, current_correlation_id,
                         new_correlation_id, unbind_correlation_id)
from shared.metrics import install_metrics

SWAGGER_ASSETS_URL = "/docs/assets/"
_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class ProblemParser(FlaskParser):
    """webargs' parser, answering unreadable bodies with our problem codes."""

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        raise Problem(400, "malformed_json", "The request body is not valid JSON.")

    def load_json(self, req, schema):
        if req.get_data(cache=True) and not is_json_request(req):
            raise Problem(415, "unsupported_media_type", "Send the request body as application/json.")
        try:
            return super().load_json(req, schema)
        except RecursionError:  # nested deeper than the JSON parser goes
            raise Problem(400, "malformed_json", "The request body is nested too deeply.") from None


class ServiceBlueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose argument errors are problem+json."""

    ARGUMENTS_PARSER = ProblemParser()


class ServiceApi(flask_smorest.Api):
    """flask-smorest's Api with problem details as the one error shape."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        register_error_handlers(self._app)


def create_service_app(settings: Settings, *, title: str, description: str,
                       blueprints: Iterable[flask_smorest.Blueprint]) -> Flask:
    """Build a service's Flask app around its API blueprints."""
    settings.check()
    configure_logging(settings.service, settings.log_level)
    app = Flask(settings.service)
    app.config.update(
        JWT_SECRET=settings.jwt_secret,
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
    app.extensions["database"] = Database(settings.database_url, application_name=f"{settings.service}-web")
    api = ServiceApi(app)
    api.spec.components.security_scheme("bearerAuth", BEARER_SCHEME)
    api.register_blueprint(health_blueprint)
    for blueprint in blueprints:
        api.register_blueprint(blueprint, url_prefix="/api/v1")
    install_correlation_ids(app)
    install_metrics(app, settings.service)
    app.add_url_rule(f"{SWAGGER_ASSETS_URL}<path:filename>", "swagger_assets",
                     lambda filename: send_from_directory(swagger_ui_path, filename))
    return app


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
