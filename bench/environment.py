"""What the benchmarks run on: throwaway PostgreSQL databases and a RabbitMQ vhost on the local
servers, and the real processes (gunicorn, relay, consumer) started against them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import psycopg
from kombu import Connection

from services.launcher import GUNICORN_CONFIG, die_with_parent
from shared.config import normalise_database_url

POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_BASE_URL = os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")
# The same gunicorn settings for every web process, ours and the baselines (services/gunicorn_conf.py).
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "4"))
READY_TIMEOUT_SECONDS = 60


class ServersMissing(RuntimeError):
    """PostgreSQL or RabbitMQ is not there: the benchmarks cannot run (and must not pass)."""


def check_servers() -> None:
    """Raise ServersMissing unless PostgreSQL and RabbitMQ answer."""
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            pass
    except psycopg.Error as exc:
        raise ServersMissing(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc}") from None
    try:
        with Connection(f"{AMQP_BASE_URL}/", connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:  # noqa: BLE001 - any failure means the broker is not usable
        raise ServersMissing(f"RabbitMQ is not reachable at {AMQP_BASE_URL}: {exc!r}") from None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Workspace:
    """One run's throwaway databases, vhosts and log folder; `close` drops what was created."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.run_id = uuid.uuid4().hex[:8]
        self._databases: list[str] = []
        self._vhosts: list[str] = []
        self.processes: dict[str, subprocess.Popen] = {}  # running now, by name (see resident_memory_mb)
        folder.mkdir(parents=True, exist_ok=True)

    def database(self, label: str) -> str:
        """Create an empty PostgreSQL database and return its URL (with our driver)."""
        name = f"bench_{label}_{self.run_id}"
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        self._databases.append(name)
        return normalise_database_url(POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")

    def vhost(self) -> str:
        """Create a RabbitMQ vhost for guest and return its AMQP URL."""
        name = f"bench-{self.run_id}-{len(self._vhosts)}"
        rabbitmqctl("add_vhost", name)
        rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        self._vhosts.append(name)
        return f"{AMQP_BASE_URL}/{name}"

    def log(self, name: str):
        return open(self.folder / f"{name}.log", "w")

    def close(self) -> None:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
            for name in self._databases:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for name in self._vhosts:
            rabbitmqctl("delete_vhost", name)


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


def service_environment(workspace: Workspace, **variables: str) -> dict[str, str]:
    """Return the environment of a benchmarked process: production logging, its data under the workspace."""
    return {**os.environ, "DATA_DIR": str(workspace.folder),
            "WEB_CONCURRENCY": str(WEB_WORKERS), "GUNICORN_ACCESS_LOG": "0", **variables}


@contextmanager
def gunicorn(workspace: Workspace, name: str, app_path: str, environment: dict[str, str]) -> Iterator[str]:
    """Serve `app_path` under our gunicorn settings on a free port; yield its base URL once ready."""
    url = f"http://127.0.0.1:{free_port()}"
    command = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG), "--bind", url.removeprefix("http://"),
               app_path]
    with running(workspace, name, command, environment) as process:
        wait_until_ready(f"{url}/health/ready", process, name)
        yield url


@contextmanager
def worker(workspace: Workspace, kind: str, service: str, environment: dict[str, str], instance: str = ""
           ) -> Iterator[subprocess.Popen]:
    """Run `python -m services KIND SERVICE` (a relay or a consumer) for the duration; a second one of
    the same kind needs an `instance` name of its own."""
    with running(workspace, f"{service}-{kind}{instance}", [sys.executable, "-m", "services", kind, service],
                 environment) as process:
        yield process


@contextmanager
def running(workspace: Workspace, name: str, command: list[str], environment: dict[str, str]
            ) -> Iterator[subprocess.Popen]:
    """Run a command with its output in the workspace's log folder; stop it (SIGTERM) afterwards."""
    with workspace.log(name) as log:
        process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT,
                                   preexec_fn=die_with_parent)
        workspace.processes[name] = process
        try:
            yield process
        finally:
            del workspace.processes[name]
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def server_pids(process: subprocess.Popen) -> list[int]:
    """The process and its children (a gunicorn master and its workers)."""
    return [process.pid, *_children(process.pid)]


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def postgres_pids() -> list[int]:
    """The local PostgreSQL server's processes (its backends among them)."""
    return [int(pid) for pid in os.listdir("/proc") if pid.isdigit() and _command_name(pid) == "postgres"]


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """CPU time (user and system, seconds) each process has used so far; one that has ended is left out."""
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return used


def cpu_since(before: dict[int, float], pids: list[int]) -> float:
    """CPU time the processes used since `before` (cpu_by_pid); one started since counts from zero."""
    return sum(used - before.get(pid, 0.0) for pid, used in cpu_by_pid(pids).items())


def _command_name(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def resident_memory_mb(process: subprocess.Popen) -> float:
    """Return the resident memory of a process, or of its largest child (a gunicorn worker) if it has
    children: what one serving process holds, in MB (VmRSS, shared pages counted in each)."""
    children = _children(process.pid)
    return max(map(_rss_mb, children)) if children else _rss_mb(process.pid)


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")) / 1024


def wait_until_ready(url: str, process: subprocess.Popen, name: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not become ready (see its log)") from None
            time.sleep(0.2)
