"""Where the test servers are, and plain helpers to reach them: settings, throwaway databases, waiting."""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import psycopg
import pytest
from kombu import Connection

from shared.config import SERVICES, Settings
from shared.db import Database
from shared.migrations import upgrade

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_BASE_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() == "true"


def missing_server(reason: str) -> None:
    """Fail in CI, where the servers must be there; skip elsewhere, saying exactly why."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def make_settings(service: str, data_dir: Path, database_url: str | None = None,
                  amqp_url: str = "filesystem://") -> Settings:
    """Return settings of one service for a test, on SQLite under data_dir unless told otherwise."""
    return Settings(service=service, data_dir=data_dir, amqp_url=amqp_url,
                    database_url=database_url or f"sqlite:///{data_dir / (service + '.db')}")


@contextmanager
def throwaway_postgres_databases(admin_url: str) -> Iterator[Callable[[str], str]]:
    """Yield a function that creates a PostgreSQL database and returns its URL; drop them all afterwards."""
    created: list[str] = []

    def create(label: str = "db") -> str:
        """A database named after a service is already migrated (a copy of one migrated once per run)."""
        name = f"ce_test_{label}_{uuid.uuid4().hex[:10]}"
        template = f' TEMPLATE "{migrated_postgres_template(admin_url, label)}"' if label in SERVICES else ""
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"{template}')
        created.append(name)
        return database_url(admin_url, name)

    yield create
    for name in created:
        drop_database(admin_url, name)


def database_url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


@functools.cache
def migrated_postgres_template(admin_url: str, service: str) -> str:
    """A database migrated once per test run, which a test's database copies (CREATE DATABASE ... TEMPLATE
    takes a tenth of the time the migrations take)."""
    name = f"ce_test_template_{service}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    atexit.register(drop_database, admin_url, name)
    upgrade(service, database_url(admin_url, name))
    return name


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def rabbitmqctl(*args: str, input: str | None = None) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], input=input, text=True, check=True, capture_output=True, timeout=60)


class ThrowawayVhosts:
    """RabbitMQ vhosts that each test may use alone, the guest user allowed everything there.

    Every rabbitmqctl call boots an Erlang VM (about a second of CPU), and three calls per test cost
    the suite a minute and a half: vhosts are made a batch at a time with one import_definitions, and
    a used one is deleted in the background.
    """

    BATCH = 8

    def __init__(self) -> None:
        self._ready: list[str] = []
        self._deletions: list[subprocess.Popen] = []

    def take(self) -> str:
        if not self._ready:
            self._ready = [f"ce-test-{uuid.uuid4().hex[:10]}" for _ in range(self.BATCH)]
            everything = {"configure": ".*", "write": ".*", "read": ".*"}
            definitions = {"vhosts": [{"name": vhost} for vhost in self._ready],
                           "permissions": [{"user": "guest", "vhost": vhost, **everything} for vhost in self._ready]}
            rabbitmqctl("import_definitions", input=json.dumps(definitions))
        vhost = self._ready.pop()
        wait_for(lambda: self._accepts_connections(vhost), timeout=15)  # rabbitmqctl says the import is asynchronous
        return vhost

    @staticmethod
    def _accepts_connections(vhost: str) -> bool:
        try:
            with Connection(f"{AMQP_BASE_URL}/{vhost}", connect_timeout=3) as connection:
                connection.ensure_connection(max_retries=1)
        except Exception:  # noqa: BLE001 - not there yet
            return False
        return True

    def delete(self, vhost: str) -> None:
        self._deletions.append(subprocess.Popen(["rabbitmqctl", "-q", "delete_vhost", vhost],
                                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def close(self) -> None:
        for vhost in self._ready:
            self.delete(vhost)
        for deletion in self._deletions:
            deletion.wait(timeout=60)


def migrate_to_head(service: str, database_url: str) -> None:
    """Bring a test's database to the newest revision. A new SQLite file is a copy of one migrated once
    per test run: hundreds of tests need one, and running the migrations each time cost a minute."""
    path = database_url.removeprefix("sqlite:///")
    if path == database_url or Path(path).exists():
        upgrade(service, database_url)
        return
    shutil.copyfile(migrated_sqlite_template(service), path)


@functools.cache
def migrated_sqlite_template(service: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=f"{service}-template-"))
    atexit.register(shutil.rmtree, folder, True)
    upgrade(service, f"sqlite:///{folder / 'template.db'}")
    return folder / "template.db"


def migrated_database(service: str, settings: Settings) -> Database:
    migrate_to_head(service, settings.database_url)
    return Database(settings.database_url)


def wait_for(check, timeout: float = 30.0):
    """Poll `check` until it returns something truthy, and return that; fail after `timeout` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.1)
    return result
