"""The whole broker topology in one place: the exchange, each service's queue and its bindings.

Every publisher and consumer declares all of it at start: on kombu's virtual transports
a message published before its queue is bound is silently dropped.
"""

from __future__ import annotations

from kombu import Exchange, Queue, binding

EXCHANGE_NAME = "events"

# Which event types each consuming service listens to (DESIGN section 2).
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "catalogue": ("enrolment.seats_changed",),
    "enrolment": ("catalogue.offering.*", "catalogue.course.*"),
    "notifications": ("enrolment.*", "catalogue.offering.cancelled", "catalogue.offering.updated"),
}

events_exchange = Exchange(EXCHANGE_NAME, type="topic", durable=True)


def queue_name(service: str) -> str:
    return f"{service}.events"


def service_queue(service: str, queue_type: str = "classic") -> Queue:
    """Return the durable work queue of one consuming service with its bindings.

    Quorum queues (AMQP_QUEUE_TYPE=quorum) replicate across a RabbitMQ cluster; every process of
    a deployment must use the same type, since RabbitMQ refuses to redeclare a queue differently.
    """
    return Queue(
        queue_name(service),
        bindings=[binding(events_exchange, routing_key=key) for key in SUBSCRIPTIONS[service]],
        durable=True,
        auto_delete=False,
        queue_arguments={"x-queue-type": "quorum"} if queue_type == "quorum" else None,
    )


def all_queues(queue_type: str = "classic") -> list[Queue]:
    return [service_queue(service, queue_type) for service in SUBSCRIPTIONS]


def declare_topology(channel, queue_type: str = "classic") -> None:
    """Declare the exchange and every service's queue and bindings on a channel."""
    events_exchange(channel).declare()
    for queue in all_queues(queue_type):
        queue(channel).declare()
