"""The relay: publishes the outbox to the broker and marks rows sent only after the broker's ack."""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Sequence

from kombu import Connection

from shared.db import Database, utcnow
from shared.events import UNKEPT_TYPES
from shared.messaging.chores import Chore
from shared.messaging.connection import topology_producer
from shared.messaging.outbox import OutboxMessage, claim_pending
from shared.messaging.publishing import Confirmations, ConfirmingPublisher, OneByOnePublisher
from shared.messaging.retention import Pruner
from shared.messaging.topology import Topology, events_exchange
from shared.messaging.wakeup import POLL_SECONDS, OutboxWakeup
from shared.metrics import EVENTS_PUBLISHED

log = logging.getLogger(__name__)

# Bounded, so a dead broker makes the relay back off and retry from the outbox instead of hanging.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1}
CONFIRM_TIMEOUT_SECONDS = 10
MAX_BACKOFF_SECONDS = 15


class Relay:
    """Moves events from one service's outbox to the broker, oldest first."""

    def __init__(self, db: Database, connection: Connection, *, service: str, batch_size: int = 200,
                 topology: Topology = Topology(), pruner: Pruner | None = None, prune_interval: float = 300,
                 chores: Sequence[Chore] = ()):
        self.db = db
        self.chores = list(chores)  # the service's clock (shared.messaging.chores)
        # Retention: between sweeps, one short batch at a time (the pruner paces them) until nothing
        # expired is left, then a pause.
        self.pruner, self.prune_interval, self._next_prune = pruner, prune_interval, 0.0
        self.service = service
        self.topology = topology
        self.connection = connection
        self.batch_size = batch_size
        self._publisher: OneByOnePublisher | ConfirmingPublisher | None = None
        self._wakeup = OutboxWakeup(db, application_name=f"{service}-relay-listener")

    def publish_pending(self) -> int:
        """Publish one batch of pending events and return how many the broker confirmed.

        Rows confirmed are marked even when others failed; the first failing row keeps its error
        and the failure is raised so the caller backs off.
        """
        publisher = self._connected_publisher()
        with self.db.transaction() as session:
            rows = claim_pending(session, self.batch_size)
            answer = self._publish(publisher, rows)
            published_at = utcnow()
            for row in rows:
                if row.event_id in answer.confirmed:
                    if row.event_type in UNKEPT_TYPES:  # it names a person being forgotten
                        session.delete(row)
                    else:
                        row.published_at = published_at
            if answer.failed is not None:
                answer.failed.attempts += 1
                answer.failed.last_error = repr(answer.error)[:2000]
        if answer.error is not None:
            self._forget_connection()
            raise answer.error
        EVENTS_PUBLISHED.labels(self.service).inc(len(answer.confirmed))
        return len(answer.confirmed)

    def run(self, stop: threading.Event, idle_seconds: float = POLL_SECONDS) -> None:
        """Sweep the outbox until `stop` is set, backing off while the broker is unavailable, doing the
        service's chores as they fall due; when idle, sleep until a commit adds outbox rows
        (shared.messaging.wakeup), a chore is due, or `idle_seconds` where the database cannot tell (SQLite)."""
        backoff = 0.5
        self._wakeup.start()
        while not stop.is_set():
            # Chores first: their events go out in the same sweep, and they go on while the broker is away.
            for chore in self.chores:
                chore.run_if_due()
            try:
                published = self.publish_pending()
            except Exception as exc:  # noqa: BLE001 - log, back off, try again from the outbox
                log.warning("relay could not publish, retrying in %.1fs: %r", backoff, exc)
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            backoff = 0.5
            self._prune()
            if published < self.batch_size:
                self._keep_alive()
                self._wakeup.wait(stop, idle_seconds, at_most=self._seconds_to_next_step())
        self.close()

    def close(self) -> None:
        self._wakeup.close()
        self._forget_connection()

    def _seconds_to_next_step(self) -> float | None:
        """How long the idle relay may sleep before its next pruning batch or chore is due (None: none)."""
        due = [chore.seconds_left() for chore in self.chores]
        if self.pruner is not None:
            due.append(max(0.0, self._next_prune - time.monotonic()))
        return min(due, default=None)

    def _prune(self) -> None:
        """Prune one batch if it is time: after the pruner's rest, or the interval once nothing is left."""
        if self.pruner is None or time.monotonic() < self._next_prune:
            return
        try:
            rest = self.pruner.step()
        except Exception as exc:  # noqa: BLE001 - retention can wait; publishing cannot
            log.warning("pruning failed, trying again later: %r", exc)
            rest = None
        self._next_prune = time.monotonic() + (self.prune_interval if rest is None else rest)

    def _publish(self, publisher: OneByOnePublisher | ConfirmingPublisher, rows: list[OutboxMessage]
                 ) -> Confirmations:
        """Publish the rows and return the broker's answer (tests hook in here to crash a relay)."""
        return publisher.publish(rows)

    def _connected_publisher(self) -> OneByOnePublisher | ConfirmingPublisher:
        if self._publisher is None:
            producer = topology_producer(self.connection, self.topology, exchange=events_exchange)
            if self.connection.transport.driver_type == "amqp":
                self._publisher = ConfirmingPublisher(producer, CONFIRM_TIMEOUT_SECONDS)
            else:
                self._publisher = OneByOnePublisher(producer, PUBLISH_RETRY_POLICY, CONFIRM_TIMEOUT_SECONDS)
        return self._publisher

    def _keep_alive(self) -> None:
        """Read the broker's heartbeats and send ours, so an idle relay keeps its connection."""
        if self._publisher is None:
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
        self._publisher = None
        try:
            self.connection.close()
        except Exception:  # noqa: BLE001 - closing a broken connection may fail; we drop it anyway
            pass
        self.connection = self.connection.clone()
