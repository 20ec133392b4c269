"""Everyone is told at each step of an application, in their language: the applicant by inbox and email,
the course's coordinators (known to events by user id only) in their inbox."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from notifications.handlers import handlers
from notifications.messages import FrontEnd
from notifications.models import AudienceMember, EmailDelivery, Notification, Preference
from shared import events
from shared.messaging.consumer import Outcome, handle_event
from shared.messaging.envelope import Event
from tests.support.environment import make_settings, migrated_database
from tests.support.payloads import ANNA, FRONT_END_URL, OFFERING

VISITOR = {**ANNA, "id": "ssmu-visitor", "name": "Олег Кузнецов", "role": "staff"}

HANDLERS = handlers(FrontEnd(FRONT_END_URL))


@pytest.fixture
def db(tmp_path):
    database = migrated_database("notifications", make_settings("notifications", tmp_path))
    yield database
    database.dispose()


def application_event(event_type, status, message=None, enrolment_id=None, dates=None):
    return Event(type=event_type, producer="enrolment", occurred_at=datetime.now(timezone.utc), data={
        "application": {"id": "app-1", "status": status, "proposed_dates": dates, "message": message,
                        "enrolment_id": enrolment_id},
        "offering": OFFERING, "applicant": VISITOR, "coordinators": ["lumc-coordinator", "ssmu-coordinator"],
        "seats": {"capacity": 2, "confirmed": 1, "available": 1, "waitlisted": 0}})


def inbox(db) -> dict[str, list[tuple[str, str, str]]]:
    with db.transaction() as session:
        found: dict[str, list] = {}
        for notification in session.scalars(select(Notification).order_by(Notification.created_at)):
            found.setdefault(notification.user_id, []).append(
                (notification.kind, notification.locale, notification.subject))
        return found


def test_a_new_application_is_confirmed_to_the_applicant_and_announced_to_each_coordinator(db):
    with db.transaction() as session:
        session.add(Preference(user_id="ssmu-coordinator", locale="ru", email=True))
    event = application_event(events.APPLICATION_SUBMITTED, "pending",
                              dates={"starts_on": "2027-03-01", "ends_on": "2027-03-14"})
    assert handle_event(db, HANDLERS, event) is Outcome.HANDLED
    assert handle_event(db, HANDLERS, event) is Outcome.DUPLICATE
    told = inbox(db)
    assert [kind for kind, _, _ in told["ssmu-visitor"]] == ["application_submitted"]
    assert told["lumc-coordinator"] == [("application_received", "en",
                                         "New application for Helminth Infections and the Immune System")]
    assert told["ssmu-coordinator"][0][1:] == ("ru", "Новая заявка на курс «Гельминтозы и иммунная система»")
    with db.transaction() as session:  # who applied is enrolment's to show, and an erasure's to forget
        bodies = session.scalars(select(Notification.body).where(Notification.user_id != "ssmu-visitor")).all()
    assert not any("Олег" in body for body in bodies)
    with db.transaction() as session:
        assert [mail.to_address for mail in session.scalars(select(EmailDelivery))] == ["anna@ssmu.ru"]
        body = session.scalars(select(Notification.body).where(Notification.user_id == "ssmu-visitor")).one()
    assert "с 1 марта 2027" in body


def test_an_approval_carries_the_coordinators_message_and_the_applicant_joins_the_offerings_audience(db):
    handle_event(db, HANDLERS, application_event(events.APPLICATION_APPROVED, "approved",
                                                 message="Добро пожаловать в лабораторию!", enrolment_id="enr-9"))
    told = inbox(db)
    assert list(told) == ["ssmu-visitor"]
    with db.transaction() as session:
        notification = session.scalars(select(Notification)).one()
        assert notification.enrolment_id == "enr-9" and "Добро пожаловать в лабораторию!" in notification.body
        assert session.get(AudienceMember, (OFFERING["id"], "ssmu-visitor")).active


def test_a_decline_and_a_withdrawal_are_told_to_whom_they_concern(db):
    handle_event(db, HANDLERS, application_event(events.APPLICATION_DECLINED, "declined", message="Lab full"))
    handle_event(db, HANDLERS, application_event(events.APPLICATION_WITHDRAWN, "withdrawn"))
    told = inbox(db)
    assert [kind for kind, _, _ in told["ssmu-visitor"]] == ["application_declined", "application_withdrawn"]
    assert [kind for kind, _, _ in told["lumc-coordinator"]] == ["applicant_withdrew"]


def test_a_late_application_event_about_a_forgotten_applicant_tells_nobody(db):
    from shared.privacy import record_erasure

    event = application_event(events.APPLICATION_SUBMITTED, "pending")
    with db.transaction() as session:
        record_erasure(session, "e-1", VISITOR["id"], "student", datetime.now(timezone.utc))
    assert handle_event(db, HANDLERS, event) is Outcome.HANDLED
    assert inbox(db) == {}
