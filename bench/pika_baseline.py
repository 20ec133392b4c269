"""The event pipeline's baseline: raw pika, publishing with confirms and consuming the same messages.

A publisher process and a consumer process (as the relay and the consumer are), each with its own
BlockingConnection, on a durable queue of their own in the benchmark's vhost.
"""

from __future__ import annotations

import multiprocessing
import time

import pika

from shared.messaging.consumer import PREFETCH

QUEUE = "bench.pika-baseline"


def publish(amqp_url: str, messages: list[tuple[str, bytes]], rate: float | None, times) -> None:
    """Publish each (id, body) persistent, waiting for the broker's confirm; report when each was sent."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    channel = connection.channel()
    channel.confirm_delivery()
    begin, sent = time.monotonic(), {}
    for number, (message_id, body) in enumerate(messages):
        if rate:
            time.sleep(max(0.0, begin + number / rate - time.monotonic()))
        sent[message_id] = time.time()
        channel.basic_publish("", QUEUE, body, pika.BasicProperties(
            message_id=message_id, content_type="application/json", delivery_mode=2), mandatory=True)
    connection.close()
    times.put(sent)


def consume(amqp_url: str, count: int, ready, times) -> None:
    """Consume `count` messages, acking each; report when each arrived."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    channel = connection.channel()
    channel.basic_qos(prefetch_count=PREFETCH)
    received = {}

    def on_message(channel, method, properties, _body):
        received[properties.message_id] = time.time()
        channel.basic_ack(method.delivery_tag)
        if len(received) == count:
            channel.stop_consuming()

    channel.basic_consume(QUEUE, on_message)
    ready.set()
    channel.start_consuming()
    connection.close()
    times.put(received)


def run_baseline(amqp_url: str, messages: list[tuple[str, bytes]], rate: float | None = None
                 ) -> tuple[dict[str, float], dict[str, float]]:
    """Send the messages through RabbitMQ with pika; return when each was published and consumed."""
    declare_queue(amqp_url)
    spawn = multiprocessing.get_context("spawn")
    ready, published, consumed = spawn.Event(), spawn.Queue(), spawn.Queue()
    consumer = spawn.Process(target=consume, args=(amqp_url, len(messages), ready, consumed))
    consumer.start()
    ready.wait(30)
    publisher = spawn.Process(target=publish, args=(amqp_url, messages, rate, published))
    publisher.start()
    sent, received = published.get(timeout=600), consumed.get(timeout=600)
    publisher.join()
    consumer.join()
    return sent, received


def declare_queue(amqp_url: str) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    connection.channel().queue_declare(QUEUE, durable=True)
    connection.close()
