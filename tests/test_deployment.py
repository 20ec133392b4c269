"""docker-compose.yml: valid, and every process it starts is one this code base provides."""

import os
import re
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
               "WEB_SECRET_KEY": "w" * 40, "SMTP_HOST": "smtp.lumc.example"}


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
    assert services["notifications-mailer"]["environment"]["SMTP_HOST"] == "smtp.lumc.example"


def test_the_web_front_end_serves_port_8000_and_reaches_the_services_by_their_compose_names(compose):
    from services.launcher import WEB_APP_FACTORY

    web = compose["services"]["web"]
    assert web["command"][-1] == WEB_APP_FACTORY
    assert "ports" not in web  # reached through the proxy only
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
            "web/static/seats.js", "web/translations/ru/LC_MESSAGES/messages.po"} <= names


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


def published(service: dict) -> list[tuple[str, str]]:
    """(host address, host port) of each port the service publishes, in either form Compose prints."""
    ports = []
    for port in service.get("ports", []):
        if isinstance(port, str):  # "[address:]published:target"
            parts = port.split(":")
            ports.append((parts[0] if len(parts) == 3 else "0.0.0.0", parts[-2]))
        else:
            ports.append((port.get("host_ip", "0.0.0.0"), str(port["published"])))
    return ports


def test_only_the_proxy_is_public_and_each_api_answers_on_loopback(compose):
    services = compose["services"]
    assert published(services["proxy"]) == [("0.0.0.0", "8000"), ("127.0.0.1", "8001"), ("127.0.0.1", "8002"),
                                             ("127.0.0.1", "8003")]
    for name, service in services.items():
        if name not in ("proxy", "mailpit"):
            assert published(service) == [], f"{name} must not be published: the proxy is in front"


def test_mail_goes_to_a_real_relay_and_mailpit_only_in_the_dev_profile(compose):
    assert compose["services"]["mailpit"]["profiles"] == ["dev"]
    assert published(compose["services"]["mailpit"]) == [("127.0.0.1", "8025")]
    env = {k: v for k, v in os.environ.items() if k != "SMTP_HOST"} | {k: v for k, v in COMPOSE_ENV.items() if k != "SMTP_HOST"}
    result = subprocess.run(["docker-compose", "config", "-q"], cwd=ROOT, capture_output=True, text=True, env=env,
                            timeout=60)
    assert result.returncode != 0 and "set SMTP_HOST" in result.stderr


def test_relays_consumers_and_the_mailer_serve_metrics_and_are_health_checked_on_it(compose):
    for name, service in compose["services"].items():
        if name.endswith(("-relay", "-consumer", "-mailer")):
            port = service["environment"]["METRICS_PORT"]
            assert service["healthcheck"]["test"][-1] == f"http://127.0.0.1:{port}/metrics"


def nginx_route(config: str, path: str) -> str:
    """Which `proxy_pass $upstream` nginx picks for `path`: exact, then regex in order, then longest prefix."""
    locations = re.findall(r"location\s+(=|~)?\s*(\S+)\s*\{(.*?)\}", config, re.S)
    def target(body: str) -> str:
        found = re.search(r"proxy_pass \$(\w+)", body)
        return found.group(1) if found else "none"
    for kind, pattern, body in locations:
        if kind == "=" and path == pattern:
            return target(body)
    for kind, pattern, body in locations:
        if kind == "~" and re.search(pattern, path):
            return target(body)
    prefixes = [(pattern, body) for kind, pattern, body in locations if not kind and path.startswith(pattern)]
    return target(max(prefixes, key=lambda item: len(item[0]))[1])


@pytest.mark.parametrize("service", SERVICES)
def test_the_proxy_routes_every_api_path_to_the_service_that_owns_it(service_app, service):
    config = (ROOT / "deploy/nginx/default.conf").read_text()
    spec = service_app(service).test_client().get("/openapi.json").get_json()
    api_paths = [re.sub(r"\{[^}]+\}", "7f3c0c1e-0000-4000-8000-000000000000", path) for path in spec["paths"]
                 if path.startswith("/api/")]
    assert api_paths
    assert {path: nginx_route(config, path) for path in api_paths} == {path: service for path in api_paths}
    assert nginx_route(config, f"/{service}/openapi.json") == service
    assert nginx_route(config, "/metrics") == "none" and nginx_route(config, "/courses/x") == "web"


def test_each_api_is_also_on_its_loopback_port_through_the_proxy():
    config = (ROOT / "deploy/nginx/apis.conf").read_text()
    routes = dict(re.findall(r"listen (\d+);\s*set \$upstream http://(\w+)-web:8000;", config))
    assert routes == {"8001": "catalogue", "8002": "enrolment", "8003": "notifications"}


def test_the_health_check_command_passes_only_on_a_2xx_answer():
    """`python -m services.healthcheck URL`: what Docker runs to decide a container is healthy."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Answer(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/ok" else 503)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        def check(*args: str, **env: str) -> int:
            return subprocess.run([sys.executable, "-m", "services.healthcheck", *args], cwd=ROOT, timeout=30,
                                  capture_output=True, env={**os.environ, **env}).returncode
        assert check(f"{base}/ok") == 0
        assert check(f"{base}/not-ready") == 1
        assert check(METRICS_PORT=str(server.server_port)) == 1  # a worker's /metrics: here a 503
        assert check("http://127.0.0.1:9/") == 1  # nothing listens
    finally:
        server.shutdown()
