"""What happens to a message whose handling failed: a delayed retry, and after the last attempt
the dead-letter queue, with the attempt count and the reason kept on the message."""

from __future__ import annotations

import logging
import threading

from kombu import Connection, Message, Producer

from shared.messaging.connection import topology_producer
from shared.messaging.relay import CONFIRM_TIMEOUT_SECONDS, PUBLISH_RETRY_POLICY
from shared.messaging.topology import DEFAULT_EXCHANGE, Topology, dead_letter_queue_name, queue_name, retry_queue_name

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-attempts"
REASON_HEADER = "x-last-error"
KEPT_PROPERTIES = ("message_id", "type", "correlation_id")


def attempts_of(message: Message) -> int:
    """How often handling this message has failed before."""
    try:
        return int((message.headers or {}).get(ATTEMPTS_HEADER, 0))
    except (TypeError, ValueError):
        return 0


class Redelivery:
    """Forwards failed messages of one service to its retry or dead-letter queue.

    It publishes on a connection of its own: publishing with confirms on the consuming
    connection, from inside a delivery callback, would read and dispatch further deliveries.
    """

    def __init__(self, service: str, connection: Connection, topology: Topology, max_attempts: int,
                 stop: threading.Event):
        self.service, self.topology, self.max_attempts, self.stop = service, topology, max_attempts, stop
        self._connection = connection.clone()
        # kombu's virtual transports ignore message TTLs: there the delay is waited out here.
        self._broker_delays = connection.transport.driver_type == "amqp"
        self._producer: Producer | None = None

    def retry_later(self, message: Message, reason: str) -> None:
        """Send a failed message round again after the retry delay, or set it aside after the last attempt."""
        attempts = attempts_of(message) + 1
        if attempts >= self.max_attempts:
            self.set_aside(message, reason, attempts)
            return
        if self._broker_delays:
            self._forward(message, retry_queue_name(self.service), attempts, reason)
        else:
            self.stop.wait(self.topology.retry_delay_ms / 1000)
            self._forward(message, queue_name(self.service), attempts, reason)

    def set_aside(self, message: Message, reason: str, attempts: int | None = None) -> None:
        """Move a message to the dead-letter queue for an operator to inspect and replay."""
        attempts = attempts or attempts_of(message)
        log.error("dead-lettering message %s after %s attempt(s): %s", message.properties.get("message_id"),
                  attempts, reason)
        self._forward(message, dead_letter_queue_name(self.service), attempts, reason)

    def close(self) -> None:
        self._producer = None
        self._connection.release()

    def _forward(self, message: Message, queue: str, attempts: int, reason: str) -> None:
        """Publish a copy (confirmed) to `queue`, then ack the original: a crash in between repeats it,
        which the inbox absorbs."""
        properties = {name: message.properties.get(name) for name in KEPT_PROPERTIES}
        headers = {**(message.headers or {}), ATTEMPTS_HEADER: attempts, REASON_HEADER: reason[:1000]}
        self._publisher().publish(
            message.body, exchange=DEFAULT_EXCHANGE, routing_key=queue, headers=headers,
            content_type=message.content_type or "application/json",
            content_encoding=message.content_encoding or "utf-8", delivery_mode=2, mandatory=True,
            retry=True, retry_policy=PUBLISH_RETRY_POLICY, confirm_timeout=CONFIRM_TIMEOUT_SECONDS, **properties)
        message.ack()

    def _publisher(self) -> Producer:
        if self._producer is None:
            self._producer = topology_producer(self._connection, self.topology)
        return self._producer
