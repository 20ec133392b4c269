"""Publishing outbox rows and learning which of them the broker took.

On RabbitMQ a batch is sent whole and the broker's confirms are awaited together: one round trip
(and one broker disk sync) for the batch instead of one per message. Kombu's virtual transports
(the embedded broker) have no confirms: there each row is published in turn.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field

from amqp.exceptions import MessageNacked
from kombu import Producer

from shared.messaging.outbox import OutboxMessage


@dataclass
class Confirmations:
    """Which rows of a batch the broker confirmed, and the first one it did not, with the reason."""

    confirmed: set[str] = field(default_factory=set)
    failed: OutboxMessage | None = None
    error: Exception | None = None


def message_properties(row: OutboxMessage) -> dict:
    """The AMQP properties of an event (DESIGN section 5), persistent."""
    return {"delivery_mode": 2, "message_id": row.event_id, "type": row.event_type,
            "correlation_id": row.correlation_id}


class OneByOnePublisher:
    """Publishes rows in turn, each through kombu with its bounded retries, stopping at the first failure."""

    def __init__(self, producer: Producer, retry_policy: dict, confirm_timeout: float):
        self.producer, self.retry_policy, self.confirm_timeout = producer, retry_policy, confirm_timeout

    def publish(self, rows: list[OutboxMessage]) -> Confirmations:
        answer = Confirmations()
        for row in rows:
            try:
                self.producer.publish(
                    row.body.encode("utf-8"), routing_key=row.event_type, content_type="application/json",
                    content_encoding="utf-8", mandatory=True, retry=True, retry_policy=self.retry_policy,
                    confirm_timeout=self.confirm_timeout, **message_properties(row))
            except Exception as exc:  # noqa: BLE001 - whatever the broker said, the row stays pending
                answer.failed, answer.error = row, exc
                return answer
            answer.confirmed.add(row.event_id)
        return answer


class ConfirmingPublisher:
    """Publishes a batch on a RabbitMQ channel in confirm mode, then awaits the broker's answers to all of it.

    Delivery tags count the channel's publishes from 1; an ack (or nack) with `multiple` answers
    every tag up to its own. An unroutable message comes back (basic.return) before its ack.
    """

    def __init__(self, producer: Producer, confirm_timeout: float):
        self.producer, self.confirm_timeout = producer, confirm_timeout
        self.channel = producer.channel
        self.channel.confirm_select()
        self._published = 0
        self._waiting: dict[int, str] = {}  # delivery tag -> event id
        self._acked: set[str] = set()
        self._refused: dict[str, Exception] = {}
        self.channel.events["basic_ack"].add(self._on_ack)
        self.channel.events["basic_nack"].add(self._on_nack)
        self.channel.events["basic_return"].add(self._on_return)

    def publish(self, rows: list[OutboxMessage]) -> Confirmations:
        for pending in (self._waiting, self._acked, self._refused):
            pending.clear()
        error = None
        try:
            for row in rows:
                self._send(row)
            self._await_answers()
        except Exception as exc:  # noqa: BLE001 - the unanswered rows stay pending
            error = exc
        return self._answer(rows, error)

    def _send(self, row: OutboxMessage) -> None:
        message = self.channel.prepare_message(row.body.encode("utf-8"), content_type="application/json",
                                               content_encoding="utf-8", properties=message_properties(row))
        # py-amqp's publish without waiting: its basic_publish waits for each confirm when confirm_publish is on.
        self.channel._basic_publish(message, exchange=self.producer.exchange.name, routing_key=row.event_type,
                                    mandatory=True)
        self._published += 1
        self._waiting[self._published] = row.event_id

    def _await_answers(self) -> None:
        deadline = time.monotonic() + self.confirm_timeout
        while self._waiting:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout(f"the broker did not confirm {len(self._waiting)} message(s) in time")
            self.producer.connection.drain_events(timeout=remaining)

    def _answer(self, rows: list[OutboxMessage], error: Exception | None) -> Confirmations:
        answer = Confirmations(confirmed=self._acked - set(self._refused))
        for row in rows:
            if row.event_id not in answer.confirmed:
                answer.failed, answer.error = row, self._refused.get(row.event_id, error)
                break
        return answer

    def _answered(self, tag: int, multiple: bool) -> list[str]:
        tags = [t for t in self._waiting if t <= tag] if multiple else [tag]
        return [self._waiting.pop(t) for t in tags if t in self._waiting]

    def _on_ack(self, tag: int, multiple: bool) -> None:
        self._acked.update(self._answered(tag, multiple))

    def _on_nack(self, tag: int, multiple: bool) -> None:
        for event_id in self._answered(tag, multiple):
            self._refused[event_id] = MessageNacked(f"the broker refused {event_id}")

    def _on_return(self, exc: Exception, _exchange: str, _routing_key: str, message) -> None:
        self._refused[message.properties["message_id"]] = exc
