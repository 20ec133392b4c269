"""The relay: publishes the outbox to the broker and marks rows sent only after the broker's ack."""

from __future__ import annotations

import logging
import socket
import threading

from kombu import Connection, Producer

from shared.db import Database, utcnow
from shared.messaging import topology_producer
from shared.metrics import EVENTS_PUBLISHED
from shared.outbox import OutboxMessage, claim_pending
from shared.topology import Topology, events_exchange

log = logging.getLogger(__name__)

# Bounded, so a dead broker makes the relay back off and retry from the outbox instead of hanging.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1}
CONFIRM_TIMEOUT_SECONDS = 10
MAX_BACKOFF_SECONDS = 15


class Relay:
    """Moves events from one service's outbox to the broker, oldest first."""

    def __init__(self, db: Database, connection: Connection, *, service: str, batch_size: int = 200,
                 topology: Topology = Topology()):
        self.db = db
        self.service = service
        self.topology = topology
        self.connection = connection
        self.batch_size = batch_size
        self._producer: Producer | None = None

    def publish_pending(self) -> int:
        """Publish one batch of pending events and return how many the broker confirmed.

        Rows confirmed before a failure are still marked; the failing row keeps its error
        and the failure is raised so the caller backs off.
        """
        producer = self._connected_producer()
        failure: Exception | None = None
        with self.db.transaction() as session:
            rows = claim_pending(session, self.batch_size)
            for row in rows:
                try:
                    self._publish(producer, row)
                except Exception as exc:  # noqa: BLE001 - whatever the broker said, the row stays pending
                    row.attempts += 1
                    row.last_error = repr(exc)[:2000]
                    failure = exc
                    break
                row.published_at = utcnow()
        if failure is not None:
            self._forget_connection()
            raise failure
        published = sum(1 for row in rows if row.published_at is not None)
        EVENTS_PUBLISHED.labels(self.service).inc(published)
        return published

    def run(self, stop: threading.Event, idle_seconds: float = 0.1) -> None:
        """Sweep the outbox until `stop` is set, backing off while the broker is unavailable."""
        backoff = 0.5
        while not stop.is_set():
            try:
                published = self.publish_pending()
            except Exception as exc:  # noqa: BLE001 - log, back off, try again from the outbox
                log.warning("relay could not publish, retrying in %.1fs: %r", backoff, exc)
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            backoff = 0.5
            if published < self.batch_size:
                self._keep_alive()
                stop.wait(idle_seconds)
        self.close()

    def close(self) -> None:
        self._forget_connection()

    def _connected_producer(self) -> Producer:
        if self._producer is None:
            self._producer = topology_producer(self.connection, self.topology, exchange=events_exchange)
        return self._producer

    def _publish(self, producer: Producer, row: OutboxMessage) -> None:
        producer.publish(
            row.body.encode("utf-8"),
            routing_key=row.event_type,
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=2,
            mandatory=True,
            message_id=row.event_id,
            type=row.event_type,
            correlation_id=row.correlation_id,
            retry=True,
            retry_policy=PUBLISH_RETRY_POLICY,
            confirm_timeout=CONFIRM_TIMEOUT_SECONDS,
        )

    def _keep_alive(self) -> None:
        """Read the broker's heartbeats and send ours, so an idle relay keeps its connection."""
        if self._producer is None:
            return
        try:
            try:
                self.connection.drain_events(timeout=0)  # heartbeat_check alone never reads the socket
            except socket.timeout:
                pass
            self.connection.heartbeat_check()
        except Exception as exc:  # noqa: BLE001 - a dead connection is rebuilt on the next sweep
            log.info("broker connection lost while idle: %r", exc)
            self._forget_connection()

    def _forget_connection(self) -> None:
        self._producer = None
        try:
            self.connection.close()
        except Exception:  # noqa: BLE001 - closing a broken connection may fail; we drop it anyway
            pass
        self.connection = self.connection.clone()
