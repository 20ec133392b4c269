"""docker-compose.yml: valid, and every process it starts is one this code base provides."""

import os
import sys
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from services.__main__ import build_parser
from services.registry import app_factory_path
from shared.config import SERVICES

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_ENV = {"JWT_SECRET": "s" * 40, "POSTGRES_PASSWORD": "pg-secret", "RABBITMQ_PASSWORD": "mq-secret",
               "WEB_SECRET_KEY": "w" * 40}


def require_docker_compose() -> None:
    if shutil.which("docker-compose") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but docker-compose is not installed (.ci/run installs it)")
        pytest.skip("docker-compose is not installed: apt-get install docker-compose")


@pytest.fixture(scope="module")
def compose() -> dict:
    require_docker_compose()
    result = subprocess.run(["docker-compose", "config"], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, **COMPOSE_ENV}, timeout=60)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_the_compose_file_refuses_to_start_without_its_secrets():
    require_docker_compose()
    env = {k: v for k, v in os.environ.items() if k not in COMPOSE_ENV}
    result = subprocess.run(["docker-compose", "config", "-q"], cwd=ROOT, capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode != 0
    assert any(f"set {name}" in result.stderr for name in COMPOSE_ENV), result.stderr


def test_every_service_has_a_web_a_relay_and_a_consumer(compose):
    services = compose["services"]
    for service in SERVICES:
        assert services[f"{service}-web"]["command"][-1] == app_factory_path(service)
        assert services[f"{service}-relay"]["command"] == ["python", "-m", "services", "relay", service]
        assert services[f"{service}-consumer"]["command"] == ["python", "-m", "services", "consumer", service]
    assert services["notifications-mailer"]["command"] == ["python", "-m", "services", "mailer"]
    assert services["notifications-mailer"]["environment"]["SMTP_HOST"] == "mailpit"


def test_the_web_front_end_serves_port_8000_and_reaches_the_services_by_their_compose_names(compose):
    from services.launcher import WEB_APP_FACTORY

    web = compose["services"]["web"]
    assert web["command"][-1] == WEB_APP_FACTORY
    assert any(str(port.get("published")) == "8000" and port.get("target") == 8000 for port in web["ports"])
    for service in SERVICES:
        url = web["environment"][f"{service.upper()}_URL"]
        assert url == f"http://{service}-web:8000" and f"{service}-web" in compose["services"]
        assert web["depends_on"][f"{service}-web"]["condition"] == "service_healthy"
    assert web["environment"]["APP_ENV"] == "production" and web["environment"]["WEB_SECRET_KEY"] == "w" * 40
    assert not any("DATABASE_URL" in name or name == "AMQP_URL" for name in web["environment"])


def test_worker_commands_are_commands_of_our_cli(compose):
    parser = build_parser()
    for name, service in compose["services"].items():
        command = service.get("command") or []
        if command[:3] == ["python", "-m", "services"]:
            parser.parse_args(command[3:])  # exits (fails the test) on an unknown command


def test_web_processes_wait_for_migrations_and_healthy_servers(compose):
    services = compose["services"]
    for service in SERVICES:
        depends = services[f"{service}-web"]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["rabbitmq"]["condition"] == "service_healthy"
        assert services[f"{service}-web"]["environment"]["APP_ENV"] == "production"


def test_the_image_runs_as_a_non_root_user_without_secrets():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "\nUSER " in dockerfile and "HEALTHCHECK" in dockerfile
    assert "JWT_SECRET" not in dockerfile and "PASSWORD" not in dockerfile


def test_the_installed_package_carries_migrations_and_seed_data(tmp_path):
    """The image installs a wheel, not the source tree: what the services read at run time must be in it."""
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for service in SERVICES:
        assert f"{service}/migrations/env.py" in names
        assert any(n.startswith(f"{service}/migrations/versions/") and n.endswith(".py") for n in names)
    assert "catalogue/seed_courses.json" in names
    assert "services/gunicorn_conf.py" in names
    assert {"web/templates/base.html", "web/templates/manage/offering.html", "web/static/style.css",
            "web/static/seats.js"} <= names


def test_the_dockerfile_passes_hadolint():
    hadolint = Path(sys.executable).with_name("hadolint")
    result = subprocess.run([str(hadolint), "--failure-threshold", "info", str(ROOT / "Dockerfile")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_scaled_out_workers_need_no_fixed_names_or_ports(compose):
    """`docker compose up --scale enrolment-consumer=3` works: workers compete, nothing collides."""
    for name, service in compose["services"].items():
        if name.endswith(("-relay", "-consumer", "-mailer")):
            assert "ports" not in service and "container_name" not in service
