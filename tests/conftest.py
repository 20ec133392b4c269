"""Shared fixtures: per-test SQLite files, PostgreSQL databases and RabbitMQ vhosts.

Tests that need PostgreSQL or RabbitMQ fail under CI=true when the server is missing, and
skip with the reason everywhere else.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterator

import psycopg
import pytest
from flask import Flask
from kombu import Connection

from catalogue.app import create_app as create_catalogue_app
from enrolment.app import create_app as create_enrolment_app
from notifications.app import create_app as create_notifications_app
from shared.db import Database
from tests.support.browser import browser, front_end, system  # noqa: F401 (fixtures of every browser test)
from tests.support.environment import (AMQP_BASE_URL, POSTGRES_ADMIN_URL, REDIS_URL, ThrowawayVhosts, make_settings,
                                       migrate_to_head, migrated_database, missing_server, throwaway_postgres_databases)
from tests.support.smtp import SmtpInbox

APP_FACTORIES = {"catalogue": create_catalogue_app, "enrolment": create_enrolment_app,
                 "notifications": create_notifications_app}


# --- PostgreSQL -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_admin() -> str:
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            pass
    except psycopg.Error as exc:
        missing_server(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc}")
    return POSTGRES_ADMIN_URL


@pytest.fixture
def postgres_database_factory(postgres_admin) -> Iterator[Callable[[str], str]]:
    """Create throwaway PostgreSQL databases for one test; drop them afterwards."""
    with throwaway_postgres_databases(postgres_admin) as create:
        yield create


@pytest.fixture
def postgres_url(postgres_database_factory) -> str:
    return postgres_database_factory("main")


# --- RabbitMQ ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def rabbitmq_available() -> str:
    try:
        with Connection(f"{AMQP_BASE_URL}/", connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:  # noqa: BLE001 - any failure means the broker is not usable
        missing_server(f"RabbitMQ is not reachable at {AMQP_BASE_URL}: {exc!r}")
    return AMQP_BASE_URL


@pytest.fixture(scope="session")
def throwaway_vhosts(rabbitmq_available) -> Iterator[ThrowawayVhosts]:
    vhosts = ThrowawayVhosts()
    yield vhosts
    vhosts.close()


@pytest.fixture
def amqp_url(rabbitmq_available, throwaway_vhosts) -> Iterator[str]:
    """Give the test a throwaway RabbitMQ vhost on the real broker."""
    vhost = throwaway_vhosts.take()
    yield f"{rabbitmq_available}/{vhost}"
    throwaway_vhosts.delete(vhost)


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


@pytest.fixture
def service_app(tmp_path) -> Iterator[Callable[[str], Flask]]:
    """Build a service's app on a fresh, migrated SQLite database."""
    apps: list[Flask] = []

    def build(service: str, database_url: str | None = None, migrate: bool = True, **settings_changes) -> Flask:
        settings = dataclasses.replace(make_settings(service, tmp_path, database_url), **settings_changes)
        if migrate:
            migrate_to_head(service, settings.database_url)
        app = APP_FACTORIES[service](settings)
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["database"].dispose()


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


@pytest.fixture
def smtp_server() -> Iterator[SmtpInbox]:
    server = SmtpInbox().start()
    yield server
    server.stop()


