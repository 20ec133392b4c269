"""The consumer worker: each event handled once, in one transaction with its inbox record."""

from __future__ import annotations

import enum
import logging
import threading
from typing import Callable, Mapping

from kombu import Connection, Message
from kombu.mixins import ConsumerMixin
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from shared.db import Database
from shared.events import Event
from shared.inbox import claim_event
from shared.logs import correlation
from shared.metrics import EVENTS_CONSUMED
from shared.redelivery import Redelivery, attempts_of
from shared.topology import Topology

log = logging.getLogger(__name__)

Handler = Callable[[Session, Event], None]
PREFETCH = 20
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)  # lost connections, outages, deadlocks
REQUEUE_DELAY_SECONDS = 1.0


class _Stopped(Exception):
    """Raised out of kombu's reconnect loop when a stop was requested while the broker is away."""


class Outcome(enum.Enum):
    HANDLED = "handled"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"


def handle_event(db: Database, handlers: Mapping[str, Handler], event: Event) -> Outcome:
    """Run the event's handler and record it in the inbox, both in one transaction.

    A redelivered or duplicated event finds its id in the inbox and changes nothing.
    """
    with correlation(event.correlation_id), db.transaction() as session:
        if not claim_event(session, event):
            return Outcome.DUPLICATE
        handler = handlers.get(event.type)
        if handler is None:
            return Outcome.IGNORED
        handler(session, event)
        return Outcome.HANDLED


class EventConsumer(ConsumerMixin):
    """Consumes one service's queue; acks a message only after its transaction committed."""

    def __init__(self, service: str, db: Database, connection: Connection,
                 handlers: Mapping[str, Handler], stop: threading.Event | None = None,
                 topology: Topology = Topology(), max_attempts: int = 5):
        self.service = service
        self.db = db
        self.connection = connection
        self.handlers = handlers
        self.stop = stop or threading.Event()
        self.topology = topology
        self.redelivery = Redelivery(service, connection, topology, max_attempts, self.stop)

    @property
    def should_stop(self) -> bool:  # ConsumerMixin polls this between events
        return self.stop.is_set()

    @should_stop.setter
    def should_stop(self, value: bool) -> None:
        if value:
            self.stop.set()

    def get_consumers(self, consumer_class, channel):
        self.topology.declare(channel)
        return [consumer_class(queues=[self.topology.work_queue(self.service)], on_message=self.on_message,
                               prefetch_count=PREFETCH)]

    def run(self, *args, **kwargs) -> None:
        try:
            super().run(*args, **kwargs)
        except _Stopped:
            pass
        finally:
            self.redelivery.close()

    def on_message(self, message: Message) -> None:
        """Handle one delivery: ack after commit; a failure is retried later, a malformed message set aside."""
        try:
            self._handle(message)
        except Exception:  # noqa: BLE001 - forwarding failed too (broker trouble): let it come back
            log.exception("could not retry or set aside message %s; requeued", message.properties.get("message_id"))
            self.stop.wait(REQUEUE_DELAY_SECONDS)
            if not message.acknowledged:
                message.requeue()

    def _handle(self, message: Message) -> None:
        try:
            event = Event.from_json(message.body)
        except Exception as exc:  # noqa: BLE001 - whatever is wrong with it, retrying will not help
            self.redelivery.set_aside(message, f"malformed message: {exc!r}")
            return
        try:
            outcome = handle_event(self.db, self.handlers, event)
        except DATABASE_UNAVAILABLE as exc:
            # Not the message's fault: wait and take it again, without spending one of its attempts,
            # so a database outage does not fill the dead-letter queue.
            log.warning("database unavailable (%s); %s %s waits", type(exc).__name__, event.type, event.id)
            self.stop.wait(self.topology.retry_delay_ms / 1000)
            message.requeue()
            return
        except Exception as exc:  # noqa: BLE001 - nothing was committed; try again later
            with correlation(event.correlation_id):
                log.exception("handling %s %s failed (attempt %d)", event.type, event.id, attempts_of(message) + 1)
            self.redelivery.retry_later(message, f"{type(exc).__name__}: {exc}")
            return
        message.ack()
        EVENTS_CONSUMED.labels(self.service, event.type, outcome.value).inc()
        with correlation(event.correlation_id):
            log.info("%s %s %s", outcome.value, event.type, event.id)

    def on_connection_error(self, exc, interval):
        if self.stop.is_set():
            raise _Stopped()
        log.warning("broker connection lost (%r); reconnecting in %ss", exc, interval)
