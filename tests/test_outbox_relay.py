"""The outbox and the relay, on SQLite and the embedded filesystem transport."""

import threading

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from catalogue.models import Course
from catalogue.seed import COURSES, seed_catalogue
from shared.messaging.connection import connect
from shared import events
from shared.messaging.outbox import OutboxMessage, count_pending, record_event, write_events
from shared.messaging.relay import Relay
from tests.support.delivery import drain
from tests.support.environment import make_settings
from tests.support.payloads import seeded_events

EVENTS_PER_SEED = 2 * len(COURSES)  # each demo course is published and scheduled once


def published_metric() -> float:
    return REGISTRY.get_sample_value("events_published_total", {"service": "catalogue"}) or 0.0


def test_events_commit_or_roll_back_with_the_change_that_caused_them(catalogue_db):
    with pytest.raises(RuntimeError):
        with catalogue_db.transaction() as session:
            seed_catalogue(session)
            raise RuntimeError("the request failed after the change")

    with catalogue_db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Course)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_events_written_at_once_follow_those_recorded_before_them_and_roll_back_with_them(catalogue_db):
    archived = {"course_id": "course-1", "version": 2}
    with pytest.raises(RuntimeError):
        with catalogue_db.transaction() as session:
            write_events(session, "catalogue", [(events.COURSE_ARCHIVED, archived)])
            raise RuntimeError("the request failed after the change")
    with catalogue_db.transaction() as session:
        first = record_event(session, "catalogue", events.COURSE_ARCHIVED, archived)
        then = write_events(session, "catalogue", [(events.COURSE_ARCHIVED, archived)] * 2)
    with catalogue_db.reading() as session:
        written = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [row.event_id for row in written] == [first.id, *(event.id for event in then)]
    assert {(row.event_type, row.attempts, row.published_at) for row in written} == {(events.COURSE_ARCHIVED, 0, None)}


def test_the_relay_publishes_every_pending_event_oldest_first_and_marks_it(catalogue_db, tmp_path):
    events = seeded_events(catalogue_db)
    connection = connect(make_settings("catalogue", tmp_path))
    published_before = published_metric()

    assert Relay(catalogue_db, connection, service="catalogue").publish_pending() == EVENTS_PER_SEED
    assert published_metric() - published_before == EVENTS_PER_SEED

    with catalogue_db.transaction() as session:
        assert count_pending(session) == 0
    received = drain(connection.clone(), "enrolment")
    # The embedded transport orders by millisecond only; consumers never rely on order.
    assert sorted(m.properties["message_id"] for m in received) == sorted(e.id for e in events)
    by_id = {e.id: e for e in events}
    for message in received:
        assert message.properties["type"] == by_id[message.properties["message_id"]].type
        assert message.content_type == "application/json"
    assert drain(connection.clone(), "notifications") == []  # not subscribed to course or scheduled events


def test_a_second_sweep_publishes_nothing_again(catalogue_db, tmp_path):
    seeded_events(catalogue_db)
    relay = Relay(catalogue_db, connect(make_settings("catalogue", tmp_path)), service="catalogue")
    relay.publish_pending()
    assert relay.publish_pending() == 0


def test_a_relay_that_cannot_reach_the_broker_keeps_every_event_pending(catalogue_db, tmp_path):
    seeded_events(catalogue_db)
    settings = make_settings("catalogue", tmp_path, amqp_url="amqp://guest:guest@127.0.0.1:1//")

    with pytest.raises(Exception):
        Relay(catalogue_db, connect(settings), service="catalogue").publish_pending()

    with catalogue_db.transaction() as session:
        assert count_pending(session) == EVENTS_PER_SEED


def test_a_running_relay_backs_off_while_the_broker_is_down_and_stops_when_asked(catalogue_db, tmp_path):
    seeded_events(catalogue_db)
    settings = make_settings("catalogue", tmp_path, amqp_url="amqp://guest:guest@127.0.0.1:1//")
    stop = threading.Event()
    worker = threading.Thread(target=Relay(catalogue_db, connect(settings), service="catalogue").run, args=(stop,))
    worker.start()
    stop.wait(1.5)
    stop.set()
    worker.join(timeout=10)  # docker stop's grace period before it kills
    assert not worker.is_alive()
    with catalogue_db.transaction() as session:
        assert count_pending(session) == EVENTS_PER_SEED
