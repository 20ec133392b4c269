"""The mailer against real faults: the database going away right after the SMTP server accepted an
email does not send it twice; a mailer that dies mid-send leaves a claim that another one takes over."""

from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import select, update

from notifications.handlers import handlers
from notifications.mailer import Mailer, SmtpTransport
from notifications.messages import FrontEnd
from notifications.models import EmailDelivery
from shared import events
from shared.db import utcnow
from shared.messaging.consumer import handle_event
from tests.support.environment import make_settings, migrated_database
from tests.support.payloads import FRONT_END_URL, SANNE, enrolment_event

pytestmark = pytest.mark.postgres

HANDLERS = handlers(FrontEnd(FRONT_END_URL))


@pytest.fixture
def db(tmp_path, postgres_url):
    database = migrated_database("notifications", make_settings("notifications", tmp_path, postgres_url))
    yield database
    database.dispose()


class DatabaseLostAfterSending(SmtpTransport):
    """An SMTP transport whose server accepts the email, after which the database drops the mailer."""

    def __init__(self, port: int, database_url: str):
        super().__init__("127.0.0.1", port)
        self.database_url = database_url

    def send(self, message) -> None:
        super().send(message)
        name = self.database_url.rsplit("/", 1)[1]
        with psycopg.connect(self.database_url.replace("postgresql+psycopg://", "postgresql://"),
                             autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))


def deliveries(db) -> list[tuple[str, int]]:
    with db.transaction() as session:
        return [(d.status, d.attempts) for d in session.scalars(select(EmailDelivery))]


def test_a_database_lost_right_after_sending_sends_no_second_email(db, smtp_server):
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_WAITLISTED))
    mailer = Mailer(db, DatabaseLostAfterSending(smtp_server.port, db.url), "Exchange <x@lumc-ssmu.invalid>")
    assert mailer.send_due() == 1
    assert deliveries(db) == [("sent", 1)]
    Mailer(db, SmtpTransport("127.0.0.1", smtp_server.port), "Exchange <x@lumc-ssmu.invalid>").send_due()
    assert len(smtp_server.messages) == 1


def test_a_claim_left_by_a_dead_mailer_is_taken_over_when_its_lease_runs_out(db, smtp_server):
    handle_event(db, HANDLERS, enrolment_event(events.ENROLMENT_CONFIRMED, SANNE, "confirmed", None))
    mailer = Mailer(db, SmtpTransport("127.0.0.1", smtp_server.port), "Exchange <x@lumc-ssmu.invalid>")
    mailer._claim()  # the mailer that claimed it dies before sending
    assert deliveries(db) == [("sending", 1)]
    assert mailer.send_due() == 0, "a live claim is left alone"
    with db.transaction() as session:  # the lease runs out
        session.execute(update(EmailDelivery).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    assert mailer.send_due() == 1
    assert deliveries(db) == [("sent", 2)] and len(smtp_server.messages) == 1
