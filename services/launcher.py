"""`python -m services run`: every web app, relay and consumer of the system, supervised together."""

from __future__ import annotations

import ctypes
import gc
import importlib
import importlib.util
import logging
import os
import signal
import subprocess
import sys
import time
import traceback
import urllib.request
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
PR_SET_NAME = 15


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


def wait_until_ready(base_urls: dict[str, str], processes: dict[str, Child],
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
        time.sleep(0.05)


def base_url(settings: Settings | WebSettings) -> str:
    return f"http://{settings.host}:{settings.port}"


def web_settings(settings_by_service: dict[str, Settings]) -> WebSettings:
    """The front end's settings, pointed at the services this launcher starts."""
    urls = {f"{service.upper()}_URL": base_url(settings) for service, settings in settings_by_service.items()}
    return WebSettings.from_env({**os.environ, **urls})


def stop_all(processes: dict[str, Child], grace_seconds: float = 15) -> None:
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


class Child:
    """One process of the system, forked from the launcher to run one of `process_commands` (`python -m gunicorn
    ...` or `python -m services ...`) in the modules the launcher has already imported. Eleven fresh interpreters
    importing the same modules at once spent most of a start's seconds on two cores, for nothing: they all ran
    this code base on this interpreter. Supervised like a subprocess.Popen (poll, wait, send_signal, kill)."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]):
        self.name, self.args = name, command
        self.returncode: int | None = None
        sys.stdout.flush()
        sys.stderr.flush()
        # Until the child has its own handlers, a stop request waits rather than reach the launcher's in it.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        launcher = os.getpid()
        try:
            self.pid = os.fork()
            if self.pid == 0:
                os._exit(_run_child(name, command, env, mask, launcher))
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(self.args, timeout)
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _run_child(name: str, command: list[str], env: dict[str, str], mask: set, launcher: int) -> int:
    """In a forked child: become the process `command` names, as a fresh interpreter would, and return its
    exit status (never returning into the launcher's own code). Its command line stays the launcher's;
    top, pstree and `ps -o comm` show `name` (its first 15 characters)."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # not the launcher's handlers
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        die_with_parent()
        if os.getppid() != launcher:  # it died before we asked to die with it
            return 1
        set_process_name(name)
        os.environ.clear()
        os.environ.update(env)
        module, args = command[2] if command[1:2] == ["-m"] else None, command[3:]
        if module == "gunicorn":
            from gunicorn.app.wsgiapp import run

            sys.argv = [importlib.util.find_spec("gunicorn.__main__").origin, *args]  # as `-m gunicorn` has it
            run(prog="gunicorn")
            code = 0
        elif module == "services":
            from services.__main__ import main

            code = main(args)
        else:  # not this code base: a fresh process after all
            os.execve(command[0], command, env)
    except SystemExit as exc:  # as the interpreter would end: a number, or a message and 1
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
    except KeyboardInterrupt:
        code = 128 + signal.SIGINT
    except BaseException:  # noqa: BLE001 - the traceback a fresh interpreter would print
        traceback.print_exc()
    finally:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
    return code


def import_apps(commands: dict[str, list[str]]) -> None:
    """Import the web apps' modules (as gunicorn_conf.on_starting does in each master), so the forked children
    find them loaded; never services.gunicorn_conf itself, which gunicorn reads from each child's environment."""
    for command in commands.values():
        if command[2] == "gunicorn":
            importlib.import_module(command[-1].partition(":")[0])
    gc.freeze()  # what the children inherit is never collected: no copy-on-write of it


def set_process_name(name: str) -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_NAME, name.encode()[:15])
    except OSError:
        pass  # not Linux: every child is called as the launcher is


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
    processes: dict[str, Child] = {}
    commands = process_commands(settings_by_service, web)
    import_apps(commands)
    try:
        for name, command in commands.items():
            processes[name] = Child(name, command, environment)
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
            time.sleep(0.1)  # also how long a stop request may wait to be seen
        return 0
    except RuntimeError as exc:
        print(f"could not start: {exc}", file=sys.stderr)
        return 1
    finally:
        stop_all(processes)
