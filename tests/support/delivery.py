"""Counting what arrived, draining a queue, and publishing as another system would."""

import pika
from sqlalchemy import func, select

from shared.messaging.topology import Topology


def count_rows(db, model) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def publish_as_foreign_client(amqp_url: str, event, times: int) -> None:
    """Publish an envelope with pika, as another system (or a broker redelivery) would."""
    with pika.BlockingConnection(pika.URLParameters(amqp_url)) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        for _ in range(times):
            channel.basic_publish(
                "events", event.type, event.to_json().encode(),
                pika.BasicProperties(message_id=event.id, type=event.type, content_type="application/json",
                                     delivery_mode=2),
                mandatory=True)


def drain(connection, service, limit=100):
    """Take every message waiting in a service's queue (acking them) and return them."""
    messages = []
    with connection.SimpleQueue(Topology().work_queue(service)) as queue:
        while len(messages) < limit:
            try:
                message = queue.get(timeout=0.5)
            except queue.Empty:
                break
            message.ack()
            messages.append(message)
    return messages
