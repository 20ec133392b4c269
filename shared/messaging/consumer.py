"""The consumer worker: each event handled once, in one transaction with its inbox record."""

from __future__ import annotations

import enum
import logging
import socket
import threading
from typing import Callable, Mapping, Sequence

from kombu import Connection, Message
from kombu.mixins import ConsumerMixin
from sqlalchemy.orm import Session

from shared.db import Database, is_database_outage
from shared.logs import correlation
from shared.messaging.envelope import Event
from shared.messaging.inbox import claim_events
from shared.messaging.redelivery import Redelivery, attempts_of
from shared.messaging.topology import Topology
from shared.metrics import EVENTS_CONSUMED

log = logging.getLogger(__name__)

# A handler reads the event's typed data as `event.payload` (shared.events).
Handler = Callable[[Session, Event], None]
ReadAhead = Callable[[Session, Sequence[Event]], None]
PREFETCH = 100
# Messages handled in one transaction (one commit, then their acks); a batch is handled when full or
# when no further message arrives within the wait.
BATCH_SIZE = 50
BATCH_WAIT_SECONDS = 0.005
REQUEUE_DELAY_SECONDS = 1.0
# How long an idle consumer waits for a delivery before it answers the broker's heartbeats and sees whether
# it was asked to stop: a stop took up to a second (every launcher, container and test stop waited for it).
IDLE_WAKE_SECONDS = 0.25


class _Stopped(Exception):
    """Raised out of kombu's reconnect loop when a stop was requested while the broker is away."""


class Outcome(enum.Enum):
    HANDLED = "handled"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"


class Handlers(dict):
    """A service's handler of each event type, with what they will look up read ahead for a whole batch.

    `read_ahead(session, events)` runs in the batch's transaction before its first handler, given the
    events that will be handled (not those handled before), so that the handlers find in one query per
    kind of row what they would otherwise read one event at a time. What it reads must not change the
    outcome: a batch of one reads ahead too.
    """

    def __init__(self, handlers: Mapping[str, Handler], read_ahead: ReadAhead):
        super().__init__(handlers)
        self.read_ahead = read_ahead


class HandlerFailed(Exception):
    """The handler of the event at `position` of a batch raised `error`; nothing was committed."""

    def __init__(self, position: int, error: Exception):
        super().__init__(f"event {position} of the batch failed: {error!r}")
        self.position, self.error = position, error


def handle_events(db: Database, handlers: Mapping[str, Handler], events: Sequence[Event]) -> list[Outcome]:
    """Handle events in order in one transaction with their inbox records: all of them, or none.

    A failing handler is raised as HandlerFailed; a lost database connection, or a failing read-ahead
    (which the consumer answers by handling the events one by one), as it is.
    """
    with db.transaction() as session:
        unhandled = claim_events(session, events)
        if isinstance(handlers, Handlers):
            handlers.read_ahead(session, [event for event in events if event.id in unhandled and event.type in handlers])
        outcomes = []
        for position, event in enumerate(events):
            if event.id not in unhandled:  # handled before, or earlier in this batch
                outcomes.append(Outcome.DUPLICATE)
                continue
            unhandled.discard(event.id)
            try:
                with correlation(event.correlation_id):
                    outcomes.append(_run_handler(session, handlers, event))
            except Exception as exc:  # noqa: BLE001 - the caller retries this one alone
                if is_database_outage(exc):
                    raise
                raise HandlerFailed(position, exc) from exc
        return outcomes


def handle_event(db: Database, handlers: Mapping[str, Handler], event: Event) -> Outcome:
    """Handle one event as the consumer does (a batch of one): its handler and its inbox record in one
    transaction; a redelivered or duplicated event changes nothing. A failing handler's error is raised."""
    try:
        return handle_events(db, handlers, [event])[0]
    except HandlerFailed as failure:
        raise failure.error from None


def _run_handler(session: Session, handlers: Mapping[str, Handler], event: Event) -> Outcome:
    handler = handlers.get(event.type)
    if handler is None:
        return Outcome.IGNORED
    handler(session, event)
    return Outcome.HANDLED


class EventConsumer(ConsumerMixin):
    """Consumes one service's queue in batches; acks a message only after its transaction committed."""

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
        self._batch: list[tuple[Message, Event]] = []

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

    def consume(self, safety_interval: float = IDLE_WAKE_SECONDS, **kwargs):
        """kombu's consuming loop, handling the messages drained so far as one batch when it is full
        or when the queue pauses."""
        self._batch = []  # deliveries of a lost channel cannot be acked; the broker sends them again
        with self.consumer_context(**kwargs) as (connection, _channel, _consumers):
            while not self.should_stop:
                try:
                    connection.drain_events(timeout=BATCH_WAIT_SECONDS if self._batch else safety_interval)
                except socket.timeout:
                    connection.heartbeat_check()
                    self.handle_batch()
                    continue
                except OSError:
                    if not self.should_stop:
                        raise
                    return
                if len(self._batch) >= BATCH_SIZE:
                    self.handle_batch()
                yield
            self.handle_batch()

    def on_message(self, message: Message) -> None:
        """Take a delivery into the batch; a message that is not an event of the contract, or whose data
        does not match its type and version, is set aside at once: retrying would not help."""
        try:
            event = Event.from_json(message.body)
            if event.type in self.handlers:
                event.payload  # noqa: B018 - parsed here, so that a handler is only given data it can read
        except Exception as exc:  # noqa: BLE001 - whatever is wrong with it, retrying will not help
            self._settle(message, lambda: self.redelivery.set_aside(message, f"malformed message: {exc!r}"))
            return
        self._batch.append((message, event))

    def handle_batch(self) -> None:
        """Handle the drained messages, acking each after the commit; a failed one is retried later."""
        batch, self._batch = self._batch, []
        self._handle(batch)

    def _wait_for_database(self, batch: list[tuple[Message, Event]], outage: Exception) -> None:
        """Not the messages' fault: wait and take them again, without spending their attempts, so a
        database outage does not fill the dead-letter queue."""
        log.warning("database unavailable (%s); %d message(s) wait", type(outage).__name__, len(batch))
        self.stop.wait(self.topology.retry_delay_ms / 1000)
        for message, _ in batch:
            message.requeue()

    def _handle(self, batch: list[tuple[Message, Event]]) -> None:
        if not batch:
            return
        try:
            outcomes = handle_events(self.db, self.handlers, [event for _, event in batch])
        except HandlerFailed as failure:
            # Nothing was committed: those before the culprit again, the culprit later, then the rest.
            self._handle(batch[:failure.position])
            message, event = batch[failure.position]
            self._settle(message, lambda: self._retry_later(message, event, failure.error))
            self._handle(batch[failure.position + 1:])
            return
        except Exception as exc:  # noqa: BLE001 - the commit itself failed: find the culprit alone
            if is_database_outage(exc):
                self._wait_for_database(batch, exc)
            elif len(batch) > 1:
                for item in batch:
                    self._handle([item])
            else:
                message, event = batch[0]
                self._settle(message, lambda: self._retry_later(message, event, exc))
            return
        self._acknowledge(batch, outcomes)

    def _settle(self, message: Message, work: Callable[[], None]) -> None:
        """Run work that acks or forwards the message; if forwarding fails (broker trouble), requeue it."""
        try:
            work()
        except Exception:  # noqa: BLE001 - forwarding failed too: let it come back
            log.exception("could not retry or set aside message %s; requeued", message.properties.get("message_id"))
            self.stop.wait(REQUEUE_DELAY_SECONDS)
            if not message.acknowledged:
                message.requeue()

    def _retry_later(self, message: Message, event: Event, failure: Exception) -> None:
        """Nothing of the event was committed: send it round again (or set it aside after its last attempt)."""
        with correlation(event.correlation_id):
            log.error("handling %s %s failed (attempt %d)", event.type, event.id, attempts_of(message) + 1,
                      exc_info=failure)
        self.redelivery.retry_later(message, f"{type(failure).__name__}: {failure}")

    def _acknowledge(self, batch: list[tuple[Message, Event]], outcomes: list[Outcome]) -> None:
        """Ack a committed batch. On RabbitMQ one ack of the last delivery with `multiple` acks them all:
        every delivery before it on the channel is in this batch or was settled before it (batches and
        their parts are settled in delivery order; a malformed message at once). Kombu's virtual
        transports ignore `multiple`: there each is acked."""
        if self.connection.transport.driver_type == "amqp":
            batch[-1][0].ack(multiple=True)
        else:
            for message, _ in batch:
                message.ack()
        for (_, event), outcome in zip(batch, outcomes):
            EVENTS_CONSUMED.labels(self.service, event.type, outcome.value).inc()
            with correlation(event.correlation_id):
                log.info("%s %s %s", outcome.value, event.type, event.id)

    def on_connection_error(self, exc, interval):
        if self.stop.is_set():
            raise _Stopped()
        log.warning("broker connection lost (%r); reconnecting in %ss", exc, interval)
