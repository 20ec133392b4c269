"""Liveness and readiness endpoints (readiness is 503 while the database is unreachable)."""

from __future__ import annotations

import logging

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from shared.http.database import current_database
from shared.http.errors import PROBLEM_MEDIA_TYPE, Problem, ProblemSchema

log = logging.getLogger(__name__)

health_blueprint = Blueprint("health", __name__, url_prefix="/health",
                             description="Liveness and readiness for orchestrators")


class HealthSchema(ma.Schema):
    status = ma.fields.String(metadata={"example": "ok"})


@health_blueprint.route("/live")
class Liveness(MethodView):
    @health_blueprint.response(200, HealthSchema)
    def get(self):
        """Answer while the process is up"""
        return {"status": "ok"}


@health_blueprint.route("/ready")
class Readiness(MethodView):
    @health_blueprint.response(200, HealthSchema)
    @health_blueprint.alt_response(503, schema=ProblemSchema, content_type=PROBLEM_MEDIA_TYPE,
                                   description="`unavailable`: the database is unreachable")
    def get(self):
        """Answer 200 while the service's database answers, 503 otherwise"""
        try:
            current_database().ping()
        except Exception as exc:  # noqa: BLE001 - any failure to reach the database means not ready
            log.warning("not ready: database unreachable: %r", exc)
            raise Problem(503, "unavailable", "The service's database is unreachable.") from None
        return {"status": "ok"}
