"""Scenario 2, the event pipeline: enrolments committed in the enrolment database to notifications
committed in the notifications database, through the enrolment relay, RabbitMQ and the notifications
consumer, each a real process. The baseline is raw pika publishing (with confirms) and consuming the
same messages."""

from __future__ import annotations

import threading
import time

import pika
import psycopg
from sqlalchemy import func, select

from bench import pika_baseline
from bench.environment import Workspace, gunicorn, resident_memory_mb, service_environment, worker
from bench.measure import Figure, Outcome, Sample, generate_load, ratio, require
from bench.offerings import OfferingDesk
from bench.scale import Scale
from bench.seat_rush import student_token
from enrolment.operations import enrol_student
from notifications.models import Notification
from services.registry import app_factory_path
from shared.config import SERVICES
from shared.db import Database
from shared.http.auth import Principal
from shared.messaging.inbox import InboxMessage
from shared.messaging.outbox import OutboxMessage
from shared.messaging.topology import queue_name
from shared.migrations import upgrade

TARGET_RATIO = 1.0  # drained events/s against raw pika's
TARGET_P99_MS = 100
EVENTS_PER_ENROLMENT = 2  # enrolment.confirmed or .waitlisted, and enrolment.seats_changed
SEATS_PER_OFFERING = 100
STEADY_OFFERINGS = 10  # a steady flow spreads over courses; one offering's lock is the seat rush's subject
WATCH_STOP_CHECK_SECONDS = 0.2
DRAIN_TIMEOUT_SECONDS = 300


def run_pipeline(workspace: Workspace, scale: Scale) -> Outcome:
    """Drain pre-loaded enrolments' events, then enrol at a steady rate; then the same with pika."""
    urls = {service: workspace.database(f"pipeline_{service}") for service in SERVICES}
    for service, url in urls.items():
        upgrade(service, url)
    amqp_url = workspace.vhost()
    dbs = {service: Database(url) for service, url in urls.items()}
    desk = OfferingDesk(dbs["catalogue"], dbs["enrolment"])
    environment = service_environment(workspace, AMQP_URL=amqp_url,
                                      **{f"{service.upper()}_DATABASE_URL": url for service, url in urls.items()})
    preload_enrolments(desk, dbs["enrolment"], scale.pipeline_enrolments)
    messages = outbox_messages(dbs["enrolment"])
    with worker(workspace, "consumer", "notifications", environment) as consumer:
        wait_for_consumer(amqp_url)
        with worker(workspace, "relay", "enrolment", environment) as relay:
            drained = drain_sample(dbs["enrolment"], dbs["notifications"], [i for i, _ in messages],
                                   "relay + RabbitMQ + consumer")
            with gunicorn(workspace, "pipeline-enrolment", app_factory_path("enrolment"), environment) as api, \
                    gunicorn(workspace, "pipeline-bare", "bench.baselines:create_bare_app()", environment):
                answered, steady = steady_samples(workspace, desk, api, dbs["notifications"], scale)
                memory = memory_figures(workspace, relay, consumer)
        # The relay stopped: the outbox fills again, then two consumer processes drain it.
        extra = scale.pipeline_enrolments // 2
        preload_enrolments(desk, dbs["enrolment"], extra)
        more = [event_id for event_id, _ in outbox_messages(dbs["enrolment"])[-EVENTS_PER_ENROLMENT * extra:]]
        with worker(workspace, "consumer", "notifications", environment, instance="2"):
            wait_for_consumer(amqp_url, consumers=2)
            with worker(workspace, "relay", "enrolment", environment):
                drained_by_two = drain_sample(dbs["enrolment"], dbs["notifications"], more, "two consumers")
    checks = [check_once_each(dbs["notifications"], scale.pipeline_enrolments + extra + steady.count)]
    for db in dbs.values():
        db.dispose()
    pika_drained = pika_sample(amqp_url, messages)
    pika_steady = pika_sample(amqp_url, messages[:steady.count], rate=scale.steady_rate)
    outcome = summarise(drained, pika_drained, steady, pika_steady, scale, checks, answered)
    outcome.figures.insert(1, Figure("events/s end to end, two consumer processes", drained_by_two.per_second,
                                     pika_drained.per_second))
    outcome.figures.extend(memory)
    return outcome


def memory_figures(workspace: Workspace, relay, consumer) -> list[Figure]:
    """Each process's resident memory after the run, beside a bare Flask worker's (MB)."""
    bare = resident_memory_mb(workspace.processes["pipeline-bare"])
    return [Figure(f"resident memory after the run, {name} (MB; baseline: bare Flask)", resident_memory_mb(process),
                   bare)
            for name, process in (("one enrolment API worker", workspace.processes["pipeline-enrolment"]),
                                  ("enrolment relay", relay), ("notifications consumer", consumer))]


def preload_enrolments(desk: OfferingDesk, db: Database, count: int) -> None:
    """Commit `count` enrolments (and their events) through enrolment's domain function, one transaction each."""
    offering_id = None
    for number in range(count):
        if number % SEATS_PER_OFFERING == 0:
            offering_id = desk.open_offering(SEATS_PER_OFFERING // 2)
        with db.transaction() as session:
            enrol_student(session, student(f"pipeline-{number}", number), offering_id)


def student(student_id: str, number: int) -> Principal:
    institution, locale = ("SSMU", "ru") if number % 2 else ("LUMC", "en")
    return Principal(student_id, "student", institution, f"{student_id}@example.org", f"Student {number}", locale)


def outbox_messages(db: Database) -> list[tuple[str, bytes]]:
    """Return the (id, body) of every event in the outbox, oldest first."""
    with db.reading() as session:
        rows = session.execute(select(OutboxMessage.event_id, OutboxMessage.body).order_by(OutboxMessage.id))
        return [(event_id, body.encode("utf-8")) for event_id, body in rows]


def wait_for_consumer(amqp_url: str, service: str = "notifications", consumers: int = 1, timeout: float = 60) -> None:
    """Wait until the service's consumers (this many) listen on its queue."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
            queue = connection.channel().queue_declare(queue_name(service), passive=True)
            connection.close()
            if queue.method.consumer_count >= consumers:
                return
        except pika.exceptions.AMQPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the {service} consumer did not start (see its log)")


def drain_sample(enrolment: Database, notifications: Database, event_ids: list[str], label: str) -> Sample:
    """Wait until the consumers handled every event of `event_ids` (and all before them); each from
    its publishing to its handling."""
    deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
    wanted = set(event_ids)
    with enrolment.reading() as session:
        before = session.scalar(select(func.count()).select_from(OutboxMessage)) - len(wanted)
    while (handled_now := count_handled(notifications)) < before + len(wanted):
        require(time.monotonic() < deadline, f"only {handled_now - before} of {len(wanted)} events arrived")
        time.sleep(0.1)
    with enrolment.reading() as session:
        published = dict(session.execute(select(OutboxMessage.event_id, OutboxMessage.published_at)).all())
    with notifications.reading() as session:
        handled = dict(session.execute(select(InboxMessage.event_id, InboxMessage.handled_at)).all())
    return Sample(label, [published[i].timestamp() for i in wanted], [handled[i].timestamp() for i in wanted])


def count_handled(db: Database) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(InboxMessage))


class NotificationWatcher:
    """Notes when each enrolment's notification is committed: a trigger the bench adds to its own
    notifications database NOTIFYs the enrolment id, which PostgreSQL delivers at the commit."""

    CHANNEL = "bench_notification_committed"

    def __init__(self, db: Database):
        self.seen: dict[str, float] = {}
        with db.engine.begin() as connection:
            connection.exec_driver_sql(f"""
                CREATE OR REPLACE FUNCTION bench_notification_committed() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM pg_notify('{self.CHANNEL}', NEW.enrolment_id); RETURN NULL; END $$""")
            connection.exec_driver_sql(
                "CREATE OR REPLACE TRIGGER bench_notification_committed AFTER INSERT ON notifications "
                "FOR EACH ROW EXECUTE FUNCTION bench_notification_committed()")
        self._listener = psycopg.connect(db.engine.url.set(drivername="postgresql")
                                         .render_as_string(hide_password=False), autocommit=True)
        self._listener.execute(f"LISTEN {self.CHANNEL}")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> "NotificationWatcher":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()
        self._listener.close()

    def wait_for(self, enrolment_ids: list[str], timeout: float = DRAIN_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while not all(enrolment_id in self.seen for enrolment_id in enrolment_ids):
            require(time.monotonic() < deadline, "notifications of the steady enrolments did not all arrive")
            time.sleep(0.1)

    def _watch(self) -> None:
        while not self._stop.is_set():
            for notification in self._listener.notifies(timeout=WATCH_STOP_CHECK_SECONDS):
                self.seen.setdefault(notification.payload, time.time())


def steady_samples(workspace: Workspace, desk: OfferingDesk, api_url: str, notifications: Database,
                   scale: Scale) -> tuple[Sample, Sample]:
    """Enrol at a steady rate through the API; return each request's answer and its notification being seen."""
    count = int(scale.steady_rate * scale.steady_seconds)
    offering_ids = [desk.open_offering(max(1, count // STEADY_OFFERINGS // 2)) for _ in range(STEADY_OFFERINGS)]
    plan = {"base_url": api_url, "concurrency": 50, "rate": scale.steady_rate, "keep_bodies": True,
            "requests": [{"method": "POST", "path": "/api/v1/enrolments",
                          "json": {"offering_id": offering_ids[n % STEADY_OFFERINGS]},
                          "headers": {"Authorization": f"Bearer {student_token(f'steady-{n}')}"}}
                         for n in range(count)]}
    with NotificationWatcher(notifications) as watcher:
        results = generate_load(workspace, "pipeline-steady", plan)
        require({r["status"] for r in results} == {201}, "a steady enrolment was refused")
        watcher.wait_for([r["body"]["id"] for r in results])
    return (Sample.of_results("enrolment API answered", results),
            Sample("enrolment API to notification", [r["start"] for r in results],
                   [watcher.seen[r["body"]["id"]] for r in results]))


def students_told(session) -> tuple[int, int]:
    """How many notifications went to students, and for how many distinct enrolments (the course's
    coordinators are also told of each enrolment in their inbox: those are not counted)."""
    to_students = Notification.kind != "roster_changed"
    return (session.scalar(select(func.count()).select_from(Notification).where(to_students)),
            session.scalar(select(func.count(func.distinct(Notification.enrolment_id))).where(to_students)))


def check_once_each(db: Database, enrolments: int) -> str:
    """Every enrolment told its student exactly once."""
    with db.reading() as session:
        told, distinct = students_told(session)
    require(told == distinct == enrolments, f"{enrolments} enrolments, {told} notifications ({distinct} distinct)")
    return f"{enrolments} enrolments: {enrolments} notifications, one each, none lost or twice"


def pika_sample(amqp_url: str, messages: list[tuple[str, bytes]], rate: float | None = None) -> Sample:
    sent, received = pika_baseline.run_baseline(amqp_url, messages, rate)
    return Sample("raw pika", [sent[i] for i in received], list(received.values()))


def summarise(drained: Sample, pika_drained: Sample, steady: Sample, pika_steady: Sample, scale: Scale,
              checks: list[str], answered: Sample) -> Outcome:
    figures = [
        Figure("events/s end to end (pre-loaded outbox drained)", drained.per_second, pika_drained.per_second,
               f">= {TARGET_RATIO:.0%} of the baseline",
               ratio(drained.per_second, pika_drained.per_second) >= TARGET_RATIO),
        Figure(f"latency p50 at {scale.steady_rate} enrolments/s (ms)", steady.latency_ms(50),
               pika_steady.latency_ms(50)),
        Figure(f"latency p99 at {scale.steady_rate} enrolments/s (ms)", steady.latency_ms(99),
               pika_steady.latency_ms(99), f"< {TARGET_P99_MS:,} ms", steady.latency_ms(99) < TARGET_P99_MS),
    ]
    return Outcome("event pipeline", figures, checks, latency=[steady, pika_steady],
                   throughput=[drained, pika_drained], breakdown=[answered, steady, behind_the_api(answered, steady)])


def behind_the_api(answered: Sample, notified: Sample) -> Sample:
    """From each enrolment's answer to its notification's commit: the pipeline without the API's queue."""
    return Sample("enrolment API answer to notification", answered.ends, notified.ends)
