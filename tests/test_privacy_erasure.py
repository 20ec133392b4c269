"""Erasure on the real PostgreSQL and RabbitMQ (DESIGN section 6, invariant 10): a student with a seat,
a place in line, notifications, a sent and a queued email and a dead-lettered event is forgotten in
every database, queue and mail folder; replays and late events bring nothing back."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from enrolment.models import Enrolment
from notifications.models import EmailDelivery, ErasedMail, Notification
from notifications.operations import set_preferences
from services import broker
from shared import events
from shared.http.auth import Principal
from shared.messaging.envelope import Event
from shared.messaging.outbox import OutboxMessage
from tests.support.delivery import publish_as_foreign_client
from tests.support.environment import wait_for
from tests.support.erasure import Person, Platform
from tests.support.payloads import bearer

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]


@pytest.fixture
def platform(tmp_path, postgres_database_factory, amqp_url, service_app):
    urls = {service: postgres_database_factory(service) for service in ("catalogue", "enrolment", "notifications")}
    system = Platform(tmp_path, urls, amqp_url, service_app("enrolment", database_url=urls["enrolment"]))
    yield system
    system.close()


# The students' own notifications; the course's coordinator is told of each enrolment too (inbox only).
TO_STUDENTS = Notification.kind != "roster_changed"


def count(db, model, *where) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def lived_in(platform: Platform, erika: Person, others: list[Person]) -> dict:
    """Give Erika a seat, a place in line, notifications, a sent and a queued email, preferences, a
    remembered request and a dead-lettered event; return what the test needs later."""
    first, second = platform.offering(), platform.offering()
    platform.enrol(erika, first, **{"Idempotency-Key": "erika-first"})
    platform.enrol(others[0], first)  # waits behind Erika
    platform.enrol(others[1], second)
    with platform.db["enrolment"].reading() as session:
        late_event = Event.from_json(session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id)).first())
    with platform.db["notifications"].transaction() as session:
        set_preferences(session, Principal(erika.id, "student", "SSMU", erika.email, erika.name, "ru"), "ru", True)
    platform.start("catalogue", "notifications")
    wait_for(lambda: count(platform.db["notifications"], Notification, TO_STUDENTS) == 3)
    assert platform.mailer.send_due() == 3  # sent: mail files written
    platform.enrol(erika, second)  # waitlisted; this email stays queued
    wait_for(lambda: count(platform.db["notifications"], Notification, TO_STUDENTS) == 4)
    broken = Event(type=events.ENROLMENT_CONFIRMED, producer="enrolment",
                   data={"student": {"id": erika.id, "name": erika.name, "email": erika.email}})
    publish_as_foreign_client(platform.amqp_url, broken, times=1)  # set aside at once: it lacks fields
    wait_for(lambda: platform.queue_depths()["notifications.events.dead"] == 1)
    assert late_event.type == events.ENROLMENT_CONFIRMED and late_event.data["student"]["id"] == erika.id
    return {"first": first, "second": second, "late_event": late_event}


def erase(platform: Platform, erika: Person) -> str:
    answer = platform.enrolment.post("/api/v1/erasures", json={}, headers=erika.headers())
    assert answer.status_code == 202, answer.get_json()
    return answer.get_json()["id"]


def finish(platform: Platform, erasure_id: str) -> None:
    """Wait for both consumers, then let the mailer remove the mail files."""
    wait_for(lambda: all(platform.erased_in(service, erasure_id) for service in ("catalogue", "notifications")))
    platform.mailer.send_due()
    assert count(platform.db["notifications"], ErasedMail) == 0


def settled(platform: Platform) -> bool:
    depths = platform.queue_depths()
    return all(depth == 0 for name, depth in depths.items() if not name.endswith(".dead"))


def test_an_erased_student_is_found_in_no_database_queue_or_mail_folder(platform):
    erika, others = Person("erika"), [Person("boris"), Person("vera")]
    lived = lived_in(platform, erika, others)
    assert platform.traces_of(erika)  # the search finds what is there

    erasure_id = erase(platform, erika)
    finish(platform, erasure_id)
    assert broker.scrub(platform.amqp_url, erika.id) == broker.Scrubbed(dropped=1, erasures_kept=0)

    # Her seat went to the first in line, and coordinators no longer see her.
    assert count(platform.db["enrolment"], Enrolment, Enrolment.student_id == others[0].id,
                 Enrolment.status == "confirmed") == 1
    roster = platform.enrolment.get(f"/api/v1/offerings/{lived['first']}/roster",
                                    headers=bearer("coordinator", "LUMC")).get_json()
    assert [entry["student_id"] for entry in roster] == [others[0].id]
    wait_for(lambda: count(platform.db["notifications"], Notification, Notification.kind == "promoted") == 1)

    # The erasure delivered twice, and an enrolment event of hers arriving late, bring nothing back.
    again = Event(type=events.ERASURE_REQUESTED, producer="enrolment",
                  data={"erasure_id": erasure_id, "subject_id": erika.id, "requested_by": "student"})
    publish_as_foreign_client(platform.amqp_url, again, times=2)
    publish_as_foreign_client(platform.amqp_url, lived["late_event"], times=1)
    wait_for(lambda: settled(platform))
    platform.stop()

    assert platform.traces_of(erika) == []
    assert all(platform.traces_of(other) for other in others)  # the others' data is all still there
    assert count(platform.db["notifications"], EmailDelivery, EmailDelivery.to_address == others[0].email) == 2
    status = platform.enrolment.get(f"/api/v1/privacy/enrolment/erasures/{erasure_id}", headers=bearer("admin", "LUMC"))
    assert status.get_json()["status"] == "complete"


def test_a_consumer_killed_in_the_middle_of_an_erasure_finishes_it_when_it_comes_back(platform):
    erika, others = Person("erika"), [Person("boris"), Person("vera")]
    lived_in(platform, erika, others)
    broker.scrub(platform.amqp_url, erika.id)
    platform.stop()  # the notification consumer is now a process of its own, killed mid-erasure

    erasure_id = erase(platform, erika)
    platform.start("catalogue")
    killed = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("kill_consumer_mid_erasure.py")),
         platform.settings["notifications"].database_url, platform.amqp_url, str(platform.topology.retry_delay_ms)],
        capture_output=True, timeout=60, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    assert not platform.erased_in("notifications", erasure_id)  # nothing of the killed transaction stayed
    assert count(platform.db["notifications"], Notification, TO_STUDENTS) == 4

    platform.start("notifications")
    finish(platform, erasure_id)
    wait_for(lambda: settled(platform))
    platform.stop()
    assert platform.traces_of(erika) == []
    assert all(platform.traces_of(other) for other in others)
