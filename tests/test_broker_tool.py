"""The operator's broker tool (pika) against the real RabbitMQ: check, queues, and dead letters that
are listed, shown, replayed after a fix (delivered once), and purged."""

import os
import subprocess
import sys
import threading

import pika
import pytest

from enrolment.handlers import HANDLERS
from enrolment.models import Offering
from shared import events
from shared.db import Database
from shared.messaging.connection import connect
from shared.messaging.consumer import EventConsumer
from shared.messaging.inbox import InboxMessage
from shared.messaging.topology import Topology, dead_letter_queue_name, retry_queue_name
from shared.migrations import upgrade
from tests.support.delivery import count_rows, publish_as_foreign_client
from tests.support.environment import make_settings
from tests.support.environment import wait_for
from tests.support.payloads import seeded_events

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres]

TOPOLOGY = Topology(retry_delay_ms=200)


def broker(amqp_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "AMQP_URL": amqp_url, "RETRY_DELAY_SECONDS": "0.2"}
    return subprocess.run([sys.executable, "-m", "services", "broker", *args], env=env, capture_output=True,
                          text=True, timeout=60)


def consume(db, settings, handlers, until, max_attempts=2):
    stop = threading.Event()
    consumer = EventConsumer("enrolment", db, connect(settings), handlers, stop, topology=TOPOLOGY,
                             max_attempts=max_attempts)
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        wait_for(until)
    finally:
        stop.set()
        thread.join(timeout=15)


def dead_letter_depth(amqp_url: str) -> int:
    with pika.BlockingConnection(pika.URLParameters(amqp_url)) as connection:
        return connection.channel().queue_declare(dead_letter_queue_name("enrolment"), passive=True).method.message_count


def test_a_dead_letter_is_listed_shown_and_replayed_once_after_the_fix(tmp_path, postgres_database_factory, amqp_url):
    catalogue = Database(postgres_database_factory("catalogue"))
    enrolment_url = postgres_database_factory("enrolment")
    upgrade("catalogue", catalogue.url)
    upgrade("enrolment", enrolment_url)
    enrolment = Database(enrolment_url)
    settings = make_settings("enrolment", tmp_path, enrolment_url, amqp_url)
    with connect(settings) as connection:
        TOPOLOGY.declare(connection.channel())
    assert broker(amqp_url, "check").stdout.strip() == "topology as declared"

    scheduled = next(e for e in seeded_events(catalogue) if e.type == events.OFFERING_SCHEDULED)
    publish_as_foreign_client(amqp_url, scheduled, times=1)

    def buggy(session, event):
        raise KeyError("capacity")

    consume(enrolment, settings, {events.OFFERING_SCHEDULED: buggy}, lambda: dead_letter_depth(amqp_url) == 1)

    listed = broker(amqp_url, "dlq", "list").stdout
    assert scheduled.id in listed and "KeyError" in listed and "1 dead letter(s)" in listed
    shown = broker(amqp_url, "dlq", "show", scheduled.id).stdout
    assert "attempts:  2" in shown and "reason:    KeyError" in shown and '"offering_id"' in shown
    assert "enrolment.events.dead" in broker(amqp_url, "queues").stdout

    # The bug is fixed (the real handlers), the letter replayed: handled exactly once.
    assert broker(amqp_url, "dlq", "replay", scheduled.id).stdout.strip() == "replayed 1 dead letter(s)"
    assert dead_letter_depth(amqp_url) == 0
    consume(enrolment, settings, HANDLERS, lambda: count_rows(enrolment, InboxMessage) == 1)
    assert count_rows(enrolment, Offering) == 1
    assert broker(amqp_url, "dlq", "replay", scheduled.id).returncode == 1  # nothing left to replay
    catalogue.dispose()
    enrolment.dispose()


def test_purge_empties_the_dead_letter_queues_only_when_told_yes(tmp_path, amqp_url):
    with connect(make_settings("enrolment", tmp_path, amqp_url=amqp_url)) as connection:
        TOPOLOGY.declare(connection.channel())
    with pika.BlockingConnection(pika.URLParameters(amqp_url)) as connection:
        for _ in range(3):
            connection.channel().basic_publish("", dead_letter_queue_name("notifications"), b"{}")
    assert broker(amqp_url, "dlq", "purge").returncode != 0  # --yes is required
    assert "purged 3 dead letter(s)" in broker(amqp_url, "dlq", "purge", "--yes").stdout


def test_check_says_what_differs_from_the_declared_topology(tmp_path, amqp_url):
    with connect(make_settings("enrolment", tmp_path, amqp_url=amqp_url)) as connection:
        TOPOLOGY.declare(connection.channel())
    with pika.BlockingConnection(pika.URLParameters(amqp_url)) as connection:
        channel = connection.channel()
        channel.queue_delete(retry_queue_name("enrolment"))
        channel.queue_declare(retry_queue_name("enrolment"), durable=True, arguments={"x-message-ttl": 60000})
        channel.queue_delete(dead_letter_queue_name("catalogue"))

    answer = broker(amqp_url, "check")
    assert answer.returncode == 1
    assert "queue enrolment.events.retry: differs" in answer.stdout and "x-message-ttl" in answer.stdout
    assert "queue catalogue.events.dead: missing" in answer.stdout


def test_scrubbing_drops_the_dead_letters_naming_a_person_but_keeps_their_erasure_request(tmp_path, amqp_url):
    from shared.messaging.envelope import Event
    from shared.privacy import subject_hash

    with connect(make_settings("notifications", tmp_path, amqp_url=amqp_url)) as connection:
        TOPOLOGY.declare(connection.channel())
    letters = [Event(type=events.ENROLMENT_CONFIRMED, producer="enrolment", data={"student": {"id": "erika-1"}}),
               Event(type=events.ERASURE_REQUESTED, producer="enrolment",
                     data={"erasure_id": "e-1", "subject_id": "erika-1", "requested_by": "student"}),
               Event(type=events.ENROLMENT_CONFIRMED, producer="enrolment", data={"student": {"id": "boris-2"}})]
    dead = dead_letter_queue_name("notifications")
    with pika.BlockingConnection(pika.URLParameters(amqp_url)) as connection:
        channel = connection.channel()
        for letter in letters:
            channel.basic_publish("", dead, letter.to_json().encode(),
                                  pika.BasicProperties(message_id=letter.id, type=letter.type))

    scrubbed = broker(amqp_url, "dlq", "scrub", subject_hash("erika-1"))  # as an erasure record shows her

    assert scrubbed.returncode == 1 and "dropped 1 dead letter(s)" in scrubbed.stdout
    assert "replay them" in scrubbed.stderr
    remaining = broker(amqp_url, "dlq", "list").stdout
    assert letters[1].id in remaining and letters[2].id in remaining and letters[0].id not in remaining
