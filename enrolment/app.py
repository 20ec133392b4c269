"""The enrolment service's application factory."""

from __future__ import annotations

from flask import Flask

from enrolment import privacy
from enrolment.api import blp
from enrolment.erasure_api import blp as erasure_blp
from shared.config import Settings
from shared.http.app import create_service_app
from shared.http.privacy import privacy_blueprint


def create_app(config: Settings | None = None) -> Flask:
    """Create the enrolment app from `config`, or from the environment."""
    settings = config or Settings.from_env("enrolment")
    return create_service_app(
        settings,
        title="Course exchange enrolment",
        description="Enrolment in course offerings with seat limits and fair waiting lists.",
        blueprints=[blp, erasure_blp, privacy_blueprint("enrolment", privacy.personal_data)],
        rate_limits={"enrolment_attempts": settings.enrolment_rate_limit},
    )
