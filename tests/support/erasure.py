"""A whole platform on PostgreSQL and RabbitMQ for erasure tests, and the search for what is left of
a person: every table of every database, every queue of the broker, the mail folder."""

from __future__ import annotations

import email
import email.policy
import threading
import uuid
from pathlib import Path
from typing import Callable

import pika
import psycopg
from sqlalchemy import select

from catalogue.handlers import HANDLERS as CATALOGUE_HANDLERS
from enrolment.replica import apply_offering_snapshot
from notifications.handlers import handlers as notification_handlers
from notifications.messages import FrontEnd
from notifications.mailer import FolderTransport, Mailer
from shared.db import Database
from shared.events.catalogue import OfferingSnapshot
from shared.messaging.connection import connect
from shared.messaging.consumer import EventConsumer
from shared.messaging.relay import Relay
from shared.messaging.topology import Topology
from shared.migrations import upgrade
from shared.privacy import ErasureRecord
from tests.support.environment import make_settings
from tests.support.payloads import FRONT_END_URL, bearer, offering_snapshot

SERVICES = ("catalogue", "enrolment", "notifications")


class Person:
    """A student with an id, name and email found nowhere else, so that a search finds only their data."""

    def __init__(self, label: str):
        tag = uuid.uuid4().hex[:8]
        self.id = f"{label}-{tag}"
        self.name = f"Эрика {label.title()} {tag}"
        self.email = f"{label}.{tag}@ssmu.ru"

    def headers(self, **extra) -> dict:
        return {**bearer("student", "SSMU", sub=self.id, name=self.name, email=self.email), **extra}

    @property
    def traces(self) -> tuple[str, str, str]:
        return self.id, self.name, self.email


class Platform:
    """Three PostgreSQL databases and a RabbitMQ vhost; enrolment's relay and the other two consumers
    run in threads (start/stop), the mailer writes to a folder when asked."""

    def __init__(self, tmp_path: Path, database_urls: dict[str, str], amqp_url: str, enrolment_app):
        self.amqp_url = amqp_url
        self.settings = {service: make_settings(service, tmp_path, database_urls[service], amqp_url)
                         for service in SERVICES}
        self.db = {}
        for service in SERVICES:
            upgrade(service, database_urls[service])
            self.db[service] = Database(database_urls[service])
        self.topology = Topology(retry_delay_ms=200)
        with connect(self.settings["enrolment"]) as connection:
            self.topology.declare(connection.channel())
        self.mail_folder = tmp_path / "mail"
        self.mailer = Mailer(self.db["notifications"], FolderTransport(self.mail_folder), "exchange@test.invalid")
        self.enrolment = enrolment_app.test_client()
        self._stops: list[Callable[[], None]] = []

    def offering(self, capacity: int = 1) -> str:
        snapshot = offering_snapshot(capacity=capacity)
        with self.db["enrolment"].transaction() as session:
            apply_offering_snapshot(session, OfferingSnapshot.model_validate(snapshot))
        return snapshot["offering_id"]

    def enrol(self, person: Person, offering_id: str, **headers) -> dict:
        answer = self.enrolment.post("/api/v1/enrolments", json={"offering_id": offering_id},
                                     headers=person.headers(**headers))
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()

    def start(self, *consumers: str) -> None:
        """Run enrolment's relay and the consumers named."""
        stop = threading.Event()
        relay = Relay(self.db["enrolment"], connect(self.settings["enrolment"]), service="enrolment",
                      topology=self.topology)
        threads = [threading.Thread(target=relay.run, args=(stop, 0.02), daemon=True)]
        handlers = {"catalogue": CATALOGUE_HANDLERS, "notifications": notification_handlers(FrontEnd(FRONT_END_URL))}
        for service in consumers:
            consumer = EventConsumer(service, self.db[service], connect(self.settings[service]), handlers[service],
                                     stop, topology=self.topology)
            threads.append(threading.Thread(target=consumer.run, daemon=True))
        for thread in threads:
            thread.start()

        def halt():
            stop.set()
            for thread in threads:
                thread.join(timeout=15)
                assert not thread.is_alive()

        self._stops.append(halt)

    def stop(self) -> None:
        while self._stops:
            self._stops.pop()()

    def erased_in(self, service: str, erasure_id: str) -> bool:
        with self.db[service].reading() as session:
            return session.scalar(select(ErasureRecord.id).where(ErasureRecord.id == erasure_id)) is not None

    def queue_depths(self) -> dict[str, int]:
        with pika.BlockingConnection(pika.URLParameters(self.amqp_url)) as connection:
            return {queue.name: connection.channel().queue_declare(queue.name, passive=True).method.message_count
                    for queue in self.topology.queues()}

    def close(self) -> None:
        self.stop()
        for db in self.db.values():
            db.dispose()

    # --- what is left of a person -------------------------------------------------------------

    def database_text(self) -> str:
        """Every row of every table of the three databases, as text."""
        rows = []
        for db in self.db.values():
            url = db.url.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(url) as connection:
                tables = connection.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = 'public'").fetchall()
                for (table,) in tables:
                    rows += [row for (row,) in connection.execute(f'SELECT t::text FROM "{table}" t')]
        return "\n".join(rows)

    def broker_text(self) -> str:
        """Every message in every queue (bodies and headers), left where it is."""
        found = []
        with pika.BlockingConnection(pika.URLParameters(self.amqp_url)) as connection:
            for queue in self.topology.queues():
                channel = connection.channel()
                while True:
                    method, properties, body = channel.basic_get(queue.name, auto_ack=False)
                    if method is None:
                        break
                    found.append(f"{properties.headers} {body.decode('utf-8', errors='replace')}")
                channel.close()  # unacked: back into the queue
        return "\n".join(found)

    def mail_text(self) -> str:
        """Every mail file, raw and decoded (headers and every part)."""
        texts = []
        for path in sorted(self.mail_folder.glob("*.eml")):
            raw = path.read_bytes()
            message = email.message_from_bytes(raw, policy=email.policy.default)
            parts = [part.get_content() for part in message.walk() if not part.is_multipart()]
            texts += [raw.decode("utf-8", errors="replace"), *(str(value) for value in message.values()), *parts]
        return "\n".join(texts)

    def traces_of(self, person: Person) -> list[str]:
        """Where the person's id, name or email still appears."""
        places = {"databases": self.database_text(), "broker": self.broker_text(), "mail": self.mail_text()}
        return [f"{trace!r} in {place}" for place, text in places.items() for trace in person.traces if trace in text]
