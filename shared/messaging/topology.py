"""The whole broker topology in one place: the exchange, and for each consuming service its work
queue with bindings, its retry queue and its dead-letter queue.

Every publisher and consumer declares all of it at start: on kombu's virtual transports a message
published before its queue is bound is silently dropped.

A message whose handling fails is republished to the service's retry queue, which holds it for
the retry delay and then dead-letters it back to the work queue; after the last attempt it goes to
the dead-letter queue, where an operator inspects and replays it (`python -m services broker`).
"""

from __future__ import annotations

from dataclasses import dataclass

from kombu import Exchange, Queue, binding

EXCHANGE_NAME = "events"
DEFAULT_EXCHANGE = ""

# Which event types each consuming service listens to (DESIGN section 2).
# Enrolment publishes identity.erasure_requested and erases its own data when it accepts the request.
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "catalogue": ("enrolment.seats_changed", "identity.erasure_requested"),
    "enrolment": ("catalogue.offering.*", "catalogue.course.*"),
    "notifications": ("enrolment.*", "catalogue.offering.cancelled", "catalogue.offering.updated",
                      "identity.erasure_requested"),
}

# Redeliveries (crashed consumers) before a quorum queue dead-letters a message by itself.
QUORUM_DELIVERY_LIMIT = 20

events_exchange = Exchange(EXCHANGE_NAME, type="topic", durable=True)


def queue_name(service: str) -> str:
    return f"{service}.events"


def retry_queue_name(service: str) -> str:
    return f"{service}.events.retry"


def dead_letter_queue_name(service: str) -> str:
    return f"{service}.events.dead"


@dataclass(frozen=True)
class Topology:
    """The queues of a deployment; every process of it must use the same settings, since RabbitMQ
    refuses to redeclare a queue with other arguments."""

    queue_type: str = "classic"
    retry_delay_ms: int = 5000

    @classmethod
    def of(cls, settings) -> "Topology":
        """Return the topology a deployment's settings describe."""
        return cls(queue_type=settings.queue_type, retry_delay_ms=int(settings.retry_delay_seconds * 1000))

    def work_queue(self, service: str) -> Queue:
        return Queue(queue_name(service),
                     bindings=[binding(events_exchange, routing_key=key) for key in SUBSCRIPTIONS[service]],
                     durable=True, auto_delete=False,
                     queue_arguments=self._arguments(dead_letter_to=dead_letter_queue_name(service),
                                                     delivery_limit=True))

    def retry_queue(self, service: str) -> Queue:
        return Queue(retry_queue_name(service), durable=True, auto_delete=False,
                     queue_arguments={"x-message-ttl": self.retry_delay_ms,
                                      **self._arguments(dead_letter_to=queue_name(service))})

    def dead_letter_queue(self, service: str) -> Queue:
        return Queue(dead_letter_queue_name(service), durable=True, auto_delete=False,
                     queue_arguments=self._arguments())

    def queues(self) -> list[Queue]:
        return [queue for service in SUBSCRIPTIONS for queue in
                (self.work_queue(service), self.retry_queue(service), self.dead_letter_queue(service))]

    def declare(self, channel) -> None:
        """Declare the exchange and every service's queues and bindings on a channel."""
        events_exchange(channel).declare()
        for queue in self.queues():
            queue(channel).declare()

    def _arguments(self, dead_letter_to: str | None = None, delivery_limit: bool = False) -> dict:
        arguments: dict = {}
        if dead_letter_to:
            arguments |= {"x-dead-letter-exchange": DEFAULT_EXCHANGE, "x-dead-letter-routing-key": dead_letter_to}
        if self.queue_type == "quorum":
            arguments["x-queue-type"] = "quorum"
            if dead_letter_to:  # at-least-once dead-lettering needs reject-publish on quorum queues
                arguments |= {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}
            if delivery_limit:
                arguments["x-delivery-limit"] = QUORUM_DELIVERY_LIMIT
        return arguments
