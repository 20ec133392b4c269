"""Which events each service's consumer handles, and where its web app is, so the launcher and workers
treat all three alike. Follow an event type from here to its handler by reading the imports."""

from __future__ import annotations

from typing import Mapping

from catalogue.handlers import HANDLERS as CATALOGUE_HANDLERS
from enrolment.handlers import HANDLERS as ENROLMENT_HANDLERS
from notifications.handlers import HANDLERS as NOTIFICATIONS_HANDLERS
from shared.config import SERVICES
from shared.messaging.consumer import Handler

CONSUMER_HANDLERS: Mapping[str, Mapping[str, Handler]] = {
    "catalogue": CATALOGUE_HANDLERS,
    "enrolment": ENROLMENT_HANDLERS,
    "notifications": NOTIFICATIONS_HANDLERS,
}


def app_factory_path(service: str) -> str:
    """Return the gunicorn application path of a service (gunicorn imports it in its own workers)."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}")
    return f"{service}.app:create_app()"
