"""Which events each service's consumer handles, what its relay prunes, and where its web app is, so the
launcher and workers treat all three alike. Follow an event type from here to its handler by reading
the imports."""

from __future__ import annotations

from datetime import timedelta
from typing import Mapping

from catalogue.handlers import HANDLERS as CATALOGUE_HANDLERS
from enrolment.handlers import HANDLERS as ENROLMENT_HANDLERS
from enrolment.models import IdempotentRequest
from notifications.handlers import HANDLERS as NOTIFICATIONS_HANDLERS
from notifications.models import EmailDelivery
from shared.config import SERVICES, Settings
from shared.messaging.consumer import Handler
from shared.messaging.retention import RetentionRule, messaging_rules

CONSUMER_HANDLERS: Mapping[str, Mapping[str, Handler]] = {
    "catalogue": CATALOGUE_HANDLERS,
    "enrolment": ENROLMENT_HANDLERS,
    "notifications": NOTIFICATIONS_HANDLERS,
}


def retention_rules(settings: Settings) -> list[RetentionRule]:
    """What a service keeps only for a while (docs/privacy.md): published outbox rows and inbox ids
    everywhere, and the service's own."""
    own = {
        "enrolment": [RetentionRule("idempotency keys", IdempotentRequest.__table__, IdempotentRequest.created_at,
                                    timedelta(hours=settings.idempotency_retention_hours))],
        "notifications": [RetentionRule("sent email bodies", EmailDelivery.__table__, EmailDelivery.sent_at,
                                        timedelta(days=settings.sent_email_retention_days),
                                        EmailDelivery.status == "sent", clear={"html": ""})],
    }
    return [*messaging_rules(settings.outbox_retention_days, settings.inbox_retention_days),
            *own.get(settings.service, [])]


def app_factory_path(service: str) -> str:
    """Return the gunicorn application path of a service (gunicorn imports it in its own workers)."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}")
    return f"{service}.app:create_app()"
