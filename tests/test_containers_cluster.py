"""Scale-out on a three-node RabbitMQ cluster (deploy/cluster.yml): quorum queues, two replicas of every
relay, consumer and web container. A seat rush of 300 students through the proxy while one RabbitMQ
node is stopped and one relay replica killed: everyone is told while the node is still down, nobody
twice (also once it is back), nobody oversold.
"""

from __future__ import annotations

import concurrent.futures
import subprocess
import time
from collections import Counter

import httpx
import pytest

from tests.conftest import wait_for
from tests.containers import Stack, require_docker
from tests.test_containers import enrol_until_answered, schedule_offering, student_headers

pytestmark = [pytest.mark.containers]

STUDENTS = 300
CAPACITY = 50


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    require_docker()
    stack = Stack.new(tmp_path_factory.mktemp("cluster"), COMPOSE_FILE="docker-compose.yml:deploy/cluster.yml",
                      WAIT_SECONDS="600")
    try:
        stack.make("up")
        yield stack
    finally:
        stack.make("down")


def test_a_seat_rush_survives_a_lost_broker_node_and_a_killed_relay(cluster):
    client = httpx.Client(base_url=cluster.proxy, timeout=30)
    _course, offering = schedule_offering(cluster, client, capacity=CAPACITY)
    wait_for(lambda: client.get(f"/api/v1/offerings/{offering['id']}/seats").status_code == 200, 60)
    relays = cluster.compose("ps", "-q", "enrolment-relay").decode().split()
    assert len(relays) == 2, "two replicas of every relay"

    answered: list[dict] = []
    deadline = time.monotonic() + 300

    def rush(numbers: range) -> None:
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            answered.extend(pool.map(lambda number: enrol_until_answered(
                client, student_headers(cluster, number), offering["id"], deadline), numbers))

    rush(range(0, 100))
    # The node every process connects to first goes away, and so does one relay replica.
    cluster.compose("stop", "rabbitmq")
    subprocess.run(["docker", "kill", relays[0]], check=True, capture_output=True, timeout=60)
    rush(range(100, STUDENTS))
    # Everyone is told while that node is still down: the others took over its connections and queues.
    wait_for(lambda: len(cluster.emails()) >= STUDENTS, 240)
    cluster.compose("start", "rabbitmq")
    wait_for(lambda: cluster.health("rabbitmq") == "healthy", 120)

    assert Counter(entry["status"] for entry in answered) == {"confirmed": CAPACITY, "waitlisted": STUDENTS - CAPACITY}
    coordinator = cluster.token("coordinator", "LUMC")
    roster = client.get(f"/api/v1/offerings/{offering['id']}/roster", headers=coordinator).json()
    assert len({entry["student_id"] for entry in roster}) == len(roster) == STUDENTS
    assert sorted(e["waitlist_position"] for e in roster if e["status"] == "waitlisted") == \
        list(range(1, STUDENTS - CAPACITY + 1))

    # Every enrolment's event reached the notifications service and the mail catcher exactly once.
    time.sleep(5)  # a duplicate would arrive late, after the node's return: give it the chance to
    recipients = Counter(address["Address"] for email in cluster.emails() for address in email["To"])
    assert recipients == {f"student{number}@example.org": 1 for number in range(STUDENTS)}
    for number in range(0, STUDENTS, 15):
        inbox = client.get("/api/v1/notifications/me", headers=student_headers(cluster, number)).json()
        assert len(inbox) == 1
    expected_seats = {"capacity": CAPACITY, "confirmed": CAPACITY, "available": 0, "waitlisted": STUDENTS - CAPACITY}
    wait_for(lambda: expected_seats.items() <= client.get(f"/api/v1/offerings/{offering['id']}").json()["seats"].items(), 120)
