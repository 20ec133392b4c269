"""docker-compose.yml's own commands and environment, run on this host against the local RabbitMQ,
PostgreSQL and an SMTP server: one enrolment travels from HTTP to a delivered email.

The containers' processes run as plain processes, so this needs no Docker engine (only docker-compose, to
read the file): compose's hostnames are mapped to 127.0.0.1, its databases and vhost to throwaway ones, and
each web container's port 8000 to a free local port, its /tmp to a folder of its own. Everything else is
exactly what compose would run. It runs with the containers tests (`make test-containers`), which are
about the same file.
"""

import os
import re
import subprocess
import sys

import httpx
import pytest
import yaml

from shared.http.demo_tokens import demo_token
from tests.support.containers import ROOT, require_docker_compose
from tests.support.environment import wait_for
from tests.support.payloads import course_payload, offering_payload
from tests.support.servers import free_port

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq, pytest.mark.e2e, pytest.mark.containers]

JWT_SECRET = "a-deployment-test-secret-that-is-long-enough"
ISSUER, AUDIENCE = "https://login.lumc-ssmu.invalid/realms/exchange", "course-exchange"
ANNA_TOKEN = demo_token(JWT_SECRET, role="student", institution="SSMU", sub="anna", name="Анна Смирнова",
                        email="anna@ssmu.ru", issuer=ISSUER, audience=AUDIENCE)
APP_SERVICES = ("catalogue-web", "catalogue-relay", "catalogue-consumer", "enrolment-web", "enrolment-relay",
                "enrolment-consumer", "notifications-web", "notifications-relay", "notifications-consumer",
                "notifications-mailer", "web")


def resolved_compose(smtp_port: int) -> dict:
    require_docker_compose()
    env = {**os.environ, "JWT_SECRET": JWT_SECRET, "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE, "WEB_SECRET_KEY": "a-web-secret-key-that-is-long-enough-too",
           "POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": "trusted",
           "RABBITMQ_USER": "guest", "RABBITMQ_PASSWORD": "guest", "SMTP_HOST": "mailpit",
           "SMTP_PORT": str(smtp_port)}
    result = subprocess.run(["docker-compose", "config"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60, check=True)
    return yaml.safe_load(result.stdout)["services"]


def on_this_host(environment: dict, databases: dict[str, str], vhost: str, ports: dict[str, int]) -> dict[str, str]:
    """Point compose's hostnames at this machine, and its databases and vhost at throwaway ones."""
    mapped = {}
    for name, value in environment.items():
        value = str(value)
        value = re.sub(r"^http://([\w-]+):8000$", lambda m: f"http://127.0.0.1:{ports[m.group(1)]}", value)
        value = re.sub(r"@postgres:5432/(\w+)", lambda m: f"@127.0.0.1:5432/{databases[m.group(1)]}", value)
        value = value.replace("@rabbitmq:5672/", f"@127.0.0.1:5672/{vhost}")
        mapped[name] = "127.0.0.1" if value == "mailpit" else value
    return mapped


def host_command(command: list[str], port: int | None) -> list[str]:
    """The container's command as a process here: our Python, and the web port mapped."""
    if command[0] == "gunicorn":
        command = ["-m", "gunicorn", *command[1:]]
    elif command[0] == "python":
        command = command[1:]
    command = [sys.executable, *command]
    if port is not None:
        command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    return command


def test_compose_processes_take_an_enrolment_to_a_delivered_email(tmp_path, postgres_database_factory, amqp_url,
                                                                 smtp_server):
    services = resolved_compose(smtp_server.port)
    databases = {name: postgres_database_factory(name).rsplit("/", 1)[1]
                 for name in ("catalogue", "enrolment", "notifications")}
    vhost = amqp_url.rsplit("/", 1)[1]

    ports = {name: free_port() for name in APP_SERVICES if name == "web" or name.endswith("-web")}

    def start(name: str, port: int | None = None) -> subprocess.Popen:
        service = services[name]
        env = {**os.environ, "DATA_DIR": str(tmp_path),
               **on_this_host(service["environment"], databases, vhost, ports)}
        if "PROMETHEUS_MULTIPROC_DIR" in env:  # a container's own /tmp; here each needs its own folder
            env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / name / "prometheus")
        if "METRICS_PORT" in env:  # a port of the container's own; here each needs a port of its own
            env["METRICS_PORT"] = str(free_port())
        log = open(tmp_path / f"{name}.log", "w")
        return subprocess.Popen(host_command(service["command"], port), cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)

    migrate = start("migrate")
    assert migrate.wait(timeout=120) == 0, (tmp_path / "migrate.log").read_text()[-2000:]

    processes = {name: start(name, ports.get(name)) for name in APP_SERVICES}
    try:
        urls = {name.removesuffix("-web"): f"http://127.0.0.1:{port}" for name, port in ports.items()}
        front_end = urls.pop("web")
        for url in urls.values():
            wait_for(lambda url=url: ready(url), 90)
        drive_one_enrolment(urls)
        wait_for(lambda: smtp_server.messages, 60)
        (mail,) = smtp_server.messages
        assert mail["To"] == "Анна Смирнова <anna@ssmu.ru>"
        assert "Место на курсе" in mail["Subject"]
        assert all(process.poll() is None for process in processes.values())
        metrics = httpx.get(f"{urls['enrolment']}/metrics").text  # summed over gunicorn's workers
        assert 'http_requests_total{endpoint="/api/v1/enrolments",method="POST",service="enrolment",status="201"} 1.0' \
            in metrics
        # The front end, behind the identity-aware proxy, shows Anna her seat in Russian.
        wait_for(lambda: ready(front_end), 30)
        page = httpx.get(f"{front_end}/me/enrolments", headers={"X-Forwarded-Access-Token": ANNA_TOKEN}).text
        assert "Анна Смирнова" in page and "Подтверждена" in page  # enrolment (запись) is feminine
        assert httpx.post(f"{front_end}/signin", data={"person": "ssmu-student"}).status_code in (400, 404)
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            process.wait(timeout=30)


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def drive_one_enrolment(urls: dict[str, str]) -> None:
    coordinator = {"Authorization": "Bearer " + demo_token(JWT_SECRET, role="coordinator", institution="LUMC",
                                                            issuer=ISSUER, audience=AUDIENCE)}
    anna = {"Authorization": "Bearer " + ANNA_TOKEN}
    catalogue = httpx.Client(base_url=urls["catalogue"], timeout=10)
    course = catalogue.post("/api/v1/courses", json=course_payload(), headers=coordinator).json()
    catalogue.post(f"/api/v1/courses/{course['id']}/publish", headers=coordinator)
    offering = catalogue.post(f"/api/v1/courses/{course['id']}/offerings", json=offering_payload(),
                              headers=coordinator).json()
    enrolment = httpx.Client(base_url=urls["enrolment"], timeout=10)
    wait_for(lambda: enrolment.get(f"/api/v1/offerings/{offering['id']}/seats").status_code == 200, 30)
    answer = enrolment.post("/api/v1/enrolments", json={"offering_id": offering["id"]}, headers=anna)
    assert answer.status_code == 201 and answer.json()["status"] == "confirmed"
