"""Outbox to consumer on the real RabbitMQ and PostgreSQL: exactly once, also under faults.

Each test has its own vhost and databases.
"""

import signal
import subprocess
import sys
import threading
from pathlib import Path

import pika
import psycopg
import pytest
from sqlalchemy import select, text

from enrolment.handlers import HANDLERS
from enrolment.models import Offering
from enrolment.replica import apply_offering_snapshot
from shared import events
from shared.db import Database
from shared.messaging.connection import connect
from shared.messaging.consumer import EventConsumer
from shared.messaging.inbox import InboxMessage
from shared.messaging.outbox import OutboxMessage, count_pending, record_event
from shared.messaging import wakeup
from shared.messaging.relay import Relay
from shared.messaging.topology import Topology, dead_letter_queue_name, queue_name, retry_queue_name
from shared.migrations import upgrade
from tests.support.delivery import count_rows, publish_as_foreign_client
from tests.support.environment import make_settings
from tests.support.environment import wait_for
from tests.support.payloads import seeded_events

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]

SEEDED_EVENTS = 16
SEEDED_OFFERINGS = 8


class System:
    """Catalogue and enrolment databases on PostgreSQL and a vhost on RabbitMQ."""

    def __init__(self, tmp_path: Path, catalogue_url: str, enrolment_url: str, amqp_url: str):
        self.amqp_url = amqp_url
        self.catalogue_settings = make_settings("catalogue", tmp_path, catalogue_url, amqp_url)
        self.enrolment_settings = make_settings("enrolment", tmp_path, enrolment_url, amqp_url)
        upgrade("catalogue", self.catalogue_settings.database_url)
        upgrade("enrolment", self.enrolment_settings.database_url)
        self.catalogue = Database(self.catalogue_settings.database_url)
        self.enrolment = Database(self.enrolment_settings.database_url)
        self.topology = Topology(retry_delay_ms=200)  # short, so retries happen within a test
        with connect(self.catalogue_settings) as connection:
            self.topology.declare(connection.channel())

    def relay(self, **kwargs) -> Relay:
        return Relay(self.catalogue, connect(self.catalogue_settings), service="catalogue", topology=self.topology,
                     **kwargs)

    def run_consumer(self, handlers=HANDLERS, max_attempts=5):
        stop = threading.Event()
        consumer = EventConsumer("enrolment", self.enrolment, connect(self.enrolment_settings), handlers, stop,
                                 topology=self.topology, max_attempts=max_attempts)
        thread = threading.Thread(target=consumer.run, daemon=True)
        thread.start()

        def halt():
            stop.set()
            thread.join(timeout=15)
            assert not thread.is_alive()

        return halt

    def count(self, db, model) -> int:
        return count_rows(db, model)

    def pending(self) -> int:
        with self.catalogue.transaction() as session:
            return count_pending(session)

    def queue_depth(self, service="enrolment", queue=None) -> int:
        with pika.BlockingConnection(pika.URLParameters(self.amqp_url)) as connection:
            channel = connection.channel()
            return channel.queue_declare(queue or queue_name(service), passive=True).method.message_count

    def dead_letters(self, service="enrolment") -> list[tuple[pika.BasicProperties, bytes]]:
        with pika.BlockingConnection(pika.URLParameters(self.amqp_url)) as connection:
            channel = connection.channel()
            found = []
            while (delivery := channel.basic_get(dead_letter_queue_name(service), auto_ack=True))[0] is not None:
                found.append((delivery[1], delivery[2]))
            return found

    def close(self):
        self.catalogue.dispose()
        self.enrolment.dispose()


@pytest.fixture
def system(tmp_path, postgres_database_factory, amqp_url):
    built = System(tmp_path, postgres_database_factory("catalogue"), postgres_database_factory("enrolment"),
                   amqp_url)
    yield built
    built.close()


def test_a_committed_event_reaches_the_consumer_exactly_once(system):
    seeded_events(system.catalogue)

    assert system.relay().publish_pending() == SEEDED_EVENTS
    halt = system.run_consumer()
    try:
        wait_for(lambda: system.count(system.enrolment, InboxMessage) == SEEDED_EVENTS)
    finally:
        halt()

    assert system.count(system.enrolment, Offering) == SEEDED_OFFERINGS
    assert system.queue_depth() == 0
    assert system.pending() == 0


def test_a_relay_killed_between_publish_and_mark_causes_duplicates_the_inbox_absorbs(system):
    seeded_events(system.catalogue)
    killed = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("kill_relay_after_publish.py")),
         system.catalogue_settings.database_url, system.amqp_url, "5", str(system.topology.retry_delay_ms)],
        capture_output=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()

    # The broker confirmed five events, but the relay died before marking any of them.
    assert system.pending() == SEEDED_EVENTS
    assert system.queue_depth() == 5

    assert system.relay().publish_pending() == SEEDED_EVENTS
    assert system.queue_depth() == SEEDED_EVENTS + 5
    halt = system.run_consumer()
    try:
        wait_for(lambda: system.queue_depth() == 0)
    finally:
        halt()

    assert system.count(system.enrolment, InboxMessage) == SEEDED_EVENTS
    assert system.count(system.enrolment, Offering) == SEEDED_OFFERINGS


def test_the_same_message_delivered_twice_changes_things_once(system):
    scheduled = next(e for e in seeded_events(system.catalogue) if e.type == events.OFFERING_SCHEDULED)
    publish_as_foreign_client(system.amqp_url, scheduled, times=2)
    assert system.queue_depth() == 2

    halt = system.run_consumer()
    try:
        wait_for(lambda: system.queue_depth() == 0 and system.count(system.enrolment, InboxMessage) == 1)
    finally:
        halt()
    assert system.count(system.enrolment, Offering) == 1


def test_a_failing_handler_leaves_the_database_unchanged_and_the_message_is_retried_until_it_succeeds(system):
    scheduled = next(e for e in seeded_events(system.catalogue) if e.type == events.OFFERING_SCHEDULED)
    publish_as_foreign_client(system.amqp_url, scheduled, times=1)
    attempts = []
    broken = threading.Event()
    broken.set()

    def fail_while_broken(session, event):
        apply_offering_snapshot(session, event.payload)
        attempts.append(event.id)
        if broken.is_set():
            raise RuntimeError("the database refused the write")

    halt = system.run_consumer({events.OFFERING_SCHEDULED: fail_while_broken}, max_attempts=50)
    try:
        wait_for(lambda: len(attempts) >= 3)  # came back from the retry queue, twice
        assert system.count(system.enrolment, Offering) == 0
        assert system.count(system.enrolment, InboxMessage) == 0
        broken.clear()
        wait_for(lambda: system.count(system.enrolment, InboxMessage) == 1)
    finally:
        halt()
    assert system.count(system.enrolment, Offering) == 1
    assert system.queue_depth() == 0 and system.queue_depth(queue=retry_queue_name("enrolment")) == 0
    assert system.dead_letters() == []


def test_a_message_that_keeps_failing_is_set_aside_with_its_reason_without_blocking_the_queue(system):
    events_seeded = seeded_events(system.catalogue)
    poison = next(e for e in events_seeded if e.type == events.OFFERING_SCHEDULED)
    with pika.BlockingConnection(pika.URLParameters(system.amqp_url)) as connection:
        connection.channel().basic_publish("events", events.OFFERING_SCHEDULED, b"{not an envelope")
    system.relay().publish_pending()  # the seeded events, the poison among them

    def refuse_the_poison(session, event):
        if event.id == poison.id:
            raise ValueError("handler bug")
        HANDLERS[event.type](session, event)

    halt = system.run_consumer({event_type: refuse_the_poison for event_type in HANDLERS}, max_attempts=3)
    try:
        wait_for(lambda: system.count(system.enrolment, InboxMessage) == SEEDED_EVENTS - 1)
        wait_for(lambda: system.queue_depth(queue=dead_letter_queue_name("enrolment")) == 2)
    finally:
        halt()
    assert system.queue_depth() == 0  # every delivery settled: none comes back when the consumer goes
    dead = {properties.message_id: properties.headers for properties, _ in system.dead_letters()}
    assert dead[poison.id]["x-attempts"] == 3 and "ValueError: handler bug" in dead[poison.id]["x-last-error"]
    (malformed,) = [headers for message_id, headers in dead.items() if message_id != poison.id]
    assert "malformed message" in malformed["x-last-error"]


def test_two_relays_sweeping_together_publish_each_event_once(system):
    with system.catalogue.transaction() as session:
        ids = [record_event(session, "catalogue", events.COURSE_UPDATED, {"n": n}).id for n in range(300)]
    relays = [system.relay(batch_size=10) for _ in range(2)]
    published = [0, 0]

    def sweep(index):
        while True:
            count = relays[index].publish_pending()
            if count == 0:
                return
            published[index] += count

    threads = [threading.Thread(target=sweep, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sum(published) == 300 and all(published), published
    received = []
    with pika.BlockingConnection(pika.URLParameters(system.amqp_url)) as connection:
        channel = connection.channel()
        while (delivery := channel.basic_get(queue_name("enrolment"), auto_ack=True))[0] is not None:
            received.append(delivery[1].message_id)
    assert sorted(received) == sorted(ids)


def test_an_unroutable_event_stays_in_the_outbox_with_the_reason(system):
    relay = system.relay()
    relay.publish_pending()  # connects and declares the topology
    with pika.BlockingConnection(pika.URLParameters(system.amqp_url)) as connection:
        connection.channel().queue_delete(queue_name("enrolment"))  # the only queue for course events
    with system.catalogue.transaction() as session:
        record_event(session, "catalogue", events.COURSE_UPDATED, {"course_id": "c1"})

    with pytest.raises(Exception, match="NO_ROUTE"):
        relay.publish_pending()

    assert system.pending() == 1
    with system.catalogue.transaction() as session:
        row = session.scalars(select(OutboxMessage)).one()
        assert row.attempts == 1 and "NO_ROUTE" in row.last_error


def test_an_idle_relay_keeps_its_broker_connection_alive_with_heartbeats(system):
    from kombu import Connection

    class CountingRelay(Relay):
        reconnects = 0

        def _forget_connection(self):
            CountingRelay.reconnects += 1
            super()._forget_connection()

    connection = Connection(system.amqp_url, heartbeat=1, transport_options={"confirm_publish": True})
    relay = CountingRelay(system.catalogue, connection, service="catalogue", topology=system.topology)
    stop = threading.Event()
    worker = threading.Thread(target=relay.run, args=(stop,))
    worker.start()
    stop.wait(6)  # three times what the broker tolerates without heartbeats
    reconnects_while_idle = CountingRelay.reconnects
    with system.catalogue.transaction() as session:
        record_event(session, "catalogue", events.COURSE_UPDATED, {"course_id": "c1"})
    wait_for(lambda: system.pending() == 0)
    stop.set()
    worker.join(timeout=15)
    assert reconnects_while_idle == 0



def test_the_outbox_notifies_the_relay_when_its_rows_commit_and_not_before(system):
    listener = psycopg.connect(system.catalogue.engine.url.set(drivername="postgresql")
                               .render_as_string(hide_password=False), autocommit=True)
    listener.execute("LISTEN outbox")
    with system.catalogue.transaction() as session:
        record_event(session, "catalogue", events.COURSE_UPDATED, {"course_id": "c1"})
        record_event(session, "catalogue", events.COURSE_UPDATED, {"course_id": "c2"})
        session.flush()
        assert list(listener.notifies(timeout=0.3)) == []  # a rolled-back row must wake no one
    assert len(list(listener.notifies(timeout=5, stop_after=1))) == 1  # one per transaction
    listener.close()


def test_an_idle_relay_wakes_on_a_commit_without_waiting_for_its_sweep(system, monkeypatch):
    monkeypatch.setattr(wakeup, "SAFETY_SWEEP_SECONDS", 60)  # so only the notification can wake it
    relay = system.relay()
    stop = threading.Event()
    worker = threading.Thread(target=relay.run, args=(stop,))
    worker.start()
    try:
        wait_for(lambda: listening(system.catalogue))
        stop.wait(0.5)  # idle, waiting
        with system.catalogue.transaction() as session:
            record_event(session, "catalogue", events.COURSE_UPDATED, {"course_id": "c1"})
        wait_for(lambda: system.pending() == 0, timeout=10)
    finally:
        stop.set()
        with system.catalogue.transaction() as session:  # wakes it to see the stop
            record_event(session, "catalogue", events.COURSE_UPDATED, {"course_id": "c2"})
        worker.join(timeout=15)
    assert not worker.is_alive()


def listening(db: Database) -> bool:
    with db.reading() as session:
        return bool(session.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE query = 'LISTEN outbox' "
                                        "AND datname = current_database()")))


def test_quorum_queues_carry_events_the_same_way(tmp_path, postgres_database_factory, amqp_url):
    catalogue_url, enrolment_url = postgres_database_factory("catalogue"), postgres_database_factory("enrolment")
    for service, url in (("catalogue", catalogue_url), ("enrolment", enrolment_url)):
        upgrade(service, url)
    catalogue, enrolment = Database(catalogue_url), Database(enrolment_url)
    catalogue_settings = make_settings("catalogue", tmp_path, catalogue_url, amqp_url)
    enrolment_settings = make_settings("enrolment", tmp_path, enrolment_url, amqp_url)
    seeded_events(catalogue)

    Relay(catalogue, connect(catalogue_settings), service="catalogue", topology=Topology(queue_type="quorum")).publish_pending()
    stop = threading.Event()
    consumer = EventConsumer("enrolment", enrolment, connect(enrolment_settings), HANDLERS, stop,
                             topology=Topology(queue_type="quorum"))
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: count_rows(enrolment, Offering) == SEEDED_OFFERINGS)
    finally:
        stop.set()
        thread.join(timeout=15)
    vhost = amqp_url.rsplit("/", 1)[1]
    listing = subprocess.run(["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "type"], capture_output=True,
                     text=True, check=True).stdout
    assert "enrolment.events\tquorum" in listing
    catalogue.dispose()
    enrolment.dispose()
