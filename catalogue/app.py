"""The catalogue service's application factory."""

from __future__ import annotations

from flask import Flask

from catalogue import privacy
from catalogue.api import blp
from shared.config import Settings
from shared.http.app import create_service_app
from shared.http.privacy import privacy_blueprint


def create_app(config: Settings | None = None) -> Flask:
    """Create the catalogue app from `config`, or from the environment."""
    return create_service_app(
        config or Settings.from_env("catalogue"),
        title="Course exchange catalogue",
        description="The bilingual catalogue of LUMC and SSMU international courses.",
        blueprints=[blp, privacy_blueprint("catalogue", privacy.personal_data)],
    )
