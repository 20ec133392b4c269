"""A student offered a seat is told until when (in their time zone, without seconds) and where to answer,
reminded once, and told when the offer expired, in their language; everything they read is escaped."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from notifications.handlers import handlers
from notifications.messages import FrontEnd
from notifications.models import AudienceMember, EmailDelivery, Notification
from shared import events
from shared.messaging.consumer import Outcome, handle_event
from shared.messaging.envelope import Event
from tests.support.environment import make_settings, migrated_database
from tests.support.payloads import ANNA, FRONT_END_URL, OFFERING, SANNE

HANDLERS = handlers(FrontEnd(FRONT_END_URL))
DEADLINE = "2027-01-20T09:30:00+00:00"


@pytest.fixture
def db(tmp_path):
    database = migrated_database("notifications", make_settings("notifications", tmp_path))
    yield database
    database.dispose()


def offer_event(event_type, student=ANNA, status="offered", offering=OFFERING):
    return Event(type=event_type, producer="enrolment", occurred_at=datetime.now(timezone.utc), data={
        "enrolment": {"id": f"enr-{student['id']}", "status": status, "waitlist_position": None,
                      "cancelled_by": None, "offer_expires_at": DEADLINE},
        "offering": offering, "student": student,
        "seats": {"capacity": 2, "confirmed": 1, "held": 1, "available": 0, "waitlisted": 3}})


def told(db, student_id) -> list[Notification]:
    with db.transaction() as session:
        found = list(session.scalars(select(Notification).where(Notification.user_id == student_id)
                                     .order_by(Notification.created_at)))
        session.expunge_all()
        return found


def test_an_offer_tells_the_deadline_in_the_students_zone_and_where_to_answer_in_russian(db):
    event = offer_event(events.ENROLMENT_OFFERED)
    assert handle_event(db, HANDLERS, event) is Outcome.HANDLED
    assert handle_event(db, HANDLERS, event) is Outcome.DUPLICATE
    [offer] = told(db, ANNA["id"])
    assert offer.kind == "offered"
    # 09:30 UTC is 16:30 in Tomsk (UTC+7), SSMU's zone.
    assert offer.subject.startswith("Вам предложено место на курсе «Гельминтозы и иммунная система» до 20 янв. 2027")
    assert "16:30 (Томск, UTC+7)" in offer.subject and ":00 " not in offer.subject
    assert f"{FRONT_END_URL}/me/enrolments" in offer.body
    with db.transaction() as session:
        mail = session.scalars(select(EmailDelivery)).one()
        assert mail.to_address == ANNA["email"] and f'href="{FRONT_END_URL}/me/enrolments"' in mail.html
        member = session.get(AudienceMember, (OFFERING["id"], ANNA["id"]))
        assert (member.active, member.waiting) == (True, False)


def test_a_reminder_and_an_expiry_in_english_and_the_expired_student_leaves_the_audience(db):
    handle_event(db, HANDLERS, offer_event(events.ENROLMENT_OFFERED, SANNE))
    handle_event(db, HANDLERS, offer_event(events.ENROLMENT_OFFER_REMINDED, SANNE))
    handle_event(db, HANDLERS, offer_event(events.ENROLMENT_OFFER_EXPIRED, SANNE, status="expired"))
    offer, reminder, expiry = told(db, SANNE["id"])
    assert [offer.kind, reminder.kind, expiry.kind] == ["offered", "offer_reminder", "offer_expired"]
    assert "10:30 (Amsterdam, UTC+1)" in reminder.subject  # LUMC's zone, in winter
    assert expiry.subject == "Your offer of a seat in Helminth Infections and the Immune System has expired"
    assert "you have left the waiting list" in expiry.body
    with db.transaction() as session:
        assert session.get(AudienceMember, (OFFERING["id"], SANNE["id"])).active is False


def test_what_the_student_reads_is_escaped(db):
    hostile = {**OFFERING, "course_title": {"en": "<script>alert(1)</script>", "ru": None}}
    handle_event(db, HANDLERS, offer_event(events.ENROLMENT_OFFERED, {**SANNE, "name": "<b>Sanne</b>"},
                                           offering=hostile))
    with db.transaction() as session:
        html = session.scalars(select(EmailDelivery.html)).one()
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>Sanne</b>" not in html
