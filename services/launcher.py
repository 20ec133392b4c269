"""`python -m services run`: every web app, relay and consumer of the system, supervised together."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Callable

from catalogue.seed import seed_catalogue
from services.registry import app_factory_path
from shared.config import SERVICES, Settings
from shared.db import Database
from shared.migrations import upgrade
from web.config import WebSettings

GUNICORN_CONFIG = "python:services.gunicorn_conf"  # gunicorn imports it: no file path to find in an image
WEB_APP_FACTORY = "web.app:create_app()"
READY_TIMEOUT_SECONDS = 60
PR_SET_PDEATHSIG = 1


def prepare(settings_by_service: dict[str, Settings]) -> int:
    """Migrate every database and seed an empty catalogue; return how many courses were seeded."""
    for service, settings in settings_by_service.items():
        upgrade(service, settings.database_url)
    catalogue = Database(settings_by_service["catalogue"].database_url)
    with catalogue.transaction() as session:
        seeded = seed_catalogue(session)
    catalogue.dispose()
    return seeded


def process_commands(settings_by_service: dict[str, Settings], web: WebSettings) -> dict[str, list[str]]:
    """Return the command of every process the system runs, by a readable name."""
    commands = {"web": [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG),
                        "--bind", f"{web.host}:{web.port}", WEB_APP_FACTORY]}
    for service, settings in settings_by_service.items():
        commands[f"{service}-web"] = [
            sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG),
            "--bind", f"{settings.host}:{settings.port}", app_factory_path(service)]
        commands[f"{service}-relay"] = [sys.executable, "-m", "services", "relay", service]
        commands[f"{service}-consumer"] = [sys.executable, "-m", "services", "consumer", service]
    commands["notifications-mailer"] = [sys.executable, "-m", "services", "mailer"]
    return commands


def wait_until_ready(base_urls: dict[str, str], processes: dict[str, subprocess.Popen],
                     stopping: Callable[[], bool]) -> None:
    """Wait until each web app answers /health/ready, or fail if a process died."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    pending = dict(base_urls)
    while pending and not stopping():
        for name, process in processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with status {process.returncode} while starting")
        for service, url in list(pending.items()):
            try:
                with urllib.request.urlopen(f"{url}/health/ready", timeout=1) as answer:
                    if answer.status == 200:
                        del pending[service]
            except OSError:
                pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"not ready after {READY_TIMEOUT_SECONDS}s: {', '.join(pending)}")
        time.sleep(0.2)


def base_url(settings: Settings | WebSettings) -> str:
    return f"http://{settings.host}:{settings.port}"


def web_settings(settings_by_service: dict[str, Settings]) -> WebSettings:
    """The front end's settings, pointed at the services this launcher starts."""
    urls = {f"{service.upper()}_URL": base_url(settings) for service, settings in settings_by_service.items()}
    return WebSettings.from_env({**os.environ, **urls})


def stop_all(processes: dict[str, subprocess.Popen], grace_seconds: float = 15) -> None:
    """Ask every process to stop, and kill those that do not within the grace period."""
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    for process in processes.values():
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def banner(settings_by_service: dict[str, Settings], web: WebSettings, seeded: int) -> str:
    lines = ["", "Course exchange is running" + (f" (seeded {seeded} courses)" if seeded else "") + ":",
             f"  {'web front end':<14} {base_url(web)}/   (sign in as a demo student or coordinator)"]
    for service, settings in settings_by_service.items():
        lines.append(f"  {service:<14} {base_url(settings)}/api/v1   docs: {base_url(settings)}/docs")
    first = next(iter(settings_by_service.values()))
    where = "embedded broker and SQLite" if first.uses_embedded_broker else "RabbitMQ"
    lines += [
        f"  data: {first.data_dir} ({where})",
        "",
        "Get a token (roles: student, coordinator, admin; institutions: LUMC, SSMU):",
        "  TOKEN=$(.venv/bin/python -m services token --role student --institution SSMU)",
        f"  curl -H \"Authorization: Bearer $TOKEN\" {base_url(settings_by_service['notifications'])}"
        "/api/v1/preferences/me",
        "Press Ctrl-C to stop.",
        "",
    ]
    return "\n".join(lines)


def die_with_parent() -> None:
    """In a child: be sent SIGTERM when the launcher dies, even by SIGKILL (Linux)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: a killed launcher may leave its children running


def run_system() -> int:
    """Start the whole system and supervise it until Ctrl-C or until a process dies."""
    settings_by_service = {service: Settings.from_env(service) for service in SERVICES}
    web = web_settings(settings_by_service)
    seeded = prepare(settings_by_service)
    environment = {**os.environ, "DATA_DIR": str(settings_by_service["catalogue"].data_dir),
                   "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "2"),
                   "CATALOGUE_URL": web.catalogue_url, "ENROLMENT_URL": web.enrolment_url,
                   "NOTIFICATIONS_URL": web.notifications_url,
                   "WEB_URL": os.environ.get("WEB_URL") or base_url(web)}  # the links in emails
    stopping = False

    def request_stop(_signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    processes: dict[str, subprocess.Popen] = {}
    try:
        for name, command in process_commands(settings_by_service, web).items():
            processes[name] = subprocess.Popen(command, env=environment, preexec_fn=die_with_parent)
        base_urls = {**{service: base_url(settings) for service, settings in settings_by_service.items()},
                     "web": base_url(web)}
        wait_until_ready(base_urls, processes, lambda: stopping)
        if not stopping:
            print(banner(settings_by_service, web, seeded), flush=True)
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"{name} exited with status {process.returncode}; stopping", file=sys.stderr)
                    return 1
            time.sleep(0.5)
        return 0
    except RuntimeError as exc:
        print(f"could not start: {exc}", file=sys.stderr)
        return 1
    finally:
        stop_all(processes)
