"""The notification service's application factory."""

from __future__ import annotations

from flask import Flask

from notifications import privacy
from notifications.api import blp
from shared.config import Settings
from shared.http.app import create_service_app
from shared.http.privacy import privacy_blueprint


def create_app(config: Settings | None = None) -> Flask:
    """Create the notifications app from `config`, or from the environment."""
    return create_service_app(
        config or Settings.from_env("notifications"),
        title="Course exchange notifications",
        description="Every change of an enrolment, told by inbox and email in English or Russian.",
        blueprints=[blp, privacy_blueprint("notifications", privacy.personal_data, privacy.mail_outstanding)],
    )
