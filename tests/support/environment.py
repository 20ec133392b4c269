"""Where the test servers are, and plain helpers to reach them: settings, throwaway databases, waiting."""

from __future__ import annotations

import os
import subprocess
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import psycopg
import pytest

from shared.config import Settings
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
        name = f"ce_test_{label}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return admin_url.rsplit("/", 1)[0] + f"/{name}"

    yield create
    with psycopg.connect(admin_url, autocommit=True) as connection:
        for name in created:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


def migrated_database(service: str, settings: Settings) -> Database:
    upgrade(service, settings.database_url)
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
