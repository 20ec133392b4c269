"""The enrolment service's application factory."""

from __future__ import annotations

from flask import Flask

from enrolment.api import blp
from shared.config import Settings
from shared.http.app import create_service_app


def create_app(config: Settings | None = None) -> Flask:
    """Create the enrolment app from `config`, or from the environment."""
    settings = config or Settings.from_env("enrolment")
    return create_service_app(
        settings,
        title="Course exchange enrolment",
        description="Enrolment in course offerings with seat limits and fair waiting lists.",
        blueprints=[blp],
        rate_limits={"enrolment_attempts": settings.enrolment_rate_limit},
    )
