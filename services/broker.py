"""`python -m services broker`: the operator's view of RabbitMQ, with pika, the native client.

check      the topology exists as declared (exchange, work/retry/dead-letter queues and arguments)
queues     depth and consumers of every queue
dlq list   what is in the dead-letter queues, and why
dlq show   one dead letter in full
dlq replay send dead letters back to their work queue (one by id, or --all), attempts reset
dlq purge  empty the dead-letter queues (--yes)
dlq scrub  drop the dead letters naming an erased person (by id, or by the hash an erasure record shows)
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import pika
from pika.exceptions import ChannelClosedByBroker

from shared.events import ERASURE_REQUESTED
from shared.messaging.redelivery import ATTEMPTS_HEADER, REASON_HEADER
from shared.privacy import subject_hash
from shared.messaging.topology import (EXCHANGE_NAME, SUBSCRIPTIONS, Topology, dead_letter_queue_name, queue_name)


@dataclass(frozen=True)
class DeadLetter:
    service: str
    message_id: str | None
    type: str | None
    attempts: int
    reason: str
    body: bytes

    def summary(self) -> str:
        return f"{self.service:<14} {self.message_id or '-':<36} {self.type or '-':<30} {self.attempts:>3}  {self.reason}"


@contextmanager
def connected(amqp_url: str) -> Iterator[pika.BlockingConnection]:
    """Connect to the first node that answers; AMQP_URL lists a cluster's nodes separated by ';' (kombu's form)."""
    connection = pika.BlockingConnection([pika.URLParameters(url) for url in amqp_url.split(";")])
    try:
        yield connection
    finally:
        if connection.is_open:
            connection.close()


def check(amqp_url: str, topology: Topology) -> list[str]:
    """Return what differs from the declared topology; an empty list means all is as declared.

    Queues are compared by declaring them with the expected arguments, which RabbitMQ refuses when
    they differ (a queue that matches is left as it is). AMQP cannot list bindings: relays and
    consumers re-declare them at start.
    """
    problems = []
    with connected(amqp_url) as connection:
        try:
            connection.channel().exchange_declare(EXCHANGE_NAME, passive=True)
        except ChannelClosedByBroker as exc:
            problems.append(f"exchange {EXCHANGE_NAME}: {exc.reply_text}")
        for queue in topology.queues():
            try:
                connection.channel().queue_declare(queue.name, passive=True)
            except ChannelClosedByBroker:
                problems.append(f"queue {queue.name}: missing")
                continue
            try:
                connection.channel().queue_declare(queue.name, durable=True, arguments=queue.queue_arguments)
            except ChannelClosedByBroker as exc:
                problems.append(f"queue {queue.name}: differs: {exc.reply_text}")
    return problems


def queue_depths(amqp_url: str, topology: Topology) -> list[tuple[str, int | None, int | None]]:
    """Return (queue, ready messages, consumers) for every queue of the topology; None where missing."""
    rows = []
    with connected(amqp_url) as connection:
        for queue in topology.queues():
            try:
                declared = connection.channel().queue_declare(queue.name, passive=True).method
                rows.append((queue.name, declared.message_count, declared.consumer_count))
            except ChannelClosedByBroker:
                rows.append((queue.name, None, None))
    return rows


def _browse(channel, service: str) -> list[tuple[int, DeadLetter]]:
    """Fetch every dead letter of a service without acking: closing the channel puts them back."""
    found = []
    while True:
        method, properties, body = channel.basic_get(dead_letter_queue_name(service), auto_ack=False)
        if method is None:
            return found
        headers = properties.headers or {}
        found.append((method.delivery_tag, DeadLetter(
            service, properties.message_id, properties.type, int(headers.get(ATTEMPTS_HEADER, 0)),
            str(headers.get(REASON_HEADER, "dead-lettered by the broker")), body)))


def dead_letters(amqp_url: str) -> list[DeadLetter]:
    """Return every dead letter of every service, oldest first, leaving them in place."""
    with connected(amqp_url) as connection:
        return [letter for service in SUBSCRIPTIONS for _, letter in _browse(connection.channel(), service)]


def replay(amqp_url: str, message_id: str | None) -> int:
    """Send matching dead letters (all when message_id is None) back to their work queue, attempts
    reset; each leaves the dead-letter queue only once the broker confirmed its copy."""
    replayed = 0
    with connected(amqp_url) as connection:
        publisher = connection.channel()
        publisher.confirm_delivery()
        for service in SUBSCRIPTIONS:
            channel = connection.channel()
            for tag, letter in _browse(channel, service):
                if message_id is not None and letter.message_id != message_id:
                    continue
                publisher.basic_publish("", queue_name(service), letter.body, _replay_properties(letter),
                                        mandatory=True)
                channel.basic_ack(tag)
                replayed += 1
            channel.close()  # what was not replayed goes back to the dead-letter queue
    return replayed


def _replay_properties(letter: DeadLetter) -> pika.BasicProperties:
    return pika.BasicProperties(message_id=letter.message_id, type=letter.type, content_type="application/json",
                                content_encoding="utf-8", delivery_mode=2)


def purge(amqp_url: str) -> int:
    """Empty every dead-letter queue; return how many messages were dropped."""
    with connected(amqp_url) as connection:
        channel = connection.channel()
        return sum(channel.queue_purge(dead_letter_queue_name(service)).method.message_count
                   for service in SUBSCRIPTIONS)


SUBJECT_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Scrubbed:
    dropped: int  # dead letters naming the person, gone
    erasures_kept: int  # erasure requests themselves: replay them, or the erasure stays undone there


def scrub(amqp_url: str, person: str) -> Scrubbed:
    """Drop every dead letter naming a person, given by id or by the hash of an erasure record; an
    erasure request that was dead-lettered is kept, since replaying it is what finishes the erasure."""
    dropped = kept = 0
    with connected(amqp_url) as connection:
        for service in SUBSCRIPTIONS:
            channel = connection.channel()
            for tag, letter in _browse(channel, service):
                if not names(letter, person):
                    continue
                if letter.type == ERASURE_REQUESTED:
                    kept += 1
                    continue
                channel.basic_ack(tag)
                dropped += 1
            channel.close()  # the rest go back to the dead-letter queue
    return Scrubbed(dropped, kept)


def names(letter: DeadLetter, person: str) -> bool:
    """Tell whether a dead letter holds the person's id: anywhere in its bytes (given the id), or as
    any string of its JSON whose hash is the one given."""
    if not SUBJECT_HASH.fullmatch(person):
        return person.encode() in letter.body or person in letter.reason or names(letter, subject_hash(person))
    try:
        body = json.loads(letter.body)
    except ValueError:
        return False
    return any(subject_hash(value) == person for value in _strings(body))


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def show(amqp_url: str, message_id: str) -> DeadLetter | None:
    return next((letter for letter in dead_letters(amqp_url) if letter.message_id == message_id), None)


def describe(letter: DeadLetter) -> str:
    """Write one dead letter in full, its body pretty-printed when it is JSON."""
    try:
        body = json.dumps(json.loads(letter.body), indent=2, ensure_ascii=False)
    except ValueError:
        body = letter.body.decode("utf-8", errors="replace")
    return (f"service:   {letter.service}\nmessage:   {letter.message_id}\ntype:      {letter.type}\n"
            f"attempts:  {letter.attempts}\nreason:    {letter.reason}\n\n{body}")
