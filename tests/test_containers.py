"""The real containers: `make up` builds the image and starts docker-compose.yml; people use it through
the reverse proxy while the enrolment containers and PostgreSQL restart under them; a backup restored
into a new stack has every course and enrolment; `make down` removes it all.

Needs a Docker engine (skipped without one, failing under CI=true). Third-party images are stand-ins
built from Debian's packages (deploy/stand-ins/), since no image registry is reachable here.
"""

from __future__ import annotations

import concurrent.futures
import socket
import subprocess
import threading
import time
from collections import Counter

import httpx
import pytest

from tests.support.containers import Stack, enrol_until_answered, require_docker, schedule_offering, student_headers
from tests.support.environment import wait_for
from tests.support.payloads import course_payload
from tests.support.servers import self_signed_certificate

pytestmark = [pytest.mark.containers]

STUDENTS = 60
CAPACITY = 20
FIRST_DURING_THE_DATABASE_RESTART = 40  # this student and those after enrol while PostgreSQL restarts
DATABASES = ("catalogue", "enrolment", "notifications")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    require_docker()
    # Clients retry through the restarts; the per-student rate limit is not what this test is about.
    stack = Stack.new(tmp_path_factory.mktemp("stack"), ENROLMENT_RATE_LIMIT="1000/minute")
    try:
        printed = stack.make("up")
        assert f"http://127.0.0.1:{stack.env['HTTP_PORT']}/" in printed
        yield stack
    finally:
        stack.make("down")


def test_people_use_it_through_the_proxy_while_containers_restart(stack):
    client = httpx.Client(base_url=stack.proxy, timeout=15)
    course, offering = schedule_offering(stack, client, CAPACITY)
    seats_path = f"/api/v1/offerings/{offering['id']}/seats"
    wait_for(lambda: client.get(seats_path).status_code == 200, 60)

    answered: list[dict] = []
    deadline = time.monotonic() + 240

    def enrol(number: int) -> None:
        answered.append(enrol_until_answered(client, student_headers(stack, number), offering["id"], deadline))

    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        before = [pool.submit(enrol, number) for number in range(FIRST_DURING_THE_DATABASE_RESTART)]
        wait_for(lambda: len(answered) >= 15, 120)
        stack.compose("restart", "enrolment-web", "enrolment-relay", "enrolment-consumer")
        for future in before:
            future.result()
        # The last students come as the database restarts (on a fast machine they would otherwise all have
        # been answered before it went down).
        restart = pool.submit(stack.compose, "restart", "postgres")
        during = [pool.submit(enrol, number) for number in range(FIRST_DURING_THE_DATABASE_RESTART, STUDENTS)]
        for future in [restart, *during]:
            future.result()

    assert len({entry["student_id"] for entry in answered}) == STUDENTS
    assert Counter(entry["status"] for entry in answered) == {"confirmed": CAPACITY, "waitlisted": STUDENTS - CAPACITY}

    coordinator = stack.token("coordinator", "LUMC")
    roster_path = f"/api/v1/offerings/{offering['id']}/roster"
    wait_for(lambda: client.get(roster_path, headers=coordinator).status_code == 200, 60)  # the database is back
    roster = client.get(roster_path, headers=coordinator).json()
    assert len(roster) == STUDENTS and len({entry["student_id"] for entry in roster}) == STUDENTS
    assert sum(entry["status"] == "confirmed" for entry in roster) == CAPACITY
    assert sorted(entry["waitlist_position"] for entry in roster if entry["status"] == "waitlisted") == \
        list(range(1, STUDENTS - CAPACITY + 1))

    # Every student is told once, in the inbox and by one email; the catalogue shows the live seats.
    def inbox(number: int) -> list[dict]:
        return client.get("/api/v1/notifications/me", headers=student_headers(stack, number)).json()

    for number in range(STUDENTS):
        wait_for(lambda: inbox(number), 60)
    wait_for(lambda: len(stack.emails()) >= STUDENTS, 120)
    time.sleep(3)  # a duplicate would arrive late: give it the chance to
    assert all(len(inbox(number)) == 1 for number in range(STUDENTS))
    recipients = Counter(address["Address"] for email in stack.emails() for address in email["To"])
    assert recipients == {f"student{number}@example.org": 1 for number in range(STUDENTS)}
    expected_seats = {"capacity": CAPACITY, "confirmed": CAPACITY, "available": 0,
                      "waitlisted": STUDENTS - CAPACITY}
    wait_for(lambda: expected_seats.items() <= client.get(f"/api/v1/offerings/{offering['id']}").json()["seats"].items(), 60)


def test_the_front_end_and_the_apis_share_one_public_port(stack):
    client = httpx.Client(base_url=stack.proxy, timeout=15)
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert client.get("/api/v1/courses").status_code == 200
    for service in DATABASES:
        assert client.get(f"/{service}/openapi.json").json()["info"]["title"]
    assert client.get("/metrics").status_code == 404
    unknown = client.get("/api/v1/nothing-here")
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
    # The same token works on the loopback port of each API, as with `make run`.
    direct = httpx.get(f"http://127.0.0.1:{stack.env['NOTIFICATIONS_PORT']}/api/v1/preferences/me",
                       headers=stack.token("student", "SSMU"), timeout=15)
    assert direct.status_code == 200 and direct.json()["locale"] == "ru"


def test_slow_clients_do_not_hold_the_apis(stack):
    """Clients that send a header line every 2 s occupy the proxy, never a gunicorn worker."""
    stop = threading.Event()

    def trickle() -> None:
        with socket.create_connection(("127.0.0.1", int(stack.env["HTTP_PORT"])), timeout=30) as sock:
            sock.sendall(b"GET /api/v1/enrolments/me HTTP/1.1\r\nHost: x\r\n")
            while not stop.wait(2):
                sock.sendall(b"X-Slow: 1\r\n")

    slow = [threading.Thread(target=trickle, daemon=True) for _ in range(16)]
    for thread in slow:
        thread.start()
    try:
        time.sleep(3)
        client = httpx.Client(base_url=stack.proxy, timeout=5)
        for _ in range(10):
            answer = client.get("/api/v1/enrolments/me", headers=stack.token("student", "SSMU"))
            assert answer.status_code == 200
    finally:
        stop.set()


def test_a_backup_restored_into_a_new_stack_has_every_course_and_enrolment(stack):
    client = httpx.Client(base_url=stack.proxy, timeout=15)
    coordinator = stack.token("coordinator", "LUMC")
    courses = client.get("/api/v1/courses", params={"per_page": 100}).json()
    course = next(course for course in courses if course["code"] == course_payload()["code"])
    offering = client.get(f"/api/v1/courses/{course['id']}/offerings").json()[0]
    roster = client.get(f"/api/v1/offerings/{offering['id']}/roster", headers=coordinator).json()
    assert roster, "the scenario test runs first and fills the roster"

    user = stack.setting("POSTGRES_USER")
    dumps = {name: stack.compose("exec", "-T", "postgres", "pg_dump", "-U", user, "-Fc", name)
             for name in DATABASES}
    stack.make("down")
    # The operator's restore (docs/operations.md): PostgreSQL alone on a fresh volume, the dumps, then up.
    stack.compose("up", "-d", "postgres")
    wait_for(lambda: stack.health("postgres") == "healthy", 120)
    for name, dump in dumps.items():
        stack.compose("exec", "-T", "postgres", "pg_restore", "-U", user, "-d", name, "--no-owner", input=dump)
    stack.make("up")

    assert client.get(f"/api/v1/courses/{course['id']}").json()["title"] == course["title"]
    assert [row["id"] for row in client.get("/api/v1/courses", params={"per_page": 100}).json()] == \
        [row["id"] for row in courses]
    restored = client.get(f"/api/v1/offerings/{offering['id']}/roster", headers=coordinator).json()
    assert restored == roster


def test_the_proxy_configuration_with_tls_is_valid(tmp_path):
    """deploy/tls.yml's mounts: nginx accepts the whole configuration with a certificate in place."""
    require_docker()
    from tests.support.containers import ROOT, stand_in_images

    self_signed_certificate(tmp_path)
    nginx = ROOT / "deploy/nginx"
    mounts = [f"{nginx}/default.conf:/etc/nginx/conf.d/default.conf:ro", f"{nginx}/apis.conf:/etc/nginx/conf.d/apis.conf:ro",
              f"{nginx}/tls.inc:/etc/nginx/conf.d/tls.inc:ro", f"{tmp_path}:/etc/nginx/tls:ro"]
    command = ["docker", "run", "--rm", *[arg for mount in mounts for arg in ("-v", mount)],
               stand_in_images()["PROXY_IMAGE"], "nginx", "-t"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "test is successful" in result.stderr, result.stderr


def test_the_images_own_health_check_turns_a_web_container_healthy(stack):
    """The Dockerfile's HEALTHCHECK, as a container run without compose gets it."""
    image = stack.env.get("APP_IMAGE", "course-exchange:latest")
    command = ["docker", "run", "-d", "--rm", image, "gunicorn", "-c", "python:services.gunicorn_conf", "--bind",
               "0.0.0.0:8000", "catalogue.app:create_app()"]
    container = subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    try:
        def health() -> str:
            return subprocess.run(["docker", "inspect", "-f", "{{.State.Health.Status}}", container],
                                  capture_output=True, text=True, timeout=30).stdout.strip()
        wait_for(lambda: health() != "starting", 90)
        assert health() == "healthy"
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True, timeout=60)
