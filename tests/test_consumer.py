"""The consumer: each event handled once, in one transaction with its inbox record."""

import threading
import time

import psycopg
import pytest
from kombu import Producer
from sqlalchemy import func, select

from enrolment.handlers import HANDLERS
from enrolment.models import Offering
from enrolment.replica import apply_offering_snapshot
from shared import events
from shared.messaging.connection import connect
from shared.messaging.consumer import EventConsumer, Outcome, handle_event
from shared.messaging.inbox import InboxMessage
from shared.messaging.relay import Relay
from shared.messaging.topology import Topology, events_exchange
from tests.support.delivery import drain
from tests.support.environment import make_settings, wait_for
from tests.support.payloads import offering_snapshot, seeded_events


def count(db, model):
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def scheduled(catalogue_db):
    return next(e for e in seeded_events(catalogue_db) if e.type == events.OFFERING_SCHEDULED)


def test_an_event_changes_things_once_however_often_it_arrives(enrolment_db, scheduled):
    assert handle_event(enrolment_db, HANDLERS, scheduled) is Outcome.HANDLED
    assert handle_event(enrolment_db, HANDLERS, scheduled) is Outcome.DUPLICATE

    assert count(enrolment_db, Offering) == 1
    assert count(enrolment_db, InboxMessage) == 1


def test_a_failing_handler_leaves_neither_its_changes_nor_an_inbox_record(enrolment_db, scheduled):
    def fail_after_working(session, event):
        apply_offering_snapshot(session, event.payload)
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        handle_event(enrolment_db, {events.OFFERING_SCHEDULED: fail_after_working}, scheduled)

    assert count(enrolment_db, Offering) == 0
    assert count(enrolment_db, InboxMessage) == 0
    assert handle_event(enrolment_db, HANDLERS, scheduled) is Outcome.HANDLED


def test_an_event_without_a_handler_is_recorded_and_ignored(enrolment_db, scheduled):
    assert handle_event(enrolment_db, {}, scheduled) is Outcome.IGNORED
    assert count(enrolment_db, InboxMessage) == 1


def run_consumer(service, db, settings, handlers):
    stop = threading.Event()
    consumer = EventConsumer(service, db, connect(settings), handlers, stop)
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    return stop, thread


def test_the_consumer_worker_carries_catalogue_events_into_enrolment(catalogue_db, enrolment_db, tmp_path):
    seeded_events(catalogue_db)
    Relay(catalogue_db, connect(make_settings("catalogue", tmp_path)), service="catalogue").publish_pending()

    stop, thread = run_consumer("enrolment", enrolment_db, make_settings("enrolment", tmp_path), HANDLERS)
    try:
        wait_for(lambda: count(enrolment_db, InboxMessage) == 16)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert count(enrolment_db, Offering) == 8
    with enrolment_db.transaction() as session:
        assert {o.course_status for o in session.scalars(select(Offering))} == {"published"}


@pytest.mark.parametrize("body", [b"{not json", b'{"id": [], "type": ["x"], "version": 1}', b"[" * 50000])
def test_a_malformed_message_is_rejected_not_retried_and_the_consumer_lives_on(enrolment_db, tmp_path, body):
    settings = make_settings("enrolment", tmp_path)
    with connect(settings) as connection:
        channel = connection.channel()
        Topology().declare(channel)
        Producer(channel, exchange=events_exchange).publish(
            body, routing_key=events.OFFERING_SCHEDULED, content_type="application/json",
            content_encoding="utf-8")

    stop, thread = run_consumer("enrolment", enrolment_db, settings, HANDLERS)
    try:
        time.sleep(1.5)
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join(timeout=10)
    assert count(enrolment_db, InboxMessage) == 0
    assert drain(connect(settings), "enrolment") == []


def test_events_a_handler_records_carry_the_correlation_id_of_the_event_it_handles(enrolment_db, scheduled):
    from shared.messaging.outbox import OutboxMessage, record_event

    def record_follow_up(session, event):
        record_event(session, "enrolment", events.SEATS_CHANGED, {"offering_id": event.data["offering_id"]})

    handle_event(enrolment_db, {events.OFFERING_SCHEDULED: record_follow_up}, scheduled)

    with enrolment_db.transaction() as session:
        assert session.scalars(select(OutboxMessage.correlation_id)).one() == scheduled.correlation_id


def test_a_consumer_asked_to_stop_while_the_broker_is_away_stops(enrolment_db, tmp_path):
    settings = make_settings("enrolment", tmp_path, amqp_url="amqp://guest:guest@127.0.0.1:1//")
    stop, thread = run_consumer("enrolment", enrolment_db, settings, HANDLERS)
    time.sleep(1)
    stop.set()
    thread.join(timeout=20)
    assert not thread.is_alive()


def test_on_the_embedded_broker_a_failing_message_is_retried_then_set_aside(enrolment_db, catalogue_db, tmp_path):
    from shared.messaging.redelivery import ATTEMPTS_HEADER, REASON_HEADER

    seeded_events(catalogue_db)
    topology = Topology(retry_delay_ms=50)
    Relay(catalogue_db, connect(make_settings("catalogue", tmp_path)), service="catalogue",
          topology=topology).publish_pending()
    calls = []

    def always_fail(session, event):
        calls.append(event.id)
        raise RuntimeError("bug")

    stop = threading.Event()
    consumer = EventConsumer("enrolment", enrolment_db, connect(make_settings("enrolment", tmp_path)),
                             {events.OFFERING_SCHEDULED: always_fail}, stop, topology=topology, max_attempts=2)
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(calls) == 16)  # 8 offerings, two attempts each
        time.sleep(0.5)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert count(enrolment_db, InboxMessage) == 8  # the course events, handled
    with connect(make_settings("enrolment", tmp_path)) as connection:
        with connection.SimpleQueue(topology.dead_letter_queue("enrolment")) as queue:
            dead = [queue.get(timeout=1) for _ in range(8)]
    assert {m.headers[ATTEMPTS_HEADER] for m in dead} == {2}
    assert {m.headers[REASON_HEADER] for m in dead} == {"RuntimeError: bug"}


def test_a_database_outage_does_not_spend_a_messages_attempts(enrolment_db, catalogue_db, tmp_path):
    from sqlalchemy.exc import OperationalError

    scheduled = [e for e in seeded_events(catalogue_db) if e.type == events.OFFERING_SCHEDULED]
    Relay(catalogue_db, connect(make_settings("catalogue", tmp_path)), service="catalogue",
          topology=Topology(retry_delay_ms=50)).publish_pending()
    outage_left = [4]

    def database_away_for_a_while(session, event):
        if outage_left[0] > 0:
            outage_left[0] -= 1
            raise OperationalError("SELECT 1", {}, psycopg.OperationalError("server closed the connection unexpectedly"))
        HANDLERS[event.type](session, event)

    stop = threading.Event()
    consumer = EventConsumer("enrolment", enrolment_db, connect(make_settings("enrolment", tmp_path)),
                             {events.OFFERING_SCHEDULED: database_away_for_a_while}, stop,
                             topology=Topology(retry_delay_ms=50), max_attempts=2)
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: count(enrolment_db, Offering) == len(scheduled))
    finally:
        stop.set()
        thread.join(timeout=10)
    with connect(make_settings("enrolment", tmp_path)) as connection:
        with connection.SimpleQueue(Topology().dead_letter_queue("enrolment")) as queue:
            with pytest.raises(queue.Empty):
                queue.get(timeout=0.5)


def test_only_a_database_that_cannot_answer_counts_as_an_outage():
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DBAPIError

    from shared.db import is_database_outage

    with pytest.raises(DBAPIError) as wrong_statement:
        with create_engine("sqlite://").connect() as connection:
            connection.execute(text("SELECT * FROM no_such_table"))
    assert not is_database_outage(wrong_statement.value)  # our bug: retried, then dead-lettered
    with pytest.raises(DBAPIError) as refused:
        create_engine("postgresql+psycopg://postgres@127.0.0.1:1/nothing").connect()
    assert is_database_outage(refused.value)  # waited out without spending attempts


def test_the_embedded_broker_never_hands_out_a_message_still_being_written(tmp_path):
    """A consumer polling while a large message is written once took the empty file: a JSON error killed
    the consumer process, and the message was deleted unread."""
    import threading

    from kombu.exceptions import ChannelError
    from queue import Empty

    from shared.messaging.connection import connect
    from tests.support.environment import make_settings

    settings = make_settings("enrolment", tmp_path)
    sent = [{"number": number, "text": "ж" * 1_000_000} for number in range(20)]
    with connect(settings) as writer, connect(settings) as reader:
        writing, reading, received = writer.channel(), reader.channel(), []

        def take() -> bool:
            try:
                received.append(reading._get("q"))
            except Empty:
                return False
            except (ValueError, ChannelError) as exc:
                raise AssertionError(f"a message was read before it was whole: {exc!r}") from None
            return True

        thread = threading.Thread(target=lambda: [writing._put("q", message) for message in sent])
        thread.start()
        while thread.is_alive():
            take()
        thread.join()
        while take():
            pass
    assert sorted(message["number"] for message in received) == list(range(20))
    assert all(message["text"] == "ж" * 1_000_000 for message in received)


def test_processes_declaring_the_embedded_topology_at_once_keep_every_binding(tmp_path):
    """The launcher starts six workers that declare the topology together. The stock filesystem channel
    truncated an exchange's binding table before locking it: one worker read an empty table and died of
    the JSON error (taking the whole system down), or overwrote another's binding, whose queue then
    silently received nothing."""
    settings = make_settings("enrolment", tmp_path)
    binders, rounds = 6, 15
    for round_number in range(rounds):
        exchange = f"exchange-{round_number}"
        start, failures = threading.Barrier(binders), []

        def bind(number: int) -> None:
            with connect(settings) as connection:
                channel = connection.channel()
                start.wait()
                try:
                    channel._queue_bind(exchange, f"key-{number}", "", f"queue-{number}")
                    channel.get_table(exchange)
                except Exception as exc:  # noqa: BLE001 - any error is the failure this test looks for
                    failures.append(exc)

        threads = [threading.Thread(target=bind, args=(number,)) for number in range(binders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        with connect(settings) as connection:
            table = connection.channel().get_table(exchange)
        assert sorted(binding.queue for binding in table) == [f"queue-{number}" for number in range(binders)]


def test_data_that_breaks_the_contract_or_an_unknown_version_is_set_aside_at_once_with_the_reason(
        enrolment_db, tmp_path):
    from shared.messaging.envelope import Event
    from shared.messaging.redelivery import ATTEMPTS_HEADER, REASON_HEADER

    topology = Topology(retry_delay_ms=50)
    broken = Event(type=events.OFFERING_SCHEDULED, producer="catalogue",
                   data={**offering_snapshot(), "capacity": "many", "location": None})
    from_the_future = Event(type=events.OFFERING_SCHEDULED, producer="catalogue", data={}, version=2)
    with connect(make_settings("catalogue", tmp_path)) as connection:
        producer = Producer(connection.channel())
        topology.declare(producer.channel)
        for event in (broken, from_the_future):
            producer.publish(event.to_json(), exchange=events_exchange, routing_key=event.type, message_id=event.id,
                             content_type="application/json")
    calls = []
    stop = threading.Event()
    consumer = EventConsumer("enrolment", enrolment_db, connect(make_settings("enrolment", tmp_path)),
                             {events.OFFERING_SCHEDULED: lambda session, event: calls.append(event.id)}, stop,
                             topology=topology, max_attempts=5)
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        with connect(make_settings("enrolment", tmp_path)) as connection:
            with connection.SimpleQueue(topology.dead_letter_queue("enrolment")) as queue:
                dead = {m.properties["message_id"]: m.headers for m in [queue.get(timeout=20) for _ in range(2)]}
    finally:
        stop.set()
        thread.join(timeout=10)
    assert calls == [] and count(enrolment_db, InboxMessage) == 0
    assert dead[broken.id][ATTEMPTS_HEADER] == 0  # not retried: it would not match the next time either
    assert "does not match the contract" in dead[broken.id][REASON_HEADER]
    assert "capacity" in dead[broken.id][REASON_HEADER] and "location" in dead[broken.id][REASON_HEADER]
    assert "unknown version 2 of catalogue.offering.scheduled" in dead[from_the_future.id][REASON_HEADER]
