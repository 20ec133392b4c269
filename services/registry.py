"""Which events each service's consumer handles, what its relay prunes, and where its web app is, so the
launcher and workers treat all three alike. Follow an event type from here to its handler by reading
the imports."""

from __future__ import annotations

from datetime import timedelta
from typing import Callable, Mapping

from catalogue.handlers import HANDLERS as CATALOGUE_HANDLERS
from enrolment.handlers import HANDLERS as ENROLMENT_HANDLERS
from enrolment.models import IdempotentRequest
from enrolment.offers import sweep_offers
from notifications.handlers import handlers as notification_handlers
from notifications.messages import FrontEnd
from notifications.models import EmailDelivery
from shared.config import SERVICES, Settings
from shared.db import Database
from shared.messaging.chores import Chore
from shared.messaging.consumer import Handler
from shared.messaging.retention import RetentionRule, messaging_rules

_CONSUMER_HANDLERS: Mapping[str, Callable[[Settings], Mapping[str, Handler]]] = {
    "catalogue": lambda _settings: CATALOGUE_HANDLERS,
    "enrolment": lambda _settings: ENROLMENT_HANDLERS,
    "notifications": lambda settings: notification_handlers(FrontEnd(settings.web_url)),  # emails link there
}


def consumer_handlers(settings: Settings) -> Mapping[str, Handler]:
    """Return the handler of each event type the service's consumer handles."""
    return _CONSUMER_HANDLERS[settings.service](settings)


def consumed_event_types(service: str) -> set[str]:
    """Return the event types a service's consumer handles (the same whatever its settings)."""
    return set(consumer_handlers(Settings.from_env(service, {})))


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


def relay_chores(settings: Settings, db: Database) -> list[Chore]:
    """The time-based work a service's relay does between its sweeps: enrolment's is to expire the
    waiting-list offers past their deadline and remind of those about to expire (enrolment.offers)."""
    own = {"enrolment": [Chore("offer sweep", lambda: sweep_offers(db), settings.offer_sweep_seconds)]}
    return own.get(settings.service, [])


def app_factory_path(service: str) -> str:
    """Return the gunicorn application path of a service (gunicorn imports it in its own workers)."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}")
    return f"{service}.app:create_app()"
