"""The long-running worker processes: one relay and one consumer per service."""

from __future__ import annotations

import gc
import logging
import os
import signal
import threading
from contextlib import contextmanager
from typing import Iterator

from prometheus_client import start_http_server

from services.registry import consumer_handlers, relay_chores, retention_rules
from shared.config import Settings
from shared.db import Database
from shared.logs import configure_logging
from shared.messaging.connection import connect
from shared.messaging.consumer import EventConsumer
from shared.messaging.relay import Relay
from shared.messaging.retention import Pruner
from shared.messaging.topology import Topology

log = logging.getLogger(__name__)


def stop_on_signals() -> threading.Event:
    """Return an event that SIGTERM or SIGINT sets, for a clean stop."""
    stop = threading.Event()

    def request_stop(signum, _frame):
        log.info("received %s; stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    return stop


def serve_metrics() -> None:
    """Serve this worker's Prometheus metrics on METRICS_PORT, if the operator set one."""
    port = os.environ.get("METRICS_PORT")
    if port:
        start_http_server(int(port))
        log.info("metrics on port %s", port)


@contextmanager
def worker(service: str, kind: str) -> Iterator[tuple[Settings, Database]]:
    """Set up a worker process: settings, JSON logs, metrics, and its database for the duration."""
    settings = Settings.from_env(service)
    configure_logging(service, settings.log_level)
    log.info("%s of %s starting", kind, service)
    serve_metrics()
    db = Database(settings.database_url, application_name=f"{service}-{kind}")
    gc.freeze()  # what start-up loaded lives as long as the process: never collected, not even at exit (seconds)
    try:
        yield settings, db
    finally:
        db.dispose()
        log.info("%s of %s stopped", kind, service)


def run_relay(service: str) -> None:
    """Publish the service's outbox until stopped, pruning what has outlived its retention and doing the
    service's time-based chores (enrolment's offer sweep) between sweeps."""
    with worker(service, "relay") as (settings, db):
        Relay(db, connect(settings), service=service, topology=Topology.of(settings), pruner=pruner(settings, db),
              prune_interval=settings.retention_interval_seconds,
              chores=relay_chores(settings, db)).run(stop_on_signals())


def pruner(settings: Settings, db: Database) -> Pruner:
    return Pruner(db, retention_rules(settings), settings.retention_batch_size)


def prune(services: list[str]) -> None:
    """Prune what has outlived its retention now, and say how much (the relays do it on their own too)."""
    for service in services:
        with worker(service, "prune") as (settings, db):
            for rule, count in pruner(settings, db).prune_all().items():
                print(f"{service:<14} {rule:<24} {count:>9} pruned")


def run_consumer(service: str) -> None:
    """Consume the service's queue until stopped."""
    with worker(service, "consumer") as (settings, db), connect(settings) as connection:
        EventConsumer(service, db, connection, consumer_handlers(settings), stop_on_signals(),
                      topology=Topology.of(settings), max_attempts=settings.max_attempts).run()


def run_mailer() -> None:
    """Send the notification service's queued email until stopped."""
    from notifications.mailer import Mailer, mail_transport

    with worker("notifications", "mailer") as (settings, db):
        Mailer(db, mail_transport(settings), settings.mail_from).run(stop_on_signals())
