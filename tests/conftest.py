"""Shared fixtures: per-test SQLite files, PostgreSQL databases and RabbitMQ vhosts.

Tests that need PostgreSQL or RabbitMQ fail under CI=true when the server is missing, and
skip with the reason everywhere else.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import psycopg
import pytest
from flask import Flask
from kombu import Connection

from services.tokens import demo_token
from shared.config import DEVELOPMENT_JWT_SECRET, Settings
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


# --- PostgreSQL -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_admin() -> str:
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            pass
    except psycopg.Error as exc:
        missing_server(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc}")
    return POSTGRES_ADMIN_URL


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


@pytest.fixture
def postgres_database_factory(postgres_admin) -> Iterator[Callable[[str], str]]:
    """Create throwaway PostgreSQL databases for one test; drop them afterwards."""
    with throwaway_postgres_databases(postgres_admin) as create:
        yield create


@pytest.fixture
def postgres_url(postgres_database_factory) -> str:
    return postgres_database_factory("main")


# --- RabbitMQ ---------------------------------------------------------------------------------


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def rabbitmq_available() -> str:
    try:
        with Connection(f"{AMQP_BASE_URL}/", connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:  # noqa: BLE001 - any failure means the broker is not usable
        missing_server(f"RabbitMQ is not reachable at {AMQP_BASE_URL}: {exc!r}")
    return AMQP_BASE_URL


@pytest.fixture
def amqp_url(rabbitmq_available) -> Iterator[str]:
    """Give the test a throwaway RabbitMQ vhost on the real broker."""
    vhost = f"ce-test-{uuid.uuid4().hex[:10]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    yield f"{rabbitmq_available}/{vhost}"
    rabbitmqctl("delete_vhost", vhost)


# --- Redis (a shared rate-limit store) ----------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        missing_server(f"Redis is not reachable at {REDIS_URL}: {exc!r}")
    return REDIS_URL


# --- Services on SQLite -----------------------------------------------------------------------


def migrated_database(service: str, settings: Settings) -> Database:
    upgrade(service, settings.database_url)
    return Database(settings.database_url)


@pytest.fixture
def service_app(tmp_path) -> Iterator[Callable[[str], Flask]]:
    """Build a service's app on a fresh, migrated SQLite database."""
    from services.registry import app_module

    apps: list[Flask] = []

    def build(service: str, database_url: str | None = None, migrate: bool = True, **settings_changes) -> Flask:
        settings = dataclasses.replace(make_settings(service, tmp_path, database_url), **settings_changes)
        if migrate:
            upgrade(service, settings.database_url)
        app = app_module(service).create_app(settings)
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["database"].dispose()


def bearer(role: str = "student", institution: str = "SSMU", **claims) -> dict[str, str]:
    """Return an Authorization header for a demo person."""
    token = demo_token(DEVELOPMENT_JWT_SECRET, role=role, institution=institution, **claims)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def catalogue_db(tmp_path) -> Iterator[Database]:
    db = migrated_database("catalogue", make_settings("catalogue", tmp_path))
    yield db
    db.dispose()


@pytest.fixture
def enrolment_db(tmp_path) -> Iterator[Database]:
    db = migrated_database("enrolment", make_settings("enrolment", tmp_path))
    yield db
    db.dispose()


def seeded_events(db: Database) -> list:
    """Seed the demo catalogue into `db` and return the events it put in the outbox."""
    from sqlalchemy import select

    from catalogue.seed import seed_catalogue
    from shared.events import Event
    from shared.outbox import OutboxMessage

    with db.transaction() as session:
        seed_catalogue(session)
    with db.transaction() as session:
        return [Event.from_json(body) for body in session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id))]


def course_payload(**overrides) -> dict:
    """Return a valid new course as a coordinator would send it."""
    payload = {
        "code": "IMM-700", "institution": "LUMC", "ects": 5, "level": "master", "language": "en",
        "isced": "0912", "topics": ["Immunology", "allergy"], "coordinators": ["lumc-coordinator"],
        "title": {"en": "Advanced Immunology of Helminth Infections",
                  "ru": "Углублённая иммунология гельминтозов"},
        "description": {"en": "Type 2 immunity in depth.", "ru": "Иммунитет 2-го типа подробно."},
    }
    return {**payload, **overrides}


def offering_payload(**overrides) -> dict:
    """Return a valid new offering whose enrolment window is open now."""
    payload = {
        "term": "2027-spring", "starts_on": "2027-02-08", "ends_on": "2027-03-05",
        "enrolment_opens_at": "2026-01-01T08:00:00Z", "enrolment_closes_at": "2027-01-25T23:59:00Z",
        "capacity": 20, "waitlist": True, "location": "LUMC, Leiden",
    }
    return {**payload, **overrides}


def offering_snapshot(**overrides) -> dict:
    """Return catalogue.offering.* event data for an offering whose enrolment window is open now."""
    from datetime import datetime, timedelta, timezone

    now = datetime.now(timezone.utc)
    data = {
        "offering_id": str(uuid.uuid4()), "course_id": str(uuid.uuid4()), "course_code": "HEL-510",
        "course_title": {"en": "Helminth Infections and the Immune System", "ru": "Гельминтозы и иммунная система"},
        "course_status": "published", "course_version": 2, "institution": "LUMC",
        "coordinators": ["lumc-coordinator"], "term": "2027-spring", "starts_on": "2027-02-08",
        "ends_on": "2027-03-05", "location": "LUMC, Leiden", "capacity": 2, "waitlist": True,
        "enrolment_opens_at": (now - timedelta(days=1)).isoformat(),
        "enrolment_closes_at": (now + timedelta(days=30)).isoformat(),
        "status": "scheduled", "cancel_reason": None, "version": 1,
    }
    return {**data, **overrides}


def student(number: int, institution: str = "SSMU"):
    """Return a student principal with a Cyrillic name (SSMU) or a Dutch one (LUMC)."""
    from shared.auth import Principal

    name = f"Студент Номер {number}" if institution == "SSMU" else f"Student {number}"
    return Principal(f"{institution.lower()}-student-{number}", "student", institution,
                     f"student{number}@{'ssmu.ru' if institution == 'SSMU' else 'lumc.nl'}", name,
                     "ru" if institution == "SSMU" else "en")


class SmtpInbox:
    """A real SMTP server (aiosmtpd) on a local port that keeps what it receives."""

    def __init__(self):
        self.messages: list = []
        self.port = None
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy

        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def start(self, port: int | None = None) -> "SmtpInbox":
        from aiosmtpd.controller import Controller

        from tests.servers import free_port

        self.port = port or self.port or free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpInbox]:
    server = SmtpInbox().start()
    yield server
    server.stop()


def wait_for(check, timeout: float = 30.0):
    """Poll `check` until it returns something truthy, and return that; fail after `timeout` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.1)
    return result
