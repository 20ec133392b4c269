"""The catalogue's events as a foreign client reads them from the real RabbitMQ."""

import json

import pika
import pytest

from shared.db import Database
from shared.messaging.connection import connect
from shared.messaging.relay import Relay
from shared.messaging.topology import Topology, queue_name
from tests.support.environment import make_settings
from tests.support.payloads import bearer, course_payload, offering_payload

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]

COORDINATOR = bearer("coordinator", "LUMC")


def read_queue(amqp_url: str, service: str) -> list[tuple[pika.BasicProperties, dict]]:
    """Take every message from a service's queue with pika, as another system would."""
    received = []
    with pika.BlockingConnection(pika.URLParameters(amqp_url)) as connection:
        channel = connection.channel()
        while True:
            method, properties, body = channel.basic_get(queue_name(service), auto_ack=True)
            if method is None:
                return received
            received.append((properties, json.loads(body)))


def test_course_and_offering_changes_reach_the_subscribed_queues_with_what_consumers_need(
        service_app, postgres_url, amqp_url, tmp_path):
    client = service_app("catalogue", database_url=postgres_url).test_client()
    course = client.post("/api/v1/courses", json=course_payload(), headers=COORDINATOR).get_json()
    client.post(f"/api/v1/courses/{course['id']}/publish", headers=COORDINATOR)
    offering = client.post(f"/api/v1/courses/{course['id']}/offerings", json=offering_payload(),
                           headers=COORDINATOR).get_json()
    client.patch(f"/api/v1/offerings/{offering['id']}", json={"location": "Online"},
                 headers={**COORDINATOR, "If-Match": '"1"'})
    client.post(f"/api/v1/offerings/{offering['id']}/cancel", json={"reason": "Lecturer ill"},
                headers=COORDINATOR)

    settings = make_settings("catalogue", tmp_path, postgres_url, amqp_url)
    with connect(settings) as connection:
        Topology().declare(connection.channel())
    db = Database(settings.database_url)
    assert Relay(db, connect(settings), service="catalogue").publish_pending() == 4
    db.dispose()

    enrolment = read_queue(amqp_url, "enrolment")
    assert [body["type"] for _, body in enrolment] == [
        "catalogue.course.published", "catalogue.offering.scheduled", "catalogue.offering.updated",
        "catalogue.offering.cancelled"]
    notifications = read_queue(amqp_url, "notifications")
    assert [body["type"] for _, body in notifications] == ["catalogue.offering.updated",
                                                           "catalogue.offering.cancelled"]

    properties, scheduled = enrolment[1]
    assert properties.message_id == scheduled["id"] and properties.type == scheduled["type"]
    assert properties.content_type == "application/json" and properties.delivery_mode == 2
    assert scheduled["producer"] == "catalogue" and scheduled["version"] == 1
    data = scheduled["data"]
    assert data["offering_id"] == offering["id"] and data["course_code"] == "IMM-700"
    assert data["course_title"]["ru"] == course_payload()["title"]["ru"]
    assert data["institution"] == "LUMC" and data["coordinators"] == ["lumc-coordinator"]
    assert (data["capacity"], data["waitlist"], data["status"]) == (20, True, "scheduled")
    assert data["enrolment_opens_at"].startswith("2026-01-01T08:00:00")
    assert data["course_status"] == "published"

    updated = notifications[0][1]["data"]
    assert updated["changes"] == {"location": {"from": "LUMC, Leiden", "to": "Online"}}
    cancelled = notifications[1][1]["data"]
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "Lecturer ill")
